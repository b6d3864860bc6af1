"""The log's guarantees: append-only, atomic, one batch per id whatever its content, nothing dropped."""

import json
import multiprocessing
import os
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest

from {{ cookiecutter.module_name }}.log.events import (
    LOG_SCHEMA,
    BatchConflictError,
    LogError,
    append_batch,
    incomplete,
    log_files,
    read_manifest,
    retract,
    retraction_files,
)
from {{ cookiecutter.module_name }}.log.store import LocalStore
from {{ cookiecutter.module_name }}.settings import Settings

from ..contract_cases import INGEST, Violation, event_violations
from ..documented import documented_path

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
PACKAGE = "{{ cookiecutter.module_name }}"


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
    with duckdb.connect() as connection:
        log: pd.DataFrame = connection.read_parquet(
            f"{settings.log_dir}/*/*.parquet", hive_partitioning=False
        ).df()
    return log


def quarantined(settings: Settings) -> pd.DataFrame:
    files = sorted(settings.quarantine_dir.rglob("*.parquet"))
    return pd.concat([pd.read_parquet(path) for path in files]) if files else pd.DataFrame()


def test_append_writes_one_file_per_batch_in_its_ingest_date_partition_and_a_manifest(
    settings: Settings,
) -> None:
    result = append_batch([event("e1"), event("e2")], batch_id="b1", source="web", settings=settings, now=NOW)

    assert (result.received, result.appended, result.quarantined) == (2, 2, 0)
    assert log_files(settings) == [settings.log_dir / "ingest_date=2025-03-01" / "b1.parquet"]
    log = read_log(settings)
    assert list(log.columns) == LOG_SCHEMA.names
    assert set(log["event_id"]) == {"e1", "e2"}
    assert (log["source"] == "web").all()
    assert (log["ingest_time"] == pd.Timestamp("2025-03-01 12:00")).all()
    manifest = read_manifest("b1", settings)
    assert manifest is not None and manifest.checksum == result.checksum and manifest.appended == 2


def test_retrying_a_batch_is_a_no_op_whenever_it_happens(settings: Settings) -> None:
    first = append_batch([event("e1"), event("e2")], batch_id="b1", source="web", settings=settings, now=NOW)
    before = log_files(settings)[0].read_bytes()

    for later in (NOW + timedelta(minutes=1), NOW + timedelta(days=3)):
        again = append_batch(
            [event("e1"), event("e2")], batch_id="b1", source="web", settings=settings, now=later
        )
        assert again.already_present
        assert (again.received, again.appended, again.quarantined) == (2, 2, 0)
        assert again.checksum == first.checksum

    assert log_files(settings) == [settings.log_dir / "ingest_date=2025-03-01" / "b1.parquet"]
    assert log_files(settings)[0].read_bytes() == before


@pytest.mark.parametrize(
    "changed",
    [[event("e1"), event("e9")], [event("e1", price=13.0), event("e2")], [event("e2"), event("e1")]],
    ids=["another event", "another value", "another order"],
)
def test_a_batch_id_reused_for_other_content_is_refused_naming_both_checksums(
    settings: Settings, changed: list[dict[str, object]]
) -> None:
    first = append_batch([event("e1"), event("e2")], batch_id="b1", source="web", settings=settings, now=NOW)
    before = log_files(settings)[0].read_bytes()

    with pytest.raises(BatchConflictError) as refused:
        append_batch(changed, batch_id="b1", source="web", settings=settings, now=NOW + timedelta(days=1))

    message = str(refused.value)
    assert "batch b1" in message and first.checksum in message
    assert len(re.findall(r"\b[0-9a-f]{64}\b", message)) == 2
    assert log_files(settings)[0].read_bytes() == before


def test_an_empty_batch_records_nothing_and_leaves_its_id_free(settings: Settings) -> None:
    empty = append_batch([], batch_id="b1", source="web", settings=settings, now=NOW)

    assert (empty.received, empty.appended, empty.quarantined, empty.already_present) == (0, 0, 0, False)
    assert not settings.data_dir.exists()
    assert append_batch([event()], batch_id="b1", source="web", settings=settings, now=NOW).appended == 1


def test_a_batch_of_only_bad_events_still_records_the_batch(settings: Settings) -> None:
    result = append_batch(
        [event("x", event_time="?")], batch_id="b1", source="web", settings=settings, now=NOW
    )

    assert (result.appended, result.quarantined) == (0, 1)
    assert log_files(settings) == []
    assert append_batch(
        [event("x", event_time="?")], batch_id="b1", source="web", settings=settings
    ).already_present
    with pytest.raises(BatchConflictError):
        append_batch([event("x")], batch_id="b1", source="web", settings=settings)


def test_new_batches_never_touch_existing_files(settings: Settings) -> None:
    append_batch([event("e1")], batch_id="b1", source="web", settings=settings, now=NOW)
    [first] = log_files(settings)
    stat = first.stat()

    append_batch([event("e2")], batch_id="b2", source="web", settings=settings, now=NOW)

    assert first.stat().st_mtime_ns == stat.st_mtime_ns
    assert len(read_log(settings)) == 2


def test_a_producer_stopped_after_recording_a_batch_completes_it_by_sending_it_again(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    batch = [event("e1"), event("e2", event_time="?")]
    written: list[str] = []
    write_once = LocalStore.write_once

    def stopped_after_the_manifest(store: LocalStore, key: str, content: bytes) -> bool:
        if written:
            raise KeyboardInterrupt  # the producer stops right after recording the batch
        written.append(key)
        return write_once(store, key, content)

    with monkeypatch.context() as patch:
        patch.setattr(LocalStore, "write_once", stopped_after_the_manifest)
        with pytest.raises(KeyboardInterrupt):
            append_batch(batch, batch_id="b1", source="web", settings=settings, now=NOW)
    assert [manifest.batch_id for manifest in incomplete(settings)] == ["b1"]
    assert log_files(settings) == []

    # The retry comes the next day; the files are those of the first arrival.
    again = append_batch(batch, batch_id="b1", source="web", settings=settings, now=NOW + timedelta(days=1))

    assert again.already_present and (again.appended, again.quarantined) == (1, 1)
    assert incomplete(settings) == []
    assert log_files(settings) == [settings.log_dir / "ingest_date=2025-03-01" / "b1.parquet"]
    assert len(quarantined(settings)) == 1


def race(workspace: Path, now: datetime, start: Any, results: Any) -> None:
    """One of two producers sending the same batch at the same moment."""
    settings = Settings(workspace=workspace)
    start.wait()
    result = append_batch([event("e1"), event("e2")], batch_id="b1", source="web", settings=settings, now=now)
    results.put(result.already_present)


@pytest.mark.parametrize("attempt", range(5))
def test_two_producers_racing_with_one_batch_across_midnight_leave_exactly_one_file(
    tmp_path: Path, attempt: int
) -> None:
    """Each producer's clock puts the batch in another day's partition: the manifest still decides."""
    context = multiprocessing.get_context("fork")
    start, results = context.Barrier(2), context.Queue()
    before, after = datetime(2025, 3, 1, 23, 59, 59, 999_000, UTC), datetime(2025, 3, 2, 0, 0, 0, 1_000, UTC)
    producers = [
        context.Process(target=race, args=(tmp_path, now, start, results)) for now in (before, after)
    ]
    for producer in producers:
        producer.start()
    for producer in producers:
        producer.join(timeout=120)

    settings = Settings(workspace=tmp_path)
    assert sorted(results.get(timeout=10) for _ in producers) == [False, True]
    assert len(log_files(settings)) == 1
    assert len(read_log(settings)) == 2


# Events that break the contract, each with words its quarantine reason must hold.
MALFORMED: dict[str, tuple[Any, str]] = {
    "no id": (event("x") | {"event_id": None}, "event_id is missing"),
    "blank id": (event("  "), "event_id is blank"),
    "no-break space as user": (event("x", user_id="\u00a0\u3000"), "user_id is blank"),
    "number as session": (event("x", session_id=7), "session_id must be text, not 7"),
    "list as session": (event("x", session_id=["s"]), "session_id must be text, not a list"),
    "nested user": (event("x", user_id={"id": "u1"}), "user_id must be text, not a dict"),
    "lone surrogate": (event("x", user_id="u\ud800"), "user_id holds a lone surrogate"),
    "NUL in id": (event("x", session_id="s\x001"), "session_id holds a control character"),
    "huge string": (event("x", product_id="p" * 10_000_000), "product_id is 10,000,000 characters long"),
    "unknown type": (event("x", event_type="refund"), "event_type must be one of pageview, detail"),
    "non-ASCII type": (event("x", event_type="PAGEVİEW"), "event_type must be one of"),
    "unparseable time": (event("x", event_time="yesterday"), "event_time must be an ISO 8601 time"),
    "epoch seconds": (
        event("x", event_time=1_740_830_400),
        "event_time must be an ISO 8601 time, not 1740830400",
    ),
    "far future": (
        event("x", event_time="2099-01-01T00:00:00Z"),
        "event_time must be at most 24 hours after",
    ),
    "implausibly old": (event("x", event_time="1970-01-01T00:00:00Z"), "event_time must be no earlier than"),
    "text price": (event("x", price="12.50"), "price must be a number, not '12.50'"),
    "boolean price": (event("x", price=True), "price must be a number, not True"),
    "negative price": (event("x", price=-5.0), "price must be a number from 0 to 1,000,000, not -5.0"),
    "infinite price": (event("x", price=float("inf")), "price must be a number from 0 to 1,000,000, not inf"),
    "NaN price": (event("x", price=float("nan")), "price must be a number from 0 to 1,000,000, not nan"),
    "huge integer price": (event("x", price=10**400), "price must be a number"),
    "no product on a purchase": (event("x", event_type="purchase", product_id=None), "product_id is missing"),
    "not an object": ([1, 2, 3], "the event must be a JSON object of fields, not a list"),
    "null event": (None, "the event must be a JSON object of fields, not null"),
    "text event": ("not json", "the event must be a JSON object of fields, not a str"),
    "number as a field name": ({**event("x"), 7: "seven"}, "a field name that is not text"),
    "huge extra field": (event("x", note="n" * 70_000), "its undeclared fields take"),
}


@pytest.mark.parametrize(("bad", "reason"), MALFORMED.values(), ids=MALFORMED.keys())
def test_an_event_breaking_the_contract_is_quarantined_with_its_reason_and_the_batch_goes_on(
    settings: Settings, bad: Any, reason: str
) -> None:
    result = append_batch(
        [event("ok"), bad, event("ok2")], batch_id="b1", source="web", settings=settings, now=NOW
    )

    assert (result.received, result.appended, result.quarantined) == (3, 2, 1)
    [refused] = quarantined(settings).to_dict(orient="records")
    assert reason in refused["reason"], refused["reason"]
    assert refused["position"] == 1 and refused["batch_id"] == "b1"
    assert sorted(read_log(settings)["event_id"]) == ["ok", "ok2"]


def test_the_quarantine_keeps_each_refused_event_exactly_as_it_was_sent_where_the_readme_says(
    settings: Settings,
) -> None:
    sent = event("x", price=-1, tags=["a", {"b": None}], event_type="Refund ")

    append_batch([sent], batch_id="b1", source="web", settings=settings, now=NOW)

    where = documented_path("quarantine")
    kept = list((settings.workspace / where).rglob("*.parquet"))
    assert len(kept) == 1, f"the README says the quarantine is {where}/, but it holds {kept}"
    assert json.loads(pd.read_parquet(kept[0])["event"].iloc[0]) == sent


def test_normalized_event_types_are_accepted_and_kept_as_sent(settings: Settings) -> None:
    append_batch(
        [event("e1", event_type=" Add_To_Cart ")], batch_id="b1", source="web", settings=settings, now=NOW
    )

    assert read_log(settings)["event_type"].tolist() == [" Add_To_Cart "]


def test_a_pageview_needs_no_product_and_no_price(settings: Settings) -> None:
    view = event("e1", event_type="pageview", product_id=None, category=None, price=None)

    assert append_batch([view], batch_id="b1", source="web", settings=settings, now=NOW).appended == 1


def test_undeclared_fields_are_kept_in_extras_and_reported(settings: Settings) -> None:
    result = append_batch(
        [event("e1", referrer="ads", screen={"w": 390}), event("e2")],
        batch_id="b1",
        source="web",
        settings=settings,
        now=NOW,
    )

    assert result.extra_fields == ("referrer", "screen") and "referrer" in str(result)
    extras = read_log(settings).set_index("event_id")["extras"]
    assert json.loads(extras["e1"]) == {"referrer": "ads", "screen": {"w": 390}}
    assert pd.isna(extras["e2"])


def test_duplicate_ids_in_one_batch_keep_the_first_and_quarantine_the_rest(settings: Settings) -> None:
    batch = [event("e1", price=1.0), event("e1", price=2.0), event("e2")]

    result = append_batch(batch, batch_id="b1", source="web", settings=settings, now=NOW)

    assert (result.appended, result.quarantined) == (2, 1)
    log = read_log(settings)
    assert log.loc[log["event_id"] == "e1", "price"].tolist() == [1.0]
    assert quarantined(settings)["reason"].tolist() == ["event_id repeats an earlier event of this batch"]


def test_a_typed_frame_and_the_same_events_as_json_are_judged_alike(settings: Settings) -> None:
    """The log checks a DataFrame's typed columns in bulk: the verdicts must be those of event-by-event."""
    events = [event(f"e{n}") for n in range(4)] + [
        event("bad-price", price=-1.0),
        event("bad-time", event_time="1999-12-31T23:59:59Z"),
        event("bad-type", event_type="refund"),
        event("view", event_type="pageview", product_id=None, price=None),
        event("no-product", event_type="purchase", product_id=None),
        event("long", session_id="s" * 129),
    ]
    frame = pd.DataFrame(events).assign(event_time=lambda f: pd.to_datetime(f["event_time"], utc=True))
    typed = Settings(workspace=settings.workspace / "typed")

    as_frame = append_batch(frame, batch_id="b1", source="web", settings=typed, now=NOW)
    as_json = append_batch(events, batch_id="b1", source="web", settings=settings, now=NOW)

    assert (as_frame.appended, as_frame.quarantined) == (as_json.appended, as_json.quarantined) == (5, 5)
    assert sorted(quarantined(typed)["reason"]) == sorted(quarantined(settings)["reason"])
    pd.testing.assert_frame_equal(
        read_log(typed).drop(columns="extras"), read_log(settings).drop(columns="extras")
    )


def test_counts_reconcile_on_a_messy_batch(settings: Settings) -> None:
    batch = [event(f"e{i}") for i in range(50)] + [bad for bad, _ in MALFORMED.values()]

    result = append_batch(batch, batch_id="b1", source="web", settings=settings, now=NOW)

    assert result.received == result.appended + result.quarantined == 50 + len(MALFORMED)
    assert (len(read_log(settings)), len(quarantined(settings))) == (50, len(MALFORMED))


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


@pytest.mark.parametrize("source", ["", "  ", "a\nb", "x" * 200])
def test_unusable_sources_are_refused(settings: Settings, source: str) -> None:
    with pytest.raises(LogError, match="source"):
        append_batch([event()], batch_id="b1", source=source, settings=settings)
    assert not settings.data_dir.exists()


def test_a_retraction_is_written_once_beside_the_log(settings: Settings) -> None:
    append_batch([event("e1"), event("e2")], batch_id="b1", source="web", settings=settings, now=NOW)
    before = log_files(settings)[0].read_bytes()

    path = retract("b1", reason="sent twice by a misconfigured job", settings=settings, now=NOW)

    assert retract("b1", reason="sent twice by a misconfigured job", settings=settings) == path
    assert retraction_files(settings) == [Path(path)]
    [record] = pd.read_parquet(path).to_dict(orient="records")
    assert pd.isna(record["event_id"])
    assert (record["batch_id"], record["reason"]) == ("b1", "sent twice by a misconfigured job")
    assert log_files(settings)[0].read_bytes() == before


def test_retracting_some_events_names_them(settings: Settings) -> None:
    append_batch([event("e1"), event("e2")], batch_id="b1", source="web", settings=settings, now=NOW)

    path = retract("b1", reason="test traffic", event_ids=["e2"], settings=settings)

    assert pd.read_parquet(path)["event_id"].tolist() == ["e2"]


@pytest.mark.parametrize(
    ("batch_id", "kwargs", "words"),
    [
        ("nope", {"reason": "why"}, "there is no batch 'nope' in the log"),
        ("b1", {"reason": " "}, "needs a reason"),
        ("b1", {"reason": "why", "event_ids": ["e7"]}, "batch b1 has no events ['e7']"),
    ],
)
def test_a_retraction_that_names_nothing_real_is_refused(
    settings: Settings, batch_id: str, kwargs: dict[str, Any], words: str
) -> None:
    append_batch([event("e1")], batch_id="b1", source="web", settings=settings, now=NOW)

    with pytest.raises(LogError, match=words.replace("[", r"\[").replace("]", r"\]")):
        retract(batch_id, settings=settings, **kwargs)
    assert retraction_files(settings) == []


def log_command(settings: Settings, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """`python -m <package>.log.events ...` in the test's workspace, as a producer's shell would run it."""
    environment = {"{{ cookiecutter.module_name | upper }}_WORKSPACE": str(settings.workspace)}
    return subprocess.run(
        [sys.executable, "-m", f"{PACKAGE}.log.events", *args],
        input=stdin,
        env={**os.environ, **environment},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_command_line_appends_json_lines_quarantining_lines_that_are_not_json(settings: Settings) -> None:
    lines = "\n".join([json.dumps(event("e1", event_time=datetime.now(UTC).isoformat())), "{not json", "[]"])

    result = log_command(settings, "append", "-", "--batch-id", "b1", "--source", "web", stdin=lines)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "batch b1: 3 events received, 1 appended, 2 quarantined"
    status = log_command(settings, "status")
    assert status.stdout.startswith("1 batches: 3 events received, 1 in the log, 2 quarantined")


def test_the_command_line_refuses_other_content_under_a_used_batch_id_with_one_line(
    settings: Settings,
) -> None:
    append_batch([event("e1")], batch_id="b1", source="web", settings=settings, now=NOW)

    result = log_command(
        settings, "append", "-", "--batch-id", "b1", "--source", "web", stdin=json.dumps(event("e2"))
    )

    assert result.returncode == 1
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("error: batch b1 is already in the log with other content (checksum ")


@pytest.mark.parametrize("violation", event_violations(), ids=lambda violation: violation.id)
def test_every_rule_of_the_contract_on_events_is_enforced_at_the_log(
    settings: Settings, violation: Violation
) -> None:
    """Cases derived from contract.toml: a rule added there is tried here without a new test."""
    good = event("ok", event_time=(INGEST - timedelta(hours=1)).isoformat())
    bad = good | {"event_id": "bad", violation.field.name: violation.value}
    if violation.field.name == "event_id":
        bad = good | {"event_id": violation.value}

    result = append_batch([good, bad], batch_id="b1", source="web", settings=settings, now=INGEST)

    assert (result.appended, result.quarantined) == (1, 1)
    [reason] = quarantined(settings)["reason"].tolist()
    assert reason.startswith(f"{violation.field.name} "), reason


def test_the_same_events_have_one_checksum_however_they_are_sent(settings: Settings) -> None:
    """A retry may come as records or as a DataFrame, with pandas' string dtype or plain objects, from another
    pandas version: it is the same batch."""
    events = [event(f"e{n}", price=float(n)) for n in range(3)] + [event("e3", category=None, price=None)]
    frame = pd.DataFrame(events)
    forms: list[pd.DataFrame | list[dict[str, object]]] = [
        events,
        frame,
        frame.astype(object),
        frame.astype({"session_id": "string", "event_id": "string"}),
    ]

    checksums = {
        append_batch(form, batch_id="b1", source="web", settings=settings, now=NOW).checksum for form in forms
    }

    assert len(checksums) == 1


def test_a_value_of_another_kind_is_other_content(settings: Settings) -> None:
    append_batch([event("e1", session_id="1")], batch_id="b1", source="web", settings=settings, now=NOW)

    with pytest.raises(BatchConflictError):
        append_batch([event("e1", session_id=1)], batch_id="b1", source="web", settings=settings, now=NOW)
