"""The log under faults: producers killed mid-write, producers racing, and batches full of malformed events.

A real ``SIGKILL`` of a producer process at random moments, many times over: readers (DuckDB, the way dbt
reads the log) never see a partial file, every batch is wholly there or wholly absent, and running the
producer again completes the log without a duplicate.
"""

import multiprocessing
import signal
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from {{ cookiecutter.module_name }}.log.events import (
    append_batch,
    incomplete,
    log_files,
    manifests,
    utc,
)
from {{ cookiecutter.module_name }}.settings import Settings

from .appender import BAD_PER_BATCH, EVENTS_PER_BATCH, NOW, batch_id, produce

GOOD_PER_BATCH = EVENTS_PER_BATCH - BAD_PER_BATCH
KILLS = 30
BATCHES = 200
# A kill at a random moment comes after 0 to MAX_BATCHES_BEFORE_KILL appended batches, then up to MAX_DELAY
# seconds: counted mostly in batches, so a faster machine does not let the killed producers finish the log
# (the test checks that they did not).
MAX_BATCHES_BEFORE_KILL = 3
MAX_DELAY = 0.05


# Producers are forked from a server process that has already imported the log's code, pandas and pyarrow:
# starting a fresh interpreter for each of the many killed producers would be most of this file's run time.
PRODUCERS = multiprocessing.get_context("forkserver")
PRODUCERS.set_forkserver_preload(["tests.log.appender"])


@dataclass(frozen=True)
class Producer:
    """A producer's process and the pipe it reports on."""

    process: BaseProcess
    lines: Connection


def start_producer(
    settings: Settings, first: int, last: int, environment: dict[str, str] | None = None
) -> Producer:
    """``tests/log/appender.py``'s producer in its own process, once it is ready to write."""
    lines, report = PRODUCERS.Pipe(duplex=False)
    process = PRODUCERS.Process(target=produce, args=(settings.workspace, first, last, report, environment))
    process.start()
    report.close()
    assert lines.recv() == "ready"
    return Producer(process, lines)


def kill(producer: Producer) -> None:
    """SIGKILL: no handler runs, no file is closed, the write stops wherever it was."""
    producer.process.kill()
    producer.process.join()
    producer.lines.close()
    assert producer.process.exitcode == -signal.SIGKILL


def finish(producer: Producer) -> list[str]:
    """What the producer reported after ``ready``, once it is done."""
    lines: list[str] = []
    while True:
        try:
            lines.append(producer.lines.recv())
        except EOFError:
            break
    producer.process.join(timeout=600)
    producer.lines.close()
    assert producer.process.exitcode == 0
    return lines


def batches_as_readers_see_them(settings: Settings) -> pd.DataFrame:
    """Events per batch, read the way dbt reads the log: DuckDB over the whole glob, at once."""
    if not log_files(settings):
        return pd.DataFrame(columns=["batch_id", "events", "distinct_ids"])
    glob = f"{settings.log_dir}/ingest_date=*/*.parquet"
    query = (
        "select batch_id, count(*) as events, count(distinct event_id) as distinct_ids "
        "from read_parquet(?) group by batch_id"
    )
    frame: pd.DataFrame = duckdb.execute(query, [glob]).df()
    return frame


def assert_whole_batches_only(settings: Settings) -> pd.DataFrame:
    """Every committed file reads back complete, and every batch in the log has all its events, once."""
    for path in log_files(settings):
        assert pq.read_table(path).num_rows == GOOD_PER_BATCH, path
    seen = batches_as_readers_see_them(settings)
    assert (seen["events"] == GOOD_PER_BATCH).all(), seen
    assert (seen["distinct_ids"] == GOOD_PER_BATCH).all(), seen
    return seen


def temporary_files(settings: Settings) -> set[Path]:
    """Files being written: the log and its quarantine write each file under a hidden temporary name first."""
    return set(settings.data_dir.rglob(".*.tmp"))


def wait_for_a_write(settings: Settings, producer: Producer, known: set[Path]) -> None:
    """Return as soon as the producer starts writing a file (or has stopped)."""
    while producer.process.is_alive() and not temporary_files(settings) - known:
        time.sleep(0.0005)


def wait_for_appends(producer: Producer, batches: int) -> None:
    """Return once the producer has appended ``batches`` batches; those already in the log do not count."""
    while batches:
        if not producer.lines.poll(timeout=60):
            pytest.fail(f"the producer appended no batch for 60 s, {batches} short of the kill")
        try:
            line = producer.lines.recv()
        except EOFError:
            code = producer.process.exitcode
            pytest.fail(f"the producer ended (exit code {code}) {batches} batches short of its kill")
        if not line.endswith("- -"):
            batches -= 1


@pytest.mark.slow
def test_a_producer_killed_mid_write_leaves_only_whole_batches_and_a_rerun_completes_the_log(
    settings: Settings,
) -> None:
    """Half the kills come at a random moment, half the moment a file starts being written."""
    rng = np.random.default_rng(2025)
    interrupted_writes, known = 0, set[Path]()
    for attempt in range(KILLS):
        producer = start_producer(settings, 0, BATCHES)
        if attempt % 2:
            wait_for_appends(producer, int(rng.integers(0, MAX_BATCHES_BEFORE_KILL + 1)))
            time.sleep(rng.uniform(0.0, MAX_DELAY))
        else:
            wait_for_a_write(settings, producer, known)
        kill(producer)
        # A write cut short leaves its temporary file behind: proof that this kill landed mid-write.
        left = temporary_files(settings)
        interrupted_writes += bool(left - known)
        known = left
        assert_whole_batches_only(settings)
    committed = {path.stem for path in log_files(settings)}
    assert len(committed) < BATCHES, "every batch was written before the kills ended: none landed mid-log"
    # A batch whose manifest was recorded before the kill is the rerun's to complete, not to append again.
    recorded = {manifest.batch_id for manifest in manifests(settings)}

    lines = finish(start_producer(settings, 0, BATCHES))

    seen = assert_whole_batches_only(settings)
    assert sorted(seen["batch_id"]) == [batch_id(n) for n in range(BATCHES)]
    assert {line.split()[0] for line in lines if line.endswith("- -")} == recorded >= committed
    assert incomplete(settings) == []
    quarantined = duckdb.execute(
        "select count(*) from read_parquet(?)", [f"{settings.quarantine_dir}/ingest_date=*/*.parquet"]
    ).fetchall()
    assert quarantined == [(BATCHES * BAD_PER_BATCH,)]
    print(
        f"{KILLS} kills, {interrupted_writes} mid-write; {len(committed)} batches were whole before the rerun"
    )
    assert interrupted_writes >= KILLS // 4


@pytest.mark.slow
def test_two_producers_appending_at_once_lose_nothing_and_duplicate_nothing(settings: Settings) -> None:
    """They share half their batches, as two workers retrying the same backlog would."""
    first, second = start_producer(settings, 0, 60), start_producer(settings, 30, 90)

    lines = finish(first) + finish(second)

    seen = assert_whole_batches_only(settings)
    assert sorted(seen["batch_id"]) == [batch_id(n) for n in range(90)]
    appended = [line.split() for line in lines if not line.endswith("- -")]
    assert sorted(batch for batch, _, _ in appended) == [batch_id(n) for n in range(90)]
    assert sum(int(count) for _, count, _ in appended) == 90 * GOOD_PER_BATCH == seen["events"].sum()


# Any JSON value, nested ones included, and text of any Unicode, lone surrogates included.
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(st.characters(codec=None), max_size=20),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=8,
)
EVENT = {
    "event_time": "2025-03-01T10:00:00Z",
    "session_id": "s1",
    "user_id": "u1",
    "event_type": "detail",
    "product_id": "p1",
    "category": "books",
    "price": 12.5,
}
# An event: a good one with some fields replaced by anything, some removed, some added; or anything at all.
EVENTS = st.one_of(
    st.builds(
        lambda changes, removed, added: {
            name: value for name, value in (EVENT | changes | added).items() if name not in removed
        },
        st.dictionaries(st.sampled_from([*EVENT, "event_id"]), JSON_VALUES, max_size=3),
        st.sets(st.sampled_from(list(EVENT))),
        st.dictionaries(st.text(max_size=8), JSON_VALUES, max_size=2),
    ),
    JSON_VALUES,
)


@hypothesis_settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    events=st.lists(EVENTS, min_size=1, max_size=30),
    ids=st.lists(st.sampled_from(["e1", "e2", "e3"]), max_size=30),
)
def test_any_batch_is_appended_event_by_event_and_counts_reconcile(
    tmp_path_factory: pytest.TempPathFactory, events: list[Any], ids: list[str]
) -> None:
    """Whatever a producer sends, the batch is never refused as a whole for one event: each event is logged
    or quarantined with the first rule it broke, repeated ids count once, and nothing is lost."""
    settings = Settings(workspace=tmp_path_factory.mktemp("log"))
    batch = [
        event | {"event_id": ids[n]} if isinstance(event, dict) and n < len(ids) else event
        for n, event in enumerate(events)
    ]

    result = append_batch(batch, batch_id="b1", source="test", settings=settings, now=NOW)

    assert result.received == result.appended + result.quarantined == len(batch)
    logged = pd.concat([pd.read_parquet(path) for path in log_files(settings)]) if result.appended else None
    refused = list(settings.quarantine_dir.rglob("*.parquet"))
    quarantine = pd.concat([pd.read_parquet(path) for path in refused]) if refused else pd.DataFrame()
    assert len(quarantine) == result.quarantined
    assert (0 if logged is None else len(logged)) == result.appended
    if logged is not None:
        assert logged["event_id"].is_unique
    assert all(isinstance(reason, str) and reason for reason in quarantine.get("reason", []))


# A typed string column cannot hold a lone surrogate (pyarrow refuses it): the records test sends those.
TEXTS = st.text(st.characters(codec="utf-8"), max_size=6) | st.sampled_from(
    ["\u00a0", " pageview ", "PURCHASE", ""]
)


# Times around the contract's bounds (2000, and a day after NOW), with and without an offset.
TIMES = st.datetimes(
    min_value=datetime(1999, 12, 30), max_value=datetime(2025, 3, 3), timezones=st.sampled_from([None, UTC])
)
PRICES = st.none() | st.floats(allow_nan=False) | st.sampled_from([0.0, -0.0, 1_000_000.0, 1_000_000.01])


@hypothesis_settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=st.lists(
        st.fixed_dictionaries(
            {
                "session_id": TEXTS,
                "event_type": TEXTS,
                "category": TEXTS,
                "event_time": TIMES,
                "price": PRICES,
            }
        ),
        min_size=1,
    )
)
def test_a_typed_frame_is_judged_exactly_as_the_same_events_one_by_one(
    tmp_path_factory: pytest.TempPathFactory, rows: list[dict[str, Any]]
) -> None:
    """The log checks a DataFrame's typed columns in bulk and only suspect rows one by one: it must never let
    through what the event-by-event check refuses, nor refuse what it accepts. (A frame's NaN is a missing
    value, which the records say with None.)"""
    events = [EVENT | {"event_id": f"e{n}"} | row for n, row in enumerate(rows)]
    frame = pd.DataFrame(events).astype({"event_type": "string", "category": "string", "price": "float64"})
    frame["event_time"] = pd.to_datetime(frame["event_time"].map(utc), utc=True)
    typed, one_by_one = (Settings(workspace=tmp_path_factory.mktemp(name)) for name in ("typed", "json"))

    as_frame = append_batch(frame, batch_id="b1", source="test", settings=typed, now=NOW)
    as_json = append_batch(events, batch_id="b1", source="test", settings=one_by_one, now=NOW)

    assert (as_frame.appended, as_frame.quarantined) == (as_json.appended, as_json.quarantined)
    reasons = [
        sorted(pd.concat([pd.read_parquet(path) for path in files])["reason"]) if files else []
        for files in (list(settings.quarantine_dir.rglob("*.parquet")) for settings in (typed, one_by_one))
    ]
    assert reasons[0] == reasons[1]
