"""The log on S3-compatible object storage keeps the guarantees it keeps on disk.

The tests start a real S3 API on localhost (moto's server, which honours conditional writes as S3 does) and
point ``log_url`` at a fresh bucket: a batch is written once, retries are no-ops, racing producers leave
exactly one object, killed producers leave only whole batches, and the transform's readers get the same files.
"""

import logging
import multiprocessing
import os
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import boto3
import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from moto.server import ThreadedMotoServer

from {{ cookiecutter.module_name }}.log.events import (
    BatchConflictError,
    append_batch,
    incomplete,
    log_files,
    manifests,
    retract,
    retraction_files,
    status,
)
from {{ cookiecutter.module_name }}.log.store import (
    ObjectStore,
    StoreError,
    copy_to_local,
    open_store,
)
from {{ cookiecutter.module_name }}.settings import Settings

from .appender import BAD_PER_BATCH, EVENTS_PER_BATCH, batch_id
from .test_events import NOW, event, race
from .test_faults import finish, kill, start_producer, wait_for_appends

PREFIX = "{{ cookiecutter.module_name | upper }}_"
GOOD_PER_BATCH = EVENTS_PER_BATCH - BAD_PER_BATCH


@pytest.fixture(scope="module")
def s3_server() -> Iterator[dict[str, str]]:
    """A real S3 API on a free localhost port, and the environment that points boto3 at it."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    environment = {
        "AWS_ENDPOINT_URL_S3": f"http://{host}:{port}",
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",  # pragma: allowlist secret (the test server checks none)
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    with pytest.MonkeyPatch.context() as patch:
        for name, value in environment.items():
            patch.setenv(name, value)
        yield environment
    server.stop()


@pytest.fixture
def s3_settings(tmp_path: Path, s3_server: dict[str, str]) -> Settings:
    """Settings whose log is in a bucket of its own, under a prefix, and whose workspace is empty."""
    bucket = f"log-{uuid.uuid4().hex[:12]}"
    boto3.client("s3").create_bucket(Bucket=bucket)
    return Settings(workspace=tmp_path, log_url=f"s3://{bucket}/events-log")


def objects(settings: Settings) -> dict[str, str]:
    """Every object of the log, by key under its prefix, with its ETag: what changes when an object does."""
    bucket, _, prefix = settings.log_url.removeprefix("s3://").partition("/")
    pages = boto3.client("s3").get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=f"{prefix}/")
    return {
        item["Key"].removeprefix(f"{prefix}/"): item["ETag"]
        for page in pages
        for item in page.get("Contents", [])
    }


def logged_batches(settings: Settings) -> pd.DataFrame:
    """Events per batch, as a reader of the object store sees them: every events object, read whole."""
    store = open_store(settings)
    frames = [pq.read_table(pa.BufferReader(store.read(key))).to_pandas() for key in store.keys("events/")]
    if not frames:
        return pd.DataFrame(columns=["events", "distinct_ids"])
    counts: pd.DataFrame = (
        pd.concat(frames).groupby("batch_id")["event_id"].agg(events="count", distinct_ids="nunique")
    )
    return counts


def test_a_batch_is_written_as_objects_once_and_nothing_lands_on_the_local_disk(
    s3_settings: Settings,
) -> None:
    result = append_batch(
        [event("e1"), event("e2", event_time="?")], batch_id="b1", source="web", settings=s3_settings, now=NOW
    )

    assert (result.received, result.appended, result.quarantined) == (2, 1, 1)
    assert sorted(objects(s3_settings)) == [
        "batches/b1.json",
        "events/ingest_date=2025-03-01/b1.parquet",
        "quarantine/ingest_date=2025-03-01/b1.parquet",
    ]
    assert [manifest.batch_id for manifest in manifests(s3_settings)] == ["b1"]
    assert not s3_settings.data_dir.exists()


def test_a_retry_is_a_no_op_and_other_content_under_the_same_id_is_refused(s3_settings: Settings) -> None:
    batch = [event("e1"), event("e2")]
    append_batch(batch, batch_id="b1", source="web", settings=s3_settings, now=NOW)
    before = objects(s3_settings)

    again = append_batch(
        batch, batch_id="b1", source="web", settings=s3_settings, now=NOW + timedelta(days=3)
    )

    assert again.already_present and again.appended == 2
    with pytest.raises(BatchConflictError, match="already in the log with other content"):
        append_batch([event("e1")], batch_id="b1", source="web", settings=s3_settings, now=NOW)
    assert objects(s3_settings) == before


def test_a_producer_stopped_after_recording_a_batch_completes_it_by_sending_it_again(
    s3_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    batch = [event("e1"), event("e2", event_time="?")]
    written: list[str] = []
    write_once = ObjectStore.write_once

    def stopped_after_the_manifest(store: ObjectStore, key: str, content: bytes) -> bool:
        if written:
            raise KeyboardInterrupt  # the producer stops right after recording the batch
        written.append(key)
        return write_once(store, key, content)

    with monkeypatch.context() as patch:
        patch.setattr(ObjectStore, "write_once", stopped_after_the_manifest)
        with pytest.raises(KeyboardInterrupt):
            append_batch(batch, batch_id="b1", source="web", settings=s3_settings, now=NOW)
    assert [manifest.batch_id for manifest in incomplete(s3_settings)] == ["b1"]
    assert "incomplete" in status(s3_settings)

    again = append_batch(
        batch, batch_id="b1", source="web", settings=s3_settings, now=NOW + timedelta(days=1)
    )

    assert again.already_present and (again.appended, again.quarantined) == (1, 1)
    assert incomplete(s3_settings) == []
    assert "events/ingest_date=2025-03-01/b1.parquet" in objects(s3_settings)


@pytest.mark.parametrize("attempt", range(3))
def test_two_producers_racing_with_one_batch_leave_exactly_one_object(
    s3_settings: Settings, monkeypatch: pytest.MonkeyPatch, attempt: int
) -> None:
    """Each producer's clock puts the batch in another day's partition: the conditional write decides."""
    monkeypatch.setenv(f"{PREFIX}LOG_URL", s3_settings.log_url)
    context = multiprocessing.get_context("fork")
    start, results = context.Barrier(2), context.Queue()
    moments = (NOW.replace(hour=23, minute=59, second=59), NOW.replace(hour=23) + timedelta(hours=1))
    producers = [
        context.Process(target=race, args=(s3_settings.workspace, now, start, results)) for now in moments
    ]
    for producer in producers:
        producer.start()
    for producer in producers:
        producer.join(timeout=120)

    assert sorted(results.get(timeout=10) for _ in producers) == [False, True]
    assert len([key for key in objects(s3_settings) if key.startswith("events/")]) == 1
    assert logged_batches(s3_settings)["events"].tolist() == [2]


@pytest.mark.slow
def test_producers_killed_at_random_moments_leave_only_whole_batches_and_a_rerun_completes_the_log(
    s3_settings: Settings, s3_server: dict[str, str]
) -> None:
    environment = s3_server | {f"{PREFIX}LOG_URL": s3_settings.log_url}
    rng, batches = np.random.default_rng(2025), 12
    for _ in range(4):
        producer = start_producer(s3_settings, 0, batches, environment)
        wait_for_appends(producer, int(rng.integers(0, 3)))
        time.sleep(rng.uniform(0.0, 0.05))
        kill(producer)
        seen = logged_batches(s3_settings)
        assert (seen["events"] == GOOD_PER_BATCH).all() and (seen["distinct_ids"] == GOOD_PER_BATCH).all()
    assert len(logged_batches(s3_settings)) < batches, "every batch was written before the kills ended"

    finish(start_producer(s3_settings, 0, batches, environment))

    seen = logged_batches(s3_settings)
    assert sorted(seen.index) == [batch_id(n) for n in range(batches)]
    assert (seen["events"] == GOOD_PER_BATCH).all() and (seen["distinct_ids"] == GOOD_PER_BATCH).all()
    assert incomplete(s3_settings) == []
    quarantine = [key for key in objects(s3_settings) if key.startswith("quarantine/")]
    assert len(quarantine) == batches


def test_the_transform_reads_a_local_copy_that_only_ever_gains_whole_files(
    s3_settings: Settings, _tiny_log: Path
) -> None:
    """The tiny sample log, uploaded as a producer would have written it, then copied for DuckDB to read."""
    store = open_store(s3_settings)
    for path in sorted(path for path in _tiny_log.rglob("*") if path.is_file()):
        store.write_once(path.relative_to(_tiny_log).as_posix(), path.read_bytes())
    retract(log_files_of(_tiny_log)[0].stem, reason="sent twice", settings=s3_settings)

    copied = copy_to_local(s3_settings)

    assert copied == len(objects(s3_settings))
    assert [path.name for path in log_files(s3_settings)] == [path.name for path in log_files_of(_tiny_log)]
    assert len(retraction_files(s3_settings)) == 1
    count = "select count(*) from read_parquet(?)"
    read = duckdb.execute(count, [f"{s3_settings.log_dir}/*/*.parquet"]).fetchall()
    assert read == duckdb.execute(count, [f"{_tiny_log}/events/*/*.parquet"]).fetchall()
    append_batch([event("late")], batch_id="late", source="web", settings=s3_settings, now=NOW)
    assert copy_to_local(s3_settings) == 2  # its manifest and its events; nothing copied twice
    assert copy_to_local(s3_settings) == 0


def log_files_of(log: Path) -> list[Path]:
    return sorted(log.glob("events/ingest_date=*/*.parquet"))


def test_status_and_retractions_read_the_log_on_object_storage(s3_settings: Settings) -> None:
    append_batch([event("e1"), event("e2")], batch_id="b1", source="web", settings=s3_settings, now=NOW)

    where = retract("b1", reason="test traffic", event_ids=["e2"], settings=s3_settings, now=NOW)

    assert where == f"{s3_settings.log_url}/retractions/ingest_date=2025-03-01/{Path(where).name}"
    assert retract("b1", reason="test traffic", event_ids=["e2"], settings=s3_settings) == where
    assert status(s3_settings).splitlines() == [
        "1 batches: 2 events received, 2 in the log, 0 quarantined",
        "1 batches with retractions: b1",
    ]


def test_a_missing_bucket_is_named_in_one_line_with_the_fix(s3_settings: Settings) -> None:
    elsewhere = s3_settings.model_copy(update={"log_url": "s3://no-such-bucket-here/log"})
    with pytest.raises(
        StoreError, match=re.escape("s3://no-such-bucket-here/log/batches/b1.json")
    ) as refused:
        append_batch([event()], batch_id="b1", source="web", settings=elsewhere)
    assert "check that the bucket exists" in str(refused.value) and "\n" not in str(refused.value)


@pytest.mark.parametrize("url", ["gs://bucket/log", "s3://", "/mnt/log"])
def test_a_log_url_that_names_no_store_is_refused_naming_what_to_give(tmp_path: Path, url: str) -> None:
    with pytest.raises(StoreError, match=re.escape(f"log_url '{url}' is not a log location: leave it empty")):
        append_batch(
            [event()], batch_id="b1", source="web", settings=Settings(workspace=tmp_path, log_url=url)
        )
    assert not (tmp_path / "data").exists()


def test_the_command_line_says_what_is_wrong_with_the_log_url_in_one_line(tmp_path: Path) -> None:
    environment = {f"{PREFIX}WORKSPACE": str(tmp_path), f"{PREFIX}LOG_URL": "gs://bucket/log"}
    shown = subprocess.run(
        [sys.executable, "-m", "{{ cookiecutter.module_name }}.log.events", "status"],
        env=os.environ | environment,
        capture_output=True,
        text=True,
        check=False,
    )

    assert shown.returncode == 1
    assert shown.stderr.strip().splitlines() == [
        "error: log_url 'gs://bucket/log' is not a log location: leave it empty for data/log, or give "
        "s3://bucket/prefix (S3-compatible storage too, with AWS_ENDPOINT_URL_S3 set)"
    ]
