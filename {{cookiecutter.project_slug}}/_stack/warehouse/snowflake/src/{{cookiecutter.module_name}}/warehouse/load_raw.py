"""Copy the event log's new batches and retractions into Snowflake, where dbt's prod target reads them.

``raw.events`` is the log's copy and ``raw.retractions`` the copy of its corrections; both are append-only
like the log. Each file (a batch, or a retraction) goes as it is to a temporary stage (PUT) and into its table
with one COPY INTO, which is atomic: a file is in its table whole or not at all. A file already there is
skipped, so loading again adds nothing. Nothing here cleans, deduplicates or leaves out retracted events; that
stays in dbt, which reads these tables on Snowflake exactly as it reads the log files on DuckDB. A field the
contract gains becomes a new column, null in the rows loaded before, as it is in older log files.

Run one loader at a time: Snowflake has no table lock that would make a second loader wait and skip what the
first one loaded. (A batch loaded twice would still count once in the models, which keep each event once.)

tests/warehouse/test_warehouse.py runs every statement here against fakesnow, a Snowflake emulator behind
the real connector: the upload, the copy, the added column, loading again. What only a real account shows
(key-pair sign-in, roles and grants, Snowflake's COPY beyond the emulator's), the first real `make load-raw`
shows.
"""

from collections.abc import Collection
from contextlib import closing
from pathlib import Path

import pyarrow as pa
from snowflake.connector.cursor import SnowflakeCursor
from snowflake.connector.errors import DatabaseError

from ..log.events import retraction_files
from ..settings import Settings
from .production import connect, raw_schema
from .raw_tables import (
    RAW_EVENTS,
    RAW_RETRACTIONS,
    Appended,
    LoadResult,
    RawTable,
    file_id,
    files_to_load,
    load_failed,
    load_raw_main,
    pending,
)

# The log's Arrow types in Snowflake: every type the contract's fields can have, and the envelope's. Times
# stay naive UTC, as in the log files.
COLUMN_TYPES = {
    pa.string(): "varchar",
    pa.timestamp("us"): "timestamp_ntz",
    pa.int64(): "bigint",
    pa.float64(): "float",
}
# Dropped by Snowflake when the session ends, so a failed load leaves nothing behind.
STAGE = "log_files"


def create_statements(schema: str, table: RawTable) -> list[str]:
    """The raw schema, the table shaped like its log files, and the session's stage for uploads."""
    return [
        f"create schema if not exists {schema}",
        f"create table if not exists {schema}.{table.name} ({', '.join(map(_column, table.columns))})",
        f"create temporary stage if not exists {schema}.{STAGE}",
    ]


def add_column_statements(schema: str, table: RawTable, present: Collection[str]) -> list[str]:
    """A column for each field of the log files the table lacks: the contract gained it after the table was
    made. Rows loaded before read null there, as older log files do on DuckDB."""
    # Snowflake answers with the names folded to upper case, as it stores unquoted names.
    folded = {name.lower() for name in present}
    return [
        f"alter table {schema}.{table.name} add column {_column(field)}"
        for field in table.columns
        if field.name.lower() not in folded
    ]


def _column(field: pa.Field) -> str:
    return f"{field.name} {COLUMN_TYPES[field.type]}"


def put_statement(path: Path, schema: str, table: RawTable) -> str:
    """Upload one log file as it is, into a folder of the stage named after its table and its id."""
    # Escaped the way the connector's own write_pandas escapes the files it uploads.
    location = path.resolve().as_posix().replace("\\", "\\\\").replace("'", "\\'")
    folder = _stage_folder(path, schema, table)
    return f"put 'file://{location}' {folder} auto_compress = false overwrite = true"


def copy_statement(path: Path, schema: str, table: RawTable) -> str:
    """Copy that one file into its raw table, matching columns by name; Parquet's types keep times exact."""
    return (
        f"copy into {schema}.{table.name} from {_stage_folder(path, schema, table)} "
        "file_format = (type = parquet use_logical_type = true) "
        "match_by_column_name = case_insensitive on_error = abort_statement purge = true"
    )


def _stage_folder(path: Path, schema: str, table: RawTable) -> str:
    return f"@{schema}.{STAGE}/{table.name}/{file_id(path)}/"


def load_new_batches(settings: Settings | None = None) -> LoadResult:
    """Copy every log batch and every retraction that is not in its raw table yet, one COPY INTO each."""
    settings = settings or Settings()
    batches, retractions = files_to_load(settings), retraction_files(settings)
    schema = raw_schema()
    with closing(connect()) as database, closing(database.cursor()) as cursor:
        # Retractions first: a batch retracted before its first load is never in the warehouse without them.
        retracted = _append_new(cursor, schema, RAW_RETRACTIONS, retractions)
        return LoadResult(_append_new(cursor, schema, RAW_EVENTS, batches), retracted)


def _append_new(cursor: SnowflakeCursor, schema: str, table: RawTable, files: list[Path]) -> Appended:
    """Create the table if needed, then copy each of these files it does not hold yet."""
    name = f"{schema}.{table.name}"
    loaded: list[str] = []
    rows = 0
    try:
        for path in pending(files, _prepare(cursor, schema, table)):
            cursor.execute(put_statement(path, schema, table))
            cursor.execute(copy_statement(path, schema, table))
            # One row per file copied: file, status, rows parsed, rows loaded, ...
            rows += sum(int(row[3]) for row in cursor.fetchall())
            loaded.append(file_id(path))
    except DatabaseError as error:
        raise load_failed(name, error) from error
    return Appended(name, tuple(loaded), rows, len(files) - len(loaded))


def _prepare(cursor: SnowflakeCursor, schema: str, table: RawTable) -> set[str]:
    """Create the raw table, or add the columns it lacks; returns the ids of the files it already holds."""
    name = f"{schema}.{table.name}"
    for statement in create_statements(schema, table):
        cursor.execute(statement)
    cursor.execute(f"select * from {name} limit 0")  # noqa: S608 (checked names)
    for statement in add_column_statements(schema, table, [column.name for column in cursor.description]):
        cursor.execute(statement)
    cursor.execute(f"select distinct {table.key} from {name}")  # noqa: S608 (checked names)
    return {row[0] for row in cursor.fetchall()}


def main(argv: list[str] | None = None) -> None:
    load_raw_main(load_new_batches, __doc__.splitlines()[0], argv)


if __name__ == "__main__":
    main()
