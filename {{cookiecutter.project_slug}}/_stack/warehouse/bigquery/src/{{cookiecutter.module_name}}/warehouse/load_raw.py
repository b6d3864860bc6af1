"""Copy the event log's new batches and retractions into BigQuery, where dbt's prod target reads them.

``raw.events`` is the log's copy and ``raw.retractions`` the copy of its corrections; both are append-only
like the log. Each file (a batch, or a retraction) is appended as it is by one load job, which is atomic: a
file is in its table whole or not at all. A file already there is skipped, so loading again adds nothing.
Nothing here cleans, deduplicates or leaves out retracted events; that stays in dbt, which reads these tables
on BigQuery exactly as it reads the log files on DuckDB. A field the contract gains becomes a new column, null
in the rows loaded before, as it is in older log files.

Run one loader at a time: BigQuery has no table lock that would make a second loader wait and skip what the
first one loaded. (A batch loaded twice would still count once in the models, which keep each event once.)

This stays a thin call of the client library: one load job per file. tests/warehouse/test_warehouse.py
checks what it sends (which files, the tables' definitions, the load jobs' configuration) to a fake client,
and the template's own tests load a log through it into an emulator (production.py says how); BigQuery's own
part is first proven by the first real `make load-raw`.
"""

from contextlib import closing
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from google.api_core.exceptions import GoogleAPIError
from google.cloud import bigquery

from ..log.events import retraction_files
from ..settings import Settings
from .production import connect, location, raw_dataset
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

# The log's Arrow types in BigQuery: every type the contract's fields can have, and the envelope's. The log
# keeps naive UTC times, which Parquet loads as DATETIME; staging casts them to TIMESTAMP.
COLUMN_TYPES = {
    pa.string(): "STRING",
    pa.timestamp("us"): "DATETIME",
    pa.int64(): "INT64",
    pa.float64(): "FLOAT64",
}


def schema_of(table: RawTable) -> list[bigquery.SchemaField]:
    return [bigquery.SchemaField(field.name, COLUMN_TYPES[field.type]) for field in table.columns]


def raw_table(table_id: str, table: RawTable) -> bigquery.Table:
    """A raw table shaped like its log files, clustered by the files' id, so finding those already loaded
    reads little; the events are partitioned by arrival day as well."""
    raw = bigquery.Table(table_id, schema=schema_of(table))
    if table == RAW_EVENTS:
        raw.time_partitioning = bigquery.TimePartitioning(
            type_=bigquery.TimePartitioningType.DAY, field="ingest_time"
        )
    raw.clustering_fields = [table.key]
    return raw


def load_job_config(table: RawTable) -> bigquery.LoadJobConfig:
    """Append one Parquet file to the existing raw table, with its log files' schema, never replacing
    anything. A field the contract gained after the table was made is added to it as a column."""
    return bigquery.LoadJobConfig(
        source_format=bigquery.SourceFormat.PARQUET,
        schema=schema_of(table),
        write_disposition=bigquery.WriteDisposition.WRITE_APPEND,
        create_disposition=bigquery.CreateDisposition.CREATE_NEVER,
        schema_update_options=[bigquery.SchemaUpdateOption.ALLOW_FIELD_ADDITION],
    )


def load_new_batches(settings: Settings | None = None) -> LoadResult:
    """Append every log batch and every retraction that is not in its raw table yet, one load job each."""
    settings = settings or Settings()
    batches, retractions = files_to_load(settings), retraction_files(settings)
    with closing(connect()) as client:
        dataset_id = f"{client.project}.{raw_dataset()}"
        # Retractions first: a batch retracted before its first load is never in the warehouse without them.
        retracted = _append_new(client, dataset_id, RAW_RETRACTIONS, retractions)
        return LoadResult(_append_new(client, dataset_id, RAW_EVENTS, batches), retracted)


def _append_new(client: bigquery.Client, dataset_id: str, table: RawTable, files: list[Path]) -> Appended:
    """Create the table if needed, then append each of these files it does not hold yet."""
    table_id = f"{dataset_id}.{table.name}"
    loaded: list[str] = []
    rows = 0
    try:
        for path in pending(files, _prepare(client, dataset_id, table)):
            with path.open("rb") as file:
                job = client.load_table_from_file(
                    file, table_id, job_config=load_job_config(table), job_id_prefix=f"load_raw_{table.name}_"
                )
            job.result()  # raises unless every row loaded
            rows += pq.read_metadata(path).num_rows
            loaded.append(file_id(path))
    except GoogleAPIError as error:
        raise load_failed(table_id, error) from error
    return Appended(table_id, tuple(loaded), rows, len(files) - len(loaded))


def _prepare(client: bigquery.Client, dataset_id: str, table: RawTable) -> set[str]:
    """Create the raw dataset and table if needed; returns the ids of the files the table already holds."""
    dataset = bigquery.Dataset(dataset_id)
    dataset.location = location()
    client.create_dataset(dataset, exists_ok=True)
    table_id = f"{dataset_id}.{table.name}"
    client.create_table(raw_table(table_id, table), exists_ok=True)
    rows = client.query(f"select distinct {table.key} from `{table_id}`").result()  # noqa: S608 (checked)
    return {row[table.key] for row in rows}


def main(argv: list[str] | None = None) -> None:
    load_raw_main(load_new_batches, __doc__.splitlines()[0], argv)


if __name__ == "__main__":
    main()
