"""Reading what the transform stage built: the local DuckDB file on dev, BigQuery on prod.

Kept apart from ``transform.py`` so that stages which only read (the gate, training, evaluation) do not import
dbt: each orchestrator step starts a fresh process, and importing less makes every step start faster.

BigQuery is reached with the variables dbt's prod profile reads (``GOOGLE_CLOUD_PROJECT``,
``BIGQUERY_LOCATION``) and Application Default Credentials (``GOOGLE_APPLICATION_CREDENTIALS``, a gcloud login
or the machine's workload identity), so a build and every read after it see the same project.

The BigQuery path has not yet run against a real project (the template this repository came from has none to
test with): tests/test_warehouse.py checks the client's settings and the query with a fake client.
"""

import os
import re
from contextlib import closing

import duckdb
import pandas as pd
from google.api_core.exceptions import GoogleAPIError, NotFound
from google.auth.exceptions import DefaultCredentialsError
from google.cloud import bigquery

from .settings import Settings

# Dataset names are written into SQL; BigQuery allows letters, digits and underscores.
DATASET = re.compile(r"[A-Za-z0-9_]{1,1024}")


class WarehouseError(RuntimeError):
    """The warehouse, or a table the pipeline reads, is not there yet."""


def target() -> str:
    """The dbt target the pipeline builds and reads: ``DBT_TARGET``, else dev (the local DuckDB file)."""
    return os.environ.get("DBT_TARGET") or "dev"


def dataset() -> str:
    """The dataset dbt builds the models into on BigQuery, as in the prod profile."""
    return _dataset("DBT_SCHEMA", "analytics")


def raw_dataset() -> str:
    """The dataset of the raw table the log is loaded into, as in the event_log source."""
    return _dataset("DBT_RAW_SCHEMA", "raw")


def _dataset(variable: str, default: str) -> str:
    name = os.environ.get(variable, default)
    if not DATASET.fullmatch(name):
        raise WarehouseError(f"{variable}={name!r} is not a BigQuery dataset name: use letters, digits and _")
    return name


def location() -> str:
    return os.environ.get("BIGQUERY_LOCATION", "US")


def connect() -> bigquery.Client:
    """A client for the prod project, or one line saying what is missing."""
    project = os.environ.get("GOOGLE_CLOUD_PROJECT")
    if not project:
        raise WarehouseError(
            "GOOGLE_CLOUD_PROJECT not set: export the BigQuery project (see .env.example), "
            "or use DBT_TARGET=dev for the local warehouse"
        )
    try:
        return bigquery.Client(project=project, location=location())
    except DefaultCredentialsError as error:
        raise WarehouseError(
            "no Google credentials: set GOOGLE_APPLICATION_CREDENTIALS to a key file, "
            "or run `gcloud auth application-default login`"
        ) from error


def load_training_set(settings: Settings | None = None) -> pd.DataFrame:
    """The training set as the last successful build left it, one row per session, in a stable order.

    It comes from the target dbt built (``DBT_TARGET``): the local DuckDB file on dev, BigQuery otherwise.
    """
    settings = settings or Settings()
    if target() == "dev":
        return _from_duckdb(settings)
    return _from_bigquery()


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


def _from_bigquery() -> pd.DataFrame:
    with closing(connect()) as client:
        table = f"{client.project}.{dataset()}.training_set"
        try:
            job = client.query(f"select * from `{table}` order by session_id")  # noqa: S608 (checked names)
            # NumPy integers, as DuckDB gives, rather than BigQuery's default nullable Int64.
            frame = job.to_dataframe(int_dtype=None)
        except NotFound as error:
            raise WarehouseError(
                f"BigQuery has no {table} table: run the transform stage with DBT_TARGET=prod first"
            ) from error
        except GoogleAPIError as error:
            raise WarehouseError(f"reading {table} failed: {' '.join(str(error).split())}") from error
    # BigQuery timestamps are UTC-aware; the log and the other targets keep naive UTC.
    for column in frame.select_dtypes("datetimetz").columns:
        frame[column] = frame[column].dt.tz_convert("UTC").dt.tz_localize(None)
    return frame
