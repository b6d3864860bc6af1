"""dbt's tests stop a bad log at the transform stage; the gate adds row counts and freshness."""

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pandas as pd
import pytest

from {{ cookiecutter.module_name }} import gate, pipeline, quality
from {{ cookiecutter.module_name }}.event_log import append_batch
from {{ cookiecutter.module_name }}.settings import Settings
from {{ cookiecutter.module_name }}.transform import TransformError

from .corruptions import Corruption, extra_column, renamed_column

# Bad events arrive after the sample log's last day, like a late batch would.
ARRIVAL = datetime(2025, 3, 10, 12, tzinfo=UTC)
HOLDOUT_CHECK = f"holdout of at least {quality.MIN_HOLDOUT.days} days"


def events(*changes: dict[str, Any]) -> list[dict[str, Any]]:
    """One well-formed product view per change, with the change applied."""
    view = {
        "event_time": datetime(2025, 1, 13, 19),
        "session_id": "bad-s1",
        "user_id": "bad-u1",
        "event_type": "detail",
        "product_id": "bad-p1",
        "category": "books",
        "price": 12.0,
    }
    return [{**view, "event_id": f"bad-e{n}", **change} for n, change in enumerate(changes)]


@pytest.mark.parametrize(
    ("bad_events", "dbt_test"),
    [
        (events({"event_type": "refund"}), "accepted_values_stg_events_event_type"),
        (events({"price": -5.0}), "in_range_stg_events_price"),
        (events({}, {"user_id": "bad-u2"}), "sessions_have_one_user"),
    ],
    ids=["unknown event type", "negative price", "one session, two users"],
)
def test_a_bad_log_stops_the_pipeline_before_training_naming_the_dbt_test(
    tiny_log: Settings, bad_events: list[dict[str, Any]], dbt_test: str
) -> None:
    append_batch(bad_events, batch_id="bad-batch", source="test", settings=tiny_log, now=ARRIVAL)

    with pytest.raises(TransformError, match=rf"fail test {dbt_test}"):
        pipeline.run(tiny_log)

    # Nothing after the transform stage ran: no quality report, no model, no bundle.
    assert not tiny_log.artifacts_dir.exists()
    assert not tiny_log.dist_dir.exists()


def test_a_split_too_small_to_judge_on_fails_the_gate(
    training_frame: pd.DataFrame, settings: Settings
) -> None:
    kept = quality.MIN_SESSIONS_PER_SPLIT - 1
    frame = training_frame.drop(training_frame.index[training_frame["split"] == "test"][kept:])

    with pytest.raises(gate.QualityGateError, match=rf"split: at least \d+ sessions .*\(test has {kept}:"):
        gate.run(frame, quality.check(frame, settings), settings)


def test_a_log_that_stops_soon_after_the_validation_cutoff_fails_the_gate(
    training_frame: pd.DataFrame, settings: Settings
) -> None:
    # The log stopped arriving two days after the validation cutoff: the holdout would be two days long.
    stop = pd.Timestamp(settings.validation_cutoff + timedelta(days=2))
    frame = training_frame[training_frame["session_start"] < stop]

    failures = quality.check(frame, settings)

    assert [f.check for f in failures if f.column == "session_start"] == [HOLDOUT_CHECK]
    with pytest.raises(
        gate.QualityGateError, match=r"newest session starts 2025-02-25 .*validation cutoff 2025-02-24"
    ):
        gate.run(frame, failures, settings)


def test_freshness_follows_the_cutoffs_in_settings(training_frame: pd.DataFrame, settings: Settings) -> None:
    later = settings.model_copy(update={"validation_cutoff": date(2025, 2, 28)})

    assert quality.check(training_frame, settings) == []
    assert [f.check for f in quality.check(training_frame, later)] == [HOLDOUT_CHECK]


@pytest.mark.parametrize(
    ("corrupt", "detail"),
    [(renamed_column, "missing: n_cart_adds; unexpected: cart_adds"), (extra_column, "unexpected: surprise")],
)
def test_columns_that_break_the_training_set_contract_fail_the_gate(
    training_frame: pd.DataFrame, settings: Settings, corrupt: Corruption, detail: str
) -> None:
    [failure] = quality.check(corrupt(training_frame.copy()), settings)

    assert failure.check == "column set"
    assert failure.detail.startswith(detail)
