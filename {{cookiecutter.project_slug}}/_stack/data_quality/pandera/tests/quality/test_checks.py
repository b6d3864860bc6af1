"""pandera's checks on the training set, written from the contract: each broken rule fails the gate, naming
the check, the column and the rows."""

import pandas as pd
import pytest

from {{ cookiecutter.module_name }}.contract import Rule
from {{ cookiecutter.module_name }}.quality import checks, gate
from {{ cookiecutter.module_name }}.runs import Run
from {{ cookiecutter.module_name }}.settings import Settings

from ..contract_cases import CONTRACT, Violation, breaking, training_set_violations
from ..documented import documented_path
from ..log.corruptions import (
    Corruption,
    duplicate_rows,
    extra_column,
    missing_split,
    no_purchases,
    renamed_column,
)

BROKEN_ROWS = 3


def check(frame: pd.DataFrame, settings: Settings, run: Run) -> list[gate.Failure]:
    failures = checks.check(frame, settings, run.quality_dir)
    with pytest.raises(gate.QualityGateError, match="training did not run") as stopped:
        gate.run(frame, failures, settings, run)
    assert all(str(failure) in str(stopped.value) for failure in failures)
    # Where the README says: the run's quality report, and beside it the failing values.
    report = run.dir / documented_path("report.json")
    assert '"passed": false' in report.read_text()
    assert (report.parent / documented_path("failure_cases.csv")).exists()
    return failures


@pytest.mark.parametrize("violation", training_set_violations(), ids=lambda violation: violation.id)
def test_every_rule_of_the_contract_on_a_column_fails_the_gate_naming_it(
    training_frame: pd.DataFrame, settings: Settings, run: Run, violation: Violation
) -> None:
    """Cases derived from contract.toml: a rule added there is tried here without a new test."""
    frame = training_frame.copy().astype({violation.field.name: object})
    frame.loc[frame.index[:BROKEN_ROWS], violation.field.name] = violation.value

    failures = check(frame, settings, run)

    assert [f for f in failures if f.column == violation.field.name], failures


@pytest.mark.parametrize("rule", CONTRACT.training_set.rules, ids=lambda rule: rule.check)
def test_every_rule_across_columns_fails_the_gate_naming_it(
    training_frame: pd.DataFrame, settings: Settings, run: Run, rule: Rule
) -> None:
    frame = training_frame.copy()
    row = frame.iloc[0]
    for name, value in breaking(rule, {name: float(row[name]) for name in rule.columns}).items():
        frame[name] = frame[name].astype("float64")
        frame.loc[frame.index[0], name] = value

    failures = check(frame, settings, run)

    assert [f for f in failures if f.check == rule.check and f.rows == 1], failures


@pytest.mark.parametrize(
    ("corrupt", "column", "words", "rows"),
    [
        (duplicate_rows, "session_id", "field_uniqueness", 10),
        (missing_split, None, "every split has sessions", 0),
        (renamed_column, None, "column_in_dataframe", 0),
        (extra_column, None, "column_in_schema", 0),
        (no_purchases, None, "label rate per split", 0),
    ],
)
def test_each_corruption_of_the_table_fails_the_gate_naming_the_check(
    training_frame: pd.DataFrame,
    settings: Settings,
    run: Run,
    corrupt: Corruption,
    column: str | None,
    words: str,
    rows: int,
) -> None:
    failures = check(corrupt(training_frame.copy()), settings, run)

    matching = [f for f in failures if words in f.check and (column is None or f.column == column)]
    assert matching, failures
    if rows:
        assert matching[0].rows == rows
