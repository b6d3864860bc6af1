"""The production warehouse on Postgres: the connection, the schemas dbt builds into, the training set.

Postgres is reached through the standard libpq variables (``PGHOST``, ``PGPORT``, ``PGUSER``, ``PGPASSWORD``,
``PGDATABASE``, ``PGSSLMODE``), the ones dbt's prod profile reads, so a build and every read after it see the
same database.
"""

import os
from contextlib import closing

import pandas as pd
import psycopg2
import psycopg2.errors
from psycopg2 import sql
from psycopg2.extensions import connection

from .targets import WarehouseError

# What a connection cannot do without; PGPORT and PGSSLMODE fall back to libpq's defaults.
REQUIRED_VARIABLES = ("PGHOST", "PGUSER", "PGPASSWORD", "PGDATABASE")


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


def load_training_set() -> pd.DataFrame:
    """The training set as the last prod build left it, one row per session, in a stable order."""
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
