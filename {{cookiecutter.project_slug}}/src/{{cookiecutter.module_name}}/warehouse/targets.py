"""The warehouse each dbt target builds: the local DuckDB file on dev, the production warehouse on prod.

What reading either takes: which target this process reads, the error when its warehouse or a table is not
there, and how a DuckDB warehouse file is read (dev's, and DuckDB's prod file). ``read.py`` reads the
target through these, and so does ``production.py``, the prod reader, which ``read.py`` imports on prod
only: kept here, beneath both, so that ``production.py`` never imports ``read.py`` back.
"""

import os
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

from ..errors import StageError


class WarehouseError(StageError):
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
            # Through Arrow rather than .df(): the same frame in well under half the time and about 0.6x the
            # memory (1.5 million sessions at 10^7 events; the gate, train, evaluate and package read it).
            rows = database.sql("select * from training_set order by session_id").to_arrow_table()
            frame: pd.DataFrame = rows.to_pandas()
        except duckdb.CatalogException as error:
            raise WarehouseError(
                f"the warehouse at {path} has no training_set table: run the transform stage first"
            ) from error
    # Arrow turns a whole-number column with a missing value into floats; keep it whole, with pd.NA, as .df()
    # does, so that a missing count still reads as missing to the quality gate and to scoring.
    for name, column in zip(rows.column_names, rows.columns, strict=True):
        if pa.types.is_signed_integer(column.type) and column.null_count:
            frame[name] = frame[name].astype(f"Int{column.type.bit_width}")
    return frame
