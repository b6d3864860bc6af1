"""`make run` without an orchestrator: `python -m <package> run`, and the commands for single stages."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from {{ cookiecutter.module_name }}.__main__ import main
from {{ cookiecutter.module_name }}.settings import Settings

TINY = 30_000


@pytest.fixture
def workspace(monkeypatch: pytest.MonkeyPatch, tiny_log: Settings) -> Settings:
    """A workspace with a tiny sample log, found by the commands through the environment, as a user's is."""
    monkeypatch.setenv("{{ cookiecutter.module_name | upper }}_WORKSPACE", str(tiny_log.workspace))
    return tiny_log


def test_run_goes_through_every_stage_and_says_where_the_results_are(
    workspace: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["run", "--sample-events", str(TINY)])

    lines = capsys.readouterr().out.splitlines()
    assert lines[-2] == f"metrics and plots: {workspace.artifacts_dir / 'evaluation'}"
    assert lines[-1].startswith("published: ")
    assert Path(lines[-1].removeprefix("published: ")).exists()
    assert (workspace.artifacts_dir / "model" / "model.json").exists()


def test_a_failed_model_gate_exits_with_its_report_and_publishes_nothing(
    workspace: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("{{ cookiecutter.module_name | upper }}_MIN_LIFT", "0.99")

    with pytest.raises(SystemExit) as stopped:
        main(["run", "--sample-events", str(TINY)])

    assert str(stopped.value.code).strip().startswith("model gate failed:")
    assert not (workspace.artifacts_dir / "model" / "model.json").exists()


def test_check_runs_the_quality_gate_on_the_built_warehouse(
    built: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("{{ cookiecutter.module_name | upper }}_WORKSPACE", str(built.workspace))

    main(["check"])

    assert capsys.readouterr().out.startswith("quality gate passed on ")
    assert (built.artifacts_dir / "quality" / "report.json").exists()


@pytest.mark.parametrize(
    ("command", "problem"),
    [("transform", "the event log at "), ("check", "there is no warehouse at ")],
)
def test_a_stage_with_nothing_to_work_on_exits_1_with_one_clear_message(
    tmp_path: Path, command: str, problem: str
) -> None:
    env = {**os.environ, "{{ cookiecutter.module_name | upper }}_WORKSPACE": str(tmp_path)}

    result = subprocess.run(
        [sys.executable, "-m", "{{ cookiecutter.module_name }}", command],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    assert result.returncode == 1
    assert result.stderr.strip().startswith(problem), result.stderr
    assert "Traceback" not in result.stderr


def test_a_tiny_sample_is_refused_before_anything_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("{{ cookiecutter.module_name | upper }}_WORKSPACE", str(tmp_path))

    with pytest.raises(SystemExit) as stopped:
        main(["run", "--sample-events", "10"])

    assert stopped.value.code == 2
    assert "--sample-events 10 is too small: use at least 1000" in capsys.readouterr().err
    assert not any(tmp_path.iterdir())
