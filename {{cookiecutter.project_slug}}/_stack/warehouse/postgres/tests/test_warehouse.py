"""The Postgres side of the pipeline that needs no server: which batches load, the CSV COPY reads, errors.

Loading a log into a live server, building the prod target there and reading the training set back are tested
by the template this project was generated from, against a throwaway PostgreSQL server.
"""

import io
from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pytest

from {{ cookiecutter.module_name }}.event_log import LOG_SCHEMA
from {{ cookiecutter.module_name }}.load_raw import (
    COLUMN_TYPES,
    load_new_batches,
    write_csv,
)
from {{ cookiecutter.module_name }}.production import REQUIRED_VARIABLES, connect
from {{ cookiecutter.module_name }}.settings import Settings
from {{ cookiecutter.module_name }}.warehouse import WarehouseError, load_training_set, pending


@pytest.fixture
def no_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in REQUIRED_VARIABLES:
        monkeypatch.delenv(name, raising=False)


def test_only_batches_not_loaded_yet_are_pending_in_the_logs_order() -> None:
    files = [
        Path("ingest_date=2025-01-07/day-1.parquet"),
        Path("ingest_date=2025-01-08/day-2.parquet"),
        Path("ingest_date=2025-01-08/retry-2.parquet"),
    ]

    assert pending(files, set()) == files
    assert pending(files, {"day-2"}) == [files[0], files[2]]
    assert pending(files, {"day-1", "day-2", "retry-2"}) == []


def test_every_log_column_has_a_postgres_type() -> None:
    assert {field.type for field in LOG_SCHEMA} <= COLUMN_TYPES.keys()


def test_the_csv_copy_reads_holds_the_log_file_exactly(tmp_path: Path) -> None:
    rows = {
        "event_id": ["e1", "e2"],
        "event_time": [datetime(2025, 1, 6, 8, 12, 33, 123456), datetime(2025, 1, 6, 23, 59, 59)],
        "ingest_time": [datetime(2025, 1, 7, 1), datetime(2025, 1, 7, 1)],
        "source": ["web", "web"],
        "batch_id": ["b1", "b1"],
        "session_id": ["s1", "s1"],
        "user_id": ["u1", "u1"],
        "event_type": ["pageview", "detail"],
        # A missing product is null; an empty category, quotes, commas and line breaks are text.
        "product_id": [None, 'p"1"'],
        "category": ["", "home, garden\nand more"],
        "price": [None, 0.1 + 0.2],
    }
    logged = pa.table(rows, schema=LOG_SCHEMA)
    pq.write_table(logged, tmp_path / "b1.parquet")
    csv = io.BytesIO()

    write_csv(tmp_path / "b1.parquet", csv)

    # Read back the way COPY ... (format csv) reads: "" is an empty string, an empty field is null.
    copied = pa_csv.read_csv(
        io.BytesIO(csv.getvalue()),
        read_options=pa_csv.ReadOptions(column_names=LOG_SCHEMA.names),
        convert_options=pa_csv.ConvertOptions(
            column_types=LOG_SCHEMA, strings_can_be_null=True, quoted_strings_can_be_null=False
        ),
    )
    assert copied.equals(logged)


def test_missing_credentials_are_named(no_credentials: None) -> None:
    with pytest.raises(WarehouseError, match="PGHOST, PGUSER, PGPASSWORD, PGDATABASE not set"):
        connect()


def test_reading_prod_needs_the_prod_credentials(
    no_credentials: None, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DBT_TARGET", "prod")

    with pytest.raises(WarehouseError, match="use DBT_TARGET=dev for the local warehouse"):
        load_training_set(settings)


def test_an_unreachable_server_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    # Nothing listens on port 1 of this machine: the connection is refused at once.
    unreachable = {"PGHOST": "127.0.0.1", "PGPORT": "1", "PGUSER": "u", "PGPASSWORD": "p", "PGDATABASE": "w"}
    for name, value in unreachable.items():
        monkeypatch.setenv(name, value)

    with pytest.raises(WarehouseError, match=r"^cannot connect to Postgres: [^\n]+$"):
        connect()


def test_loading_an_empty_log_is_explained(settings: Settings) -> None:
    with pytest.raises(WarehouseError, match=r"event log .* is empty"):
        load_new_batches(settings)
