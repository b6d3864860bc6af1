"""The quality gate, whatever the data-quality tool: a report either way, and a volume check of its own."""

import pandas as pd
import pytest

from {{ cookiecutter.module_name }} import gate, quality
from {{ cookiecutter.module_name }}.settings import Settings


def run_gate(frame: pd.DataFrame, settings: Settings) -> gate.QualityReport:
    return gate.run(frame, quality.check(frame, settings), settings)


def test_a_clean_training_set_passes_and_leaves_a_report(
    training_frame: pd.DataFrame, settings: Settings
) -> None:
    report = run_gate(training_frame, settings)

    assert report.passed and report.rows == len(training_frame)
    assert '"passed": true' in report.path.read_text()


def test_a_sudden_drop_in_volume_fails_against_the_last_accepted_run(
    training_frame: pd.DataFrame, settings: Settings
) -> None:
    run_gate(training_frame, settings)

    with pytest.raises(gate.QualityGateError, match=r"volume failed \(dropped from"):
        run_gate(training_frame.sample(frac=0.3, random_state=0), settings)


def test_an_empty_training_set_fails(training_frame: pd.DataFrame, settings: Settings) -> None:
    with pytest.raises(gate.QualityGateError, match="training set is empty"):
        run_gate(training_frame.head(0), settings)
