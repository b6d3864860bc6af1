"""The production warehouse on DuckDB: another warehouse file, built from the same log and read the same way.

It is the file ``DBT_DUCKDB_PROD_PATH`` names (a bigger machine's disk or a mounted volume), the same variable
dbt's prod profile reads, so a build and every read after it see the same file.
"""

import os
from pathlib import Path

import pandas as pd

from .targets import WarehouseError, read_duckdb_file, target


def warehouse_path() -> Path:
    """The prod warehouse file, or one line saying how to name it."""
    path = os.environ.get("DBT_DUCKDB_PROD_PATH")
    if not path:
        raise WarehouseError(
            f"DBT_DUCKDB_PROD_PATH is not set: name the prod warehouse file (DBT_TARGET={target()}), "
            "or use DBT_TARGET=dev for the local one"
        )
    return Path(path)


def load_training_set() -> pd.DataFrame:
    """The training set as the last prod build left it, one row per session, in a stable order."""
    return read_duckdb_file(warehouse_path())
