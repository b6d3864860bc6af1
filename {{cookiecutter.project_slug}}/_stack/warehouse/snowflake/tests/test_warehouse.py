"""The Snowflake side of the pipeline, offline: a fake connection records the statements a real one would run.

What these tests cannot show is Snowflake's own behaviour (PUT, COPY INTO, key-pair sign-in): the first load
and read against a real account are the proof of those.
"""

import re
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import snowflake.connector
from snowflake.connector.errors import ProgrammingError

from {{ cookiecutter.module_name }}.event_log import LOG_SCHEMA, log_files
from {{ cookiecutter.module_name }}.load_raw import (
    COLUMN_TYPES,
    copy_statement,
    load_new_batches,
    put_statement,
)
from {{ cookiecutter.module_name }}.production import REQUIRED_VARIABLES, connection_parameters
from {{ cookiecutter.module_name }}.settings import Settings
from {{ cookiecutter.module_name }}.warehouse import WarehouseError, load_training_set, pending

PUT = re.compile(r"put 'file://(?P<path>.+)' @raw\.log_batches/(?P<batch>[^/]+)/ ")
COPY = re.compile(r"copy into raw\.events from @raw\.log_batches/(?P<batch>[^/]+)/ ")


class FakeSnowflake:
    """Just enough of a connection: it remembers the statements, and which batches its raw table holds."""

    def __init__(self) -> None:
        self.statements: list[str] = []
        self.batches: set[str] = set()
        self.uploaded: dict[str, Path] = {}
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

    def execute(self, statement: str) -> None:
        self.database.statements.append(statement)
        self.rows = []
        if statement.startswith("select distinct batch_id"):
            self.rows = [(batch,) for batch in sorted(self.database.batches)]
        elif put := PUT.match(statement):
            self.database.uploaded[put["batch"]] = Path(put["path"])
        elif copy := COPY.match(statement):
            # COPY INTO answers one row per file: file, status, rows parsed, rows loaded, ...
            rows = pq.read_metadata(self.database.uploaded.pop(copy["batch"])).num_rows
            self.database.batches.add(copy["batch"])
            self.rows = [(f"{copy['batch']}.parquet", "LOADED", rows, rows)]
        elif statement.startswith("select * from") and self.database.training_set is None:
            raise ProgrammingError(msg="Object does not exist or not authorized.", errno=2003)

    def fetchall(self) -> list[tuple[Any, ...]]:
        return self.rows

    def fetch_arrow_all(self, force_return_table: bool) -> pa.Table:
        assert self.database.training_set is not None
        return self.database.training_set

    def close(self) -> None:
        pass


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


def test_only_batches_not_loaded_yet_are_pending_in_the_logs_order() -> None:
    files = [Path("ingest_date=2025-01-07/day-1.parquet"), Path("ingest_date=2025-01-08/day-2.parquet")]

    assert pending(files, {"day-1"}) == [files[1]]
    assert pending(files, {"day-1", "day-2"}) == []


def test_every_log_column_has_a_snowflake_type() -> None:
    assert {field.type for field in LOG_SCHEMA} <= COLUMN_TYPES.keys()


def test_each_new_batch_is_uploaded_and_copied_once(
    snowflake_account: FakeSnowflake, tiny_log: Settings
) -> None:
    files = log_files(tiny_log)

    first = load_new_batches(tiny_log)
    again = load_new_batches(tiny_log)

    assert first.loaded == tuple(path.stem for path in files)
    assert first.events == sum(pq.read_metadata(path).num_rows for path in files)
    assert (again.loaded, again.events, again.already_loaded) == ((), 0, len(files))
    assert snowflake_account.statements[:3] == [
        "create schema if not exists raw",
        "create table if not exists raw.events (event_id varchar, event_time timestamp_ntz, "
        "ingest_time timestamp_ntz, source varchar, batch_id varchar, session_id varchar, user_id varchar, "
        "event_type varchar, product_id varchar, category varchar, price float)",
        "create temporary stage if not exists raw.log_batches",
    ]
    copies = [statement for statement in snowflake_account.statements if statement.startswith("copy into")]
    assert len(copies) == len(files)


def test_put_and_copy_handle_exactly_one_batch_file(tmp_path: Path) -> None:
    path = tmp_path / "it's here" / "day-1.parquet"

    put = put_statement(path, "raw")
    copy = copy_statement(path, "raw")

    assert put == f"put 'file://{tmp_path.as_posix()}/it\\'s here/day-1.parquet' @raw.log_batches/day-1/ " + (
        "auto_compress = false overwrite = true"
    )
    assert copy.startswith("copy into raw.events from @raw.log_batches/day-1/ ")
    assert "use_logical_type = true" in copy
    assert "on_error = abort_statement" in copy


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
