"""`make run` without an orchestrator: `python -m <package> run`, and the commands for single stages."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from {{ cookiecutter.module_name }}.__main__ import main
from {{ cookiecutter.module_name }}.runs import accepted
from {{ cookiecutter.module_name }}.settings import PROJECT_ROOT, Settings

from .retraining_cases import ALERT_WEBHOOK, assert_alerted_on_the_drift, record_a_drifted_day
from .stops import STOPS, assert_ends_with_its_message, stopping
from .webhook import Receiver

TINY = 30_000


def command(workspace: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """`python -m <package> ...` in ``workspace``, as `make run` runs it."""
    return subprocess.run(
        [sys.executable, "-m", "{{ cookiecutter.module_name }}", *args],
        cwd=workspace,
        env={**os.environ, "{{ cookiecutter.module_name | upper }}_WORKSPACE": str(workspace), **env},
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )


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
    told = {line.split("  ")[0].strip() for line in lines if not line.startswith(" ")}
    assert {"log", "transform", "quality gate", "train", "evaluate", "package"} <= told, lines
    where = dict(line.strip().split(": ", 1) for line in lines[-3:-1])
    assert Path(where["evaluation report"]).exists()
    assert Path(where["published"]).exists()
    assert accepted(workspace) is not None


def test_check_runs_the_quality_gate_on_the_built_warehouse_in_a_run_of_its_own(
    built: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("{{ cookiecutter.module_name | upper }}_WORKSPACE", str(built.workspace))

    main(["check"])

    assert capsys.readouterr().out.startswith("quality gate  passed on ")
    [run] = built.runs_dir.iterdir()
    assert (run / "quality" / "report.json").exists()
    assert accepted(built) is None


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        (["transform"], "the event log at "),
        (["check"], "there is no warehouse at "),
        (["run", "--sample-events", "10"], "the event log is empty, and a sample of 10 events is too small"),
    ],
    ids=["transform", "check", "run"],
)
def test_a_stage_with_nothing_to_work_on_exits_1_with_one_clear_message(
    tmp_path: Path, args: list[str], problem: str
) -> None:
    result = command(tmp_path, *args)

    assert result.returncode == 1
    assert result.stderr.strip().startswith(problem), result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.slow
@pytest.mark.parametrize("kind", STOPS)
def test_a_stopped_run_ends_with_the_stages_own_message(tiny_log: Settings, kind: str) -> None:
    with stopping(kind, tiny_log) as stop:
        result = command(tiny_log.workspace, "run", "--sample-events", str(TINY), **stop.env)

    assert_ends_with_its_message(result, stop.words)


def test_the_crontab_line_runs_make_retrain_daily_in_the_checkout() -> None:
    lines = (PROJECT_ROOT / "deploy" / "retrain.crontab").read_text().splitlines()
    [entry] = [line for line in lines if line and not line.startswith("#")]

    minute, hour, day, month, weekday, task = entry.split(maxsplit=5)

    assert (minute, hour, day, month, weekday) == ("17", "6", "*", "*", "*")
    assert task.startswith("cd /path/to/checkout && ")  # what the install line in its header replaces
    assert " make retrain >> artifacts/retrain.log 2>&1" in task


@pytest.mark.slow
def test_make_retrain_monitors_retrains_and_alerts_when_the_champion_drifted(
    accepted_run: Settings, webhook: Receiver
) -> None:
    champion = accepted(accepted_run)
    assert champion is not None
    record_a_drifted_day(accepted_run)

    result = command(
        accepted_run.workspace, "retrain", "--sample-events", str(TINY), **{ALERT_WEBHOOK: webhook.url}
    )

    assert_alerted_on_the_drift(result, webhook, accepted_run, champion.id)
