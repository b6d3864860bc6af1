"""The quality gate, whatever the data-quality tool: a report in the run's folder, and the checks on the table
as a whole (split sizes, the holdout, the volume against the accepted run)."""

from datetime import date, timedelta

import pandas as pd
import pytest

from {{ cookiecutter.module_name }}.quality import checks, gate
from {{ cookiecutter.module_name }}.runs import Run, accept, begin, conclude
from {{ cookiecutter.module_name }}.settings import Settings
from {{ cookiecutter.module_name }}.training_set import CONTRACT, HOLDOUT, SPLIT


def run_gate(frame: pd.DataFrame, settings: Settings, run: Run) -> gate.QualityReport:
    return gate.run(frame, checks.check(frame, settings, run.quality_dir), settings, run)


def test_a_clean_training_set_passes_and_leaves_a_report_in_the_run(
    training_frame: pd.DataFrame, settings: Settings, run: Run
) -> None:
    report = run_gate(training_frame, settings, run)

    assert report.passed and report.rows == len(training_frame)
    assert report.path.parent == run.quality_dir
    assert '"passed": true' in report.path.read_text()


def test_a_sudden_drop_in_volume_fails_against_the_accepted_run_only(
    training_frame: pd.DataFrame, settings: Settings
) -> None:
    shrunk = training_frame.sample(frac=0.45, random_state=0)
    rejected = begin(settings)
    run_gate(training_frame, settings, rejected)
    conclude(rejected, "rejected", "the model gate judged it")
    # A run that passed the gate but was not accepted sets no volume to compare with.
    assert gate.accepted_rows(settings) == 0
    accepted = begin(settings)
    run_gate(training_frame, settings, accepted)
    accept(accepted, settings)

    with pytest.raises(gate.QualityGateError, match=r"volume failed \(dropped from"):
        run_gate(shrunk, settings, begin(settings))


def test_an_empty_training_set_fails(training_frame: pd.DataFrame, settings: Settings, run: Run) -> None:
    with pytest.raises(gate.QualityGateError, match="training set is empty"):
        run_gate(training_frame.head(0), settings, run)


def test_a_split_too_small_to_judge_on_fails_the_gate(
    training_frame: pd.DataFrame, settings: Settings, run: Run
) -> None:
    kept = CONTRACT.min_sessions_per_split - 1
    frame = training_frame.drop(training_frame.index[training_frame[SPLIT] == HOLDOUT][kept:])

    with pytest.raises(
        gate.QualityGateError, match=rf"split: at least \d+ sessions .*\({HOLDOUT} has {kept}:"
    ):
        run_gate(frame, settings, run)


def test_a_log_that_stops_soon_after_the_validation_cutoff_fails_the_gate(
    training_frame: pd.DataFrame, settings: Settings
) -> None:
    # The log stopped arriving two days after the validation cutoff: the holdout would be two days long.
    stop = pd.Timestamp(settings.validation_cutoff + timedelta(days=2))
    frame = training_frame[training_frame["session_start"] < stop]

    failures = gate.holdout(frame, settings)

    assert [f.check for f in failures] == [f"holdout of at least {CONTRACT.min_holdout_days} days"]
    assert "newest session starts 2025-02-25" in failures[0].detail


def test_the_holdout_follows_the_cutoffs_in_settings(
    training_frame: pd.DataFrame, settings: Settings
) -> None:
    later = settings.model_copy(update={"validation_cutoff": date(2025, 2, 28)})

    assert gate.holdout(training_frame, settings) == []
    assert len(gate.holdout(training_frame, later)) == 1
