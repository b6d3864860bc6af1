"""The BigQuery side of the pipeline, offline: a fake client records the tables and jobs a real one makes.

What these tests cannot show is BigQuery's own behaviour (load jobs, credentials, quotas): the first load and
read against a real project are the proof of those.
"""

import io
from pathlib import Path
from typing import IO, Any

import pandas as pd
import pyarrow.parquet as pq
import pytest
from google.api_core.exceptions import NotFound
from google.cloud import bigquery

from {{ cookiecutter.module_name }}.event_log import LOG_SCHEMA, log_files
from {{ cookiecutter.module_name }}.load_raw import (
    SCHEMA,
    load_job_config,
    load_new_batches,
    raw_table,
)
from {{ cookiecutter.module_name }}.production import connect
from {{ cookiecutter.module_name }}.settings import Settings
from {{ cookiecutter.module_name }}.warehouse import WarehouseError, load_training_set, pending


class FakeJob:
    def __init__(self, rows: list[dict[str, Any]] | None = None, frame: pd.DataFrame | None = None) -> None:
        self.rows = rows or []
        self.frame = frame
        self.output_rows = len(self.rows)

    def result(self) -> list[dict[str, Any]]:
        return self.rows

    def to_dataframe(self, int_dtype: Any) -> pd.DataFrame:
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
        self.tables: list[bigquery.Table] = []
        self.queries: list[str] = []
        self.loads: list[tuple[str, bigquery.LoadJobConfig]] = []
        self.raw_rows: list[dict[str, Any]] = []
        self.training_set: pd.DataFrame | None = None

    def client(self, project: str, location: str) -> "FakeBigQuery":
        assert project == self.project
        self.location = location
        return self

    def create_dataset(self, dataset: bigquery.Dataset, exists_ok: bool) -> None:
        self.datasets.append(dataset)

    def create_table(self, table: bigquery.Table, exists_ok: bool) -> None:
        self.tables.append(table)

    def query(self, query: str) -> FakeJob:
        self.queries.append(query)
        if query.startswith("select distinct batch_id"):
            return FakeJob([{"batch_id": batch} for batch in {row["batch_id"] for row in self.raw_rows}])
        return FakeJob(frame=self.training_set)

    def load_table_from_file(
        self, file: IO[bytes], table_id: str, job_config: bigquery.LoadJobConfig, job_id_prefix: str
    ) -> FakeJob:
        self.loads.append((table_id, job_config))
        rows = pq.read_table(io.BytesIO(file.read())).to_pylist()
        self.raw_rows += rows
        return FakeJob(rows)

    def close(self) -> None:
        pass


@pytest.fixture
def bigquery_project(monkeypatch: pytest.MonkeyPatch) -> FakeBigQuery:
    """The project in the environment, as in production, and a fake BigQuery behind the client."""
    project = FakeBigQuery()
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", project.project)
    monkeypatch.setenv("BIGQUERY_LOCATION", "EU")
    for name in ("DBT_SCHEMA", "DBT_RAW_SCHEMA"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(bigquery, "Client", project.client)
    return project


def test_only_batches_not_loaded_yet_are_pending_in_the_logs_order() -> None:
    files = [Path("ingest_date=2025-01-07/day-1.parquet"), Path("ingest_date=2025-01-08/day-2.parquet")]

    assert pending(files, {"day-1"}) == [files[1]]
    assert pending(files, {"day-1", "day-2"}) == []


def test_the_raw_table_is_shaped_like_the_log() -> None:
    table = raw_table("test-project.raw.events")

    assert [(field.name, field.field_type) for field in table.schema] == [
        (field.name, {"string": "STRING", "timestamp[us]": "DATETIME", "double": "FLOAT64"}[str(field.type)])
        for field in LOG_SCHEMA
    ]
    assert table.time_partitioning.field == "ingest_time"
    assert table.clustering_fields == ["batch_id"]


def test_a_load_job_only_ever_appends_to_the_existing_table() -> None:
    config = load_job_config()

    assert config.source_format == bigquery.SourceFormat.PARQUET
    assert config.write_disposition == bigquery.WriteDisposition.WRITE_APPEND
    assert config.create_disposition == bigquery.CreateDisposition.CREATE_NEVER
    assert config.schema == SCHEMA


def test_each_new_batch_is_loaded_once(bigquery_project: FakeBigQuery, tiny_log: Settings) -> None:
    files = log_files(tiny_log)

    first = load_new_batches(tiny_log)
    again = load_new_batches(tiny_log)

    assert first.table == "test-project.raw.events"
    assert first.loaded == tuple(path.stem for path in files)
    assert first.events == len(bigquery_project.raw_rows) == sum(pq.read_metadata(p).num_rows for p in files)
    assert (again.loaded, again.events, again.already_loaded) == ((), 0, len(files))
    assert len(bigquery_project.loads) == len(files)
    assert bigquery_project.datasets[0].dataset_id == "raw"
    assert bigquery_project.datasets[0].location == "EU"


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


def test_reading_before_a_prod_build_is_explained(
    bigquery_project: FakeBigQuery, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DBT_TARGET", "prod")

    with pytest.raises(WarehouseError, match=r"no test-project\.analytics\.training_set table: run the"):
        load_training_set()
