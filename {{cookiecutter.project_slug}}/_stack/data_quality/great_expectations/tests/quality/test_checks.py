"""Great Expectations' suite, written from the contract: each broken rule fails the gate, naming the
expectation, the column and the rows."""

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from {{ cookiecutter.module_name }}.contract import Rule
from {{ cookiecutter.module_name }}.quality import checks, gate
from {{ cookiecutter.module_name }}.runs import Run
from {{ cookiecutter.module_name }}.settings import Settings

from ..contract_cases import CONTRACT, Violation, breaking, training_set_violations
from ..log.corruptions import (
    Corruption,
    duplicate_rows,
    extra_column,
    missing_split,
    no_purchases,
    renamed_column,
)

BROKEN_ROWS = 3


def validation_result(run: Run) -> Any:
    """GX's full validation result, as the gate left it beside its own report."""
    return json.loads((run.quality_dir / "great_expectations.json").read_text())


def check(frame: pd.DataFrame, settings: Settings, run: Run) -> list[gate.Failure]:
    failures = checks.check(frame, settings, run.quality_dir)
    with pytest.raises(gate.QualityGateError, match="training did not run") as stopped:
        gate.run(frame, failures, settings, run)
    assert all(str(failure) in str(stopped.value) for failure in failures)
    assert '"passed": false' in (run.quality_dir / "report.json").read_text()
    assert validation_result(run)["success"] is False
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

    matching = [f for f in failures if f.check == "expect_rows_to_satisfy_rule"]
    assert matching and matching[0].rows == 1 and matching[0].column == ", ".join(rule.columns), failures


@pytest.mark.parametrize(
    ("corrupt", "column", "expectation", "rows"),
    [
        (duplicate_rows, "session_id", "expect_column_values_to_be_unique", 10),
        (missing_split, "split", "expect_column_distinct_values_to_contain_set", 0),
        (renamed_column, None, "expect_table_columns_to_match_set", 0),
        (extra_column, None, "expect_table_columns_to_match_set", 0),
        (no_purchases, "label", "expect_column_mean_to_be_between where split == train", 0),
    ],
)
def test_each_corruption_of_the_table_fails_the_gate_naming_the_expectation(
    training_frame: pd.DataFrame,
    settings: Settings,
    run: Run,
    corrupt: Corruption,
    column: str | None,
    expectation: str,
    rows: int,
) -> None:
    failures = check(corrupt(training_frame.copy()), settings, run)

    matching = [f for f in failures if f.check == expectation and f.column == column]
    assert matching, failures
    assert matching[0].rows == rows


def test_failing_rows_are_named_by_session(
    training_frame: pd.DataFrame, settings: Settings, run: Run
) -> None:
    frame = training_frame.copy()
    frame.loc[frame.index[:BROKEN_ROWS], "n_pageviews"] = -1

    [failure] = checks.check(frame, settings, run.quality_dir)

    assert f"session_id={frame['session_id'].iloc[0]!r}, n_pageviews=-1" in failure.detail


def test_a_missing_column_is_named_once(training_frame: pd.DataFrame, settings: Settings, run: Run) -> None:
    """Expectations on the missing column cannot run; the column-set failure says why, once."""
    [failure] = checks.check(renamed_column(training_frame.copy()), settings, run.quality_dir)

    assert failure.detail == "missing: n_cart_adds; unexpected: cart_adds"


def test_a_clean_training_set_leaves_the_full_validation_result_and_nothing_else(
    training_frame: pd.DataFrame,
    settings: Settings,
    run: Run,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)

    assert checks.check(training_frame, settings, run.quality_dir) == []

    result = validation_result(run)
    assert result["success"] is True
    assert result["statistics"] == {
        "evaluated_expectations": len(checks.suite().expectations),
        "successful_expectations": len(checks.suite().expectations),
        "unsuccessful_expectations": 0,
        "success_percent": 100.0,
    }
    # The context is ephemeral: no gx/ folder, no stores, only the report.
    written = [p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file()]
    assert written == [run.quality_dir.relative_to(tmp_path) / "great_expectations.json"]
