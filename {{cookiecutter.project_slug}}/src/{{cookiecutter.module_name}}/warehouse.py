"""Reading what the transform stage built, straight from the local DuckDB warehouse.

Kept apart from ``transform.py`` so that stages which only read (the gate, training, evaluation) do not import
dbt: each orchestrator step starts a fresh process, and importing less makes every step start faster.
"""

import duckdb
import pandas as pd

from .settings import Settings


class WarehouseError(RuntimeError):
    """The warehouse, or a table the pipeline reads, is not there yet."""


def load_training_set(settings: Settings | None = None) -> pd.DataFrame:
    """The training set as the last successful build left it, one row per session, in a stable order."""
    settings = settings or Settings()
    path = settings.warehouse_path
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
