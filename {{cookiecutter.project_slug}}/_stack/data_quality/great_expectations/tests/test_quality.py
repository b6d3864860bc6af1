"""Great Expectations' suite: each kind of bad data fails the gate naming expectation, column and rows."""

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from {{ cookiecutter.module_name }} import gate, quality
from {{ cookiecutter.module_name }}.settings import Settings

from .corruptions import (
    Corruption,
    duplicate_rows,
    extra_column,
    inconsistent_cart,
    missing_split,
    negative_counts,
    no_purchases,
    null_keys,
    renamed_column,
    text_in_numbers,
    unseen_split,
)


def validation_result(settings: Settings) -> Any:
    """GX's full validation result, as the gate left it beside its own report."""
    return json.loads((settings.artifacts_dir / "quality" / "great_expectations.json").read_text())


@pytest.mark.parametrize(
    ("corrupt", "column", "expectation", "rows"),
    [
        (null_keys, "session_id", "expect_column_values_to_not_be_null", 3),
        (duplicate_rows, "session_id", "expect_column_values_to_be_unique", 10),
        (negative_counts, "n_pageviews", "expect_column_values_to_be_between", 4),
        (unseen_split, "split", "expect_column_values_to_be_in_set", 2),
        (missing_split, "split", "expect_column_distinct_values_to_contain_set", 0),
        (renamed_column, None, "expect_table_columns_to_match_set", 0),
        (extra_column, None, "expect_table_columns_to_match_set", 0),
        (text_in_numbers, "session_seconds", "expect_column_values_to_be_in_type_list", 0),
        (no_purchases, "label", "expect_column_mean_to_be_between where split == train", 0),
        (
            inconsistent_cart,
            "net_cart_items, n_cart_adds, n_cart_removes",
            "expect_rows_to_satisfy_rule",
            6,
        ),
    ],
)
def test_each_corruption_fails_the_gate_naming_the_expectation(
    training_frame: pd.DataFrame,
    settings: Settings,
    corrupt: Corruption,
    column: str | None,
    expectation: str,
    rows: int,
) -> None:
    frame = corrupt(training_frame.copy())
    failures = quality.check(frame, settings)

    with pytest.raises(gate.QualityGateError, match="training did not run") as failure:
        gate.run(frame, failures, settings)

    matching = [f for f in failures if f.check == expectation and f.column == column]
    assert matching, failures
    assert str(matching[0]) in str(failure.value)
    assert matching[0].rows == rows
    assert '"passed": false' in (settings.artifacts_dir / "quality" / "report.json").read_text()
    assert validation_result(settings)["success"] is False


def test_failing_rows_are_named_by_session(training_frame: pd.DataFrame, settings: Settings) -> None:
    frame = negative_counts(training_frame.copy())

    [failure] = quality.check(frame, settings)

    assert f"session_id={frame['session_id'].iloc[0]!r}, n_pageviews=-1" in failure.detail


def test_a_missing_column_is_named_once(training_frame: pd.DataFrame, settings: Settings) -> None:
    """Expectations on the missing column cannot run; the column-set failure says why, once."""
    [failure] = quality.check(renamed_column(training_frame.copy()), settings)

    assert failure.detail == "missing: n_cart_adds; unexpected: cart_adds"


def test_a_clean_training_set_leaves_the_full_validation_result_and_nothing_else(
    training_frame: pd.DataFrame, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)

    assert quality.check(training_frame, settings) == []

    result = validation_result(settings)
    assert result["success"] is True
    assert result["statistics"] == {
        "evaluated_expectations": len(quality.suite().expectations),
        "successful_expectations": len(quality.suite().expectations),
        "unsuccessful_expectations": 0,
        "success_percent": 100.0,
    }
    # The context is ephemeral: no gx/ folder, no stores, only the report.
    written = [p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file()]
    assert written == [Path("artifacts/quality/great_expectations.json")]
