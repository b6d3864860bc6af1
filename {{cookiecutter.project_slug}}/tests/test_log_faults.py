"""The log under faults: producers killed mid-write, producers racing, and batches full of malformed events.

A real ``SIGKILL`` of a producer process at random moments, many times over: readers (DuckDB, the way dbt
reads the log) never see a partial file, every batch is wholly there or wholly absent, and running the
producer again completes the log without a duplicate.
"""

import multiprocessing
import signal
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from {{ cookiecutter.module_name }}.event_log import append_batch, log_files
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
PRODUCERS.set_forkserver_preload(["tests.appender"])


@dataclass(frozen=True)
class Producer:
    """A producer's process and the pipe it reports on."""

    process: BaseProcess
    lines: Connection


def start_producer(settings: Settings, first: int, last: int) -> Producer:
    """``tests/appender.py``'s producer in its own process, once it is ready to write."""
    lines, report = PRODUCERS.Pipe(duplex=False)
    process = PRODUCERS.Process(target=produce, args=(settings.workspace, first, last, report))
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

    lines = finish(start_producer(settings, 0, BATCHES))

    seen = assert_whole_batches_only(settings)
    assert sorted(seen["batch_id"]) == [batch_id(n) for n in range(BATCHES)]
    assert {line.split()[0] for line in lines if line.endswith("- -")} == committed  # skipped, not appended
    quarantined = duckdb.execute(
        "select count(*) from read_parquet(?)", [f"{settings.quarantine_dir}/ingest_date=*/*.parquet"]
    ).fetchone()
    assert quarantined == (BATCHES * BAD_PER_BATCH,)
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


# Every way an event can break the envelope, each with the reason the quarantine must give.
MALFORMED: dict[str, tuple[dict[str, object], str]] = {
    "number as id": ({"event_id": 17}, "event_id is not text"),
    "missing id": ({"event_id": None}, "event_id is empty"),
    "blank id": ({"event_id": " "}, "event_id is empty"),
    "list as session": ({"session_id": ["s"]}, "session_id is not text"),
    "missing user": ({"user_id": None}, "user_id is empty"),
    "unparseable time": ({"event_time": "yesterday"}, "event_time is missing or unparseable"),
    "epoch seconds": ({"event_time": 1_740_830_400}, "event_time is missing or unparseable"),
    "far future": ({"event_time": "2999-01-01T00:00:00Z"}, "event_time is in the future"),
    "text price": ({"price": "12.50"}, "price is not a number"),
    "boolean price": ({"price": False}, "price is not a number"),
}
EVENT = {
    "event_time": "2025-03-01T10:00:00Z",
    "session_id": "s1",
    "user_id": "u1",
    "event_type": "detail",
    "product_id": "p1",
    "category": "books",
    "price": 12.5,
}


@hypothesis_settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    kinds=st.lists(st.sampled_from([None, *MALFORMED]), min_size=1, max_size=60),
    repeated=st.lists(st.integers(min_value=0, max_value=59), max_size=10),
)
def test_malformed_events_are_quarantined_with_their_reason_and_counts_reconcile(
    tmp_path_factory: pytest.TempPathFactory, kinds: list[str | None], repeated: list[int]
) -> None:
    """Good events, every kind of malformed one and resent ones, mixed: nothing lost, nothing kept twice."""
    settings = Settings(workspace=tmp_path_factory.mktemp("log"))
    batch = [
        EVENT | {"event_id": f"e{n}"} | (MALFORMED[kind][0] if kind else {}) for n, kind in enumerate(kinds)
    ]
    resent = [n for n in repeated if n < len(batch)]

    result = append_batch(
        batch + [batch[n] for n in resent], batch_id="b1", source="test", settings=settings, now=NOW
    )

    assert result.received == result.appended + result.quarantined == len(batch) + len(resent)
    logged = pd.concat([pd.read_parquet(path) for path in log_files(settings)])
    assert sorted(logged["event_id"]) == sorted(f"e{n}" for n, kind in enumerate(kinds) if kind is None)
    quarantine = list(settings.quarantine_dir.rglob("*.parquet"))
    reasons: list[str] = (
        pd.concat([pd.read_parquet(path) for path in quarantine])["reason"].tolist() if quarantine else []
    )
    assert sorted(reasons) == sorted(
        [MALFORMED[kind][1] for kind in kinds if kind]
        + [MALFORMED[kind][1] if (kind := kinds[n]) else "duplicate event_id in batch" for n in resent]
    )
