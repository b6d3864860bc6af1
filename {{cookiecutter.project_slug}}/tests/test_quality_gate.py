"""The quality gate stops the run on each kind of bad training data, and says what failed on how many rows."""

from collections.abc import Callable

import pandas as pd
import pytest

from {{ cookiecutter.module_name }} import gate, quality
from {{ cookiecutter.module_name }}.settings import Settings


def run_gate(frame: pd.DataFrame, settings: Settings) -> gate.QualityReport:
    return gate.run(frame, quality.check(frame), settings)


def test_a_clean_training_set_passes_and_leaves_a_report(
    training_frame: pd.DataFrame, settings: Settings
) -> None:
    report = run_gate(training_frame, settings)

    assert report.passed and report.rows == len(training_frame)
    assert '"passed": true' in report.path.read_text()


def null_keys(frame: pd.DataFrame) -> pd.DataFrame:
    frame.loc[frame.index[:3], "session_id"] = None
    return frame


def duplicate_rows(frame: pd.DataFrame) -> pd.DataFrame:
    return pd.concat([frame, frame.head(5)], ignore_index=True)


def negative_counts(frame: pd.DataFrame) -> pd.DataFrame:
    frame.loc[frame.index[:4], "n_pageviews"] = -1
    return frame


def unseen_split(frame: pd.DataFrame) -> pd.DataFrame:
    frame.loc[frame.index[:2], "split"] = "holdout"
    return frame


def renamed_column(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.rename(columns={"n_cart_adds": "cart_adds"})


def extra_column(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.assign(surprise=1)


def text_in_numbers(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.assign(session_seconds=frame["session_seconds"].astype(str) + "s")


def no_purchases(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.assign(label=0)


def inconsistent_cart(frame: pd.DataFrame) -> pd.DataFrame:
    frame.loc[frame.index[:6], "net_cart_items"] = frame["net_cart_items"].iloc[:6] + 1
    return frame


@pytest.mark.parametrize(
    ("corrupt", "column", "check", "rows"),
    [
        (null_keys, "session_id", "not_nullable", 3),
        (duplicate_rows, "session_id", "field_uniqueness", 10),
        (negative_counts, "n_pageviews", "greater_than_or_equal_to(0)", 4),
        (unseen_split, "split", "isin", 2),
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
    corrupt: Callable[[pd.DataFrame], pd.DataFrame],
    column: str | None,
    check: str,
    rows: int,
) -> None:
    with pytest.raises(gate.QualityGateError, match="training did not run") as failure:
        run_gate(corrupt(training_frame.copy()), settings)

    failures = quality.check(corrupt(training_frame.copy()))
    matching = [f for f in failures if check in f.check and (column is None or f.column == column)]
    assert matching, failures
    assert str(matching[0]) in str(failure.value)
    if rows:
        assert matching[0].rows == rows
    assert '"passed": false' in (settings.artifacts_dir / "quality" / "report.json").read_text()


def test_a_sudden_drop_in_volume_fails_against_the_last_accepted_run(
    training_frame: pd.DataFrame, settings: Settings
) -> None:
    run_gate(training_frame, settings)

    with pytest.raises(gate.QualityGateError, match=r"volume failed \(dropped from"):
        run_gate(training_frame.sample(frac=0.3, random_state=0), settings)


def test_an_empty_training_set_fails(training_frame: pd.DataFrame, settings: Settings) -> None:
    with pytest.raises(gate.QualityGateError, match="training set is empty"):
        run_gate(training_frame.head(0), settings)
