"""`make run` through Metaflow: the flow wires the same stages, in separate processes, end to end."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from {{ cookiecutter.module_name }}.settings import PROJECT_ROOT

TINY = 30_000


@pytest.mark.slow
def test_the_metaflow_flow_runs_end_to_end(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "{{ cookiecutter.module_name | upper }}_WORKSPACE": str(tmp_path),
        "METAFLOW_USER": "tests",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    flow = PROJECT_ROOT / "flows" / "training_flow.py"

    result = subprocess.run(
        [sys.executable, str(flow), "--no-pylint", "run", "--sample-events", str(TINY)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )

    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    published = [line.split("published: ")[1] for line in result.stdout.splitlines() if "published: " in line]
    assert len(published) == 1 and Path(published[0].strip()).exists(), result.stdout[-3000:]
    assert (tmp_path / "artifacts" / "evaluation" / "metrics.json").exists()
    assert (tmp_path / "artifacts" / "model" / "model.json").exists()
