"""`make run` through Metaflow: the flow wires the same stages, in separate processes, end to end."""

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest
from metaflow import FlowSpec

from {{ cookiecutter.module_name }}.runs import accepted
from {{ cookiecutter.module_name }}.settings import PROJECT_ROOT, Settings

from .retraining_cases import ALERT_WEBHOOK, assert_alerted_on_the_drift, record_a_drifted_day
from .stops import STOPS, assert_ends_with_its_message, stopping
from .webhook import Receiver

TINY = 30_000
FLOW = PROJECT_ROOT / "flows" / "training_flow.py"


def run_flow(workspace: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run the flow as `make run` does (`make retrain` adds ``args``), with its data and Metaflow's state in
    ``workspace``."""
    environment = {
        **os.environ,
        "{{ cookiecutter.module_name | upper }}_WORKSPACE": str(workspace),
        "METAFLOW_USER": "tests",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        **env,
    }
    return subprocess.run(
        [sys.executable, str(FLOW), "--no-pylint", "run", "--sample-events", str(TINY), *args],
        cwd=workspace,
        env=environment,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )


@pytest.mark.slow
def test_the_metaflow_flow_runs_end_to_end(tmp_path: Path) -> None:
    result = run_flow(tmp_path)

    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    published = [line.split("published: ")[1] for line in result.stdout.splitlines() if "published: " in line]
    assert len(published) == 1 and (tmp_path / published[0].strip()).exists(), result.stdout[-3000:]
    assert (tmp_path / "artifacts" / "accepted" / "evaluation" / "metrics.json").exists()
    assert (tmp_path / "artifacts" / "accepted" / "model" / "model.json").exists()


@pytest.mark.slow
@pytest.mark.parametrize("kind", STOPS)
def test_a_stopped_run_ends_with_the_stages_own_message(tiny_log: Settings, kind: str) -> None:
    with stopping(kind, tiny_log) as stop:
        result = run_flow(tiny_log.workspace, **stop.env)

    assert_ends_with_its_message(result, stop.words)


def test_the_flow_runs_daily_once_deployed() -> None:
    """@schedule takes effect with `argo-workflows create` or `step-functions create`; Argo reads the first
    five of EventBridge's six fields, which must then be a cron line of their own."""
    spec = importlib.util.spec_from_file_location("training_flow", FLOW)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)

    # What Argo's and Step Functions' deployers read from the flow; a property of a flow instance, which only
    # a run makes, so read here from the class.
    [scheduled] = vars(FlowSpec)["_flow_decorators"].fget(module.TrainingFlow)["schedule"]
    scheduled.flow_init(*[None] * 8)

    assert scheduled.schedule == "17 6 * * ? *"
    minute, hour, *every_day = scheduled.schedule.split()[:5]
    assert (int(minute), int(hour), every_day) == (17, 6, ["*", "*", "?"])


@pytest.mark.slow
def test_make_retrain_monitors_retrains_and_alerts_when_the_champion_drifted(
    accepted_run: Settings, webhook: Receiver
) -> None:
    champion = accepted(accepted_run)
    assert champion is not None
    record_a_drifted_day(accepted_run)

    result = run_flow(accepted_run.workspace, "--monitor", "true", **{ALERT_WEBHOOK: webhook.url})

    assert_alerted_on_the_drift(result, webhook, accepted_run, champion.id)
