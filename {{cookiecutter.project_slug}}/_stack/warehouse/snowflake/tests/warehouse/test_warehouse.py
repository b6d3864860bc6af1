"""The Snowflake side of the pipeline, run against fakesnow: a Snowflake emulator (over DuckDB) behind the
real connector, which runs the loader's own statements (PUT to a stage, COPY INTO, ALTER TABLE), dbt's prod
build (dbt-snowflake's SQL) and the production read.

What these tests cannot show is what only a real account does: key-pair sign-in, roles and grants, and the
load history that makes Snowflake's own COPY skip files (the loader skips them itself, by batch id).
"""

from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import fakesnow
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from fakesnow.cursor import FakeSnowflakeCursor

from {{ cookiecutter.module_name }}.log.events import ARROW_TYPES, log_files, retract
from {{ cookiecutter.module_name }}.settings import Settings
from {{ cookiecutter.module_name }}.warehouse.load_raw import (
    COLUMN_TYPES,
    copy_statement,
    load_new_batches,
    put_statement,
)
from {{ cookiecutter.module_name }}.warehouse.production import (
    ADDRESS_VARIABLES,
    REQUIRED_VARIABLES,
    connect,
    connection_parameters,
)
from {{ cookiecutter.module_name }}.warehouse.raw_tables import (
    RAW_EVENTS,
    RAW_RETRACTIONS,
    file_id,
    pending,
)
from {{ cookiecutter.module_name }}.warehouse.read import load_training_set
from {{ cookiecutter.module_name }}.warehouse.targets import WarehouseError
from {{ cookiecutter.module_name }}.warehouse.transform import build


@pytest.fixture
def snowflake_account(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Credentials in the environment, as in production, and an empty emulated account behind them."""
    for name in REQUIRED_VARIABLES:
        monkeypatch.setenv(name, f"test-{name.lower()}")
    monkeypatch.setenv("SNOWFLAKE_DATABASE", "analytics_db")
    monkeypatch.delenv("SNOWFLAKE_PRIVATE_KEY_PASSPHRASE", raising=False)
    for name in ("DBT_SCHEMA", "DBT_RAW_SCHEMA", *ADDRESS_VARIABLES.values()):
        monkeypatch.delenv(name, raising=False)
    # fakesnow 0.12 lacks the connector's fetch_arrow_all, which production.py reads with (the connector's
    # pandas helpers require pandas < 3): the same rows, from the emulator's own answer as a DataFrame.
    monkeypatch.setattr(FakeSnowflakeCursor, "fetch_arrow_all", _fetch_arrow_all, raising=False)
    with fakesnow.patch():
        yield


def _fetch_arrow_all(cursor: FakeSnowflakeCursor, force_return_table: bool = False) -> pa.Table:
    return pa.Table.from_pandas(cursor.fetch_pandas_all(), preserve_index=False)


def query(statement: str) -> list[tuple[Any, ...]]:
    """What the account answers, through the same connection the code under test opens."""
    with closing(connect()) as database, closing(database.cursor()) as cursor:
        cursor.execute(statement)
        rows: list[tuple[Any, ...]] = cursor.fetchall()
    return rows


def create_table(name: str, schema: pa.Schema) -> None:
    """A table (and its schema) shaped like ``schema``, made the way a loader or a dbt build would."""
    types = {**COLUMN_TYPES, pa.large_string(): "varchar", pa.int32(): "integer", pa.bool_(): "boolean"}
    query(f"create schema if not exists {name.split('.')[0]}")
    query(f"create table {name} ({', '.join(f'{field.name} {types[field.type]}' for field in schema)})")


def columns(table: str) -> list[str]:
    with closing(connect()) as database, closing(database.cursor()) as cursor:
        cursor.execute(f"select * from {table} limit 0")  # noqa: S608 (the tests' own names)
        return [column.name for column in cursor.description]


def test_only_files_not_loaded_yet_are_pending_in_the_logs_order() -> None:
    files = [Path("ingest_date=2025-01-07/day-1.parquet"), Path("ingest_date=2025-01-08/day-2.parquet")]

    assert pending(files, {"day-1"}) == [files[1]]
    assert pending(files, {"day-1", "day-2"}) == []


def test_every_type_a_raw_table_may_hold_has_a_snowflake_type() -> None:
    # Whatever the contract declares (text, timestamp, integer, number), and the log's own columns.
    types = {*ARROW_TYPES.values(), *RAW_EVENTS.columns.types, *RAW_RETRACTIONS.columns.types}

    assert types <= COLUMN_TYPES.keys()


@pytest.mark.usefixtures("snowflake_account")
def test_each_new_batch_and_retraction_is_copied_once(tiny_log: Settings) -> None:
    files = log_files(tiny_log)
    retraction = Path(retract(file_id(files[1]), reason="a replayed day", settings=tiny_log))

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
    assert query("select count(*), count(distinct batch_id) from raw.events") == [(events, len(files))]
    retracted = pq.read_table(retraction).to_pylist()
    assert query("select retraction_id, batch_id, reason from raw.retractions") == [
        (row["retraction_id"], row["batch_id"], row["reason"]) for row in retracted
    ]


@pytest.mark.usefixtures("snowflake_account")
def test_the_raw_tables_are_shaped_like_the_log_and_keep_its_values(tiny_log: Settings) -> None:
    result = load_new_batches(tiny_log)

    assert result.retractions.loaded == ()
    assert columns("raw.retractions") == [name.upper() for name in RAW_RETRACTIONS.columns.names]
    assert columns("raw.events") == [name.upper() for name in RAW_EVENTS.columns.names]
    first = pq.read_table(log_files(tiny_log)[0]).to_pylist()[0]
    names = ", ".join(RAW_EVENTS.columns.names)
    [loaded] = query(f"select {names} from raw.events where event_id = '{first['event_id']}'")  # noqa: S608
    assert dict(zip(RAW_EVENTS.columns.names, loaded, strict=True)) == first


@pytest.mark.usefixtures("snowflake_account")
def test_a_field_the_contract_gained_becomes_a_column(tiny_log: Settings) -> None:
    # A table made before the log had extras.
    create_table("raw.events", pa.schema([field for field in RAW_EVENTS.columns if field.name != "extras"]))

    load_new_batches(tiny_log)
    load_new_batches(tiny_log)

    assert columns("raw.events")[-1] == "EXTRAS"
    events = sum(pq.read_metadata(path).num_rows for path in log_files(tiny_log))
    assert query("select count(*) from raw.events") == [(events,)]


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


@pytest.mark.usefixtures("snowflake_account")
def test_the_connection_uses_the_key_pair_and_sends_no_telemetry() -> None:
    parameters = connection_parameters()

    assert parameters["private_key_file"] == "test-snowflake_private_key_path"
    assert parameters["private_key_file_pwd"] is None
    assert "password" not in parameters
    assert parameters["session_parameters"] == {"CLIENT_TELEMETRY_ENABLED": False}
    # The connector derives the account's own host only when it is given no host at all.
    assert not {"host", "port", "protocol"} & parameters.keys()


@pytest.mark.usefixtures("snowflake_account")
def test_a_host_port_and_protocol_set_in_the_environment_are_where_it_connects(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SNOWFLAKE_HOST", "127.0.0.1")
    monkeypatch.setenv("SNOWFLAKE_PORT", "8090")
    monkeypatch.setenv("SNOWFLAKE_PROTOCOL", "http")

    parameters = connection_parameters()

    assert (parameters["host"], parameters["port"], parameters["protocol"]) == ("127.0.0.1", 8090, "http")
    monkeypatch.setenv("SNOWFLAKE_PORT", "eighty")
    with pytest.raises(WarehouseError, match="SNOWFLAKE_PORT='eighty' is not a port number"):
        connection_parameters()


def test_missing_credentials_are_named(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in REQUIRED_VARIABLES:
        monkeypatch.delenv(name, raising=False)

    with pytest.raises(WarehouseError, match=r"^SNOWFLAKE_ACCOUNT, SNOWFLAKE_USER, .* not set"):
        connection_parameters()


@pytest.mark.usefixtures("snowflake_account")
def test_a_schema_name_that_is_not_plain_is_refused(
    tiny_log: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DBT_RAW_SCHEMA", "raw; drop table events")

    with pytest.raises(WarehouseError, match="DBT_RAW_SCHEMA='raw; drop table events' is not a plain"):
        load_new_batches(tiny_log)
    assert query("select count(*) from information_schema.schemata where schema_name = 'RAW'") == [(0,)]


@pytest.mark.usefixtures("snowflake_account")
def test_prod_reads_the_training_set_with_the_contracts_names(
    training_frame: pd.DataFrame, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # The training set as a prod build leaves it: a table in the analytics schema, loaded here from Parquet.
    table = pa.Table.from_pandas(training_frame, preserve_index=False)
    pq.write_table(table, tmp_path / "training_set.parquet")
    create_table("analytics.training_set", table.schema)
    query("create temporary stage analytics.upload")
    query(f"put 'file://{tmp_path.as_posix()}/training_set.parquet' @analytics.upload/ auto_compress = false")
    query(
        "copy into analytics.training_set from @analytics.upload/ file_format = (type = parquet "
        "use_logical_type = true) match_by_column_name = case_insensitive"
    )
    monkeypatch.setenv("DBT_TARGET", "prod")

    frame = load_training_set()

    pd.testing.assert_frame_equal(frame, training_frame, check_dtype=False)


@pytest.mark.slow
@pytest.mark.usefixtures("snowflake_account")
def test_the_prod_build_on_snowflake_gives_the_training_set_the_dev_build_gives(
    tiny_log: Settings, training_frame: pd.DataFrame, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The whole way to production: the log loaded, dbt-snowflake's build, the training set read."""
    # dbt-snowflake reads the key itself before it connects: a real key, which the emulator never checks.
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    (tmp_path / "key.p8").write_bytes(pem)
    monkeypatch.setenv("SNOWFLAKE_PRIVATE_KEY_PATH", str(tmp_path / "key.p8"))

    load_new_batches(tiny_log)
    result = build(tiny_log, target="prod")
    monkeypatch.setenv("DBT_TARGET", "prod")

    assert result.passed.startswith("dbt build passed")
    pd.testing.assert_frame_equal(load_training_set(), training_frame, check_dtype=False)


@pytest.mark.usefixtures("snowflake_account")
def test_reading_before_a_prod_build_is_explained(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DBT_TARGET", "prod")

    with pytest.raises(WarehouseError, match=r"no analytics\.training_set table: run the transform stage"):
        load_training_set()
