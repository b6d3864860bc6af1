"""dbt's tests are the data-quality tool: the values' rules stop the build (test_contract.py tries each rule);
the gate adds what dbt does not see, the frame's columns and their types."""

import pandas as pd
import pytest

from {{ cookiecutter.module_name }}.quality import checks, gate
from {{ cookiecutter.module_name }}.runs import Run
from {{ cookiecutter.module_name }}.settings import Settings

from ..contract_cases import Violation, training_set_violations
from ..log.corruptions import Corruption, extra_column, renamed_column

# The rules a column's dtype breaks, which only the gate sees: dbt's tables are typed by their SQL.
TYPE_RULES = {"not text", "not a number", "fractional", "not a time"}


@pytest.mark.parametrize(
    "violation",
    [violation for violation in training_set_violations() if violation.rule in TYPE_RULES],
    ids=lambda violation: violation.id,
)
def test_a_column_of_another_type_than_the_contract_says_fails_the_gate(
    training_frame: pd.DataFrame, settings: Settings, run: Run, violation: Violation
) -> None:
    frame = training_frame.copy().astype({violation.field.name: object})
    frame.loc[frame.index[:3], violation.field.name] = violation.value

    failures = checks.check(frame, settings, run.quality_dir)

    assert [f.check for f in failures if f.column == violation.field.name] == [f"type {violation.field.type}"]
    with pytest.raises(gate.QualityGateError, match="training did not run"):
        gate.run(frame, failures, settings, run)


@pytest.mark.parametrize(
    ("corrupt", "detail"),
    [(renamed_column, "missing: n_cart_adds; unexpected: cart_adds"), (extra_column, "unexpected: surprise")],
)
def test_columns_that_break_the_training_set_contract_fail_the_gate(
    training_frame: pd.DataFrame, settings: Settings, run: Run, corrupt: Corruption, detail: str
) -> None:
    [failure] = checks.check(corrupt(training_frame.copy()), settings, run.quality_dir)

    assert failure.check == "column set"
    assert failure.detail.startswith(detail)


def test_a_clean_training_set_passes(training_frame: pd.DataFrame, settings: Settings, run: Run) -> None:
    assert checks.check(training_frame, settings, run.quality_dir) == []
