"""The BigQuery side of the pipeline, offline: a fake client records the tables and jobs a real one makes.

What these tests cannot show is BigQuery's own behaviour (load jobs, credentials, quotas): the first load and
read against a real project are the proof of those.
"""

import io
import re
from pathlib import Path
from typing import IO, Any

import pandas as pd
import pyarrow.parquet as pq
import pytest
from google.api_core.exceptions import NotFound
from google.cloud import bigquery

from {{ cookiecutter.module_name }}.log.events import ARROW_TYPES, log_files, retract
from {{ cookiecutter.module_name }}.settings import Settings
from {{ cookiecutter.module_name }}.warehouse.load_raw import (
    COLUMN_TYPES,
    load_job_config,
    load_new_batches,
    raw_table,
    schema_of,
)
from {{ cookiecutter.module_name }}.warehouse.production import connect
from {{ cookiecutter.module_name }}.warehouse.raw_tables import (
    RAW_EVENTS,
    RAW_RETRACTIONS,
    RawTable,
    file_id,
    pending,
)
from {{ cookiecutter.module_name }}.warehouse.read import load_training_set
from {{ cookiecutter.module_name }}.warehouse.targets import WarehouseError

EVENTS, RETRACTIONS = "test-project.raw.events", "test-project.raw.retractions"
IDS = re.compile(r"select distinct (?P<key>\w+) from `(?P<table>[^`]+)`")


class FakeJob:
    def __init__(self, rows: list[dict[str, Any]] | None = None, frame: pd.DataFrame | None = None) -> None:
        self.rows = rows or []
        self.frame = frame
        self.read_through_storage_api: bool | None = None

    def result(self) -> list[dict[str, Any]]:
        return self.rows

    def to_dataframe(self, int_dtype: Any, create_bqstorage_client: bool) -> pd.DataFrame:
        self.read_through_storage_api = create_bqstorage_client
        if self.frame is None:
            # google-api-core's exceptions carry no type hints.
            raise NotFound("Not found: Table test-project:analytics.training_set")  # type: ignore[no-untyped-call]
        return self.frame


class FakeBigQuery:
    """Just enough of a project: the tables and datasets made, the queries run, the rows each table holds."""

    project = "test-project"

    def __init__(self) -> None:
        self.location = ""
        self.datasets: list[bigquery.Dataset] = []
        self.tables: dict[str, bigquery.Table] = {}
        self.queries: list[str] = []
        self.jobs: list[FakeJob] = []
        self.loads: list[tuple[str, bigquery.LoadJobConfig]] = []
        self.rows: dict[str, list[dict[str, Any]]] = {}
        self.training_set: pd.DataFrame | None = None

    def client(self, project: str, location: str) -> "FakeBigQuery":
        assert project == self.project
        self.location = location
        return self

    def create_dataset(self, dataset: bigquery.Dataset, exists_ok: bool) -> None:
        self.datasets.append(dataset)

    def create_table(self, table: bigquery.Table, exists_ok: bool) -> None:
        assert exists_ok
        self.tables.setdefault(f"{table.project}.{table.dataset_id}.{table.table_id}", table)
        self.rows.setdefault(table.table_id, [])

    def query(self, query: str) -> FakeJob:
        self.queries.append(query)
        if ids := IDS.match(query):
            held = {row[ids["key"]] for row in self.rows[ids["table"].rsplit(".", 1)[1]]}
            return FakeJob([{ids["key"]: value} for value in sorted(held)])
        self.jobs.append(FakeJob(frame=self.training_set))
        return self.jobs[-1]

    def load_table_from_file(
        self, file: IO[bytes], table_id: str, job_config: bigquery.LoadJobConfig, job_id_prefix: str
    ) -> FakeJob:
        assert table_id in self.tables, "a load job never creates its table"
        self.loads.append((table_id, job_config))
        rows = pq.read_table(io.BytesIO(file.read())).to_pylist()
        self.rows[table_id.rsplit(".", 1)[1]] += rows
        return FakeJob(rows)

    def close(self) -> None:
        pass


@pytest.fixture
def bigquery_project(monkeypatch: pytest.MonkeyPatch) -> FakeBigQuery:
    """The project in the environment, as in production, and a fake BigQuery behind the client."""
    project = FakeBigQuery()
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", project.project)
    monkeypatch.setenv("BIGQUERY_LOCATION", "EU")
    for name in ("DBT_SCHEMA", "DBT_RAW_SCHEMA", "BIGQUERY_EMULATOR_HOST"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(bigquery, "Client", project.client)
    return project


def test_only_files_not_loaded_yet_are_pending_in_the_logs_order() -> None:
    files = [Path("ingest_date=2025-01-07/day-1.parquet"), Path("ingest_date=2025-01-08/day-2.parquet")]

    assert pending(files, {"day-1"}) == [files[1]]
    assert pending(files, {"day-1", "day-2"}) == []


def test_every_type_a_raw_table_may_hold_has_a_bigquery_type() -> None:
    # Whatever the contract declares (text, timestamp, integer, number), and the log's own columns.
    types = {*ARROW_TYPES.values(), *RAW_EVENTS.columns.types, *RAW_RETRACTIONS.columns.types}

    assert types <= COLUMN_TYPES.keys()


def test_the_raw_tables_are_shaped_like_the_log() -> None:
    events, retractions = raw_table(EVENTS, RAW_EVENTS), raw_table(RETRACTIONS, RAW_RETRACTIONS)

    bigquery_types = {"string": "STRING", "timestamp[us]": "DATETIME", "int64": "INT64", "double": "FLOAT64"}
    assert [(field.name, field.field_type) for field in events.schema] == [
        (field.name, bigquery_types[str(field.type)]) for field in RAW_EVENTS.columns
    ]
    assert events.time_partitioning.field == "ingest_time"
    assert events.clustering_fields == ["batch_id"]
    assert [(field.name, field.field_type) for field in retractions.schema] == [
        ("retraction_id", "STRING"),
        ("batch_id", "STRING"),
        ("event_id", "STRING"),
        ("reason", "STRING"),
        ("retracted_at", "DATETIME"),
    ]
    assert retractions.clustering_fields == ["retraction_id"]


@pytest.mark.parametrize("table", [RAW_EVENTS, RAW_RETRACTIONS], ids=["events", "retractions"])
def test_a_load_job_only_ever_appends_to_the_existing_table(table: RawTable) -> None:
    config = load_job_config(table)

    assert config.source_format == bigquery.SourceFormat.PARQUET
    assert config.write_disposition == bigquery.WriteDisposition.WRITE_APPEND
    assert config.create_disposition == bigquery.CreateDisposition.CREATE_NEVER
    assert config.schema == schema_of(table)
    # A field the contract gained after the table was made becomes a column; nothing else changes.
    assert config.schema_update_options == [bigquery.SchemaUpdateOption.ALLOW_FIELD_ADDITION]


def test_each_new_batch_and_retraction_is_loaded_once(
    bigquery_project: FakeBigQuery, tiny_log: Settings
) -> None:
    files = log_files(tiny_log)
    retraction = Path(retract(file_id(files[1]), reason="a replayed day", settings=tiny_log))

    first = load_new_batches(tiny_log)
    again = load_new_batches(tiny_log)

    events = sum(pq.read_metadata(path).num_rows for path in files)
    assert (first.events.loaded, first.events.rows) == (tuple(map(file_id, files)), events)
    assert first.retractions.loaded == (file_id(retraction),)
    assert str(first) == (
        f"loaded {len(files)} batches ({events:,} events) into {EVENTS}; 0 were already there\n"
        f"loaded 1 retraction into {RETRACTIONS}; 0 were already there"
    )
    assert (again.events.loaded, again.events.rows, again.events.already_loaded) == ((), 0, len(files))
    assert (again.retractions.loaded, again.retractions.already_loaded) == ((), 1)
    assert len(bigquery_project.rows["events"]) == events
    assert bigquery_project.rows["retractions"] == pq.read_table(retraction).to_pylist()
    # The retraction first: the retracted batch is never in the warehouse without it.
    assert [table_id for table_id, _ in bigquery_project.loads] == [RETRACTIONS] + [EVENTS] * len(files)
    assert {dataset.dataset_id for dataset in bigquery_project.datasets} == {"raw"}
    assert {dataset.location for dataset in bigquery_project.datasets} == {"EU"}


def test_the_retractions_table_is_made_without_any_retraction(
    bigquery_project: FakeBigQuery, tiny_log: Settings
) -> None:
    result = load_new_batches(tiny_log)

    assert result.retractions.loaded == ()
    assert set(bigquery_project.tables) == {EVENTS, RETRACTIONS}


def test_a_missing_project_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GOOGLE_CLOUD_PROJECT", raising=False)

    with pytest.raises(WarehouseError, match=r"^GOOGLE_CLOUD_PROJECT not set"):
        connect()


def test_a_dataset_name_that_is_not_plain_is_refused(
    bigquery_project: FakeBigQuery, tiny_log: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DBT_RAW_SCHEMA", "raw`; drop")

    with pytest.raises(WarehouseError, match="DBT_RAW_SCHEMA='raw`; drop' is not a BigQuery dataset name"):
        load_new_batches(tiny_log)
    assert bigquery_project.loads == []


def test_prod_reads_the_training_set_with_naive_utc_times(
    bigquery_project: FakeBigQuery, training_frame: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DBT_TARGET", "prod")
    answer = training_frame.copy()
    answer["session_start"] = answer["session_start"].dt.tz_localize("UTC")
    bigquery_project.training_set = answer

    frame = load_training_set()

    assert bigquery_project.queries == [
        "select * from `test-project.analytics.training_set` order by session_id"
    ]
    pd.testing.assert_frame_equal(frame, training_frame)
    # Through BigQuery's Storage Read API, unless the REST API goes to an emulator or a proxy.
    monkeypatch.setenv("BIGQUERY_EMULATOR_HOST", "http://127.0.0.1:9050")
    load_training_set()
    assert [job.read_through_storage_api for job in bigquery_project.jobs] == [True, False]


def test_reading_before_a_prod_build_is_explained(
    bigquery_project: FakeBigQuery, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DBT_TARGET", "prod")

    with pytest.raises(WarehouseError, match=r"no test-project\.analytics\.training_set table: run the"):
        load_training_set()
