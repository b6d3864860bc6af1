"""pandera's checks on the training set: each kind of bad data fails the gate, naming check and rows."""

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


@pytest.mark.parametrize(
    ("corrupt", "column", "check", "rows"),
    [
        (null_keys, "session_id", "not_nullable", 3),
        (duplicate_rows, "session_id", "field_uniqueness", 10),
        (negative_counts, "n_pageviews", "greater_than_or_equal_to(0)", 4),
        (unseen_split, "split", "isin", 2),
        (missing_split, None, "every split has sessions", 0),
        (renamed_column, None, "column_in_dataframe", 0),
        (extra_column, None, "column_in_schema", 0),
        (text_in_numbers, "session_seconds", "coerce_dtype", 0),
        (no_purchases, None, "label rate per split", 0),
        (inconsistent_cart, None, "net cart items = adds - removes", 6),
    ],
)
def test_each_corruption_fails_the_gate_naming_the_check(
    training_frame: pd.DataFrame,
    settings: Settings,
    corrupt: Corruption,
    column: str | None,
    check: str,
    rows: int,
) -> None:
    frame = corrupt(training_frame.copy())
    failures = quality.check(frame, settings)

    with pytest.raises(gate.QualityGateError, match="training did not run") as failure:
        gate.run(frame, failures, settings)

    matching = [f for f in failures if check in f.check and (column is None or f.column == column)]
    assert matching, failures
    assert str(matching[0]) in str(failure.value)
    if rows:
        assert matching[0].rows == rows
    assert '"passed": false' in (settings.artifacts_dir / "quality" / "report.json").read_text()
    assert (settings.artifacts_dir / "quality" / "failure_cases.csv").exists()
