"""Reading what the transform stage built: the local DuckDB file on dev, Postgres on prod.

Kept apart from ``transform.py`` so that stages which only read (the gate, training, evaluation) do not import
dbt: each orchestrator step starts a fresh process, and importing less makes every step start faster.

Postgres is reached through the standard libpq variables (``PGHOST``, ``PGPORT``, ``PGUSER``, ``PGPASSWORD``,
``PGDATABASE``, ``PGSSLMODE``), the ones dbt's prod profile reads, so a build and every read after it see the
same database.
"""

import os
from contextlib import closing

import duckdb
import pandas as pd
import psycopg2
import psycopg2.errors
from psycopg2 import sql
from psycopg2.extensions import connection

from .settings import Settings

# What a connection cannot do without; PGPORT and PGSSLMODE fall back to libpq's defaults.
REQUIRED_VARIABLES = ("PGHOST", "PGUSER", "PGPASSWORD", "PGDATABASE")


class WarehouseError(RuntimeError):
    """The warehouse, or a table the pipeline reads, is not there yet."""


def target() -> str:
    """The dbt target the pipeline builds and reads: ``DBT_TARGET``, else dev (the local DuckDB file)."""
    return os.environ.get("DBT_TARGET") or "dev"


def schema() -> str:
    """The schema dbt builds the models into on Postgres, as in the prod profile."""
    return os.environ.get("DBT_SCHEMA", "analytics")


def raw_schema() -> str:
    """The schema of the raw table the log is loaded into, as in the event_log source."""
    return os.environ.get("DBT_RAW_SCHEMA", "raw")


def connect() -> connection:
    """A connection to the prod database, or one line saying what is missing or unreachable."""
    missing = [name for name in REQUIRED_VARIABLES if not os.environ.get(name)]
    if missing:
        raise WarehouseError(
            f"{', '.join(missing)} not set: export the Postgres credentials (see .env.example), "
            "or use DBT_TARGET=dev for the local warehouse"
        )
    try:
        return psycopg2.connect(connect_timeout=10)
    except psycopg2.OperationalError as error:
        raise WarehouseError(f"cannot connect to Postgres: {' '.join(str(error).split())}") from error


def load_training_set(settings: Settings | None = None) -> pd.DataFrame:
    """The training set as the last successful build left it, one row per session, in a stable order.

    It comes from the target dbt built (``DBT_TARGET``): the local DuckDB file on dev, Postgres otherwise.
    """
    settings = settings or Settings()
    if target() == "dev":
        return _from_duckdb(settings)
    return _from_postgres()


def _from_duckdb(settings: Settings) -> pd.DataFrame:
    path = settings.warehouse_path
    if not path.exists():
        raise WarehouseError(f"there is no warehouse at {path}: run the transform stage first")
    # Read-only, so a reader can never change what the build produced.
    with duckdb.connect(str(path), read_only=True) as database:
        try:
            frame: pd.DataFrame = database.sql("select * from training_set order by session_id").df()
        except duckdb.CatalogException as error:
            raise WarehouseError(
                f"the warehouse at {path} has no training_set table: run the transform stage first"
            ) from error
    return frame


def _from_postgres() -> pd.DataFrame:
    # Byte order, as DuckDB sorts: the database's collation must not change the rows' order between targets.
    query = sql.SQL('select * from {} order by session_id collate "C"').format(
        sql.Identifier(schema(), "training_set")
    )
    with closing(connect()) as database, database.cursor() as cursor:
        try:
            cursor.execute(query)
        except psycopg2.errors.UndefinedTable as error:
            raise WarehouseError(
                f"Postgres has no {schema()}.training_set table: "
                "run the transform stage with DBT_TARGET=prod first"
            ) from error
        columns = [column.name for column in cursor.description or ()]
        return pd.DataFrame(cursor.fetchall(), columns=columns)
