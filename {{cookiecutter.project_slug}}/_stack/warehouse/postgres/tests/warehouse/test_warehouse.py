"""The Postgres side of the pipeline that needs no server: which files load, the CSV COPY reads, errors.

Loading a log and its retractions into a live server, building the prod target there and reading the training
set back are tested by the template this project was generated from, against a throwaway PostgreSQL server.
"""

import io
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pytest

from {{ cookiecutter.module_name }}.log.events import ARROW_TYPES, log_files, retract
from {{ cookiecutter.module_name }}.settings import Settings
from {{ cookiecutter.module_name }}.warehouse.load_raw import (
    COLUMN_TYPES,
    load_new_batches,
    missing_columns,
    write_csv,
)
from {{ cookiecutter.module_name }}.warehouse.production import REQUIRED_VARIABLES, connect
from {{ cookiecutter.module_name }}.warehouse.raw_tables import (
    RAW_EVENTS,
    RAW_RETRACTIONS,
    Appended,
    LoadResult,
    file_id,
    pending,
)
from {{ cookiecutter.module_name }}.warehouse.read import load_training_set
from {{ cookiecutter.module_name }}.warehouse.targets import WarehouseError

# Values COPY must read back exactly, by type: nulls, empty text, quotes, commas, line breaks, the extremes.
HOSTILE_VALUES: dict[pa.DataType, list[Any]] = {
    pa.string(): [None, "", 'p"1"', "home, garden\nand more", '{"qty": 2, "note": "a \\"b\\""}'],
    pa.timestamp("us"): [
        None,
        datetime(2025, 1, 6, 8, 12, 33, 123456),
        datetime(2000, 1, 1),
        datetime(2025, 1, 6, 23, 59, 59),
        datetime(2099, 12, 31),
    ],
    pa.int64(): [None, 0, -(2**63), 2**63 - 1, 42],
    pa.float64(): [None, 0.1 + 0.2, 1e300, -0.0, 5e-324],
}
EVERY_TYPE = pa.schema([(f"column_{number}", type_) for number, type_ in enumerate(COLUMN_TYPES)])


@pytest.fixture
def no_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in REQUIRED_VARIABLES:
        monkeypatch.delenv(name, raising=False)


def test_only_files_not_loaded_yet_are_pending_in_the_logs_order() -> None:
    files = [
        Path("ingest_date=2025-01-07/day-1.parquet"),
        Path("ingest_date=2025-01-08/day-2.parquet"),
        Path("ingest_date=2025-01-08/retry-2.parquet"),
    ]

    assert pending(files, set()) == files
    assert pending(files, {"day-2"}) == [files[0], files[2]]
    assert pending(files, {"day-1", "day-2", "retry-2"}) == []


def test_a_retraction_file_is_named_after_the_retraction_it_holds(tiny_log: Settings) -> None:
    batch = file_id(log_files(tiny_log)[0])

    path = Path(retract(batch, reason="sent twice by mistake", settings=tiny_log))

    assert pq.read_table(path)["retraction_id"].unique().to_pylist() == [file_id(path)]
    assert pending([path], {file_id(path)}) == []


def test_every_type_a_raw_table_may_hold_has_a_postgres_type() -> None:
    # Whatever the contract declares (text, timestamp, integer, number), and the log's own columns.
    types = {*ARROW_TYPES.values(), *RAW_EVENTS.columns.types, *RAW_RETRACTIONS.columns.types}

    assert types <= COLUMN_TYPES.keys()


def test_a_field_the_contract_gained_becomes_a_column() -> None:
    names = RAW_EVENTS.columns.names

    assert missing_columns(RAW_EVENTS, names) == []
    assert missing_columns(RAW_EVENTS, [name for name in names if name != "extras"]) == [
        RAW_EVENTS.columns.field("extras")
    ]


@pytest.mark.parametrize(
    "columns",
    [RAW_EVENTS.columns, RAW_RETRACTIONS.columns, EVERY_TYPE],
    ids=["events", "retractions", "every-type"],
)
def test_the_csv_copy_reads_holds_the_log_file_exactly(tmp_path: Path, columns: pa.Schema) -> None:
    logged = pa.table({field.name: HOSTILE_VALUES[field.type] for field in columns}, schema=columns)
    pq.write_table(logged, tmp_path / "b1.parquet")
    csv = io.BytesIO()

    write_csv(tmp_path / "b1.parquet", columns, csv)

    # Read back the way COPY ... (format csv) reads: "" is an empty string, an empty field is null.
    copied = pa_csv.read_csv(
        io.BytesIO(csv.getvalue()),
        read_options=pa_csv.ReadOptions(column_names=columns.names),
        convert_options=pa_csv.ConvertOptions(
            column_types=columns, strings_can_be_null=True, quoted_strings_can_be_null=False
        ),
    )
    assert copied.equals(logged)


def test_a_load_says_what_it_copied_into_each_table() -> None:
    result = LoadResult(
        Appended("raw.events", ("day-1", "day-2"), 12_345, 1),
        Appended("raw.retractions", ("day-1-0123456789abcdef",), 1, 0),
    )

    assert str(result) == (
        "loaded 2 batches (12,345 events) into raw.events; 1 was already there\n"
        "loaded 1 retraction into raw.retractions; 0 were already there"
    )


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
