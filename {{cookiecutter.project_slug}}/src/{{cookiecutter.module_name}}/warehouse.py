"""Reading what the transform stage built: the local DuckDB file on dev, the production warehouse otherwise.

Kept apart from ``transform.py`` so that stages which only read (the gate, training, evaluation) do not import
dbt: each orchestrator step starts a fresh process, and importing less makes every step start faster.

What is particular to the production warehouse (its connection, its schemas, its SQL) is in ``production.py``.
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


def read_duckdb_file(path: Path) -> pd.DataFrame:
    """The training set in a DuckDB warehouse file, one row per session, in a stable order."""
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


def load_training_set(settings: Settings | None = None) -> pd.DataFrame:
    """The training set as the last successful build left it, one row per session, in a stable order.

    It comes from the target dbt built (``DBT_TARGET``): the local DuckDB file on dev, production otherwise.
    """
    if target() == "dev":
        return read_duckdb_file((settings or Settings()).warehouse_path)
    # Imported here so that dev never imports a production client: slow to load, and some print warnings.
    from . import production

    return production.load_training_set()
