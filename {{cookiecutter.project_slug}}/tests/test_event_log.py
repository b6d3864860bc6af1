"""The log's guarantees: append-only, atomic, idempotent per batch, and nothing silently dropped."""

from datetime import UTC, datetime

import duckdb
import pandas as pd
import pytest

from {{ cookiecutter.module_name }}.event_log import (
    LOG_SCHEMA,
    LogError,
    append_batch,
    find_batch,
    log_files,
)
from {{ cookiecutter.module_name }}.settings import Settings

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def event(event_id: str = "e1", **overrides: object) -> dict[str, object]:
    base: dict[str, object] = {
        "event_id": event_id,
        "event_time": "2025-03-01T10:00:00Z",
        "session_id": "s1",
        "user_id": "u1",
        "event_type": "detail",
        "product_id": "p1",
        "category": "books",
        "price": 12.5,
    }
    return base | overrides


def read_log(settings: Settings) -> pd.DataFrame:
    log: pd.DataFrame = duckdb.read_parquet(f"{settings.log_dir}/*/*.parquet", hive_partitioning=False).df()
    return log


def test_append_writes_one_parquet_file_per_batch_in_its_ingest_date_partition(settings: Settings) -> None:
    result = append_batch([event("e1"), event("e2")], batch_id="b1", source="web", settings=settings, now=NOW)

    assert (result.received, result.appended, result.quarantined) == (2, 2, 0)
    assert log_files(settings) == [settings.log_dir / "ingest_date=2025-03-01" / "b1.parquet"]
    log = read_log(settings)
    assert list(log.columns) == LOG_SCHEMA.names
    assert set(log["event_id"]) == {"e1", "e2"}
    assert (log["source"] == "web").all()
    assert (log["ingest_time"] == pd.Timestamp("2025-03-01 12:00")).all()


def test_reappending_a_batch_is_a_no_op_even_on_a_later_day(settings: Settings) -> None:
    append_batch([event("e1")], batch_id="b1", source="web", settings=settings, now=NOW)
    before = log_files(settings)[0].read_bytes()

    again = append_batch([event("e1"), event("e9")], batch_id="b1", source="web", settings=settings)

    assert again.already_present and again.appended == 0
    assert len(log_files(settings)) == 1
    assert log_files(settings)[0].read_bytes() == before


def test_new_batches_never_touch_existing_files(settings: Settings) -> None:
    append_batch([event("e1")], batch_id="b1", source="web", settings=settings, now=NOW)
    first = find_batch("b1", settings)
    assert first is not None
    stat = first.stat()

    append_batch([event("e2")], batch_id="b2", source="web", settings=settings, now=NOW)

    assert first.stat().st_mtime_ns == stat.st_mtime_ns
    assert len(read_log(settings)) == 2


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        (event("x1") | {"event_id": None}, "event_id is empty"),
        (event("  "), "event_id is empty"),
        (event("x2", session_id=7), "session_id is not text"),
        (event("x3", event_time="not a time"), "event_time is missing or unparseable"),
        (event("x4", event_time=1_700_000_000), "event_time is missing or unparseable"),
        (event("x5", event_time="2099-01-01T00:00:00Z"), "event_time is in the future"),
        (event("x6", price="12.50"), "price is not a number"),
        (event("x7", price=True), "price is not a number"),
        ({k: v for k, v in event("x8").items() if k != "user_id"}, "user_id is empty"),
    ],
)
def test_malformed_events_are_quarantined_with_their_reason(
    settings: Settings, bad: dict[str, object], reason: str
) -> None:
    result = append_batch([event("ok"), bad], batch_id="b1", source="web", settings=settings, now=NOW)

    assert (result.received, result.appended, result.quarantined) == (2, 1, 1)
    quarantined = pd.read_parquet(settings.quarantine_dir / "ingest_date=2025-03-01" / "b1.parquet")
    assert quarantined["reason"].tolist() == [reason]
    assert read_log(settings)["event_id"].tolist() == ["ok"]


def test_a_producer_that_drops_a_field_gets_its_whole_batch_quarantined(settings: Settings) -> None:
    renamed = [{("uid" if k == "user_id" else k): v for k, v in event(f"e{i}").items()} for i in range(3)]

    result = append_batch(renamed, batch_id="b1", source="web", settings=settings, now=NOW)

    assert (result.appended, result.quarantined) == (0, 3)
    quarantined = pd.read_parquet(settings.quarantine_dir / "ingest_date=2025-03-01" / "b1.parquet")
    assert set(quarantined["reason"]) == {"missing field user_id"}
    assert "uid" in quarantined.columns  # kept exactly as received


def test_duplicate_ids_in_one_batch_keep_the_first_and_quarantine_the_rest(settings: Settings) -> None:
    batch = [event("e1", price=1.0), event("e1", price=2.0), event("e2")]

    result = append_batch(batch, batch_id="b1", source="web", settings=settings, now=NOW)

    assert (result.appended, result.quarantined) == (2, 1)
    log = read_log(settings)
    assert log.loc[log["event_id"] == "e1", "price"].tolist() == [1.0]


def test_counts_reconcile_on_a_messy_batch(settings: Settings) -> None:
    batch = [event(f"e{i}") for i in range(50)] + [event(f"bad{i}", event_time="?") for i in range(7)]

    result = append_batch(batch, batch_id="b1", source="web", settings=settings, now=NOW)

    assert result.received == result.appended + result.quarantined == 57
    assert (len(read_log(settings)), result.quarantined) == (50, 7)


def test_a_batch_of_only_bad_events_still_records_the_batch(settings: Settings) -> None:
    result = append_batch(
        [event("x", event_time="?")], batch_id="b1", source="web", settings=settings, now=NOW
    )

    assert (result.appended, result.quarantined) == (0, 1)
    assert append_batch([event("x")], batch_id="b1", source="web", settings=settings).already_present


def test_temporary_files_are_invisible_to_readers(settings: Settings) -> None:
    append_batch([event("e1")], batch_id="b1", source="web", settings=settings, now=NOW)
    partition = settings.log_dir / "ingest_date=2025-03-01"
    (partition / ".b2.parquet.0123.tmp").write_bytes(b"half a parquet file")

    assert log_files(settings) == [partition / "b1.parquet"]
    assert len(read_log(settings)) == 1


@pytest.mark.parametrize("batch_id", ["", "../escape", "a/b", ".hidden", "x" * 200])
def test_unsafe_batch_ids_are_refused(settings: Settings, batch_id: str) -> None:
    with pytest.raises(LogError, match="batch id"):
        append_batch([event()], batch_id=batch_id, source="web", settings=settings)
    assert not settings.data_dir.exists()
