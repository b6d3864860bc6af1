"""`make run` through Prefect: the flow wires the same stages end to end, and a stopped run ends the script
with the stage's own message.

The end-to-end run starts Prefect's temporary server, as `make run` does (tens of seconds), so these tests
are slow. The stopped runs share one server instead, as a team's runs share theirs: a run's messages do not
depend on which server records it, and each temporary server costs its run about 30 seconds.
"""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from prefect import Flow
from prefect.cli.deploy._models import PrefectYamlModel, RawScheduleConfig
from prefect.client.schemas.schedules import CronSchedule
from prefect.flows import load_flow_from_entrypoint

from {{ cookiecutter.module_name }}.runs import accepted
from {{ cookiecutter.module_name }}.settings import PROJECT_ROOT, Settings

from .retraining_cases import ALERT_WEBHOOK, assert_alerted_on_the_drift, record_a_drifted_day
from .stops import STOPS, assert_ends_with_its_message, stopping
from .webhook import Receiver

TINY = 30_000
FLOW = PROJECT_ROOT / "flows" / "training_flow.py"


def run_flow(workspace: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run the flow as `make run` does (`make retrain` adds ``args``), with its data and Prefect's state in
    ``workspace``."""
    environment = {
        **os.environ,
        "{{ cookiecutter.module_name | upper }}_WORKSPACE": str(workspace),
        "PREFECT_HOME": str(workspace / ".prefect"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        **env,
    }
    return subprocess.run(
        [sys.executable, str(FLOW), "--sample-events", str(TINY), *args],
        cwd=workspace,
        env=environment,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )


@pytest.fixture(scope="module")
def prefect_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Prefect server of its own (API only, no services) for this module's runs: its API URL."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    environment = {
        **os.environ,
        "PREFECT_HOME": str(tmp_path_factory.mktemp("prefect-server")),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
    }
    command = [str(Path(sys.executable).parent / "prefect"), "server", "start", "--no-services", "--no-ui"]
    server = subprocess.Popen(
        [*command, "--host", "127.0.0.1", "--port", str(port)],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    api = f"http://127.0.0.1:{port}/api"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"{api}/health", timeout=5):
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"the Prefect server never answered on {api}")
                time.sleep(0.5)
        yield api
    finally:
        server.terminate()
        server.wait(timeout=60)


@pytest.mark.slow
def test_the_prefect_flow_runs_end_to_end(tmp_path: Path) -> None:
    result = run_flow(tmp_path)

    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    published = [line.split("published: ")[1] for line in result.stdout.splitlines() if "published: " in line]
    assert len(published) == 1 and (tmp_path / published[0].strip()).exists(), result.stdout[-3000:]
    assert (tmp_path / "artifacts" / "accepted" / "evaluation" / "metrics.json").exists()
    assert (tmp_path / "artifacts" / "accepted" / "model" / "model.json").exists()
    assert (tmp_path / ".prefect" / "prefect.db").exists(), "run history should stay in PREFECT_HOME"


@pytest.mark.slow
@pytest.mark.parametrize("kind", STOPS)
def test_a_stopped_run_ends_with_the_stages_own_message(
    tiny_log: Settings, prefect_server: str, kind: str
) -> None:
    with stopping(kind, tiny_log) as stop:
        result = run_flow(tiny_log.workspace, PREFECT_API_URL=prefect_server, **stop.env)

    assert_ends_with_its_message(result, stop.words)


def test_the_retrain_deployment_runs_the_flow_daily_with_monitoring() -> None:
    """prefect.yaml, read as `prefect deploy` reads it (its own model of the file), names a flow that loads,
    parameters the flow accepts, and a schedule Prefect takes."""
    config = PrefectYamlModel.model_validate(yaml.safe_load((PROJECT_ROOT / "prefect.yaml").read_text()))
    [deployment] = [d for d in config.deployments if d.name == "retrain"]
    assert deployment.entrypoint is not None and deployment.schedules is not None

    training: Flow[..., Any] = load_flow_from_entrypoint(str(PROJECT_ROOT / deployment.entrypoint))

    assert training.name == "training"
    assert training.validate_parameters(deployment.parameters)["monitor"] is True
    [when] = deployment.schedules
    assert isinstance(when, RawScheduleConfig) and when.cron is not None
    schedule = CronSchedule(cron=when.cron, timezone=when.timezone)
    assert (schedule.cron, schedule.timezone) == ("17 6 * * *", "UTC")
    assert deployment.work_pool is not None and deployment.work_pool.name == "training"


@pytest.mark.slow
def test_make_retrain_monitors_retrains_and_alerts_when_the_champion_drifted(
    accepted_run: Settings, prefect_server: str, webhook: Receiver
) -> None:
    champion = accepted(accepted_run)
    assert champion is not None
    record_a_drifted_day(accepted_run)

    result = run_flow(
        accepted_run.workspace, "--monitor", PREFECT_API_URL=prefect_server, **{ALERT_WEBHOOK: webhook.url}
    )

    assert_alerted_on_the_drift(result, webhook, accepted_run, champion.id)
