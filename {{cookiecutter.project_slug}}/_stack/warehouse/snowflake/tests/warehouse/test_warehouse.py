"""The Snowflake side of the pipeline, offline: a fake connection records the statements a real one would run.

What these tests cannot show is Snowflake's own behaviour (PUT, COPY INTO, key-pair sign-in): the first load
and read against a real account are the proof of those.
"""

import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import snowflake.connector
from snowflake.connector.errors import ProgrammingError

from {{ cookiecutter.module_name }}.log.events import ARROW_TYPES, log_files, retract
from {{ cookiecutter.module_name }}.settings import Settings
from {{ cookiecutter.module_name }}.warehouse.load_raw import (
    COLUMN_TYPES,
    copy_statement,
    load_new_batches,
    put_statement,
)
from {{ cookiecutter.module_name }}.warehouse.production import REQUIRED_VARIABLES, connection_parameters
from {{ cookiecutter.module_name }}.warehouse.raw_tables import (
    RAW_EVENTS,
    RAW_RETRACTIONS,
    file_id,
    pending,
)
from {{ cookiecutter.module_name }}.warehouse.read import load_training_set
from {{ cookiecutter.module_name }}.warehouse.targets import WarehouseError

CREATE = re.compile(r"create table if not exists raw\.(?P<table>\w+) \((?P<columns>.+)\)")
COLUMNS = re.compile(r"select \* from raw\.(?P<table>\w+) limit 0")
ADD_COLUMN = re.compile(r"alter table raw\.(?P<table>\w+) add column (?P<column>\w+) ")
IDS = re.compile(r"select distinct (?P<key>\w+) from raw\.(?P<table>\w+)")
PUT = re.compile(r"put 'file://(?P<path>.+)' @raw\.log_files/(?P<table>\w+)/(?P<id>[^/]+)/ ")
COPY = re.compile(r"copy into raw\.(?P<table>\w+) from @raw\.log_files/(?P=table)/(?P<id>[^/]+)/ ")


class FakeSnowflake:
    """Just enough of a connection: it remembers the statements, and each raw table's columns and rows."""

    def __init__(self) -> None:
        self.statements: list[str] = []
        # Column names as Snowflake stores unquoted names: in upper case.
        self.columns: dict[str, list[str]] = {}
        self.rows: dict[str, list[dict[str, Any]]] = {}
        self.uploaded: dict[tuple[str, str], Path] = {}
        self.training_set: pa.Table | None = None
        self.parameters: dict[str, Any] = {}

    def connect(self, **parameters: Any) -> "FakeSnowflake":
        self.parameters = parameters
        return self

    def cursor(self) -> "FakeCursor":
        return FakeCursor(self)

    def close(self) -> None:
        pass


class FakeCursor:
    def __init__(self, database: FakeSnowflake) -> None:
        self.database = database
        self.rows: list[tuple[Any, ...]] = []
        self.description: list[SimpleNamespace] = []

    def execute(self, statement: str) -> None:
        database = self.database
        database.statements.append(statement)
        self.rows = []
        if create := CREATE.match(statement):
            names = [column.split()[0].upper() for column in create["columns"].split(", ")]
            database.columns.setdefault(create["table"], names)
            database.rows.setdefault(create["table"], [])
        elif columns := COLUMNS.match(statement):
            self.description = [SimpleNamespace(name=name) for name in database.columns[columns["table"]]]
        elif added := ADD_COLUMN.match(statement):
            database.columns[added["table"]].append(added["column"].upper())
        elif ids := IDS.match(statement):
            self.rows = sorted({(row[ids["key"]],) for row in database.rows[ids["table"]]})
        elif put := PUT.match(statement):
            database.uploaded[put["table"], put["id"]] = Path(put["path"])
        elif copy := COPY.match(statement):
            # COPY INTO answers one row per file: file, status, rows parsed, rows loaded, ...
            copied = pq.read_table(database.uploaded.pop((copy["table"], copy["id"]))).to_pylist()
            database.rows[copy["table"]] += copied
            self.rows = [(f"{copy['id']}.parquet", "LOADED", len(copied), len(copied))]
        elif statement.startswith("select * from") and database.training_set is None:
            raise ProgrammingError(msg="Object does not exist or not authorized.", errno=2003)

    def fetchall(self) -> list[tuple[Any, ...]]:
        return self.rows

    def fetch_arrow_all(self, force_return_table: bool) -> pa.Table:
        assert self.database.training_set is not None
        return self.database.training_set

    def close(self) -> None:
        pass


def executed(account: FakeSnowflake, start: str) -> list[str]:
    """The statements sent that begin with ``start``, in order."""
    return [statement for statement in account.statements if statement.startswith(start)]


@pytest.fixture
def snowflake_account(monkeypatch: pytest.MonkeyPatch) -> FakeSnowflake:
    """Credentials in the environment, as in production, and a fake account behind the connector."""
    for name in REQUIRED_VARIABLES:
        monkeypatch.setenv(name, f"test-{name.lower()}")
    monkeypatch.delenv("SNOWFLAKE_PRIVATE_KEY_PASSPHRASE", raising=False)
    for name in ("DBT_SCHEMA", "DBT_RAW_SCHEMA"):
        monkeypatch.delenv(name, raising=False)
    account = FakeSnowflake()
    monkeypatch.setattr(snowflake.connector, "connect", account.connect)
    return account


def test_only_files_not_loaded_yet_are_pending_in_the_logs_order() -> None:
    files = [Path("ingest_date=2025-01-07/day-1.parquet"), Path("ingest_date=2025-01-08/day-2.parquet")]

    assert pending(files, {"day-1"}) == [files[1]]
    assert pending(files, {"day-1", "day-2"}) == []


def test_every_type_a_raw_table_may_hold_has_a_snowflake_type() -> None:
    # Whatever the contract declares (text, timestamp, integer, number), and the log's own columns.
    types = {*ARROW_TYPES.values(), *RAW_EVENTS.columns.types, *RAW_RETRACTIONS.columns.types}

    assert types <= COLUMN_TYPES.keys()


def test_each_new_batch_and_retraction_is_uploaded_and_copied_once(
    snowflake_account: FakeSnowflake, tiny_log: Settings
) -> None:
    files = log_files(tiny_log)
    retraction = retract(file_id(files[1]), reason="a replayed day", settings=tiny_log)

    first = load_new_batches(tiny_log)
    again = load_new_batches(tiny_log)

    events = sum(pq.read_metadata(path).num_rows for path in files)
    assert (first.events.loaded, first.events.rows) == (tuple(map(file_id, files)), events)
    assert first.retractions.loaded == (file_id(retraction),)
    assert str(first) == (
        f"loaded {len(files)} batches ({events:,} events) into raw.events; 0 were already there\n"
        "loaded 1 retraction into raw.retractions; 0 were already there"
    )
    assert (again.events.loaded, again.events.rows, again.events.already_loaded) == ((), 0, len(files))
    assert (again.retractions.loaded, again.retractions.already_loaded) == ((), 1)
    assert len(snowflake_account.rows["events"]) == events
    assert snowflake_account.rows["retractions"] == pq.read_table(retraction).to_pylist()
    copied_into = [copy.split()[2] for copy in executed(snowflake_account, "copy into")]
    # The retraction first: the retracted batch is never in the warehouse without it.
    assert copied_into == ["raw.retractions"] + ["raw.events"] * len(files)


def test_the_raw_tables_are_shaped_like_the_log_and_made_without_any_retraction(
    snowflake_account: FakeSnowflake, tiny_log: Settings
) -> None:
    result = load_new_batches(tiny_log)

    assert result.retractions.loaded == ()
    assert executed(snowflake_account, "create table") == [
        "create table if not exists raw.retractions (retraction_id varchar, batch_id varchar, "
        "event_id varchar, reason varchar, retracted_at timestamp_ntz)",
        "create table if not exists raw.events ("
        + ", ".join(f"{field.name} {COLUMN_TYPES[field.type]}" for field in RAW_EVENTS.columns)
        + ")",
    ]
    assert "create temporary stage if not exists raw.log_files" in snowflake_account.statements


def test_a_field_the_contract_gained_becomes_a_column(
    snowflake_account: FakeSnowflake, tiny_log: Settings
) -> None:
    # A table made before the log had extras.
    before = [name.upper() for name in RAW_EVENTS.columns.names if name != "extras"]
    snowflake_account.columns["events"] = before

    load_new_batches(tiny_log)
    load_new_batches(tiny_log)

    assert executed(snowflake_account, "alter table") == ["alter table raw.events add column extras varchar"]


def test_put_and_copy_handle_exactly_one_file(tmp_path: Path) -> None:
    path = tmp_path / "it's here" / "day-1.parquet"

    put = put_statement(path, "raw", RAW_EVENTS)
    copy = copy_statement(path, "raw", RAW_EVENTS)

    assert put == (
        f"put 'file://{tmp_path.as_posix()}/it\\'s here/day-1.parquet' @raw.log_files/events/day-1/ "
        "auto_compress = false overwrite = true"
    )
    assert copy.startswith("copy into raw.events from @raw.log_files/events/day-1/ ")
    assert "use_logical_type = true" in copy
    assert "on_error = abort_statement" in copy
    assert copy_statement(path, "raw", RAW_RETRACTIONS).startswith(
        "copy into raw.retractions from @raw.log_files/retractions/day-1/ "
    )


def test_the_connection_uses_the_key_pair_and_sends_no_telemetry(snowflake_account: FakeSnowflake) -> None:
    parameters = connection_parameters()

    assert parameters["private_key_file"] == "test-snowflake_private_key_path"
    assert parameters["private_key_file_pwd"] is None
    assert "password" not in parameters
    assert parameters["session_parameters"] == {"CLIENT_TELEMETRY_ENABLED": False}


def test_missing_credentials_are_named(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in REQUIRED_VARIABLES:
        monkeypatch.delenv(name, raising=False)

    with pytest.raises(WarehouseError, match=r"^SNOWFLAKE_ACCOUNT, SNOWFLAKE_USER, .* not set"):
        connection_parameters()


def test_a_schema_name_that_is_not_plain_is_refused(
    snowflake_account: FakeSnowflake, tiny_log: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DBT_RAW_SCHEMA", "raw; drop table events")

    with pytest.raises(WarehouseError, match="DBT_RAW_SCHEMA='raw; drop table events' is not a plain"):
        load_new_batches(tiny_log)
    assert snowflake_account.statements == []


def test_prod_reads_the_training_set_with_the_contracts_names(
    snowflake_account: FakeSnowflake, training_frame: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DBT_TARGET", "prod")
    snowflake_account.training_set = pa.Table.from_pandas(
        training_frame.rename(columns=str.upper), preserve_index=False
    )

    frame = load_training_set()

    assert snowflake_account.statements == ["select * from analytics.training_set order by session_id"]
    pd.testing.assert_frame_equal(frame, training_frame)


def test_reading_before_a_prod_build_is_explained(
    snowflake_account: FakeSnowflake, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DBT_TARGET", "prod")

    with pytest.raises(WarehouseError, match=r"no analytics\.training_set table: run the transform stage"):
        load_training_set()
