"""Reading what the transform stage built: the local DuckDB file on dev, the production warehouse otherwise.

Kept apart from ``transform.py`` so that stages which only read (the gate, training, evaluation) do not import
dbt: each orchestrator step starts a fresh process, and importing less makes every step start faster.

What is particular to the production warehouse (its connection, its schemas, its SQL) is in ``production.py``;
what every target is read with (which target, its error, a DuckDB file) is in ``targets.py``.
"""

import pandas as pd

from ..settings import Settings
from .targets import read_duckdb_file, target


def load_training_set(settings: Settings | None = None) -> pd.DataFrame:
    """The training set as the last successful build left it, one row per session, in a stable order.

    It comes from the target dbt built (``DBT_TARGET``): the local DuckDB file on dev, production otherwise.
    """
    if target() == "dev":
        return read_duckdb_file((settings or Settings()).warehouse_path)
    # Imported here so that dev never imports a production client: slow to load, and some print warnings.
    from . import production

    return production.load_training_set()
