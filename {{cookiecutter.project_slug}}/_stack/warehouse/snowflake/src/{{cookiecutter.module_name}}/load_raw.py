"""Copy the event log's new batches into Snowflake, where dbt's prod target reads them: ``raw.events``.

The raw table is the log's copy and is append-only like the log. Each batch's own Parquet file goes to a
temporary stage (PUT) and into the table with one COPY INTO, which is atomic: a batch is in the table whole or
not at all. A batch already there is skipped, so loading again adds nothing. Nothing here cleans or
deduplicates events; that stays in dbt, which reads this table on Snowflake exactly as it reads the log files
on DuckDB.

Run one loader at a time: Snowflake has no table lock that would make a second loader wait and skip what the
first one loaded. (A batch loaded twice would still count once in the models, which keep each event once.)

Not yet run against a real Snowflake account: the template this repository came from has none to test with.
tests/test_warehouse.py checks which batches are chosen and the statements sent, with a fake connection;
the first `make load-raw` with real credentials is the first real run.
"""

from contextlib import closing
from pathlib import Path

import pyarrow as pa
from snowflake.connector.errors import DatabaseError

from .event_log import LOG_SCHEMA, batch_of
from .production import connect, raw_schema
from .settings import Settings
from .warehouse import LoadResult, files_to_load, load_failed, load_raw_main, pending

# The log's Arrow types in Snowflake. Times stay naive UTC, as in the log files.
COLUMN_TYPES = {pa.string(): "varchar", pa.timestamp("us"): "timestamp_ntz", pa.float64(): "float"}
# Dropped by Snowflake when the session ends, so a failed load leaves nothing behind.
STAGE = "log_batches"


def create_statements(schema: str) -> list[str]:
    """The raw schema, its table shaped like the log, and the session's stage for uploads."""
    columns = ", ".join(f"{field.name} {COLUMN_TYPES[field.type]}" for field in LOG_SCHEMA)
    return [
        f"create schema if not exists {schema}",
        f"create table if not exists {schema}.events ({columns})",
        f"create temporary stage if not exists {schema}.{STAGE}",
    ]


def put_statement(path: Path, schema: str) -> str:
    """Upload one log file as it is, into a folder of the stage named after its batch."""
    # Escaped the way the connector's own write_pandas escapes the files it uploads.
    location = path.resolve().as_posix().replace("\\", "\\\\").replace("'", "\\'")
    return f"put 'file://{location}' {_stage_folder(path, schema)} auto_compress = false overwrite = true"


def copy_statement(path: Path, schema: str) -> str:
    """Copy that one file into the raw table, matching columns by name; Parquet's types keep times exact."""
    return (
        f"copy into {schema}.events from {_stage_folder(path, schema)} "
        "file_format = (type = parquet use_logical_type = true) "
        "match_by_column_name = case_insensitive on_error = abort_statement purge = true"
    )


def _stage_folder(path: Path, schema: str) -> str:
    return f"@{schema}.{STAGE}/{batch_of(path)}/"


def load_new_batches(settings: Settings | None = None) -> LoadResult:
    """Copy every log batch that is not in the raw table yet, one COPY INTO per batch."""
    files = files_to_load(settings or Settings())
    schema = raw_schema()
    loaded: list[str] = []
    events = 0
    with closing(connect()) as database, closing(database.cursor()) as cursor:
        try:
            for statement in create_statements(schema):
                cursor.execute(statement)
            cursor.execute(f"select distinct batch_id from {schema}.events")  # noqa: S608 (a checked name)
            already = {row[0] for row in cursor.fetchall()}
            for path in pending(files, already):
                cursor.execute(put_statement(path, schema))
                cursor.execute(copy_statement(path, schema))
                # One row per file copied: file, status, rows parsed, rows loaded, ...
                events += sum(int(row[3]) for row in cursor.fetchall())
                loaded.append(batch_of(path))
        except DatabaseError as error:
            raise load_failed(f"{schema}.events", error) from error
    return LoadResult(f"{schema}.events", tuple(loaded), events, len(files) - len(loaded))


def main(argv: list[str] | None = None) -> None:
    load_raw_main(load_new_batches, __doc__.splitlines()[0], argv)


if __name__ == "__main__":
    main()
