"""Reading what the transform stage built, straight from a DuckDB warehouse file.

Kept apart from ``transform.py`` so that stages which only read (the gate, training, evaluation) do not import
dbt: each orchestrator step starts a fresh process, and importing less makes every step start faster.

dev is the local file in the workspace; prod is the file ``DBT_DUCKDB_PROD_PATH`` names (a bigger machine's
disk or a mounted volume), the same variable dbt's prod profile reads.
"""

import os
from pathlib import Path

import duckdb
import pandas as pd

from .settings import Settings


class WarehouseError(RuntimeError):
    """The warehouse, or a table the pipeline reads, is not there yet."""


def target() -> str:
    """The dbt target the pipeline builds and reads: ``DBT_TARGET``, else dev (the local DuckDB file)."""
    return os.environ.get("DBT_TARGET") or "dev"


def warehouse_path(settings: Settings) -> Path:
    """The DuckDB file of the current target."""
    if target() == "dev":
        return settings.warehouse_path
    path = os.environ.get("DBT_DUCKDB_PROD_PATH")
    if not path:
        raise WarehouseError(
            f"DBT_DUCKDB_PROD_PATH is not set: name the prod warehouse file (DBT_TARGET={target()}), "
            "or use DBT_TARGET=dev for the local one"
        )
    return Path(path)


def load_training_set(settings: Settings | None = None) -> pd.DataFrame:
    """The training set as the last successful build left it, one row per session, in a stable order."""
    path = warehouse_path(settings or Settings())
    if not path.exists():
        raise WarehouseError(f"there is no warehouse at {path}: run the transform stage first")
    # Read-only, so a reader can never change what the build produced.
    with duckdb.connect(str(path), read_only=True) as connection:
        try:
            frame: pd.DataFrame = connection.sql("select * from training_set order by session_id").df()
        except duckdb.CatalogException as error:
            raise WarehouseError(
                f"the warehouse at {path} has no training_set table: run the transform stage first"
            ) from error
    return frame
