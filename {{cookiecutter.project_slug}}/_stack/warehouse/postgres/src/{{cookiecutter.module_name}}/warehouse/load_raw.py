"""Copy the event log's new batches and retractions into Postgres, where dbt's prod target reads them.

``raw.events`` is the log's copy and ``raw.retractions`` the copy of its corrections; both are append-only
like the log. Each file (a batch, or a retraction) is copied in one transaction together with its id, so it is
in its table whole or not at all, and a file already there is skipped: loading again adds nothing. Nothing
here cleans, deduplicates or leaves out retracted events; that stays in dbt, which reads these tables on
Postgres exactly as it reads the log files on DuckDB. A field the contract gains becomes a new column, null in
the rows loaded before, as it is in older log files.
"""

import tempfile
from collections.abc import Collection
from contextlib import closing
from pathlib import Path
from typing import IO

import psycopg2
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
from psycopg2 import sql
from psycopg2.extensions import connection

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

# The log's Arrow types in Postgres: every type the contract's fields can have, and the envelope's. Times
# stay naive UTC, as in the log files.
COLUMN_TYPES = {
    pa.string(): "text",
    pa.timestamp("us"): "timestamp",
    pa.int64(): "bigint",
    pa.float64(): "double precision",
}
# A file's CSV is held in memory up to this size, then spills to a temporary file.
SPOOL_BYTES = 64 * 2**20


def create_statements(schema: str, table: RawTable) -> list[sql.Composed]:
    """The raw schema, the table shaped like its log files, and the index that makes "loaded yet?" cheap."""
    name = sql.Identifier(schema, table.name)
    columns = sql.SQL(", ").join(_column(field) for field in table.columns)
    return [
        sql.SQL("create schema if not exists {}").format(sql.Identifier(schema)),
        sql.SQL("create table if not exists {} ({})").format(name, columns),
        sql.SQL("create index if not exists {} on {} ({})").format(
            sql.Identifier(f"{table.name}_{table.key}"), name, sql.Identifier(table.key)
        ),
    ]


def missing_columns(table: RawTable, present: Collection[str]) -> list[pa.Field]:
    """The fields of the log files that the table lacks: the contract gained them after the table was made.
    Each is added as a column, where rows loaded before read null, as older log files do on DuckDB."""
    return [field for field in table.columns if field.name not in present]


def _column(field: pa.Field) -> sql.Composed:
    return sql.SQL("{} {}").format(sql.Identifier(field.name), sql.SQL(COLUMN_TYPES[field.type]))


def copy_statement(schema: str, table: RawTable) -> sql.Composed:
    """COPY in CSV, naming the columns so the table's column order never matters."""
    columns = sql.SQL(", ").join(sql.Identifier(name) for name in table.columns.names)
    return sql.SQL("copy {} ({}) from stdin with (format csv)").format(
        sql.Identifier(schema, table.name), columns
    )


def write_csv(path: Path, columns: pa.Schema, sink: IO[bytes]) -> None:
    """A log file as the CSV that COPY reads, streamed a record batch at a time.

    Text is quoted and nulls are left empty: COPY reads "" as an empty string and an empty field as null.
    """
    options = pa_csv.WriteOptions(include_header=False)
    with pa_csv.CSVWriter(sink, columns, write_options=options) as writer:
        for batch in pq.ParquetFile(path).iter_batches(columns=columns.names):
            writer.write_batch(batch.cast(columns))


def load_new_batches(settings: Settings | None = None) -> LoadResult:
    """Copy every log batch and every retraction that is not in its raw table yet, one transaction each."""
    settings = settings or Settings()
    batches, retractions = files_to_load(settings), retraction_files(settings)
    schema = raw_schema()
    with closing(connect()) as database:
        # Retractions first: a batch retracted before its first load is never in the warehouse without them.
        retracted = _append_new(database, schema, RAW_RETRACTIONS, retractions)
        return LoadResult(_append_new(database, schema, RAW_EVENTS, batches), retracted)


def _append_new(database: connection, schema: str, table: RawTable, files: list[Path]) -> Appended:
    """Create the table if needed, then copy each of these files it does not hold yet."""
    name = f"{schema}.{table.name}"
    loaded: list[str] = []
    rows = 0
    try:
        for path in pending(files, _prepare(database, schema, table, files)):
            copied = _copy_file(database, schema, table, path)
            if copied is not None:
                rows += copied
                loaded.append(file_id(path))
    except psycopg2.Error as error:
        raise load_failed(name, error) from error
    return Appended(name, tuple(loaded), rows, len(files) - len(loaded))


def _prepare(database: connection, schema: str, table: RawTable, files: list[Path]) -> set[str]:
    """Create the raw table, or add the columns it lacks; returns which of these files it already holds."""
    with database, database.cursor() as cursor:
        for statement in create_statements(schema, table):
            cursor.execute(statement)
        _add_missing_columns(database, schema, table)
        cursor.execute(
            sql.SQL("select distinct {key} from {table} where {key} = any(%s)").format(
                key=sql.Identifier(table.key), table=sql.Identifier(schema, table.name)
            ),
            ([file_id(path) for path in files],),
        )
        return {row[0] for row in cursor.fetchall()}


def _add_missing_columns(database: connection, schema: str, table: RawTable) -> None:
    """Add the columns the table lacks, in the caller's transaction (rarely any: only then is it locked)."""
    name = sql.Identifier(schema, table.name)
    with database.cursor() as cursor:
        cursor.execute(sql.SQL("select * from {} limit 0").format(name))
        present = {column.name for column in cursor.description or ()}
        for field in missing_columns(table, present):
            # "if not exists": a loader running at the same time may have just added it.
            cursor.execute(sql.SQL("alter table {} add column if not exists {}").format(name, _column(field)))


def _copy_file(database: connection, schema: str, table: RawTable, path: Path) -> int | None:
    """Copy one file in its own transaction; None when another loader got there first."""
    name, key = sql.Identifier(schema, table.name), sql.Identifier(table.key)
    # Commits on success, rolls back on any error: a file is never half loaded.
    with database, database.cursor() as cursor:
        # A loader running at the same time waits here, then finds the file loaded and skips it.
        cursor.execute(sql.SQL("lock table {} in share row exclusive mode").format(name))
        cursor.execute(sql.SQL("select 1 from {} where {} = %s limit 1").format(name, key), [file_id(path)])
        if cursor.fetchone() is not None:
            return None
        with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as buffer:
            write_csv(path, table.columns, buffer)
            buffer.seek(0)
            cursor.copy_expert(copy_statement(schema, table), buffer)
        return cursor.rowcount


def main(argv: list[str] | None = None) -> None:
    load_raw_main(load_new_batches, __doc__.splitlines()[0], argv)


if __name__ == "__main__":
    main()
