"""The training set's checks when dbt's tests are the data-quality tool.

``dbt build`` already ran every test written from the data contract (``contract.toml``: nulls, keys,
allowed values, ranges, text, the rules across columns, each split's label rate) and stopped the transform
stage, before this gate, on any failure. What stays here is what SQL tests do not see: that the frame the
model will read has exactly the contract's columns, each of the contract's type. The gate (``gate.py``)
checks the table as a whole: split sizes, the holdout, the volume.
"""

from pathlib import Path

import pandas as pd

from ..settings import Settings
from ..training_set import COLUMNS, CONTRACT
from .gate import HOLDS, Failure


def check(frame: pd.DataFrame, settings: Settings, report_dir: Path) -> list[Failure]:
    """Every failed check; the type of a missing column is left to the column check, which names it."""
    return columns(frame) + types(frame)


def columns(frame: pd.DataFrame) -> list[Failure]:
    """The columns dbt built are exactly those the later stages read."""
    missing = [name for name in COLUMNS if name not in frame.columns]
    unexpected = [name for name in frame.columns if name not in COLUMNS]
    if not missing and not unexpected:
        return []
    found = {"missing": missing, "unexpected": unexpected}
    detail = "; ".join(f"{kind}: {', '.join(names)}" for kind, names in found.items() if names)
    fix = "make dbt/models/ml/training_set.sql and contract.toml name the same columns"
    return [Failure("column set", None, 0, f"{detail}: {fix}")]


def types(frame: pd.DataFrame) -> list[Failure]:
    """Each column holds the contract's type: a feature turned text would train nothing."""
    return [
        Failure(f"type {field.type}", field.name, 0, f"found {frame[field.name].dtype}: fix its SQL")
        for field in CONTRACT.all_columns
        if field.name in frame.columns and not HOLDS[field.type](frame[field.name])
    ]
