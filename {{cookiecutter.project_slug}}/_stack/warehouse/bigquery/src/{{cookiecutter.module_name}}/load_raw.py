"""Copy the event log's new batches into BigQuery, where dbt's prod target reads them: ``raw.events``.

The raw table is the log's copy and is append-only like the log. Each batch's own Parquet file is appended by
one load job, which is atomic: a batch is in the table whole or not at all. A batch already there is skipped,
so loading again adds nothing. Nothing here cleans or deduplicates events; that stays in dbt, which reads this
table on BigQuery exactly as it reads the log files on DuckDB.

Run one loader at a time: BigQuery has no table lock that would make a second loader wait and skip what the
first one loaded. (A batch loaded twice would still count once in the models, which keep each event once.)

Not yet run against a real BigQuery project: the template this repository came from has none to test with.
tests/test_warehouse.py checks which batches are chosen, the table definition and the load job's
configuration, with a fake client; the first `make load-raw` with real credentials is the first real run.
"""

from contextlib import closing

import pyarrow as pa
from google.api_core.exceptions import GoogleAPIError
from google.cloud import bigquery

from .event_log import LOG_SCHEMA, batch_of
from .production import connect, location, raw_dataset
from .settings import Settings
from .warehouse import LoadResult, files_to_load, load_failed, load_raw_main, pending

# The log's Arrow types in BigQuery. The log keeps naive UTC times, which Parquet loads as DATETIME; staging
# casts them to TIMESTAMP.
COLUMN_TYPES = {pa.string(): "STRING", pa.timestamp("us"): "DATETIME", pa.float64(): "FLOAT64"}
SCHEMA = [bigquery.SchemaField(field.name, COLUMN_TYPES[field.type]) for field in LOG_SCHEMA]


def raw_table(table_id: str) -> bigquery.Table:
    """The raw table, shaped like the log: partitioned by arrival day and clustered by batch, so finding the
    batches already loaded reads little."""
    table = bigquery.Table(table_id, schema=SCHEMA)
    table.time_partitioning = bigquery.TimePartitioning(
        type_=bigquery.TimePartitioningType.DAY, field="ingest_time"
    )
    table.clustering_fields = ["batch_id"]
    return table


def load_job_config() -> bigquery.LoadJobConfig:
    """Append one Parquet file to the existing raw table, with the log's schema, never replacing anything."""
    return bigquery.LoadJobConfig(
        source_format=bigquery.SourceFormat.PARQUET,
        schema=SCHEMA,
        write_disposition=bigquery.WriteDisposition.WRITE_APPEND,
        create_disposition=bigquery.CreateDisposition.CREATE_NEVER,
    )


def load_new_batches(settings: Settings | None = None) -> LoadResult:
    """Append every log batch that is not in the raw table yet, one load job per batch."""
    files = files_to_load(settings or Settings())
    loaded: list[str] = []
    events = 0
    with closing(connect()) as client:
        dataset_id = f"{client.project}.{raw_dataset()}"
        table_id = f"{dataset_id}.events"
        try:
            raw = bigquery.Dataset(dataset_id)
            raw.location = location()
            client.create_dataset(raw, exists_ok=True)
            client.create_table(raw_table(table_id), exists_ok=True)
            rows = client.query(f"select distinct batch_id from `{table_id}`").result()  # noqa: S608
            already = {row["batch_id"] for row in rows}
            for path in pending(files, already):
                with path.open("rb") as file:
                    job = client.load_table_from_file(
                        file, table_id, job_config=load_job_config(), job_id_prefix="load_raw_events_"
                    )
                job.result()
                events += job.output_rows or 0
                loaded.append(batch_of(path))
        except GoogleAPIError as error:
            raise load_failed(table_id, error) from error
    return LoadResult(table_id, tuple(loaded), events, len(files) - len(loaded))


def main(argv: list[str] | None = None) -> None:
    load_raw_main(load_new_batches, __doc__.splitlines()[0], argv)


if __name__ == "__main__":
    main()
