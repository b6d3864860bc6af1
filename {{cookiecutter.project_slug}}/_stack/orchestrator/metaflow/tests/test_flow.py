"""`make run` through Metaflow: the flow wires the same stages, in separate processes, end to end."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from {{ cookiecutter.module_name }}.settings import PROJECT_ROOT, Settings

from .stops import STOPS, assert_ends_with_its_message, stopping

TINY = 30_000
FLOW = PROJECT_ROOT / "flows" / "training_flow.py"


def run_flow(workspace: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """Run the flow as `make run` does, with its data and Metaflow's state in ``workspace``."""
    environment = {
        **os.environ,
        "{{ cookiecutter.module_name | upper }}_WORKSPACE": str(workspace),
        "METAFLOW_USER": "tests",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        **env,
    }
    return subprocess.run(
        [sys.executable, str(FLOW), "--no-pylint", "run", "--sample-events", str(TINY)],
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
