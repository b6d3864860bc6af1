"""Nothing to load on DuckDB: dbt reads the event log's files where they are, for prod as for dev.

The production warehouses (Postgres, Snowflake, BigQuery) build from raw tables, which their ``load_raw.py``
fills before each prod build; a DuckDB warehouse file needs no such copy.
"""

from ..settings import Settings


def load_new_batches(settings: Settings | None = None) -> str:
    """What the pipeline calls before a prod build: on DuckDB, there is nothing to copy."""
    return "nothing to load: on DuckDB, dbt reads the log's files where they are"
