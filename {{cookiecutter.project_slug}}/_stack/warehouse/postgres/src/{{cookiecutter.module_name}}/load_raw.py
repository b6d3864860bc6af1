"""Copy the event log's new batches into Postgres, where dbt's prod target reads them: ``raw.events``.

The raw table is the log's copy and is append-only like the log. Each batch is copied in one transaction
together with its batch id, so a batch is in the table whole or not at all, and a batch already there is
skipped: loading again adds nothing. Nothing here cleans or deduplicates events; that stays in dbt, which
reads this table on Postgres exactly as it reads the log files on DuckDB.
"""

import tempfile
from contextlib import closing
from pathlib import Path
from typing import IO

import psycopg2
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
from psycopg2 import sql
from psycopg2.extensions import connection

from .event_log import LOG_SCHEMA, batch_of
from .production import connect, raw_schema
from .settings import Settings
from .warehouse import LoadResult, files_to_load, load_failed, load_raw_main, pending

# The log's Arrow types in Postgres. Times stay naive UTC, as in the log files.
COLUMN_TYPES = {pa.string(): "text", pa.timestamp("us"): "timestamp", pa.float64(): "double precision"}
# A batch's CSV is held in memory up to this size, then spills to a temporary file.
SPOOL_BYTES = 64 * 2**20


def create_statements(schema: str) -> list[sql.Composed]:
    """The raw schema, its table shaped like the log, and the index that makes "already loaded?" cheap."""
    table = sql.Identifier(schema, "events")
    columns = sql.SQL(", ").join(
        sql.SQL("{} {}").format(sql.Identifier(field.name), sql.SQL(COLUMN_TYPES[field.type]))
        for field in LOG_SCHEMA
    )
    return [
        sql.SQL("create schema if not exists {}").format(sql.Identifier(schema)),
        sql.SQL("create table if not exists {} ({})").format(table, columns),
        sql.SQL("create index if not exists events_batch_id on {} (batch_id)").format(table),
    ]


def copy_statement(schema: str) -> sql.Composed:
    """COPY in CSV, naming the columns so the table's column order never matters."""
    columns = sql.SQL(", ").join(sql.Identifier(name) for name in LOG_SCHEMA.names)
    return sql.SQL("copy {} ({}) from stdin with (format csv)").format(
        sql.Identifier(schema, "events"), columns
    )


def write_csv(path: Path, sink: IO[bytes]) -> None:
    """A log file as the CSV that COPY reads, streamed a record batch at a time.

    Text is quoted and nulls are left empty: COPY reads "" as an empty string and an empty field as null.
    """
    options = pa_csv.WriteOptions(include_header=False)
    with pa_csv.CSVWriter(sink, LOG_SCHEMA, write_options=options) as writer:
        for batch in pq.ParquetFile(path).iter_batches(columns=LOG_SCHEMA.names):
            writer.write_batch(batch.cast(LOG_SCHEMA))


def load_new_batches(settings: Settings | None = None) -> LoadResult:
    """Copy every log batch that is not in the raw table yet, one transaction per batch."""
    files = files_to_load(settings or Settings())
    schema = raw_schema()
    loaded: list[str] = []
    events = 0
    with closing(connect()) as database:
        try:
            for path in pending(files, _prepare(database, schema, files)):
                copied = _load_batch(database, path, schema)
                if copied is not None:
                    events += copied
                    loaded.append(batch_of(path))
        except psycopg2.Error as error:
            raise load_failed(f"{schema}.events", error) from error
    return LoadResult(f"{schema}.events", tuple(loaded), events, len(files) - len(loaded))


def _prepare(database: connection, schema: str, files: list[Path]) -> set[str]:
    """Create the raw table if needed; returns which of these files' batches it already holds."""
    with database, database.cursor() as cursor:
        for statement in create_statements(schema):
            cursor.execute(statement)
        cursor.execute(
            sql.SQL("select distinct batch_id from {} where batch_id = any(%s)").format(
                sql.Identifier(schema, "events")
            ),
            ([batch_of(path) for path in files],),
        )
        return {row[0] for row in cursor.fetchall()}


def _load_batch(database: connection, path: Path, schema: str) -> int | None:
    """Copy one batch in its own transaction; None when another loader got there first."""
    table, batch = sql.Identifier(schema, "events"), batch_of(path)
    # Commits on success, rolls back on any error: a batch is never half loaded.
    with database, database.cursor() as cursor:
        # A loader running at the same time waits here, then finds the batch loaded and skips it.
        cursor.execute(sql.SQL("lock table {} in share row exclusive mode").format(table))
        cursor.execute(sql.SQL("select 1 from {} where batch_id = %s limit 1").format(table), [batch])
        if cursor.fetchone() is not None:
            return None
        with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as buffer:
            write_csv(path, buffer)
            buffer.seek(0)
            cursor.copy_expert(copy_statement(schema), buffer)
        return cursor.rowcount


def main(argv: list[str] | None = None) -> None:
    load_raw_main(load_new_batches, __doc__.splitlines()[0], argv)


if __name__ == "__main__":
    main()
