"""The production warehouse on BigQuery: the client, the datasets dbt builds into, the training set.

BigQuery is reached with the variables dbt's prod profile reads (``GOOGLE_CLOUD_PROJECT``,
``BIGQUERY_LOCATION``) and Application Default Credentials (``GOOGLE_APPLICATION_CREDENTIALS``, a gcloud login
or the machine's workload identity), so a build and every read after it see the same project.

tests/warehouse/test_warehouse.py checks the client's settings and the query it sends, with a fake client.
``BIGQUERY_EMULATOR_HOST`` sends the client library's calls and dbt-bigquery's elsewhere (an emulator such as
bqemulator, on which the template's own tests run `DBT_TARGET=prod make run`, or a proxy); what an emulator
does differently from BigQuery, the first real run against a project proves.
"""

import os
import re
from contextlib import closing

import pandas as pd
from google.api_core.exceptions import GoogleAPIError, NotFound
from google.auth.exceptions import DefaultCredentialsError
from google.cloud import bigquery

from .targets import WarehouseError

# Dataset names are written into SQL; BigQuery allows letters, digits and underscores.
DATASET = re.compile(r"[A-Za-z0-9_]{1,1024}")


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


def emulated() -> bool:
    """Whether the client library sends BigQuery's REST API elsewhere than Google (``BIGQUERY_EMULATOR_HOST``:
    an emulator, as the template's tests run, or a proxy). The Storage Read API it reads results through
    stays at Google's host, so results are then read over REST."""
    return bool(os.environ.get("BIGQUERY_EMULATOR_HOST"))


def load_training_set() -> pd.DataFrame:
    """The training set as the last prod build left it, one row per session, in a stable order."""
    with closing(connect()) as client:
        table = f"{client.project}.{dataset()}.training_set"
        try:
            job = client.query(f"select * from `{table}` order by session_id")  # noqa: S608 (checked names)
            # NumPy integers, as DuckDB gives, rather than BigQuery's default nullable Int64.
            frame = job.to_dataframe(int_dtype=None, create_bqstorage_client=not emulated())
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
