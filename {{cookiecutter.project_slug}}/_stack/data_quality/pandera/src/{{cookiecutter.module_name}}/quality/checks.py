"""The training set's data-quality checks, written with pandera from the data contract.

Every column's rules (type, nullability, uniqueness of the key, allowed values, ranges, text length), the
rules across columns and each split's label rate come from ``contract.toml``'s training_set, the declaration
dbt's tests and serving also follow; this schema checks them on the frame the model will read. The gate
(``gate.py``) checks the table as a whole: split sizes, the holdout, the volume.
"""

from pathlib import Path

import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors

from ..contract import CONTROL, Field
from ..settings import Settings
from ..training_set import CONTRACT, KEY, LABEL, SPLIT, SPLITS
from .gate import HOLDS, Failure


def column(field: Field) -> pa.Column:
    """A field's rules as a pandera column. Types are checked, never coerced: coercing would turn "12" into
    12 and 0.5 into 0, and let through what the contract refuses; any dtype of the right kind passes, as
    warehouse drivers differ (int32 or int64, pandas' nullable integers)."""
    checks = [pa.Check(HOLDS[field.type], name=f"type {field.type}")]
    if field.allowed is not None:
        checks.append(pa.Check.isin(list(field.allowed)))
    if field.min is not None:
        checks.append(pa.Check.ge(field.min))
    if field.max is not None:
        checks.append(pa.Check.le(field.max))
    if field.type == "text":
        checks.append(pa.Check(lambda text: text.str.strip().str.len() > 0, name="not blank"))
        checks.append(pa.Check(lambda text: ~text.str.contains(CONTROL.pattern), name="no control character"))
        if field.max_length is not None:
            checks.append(pa.Check.str_length(max_value=field.max_length))
    return pa.Column(None, checks, nullable=not field.required, unique=field.name == KEY)


low, high = CONTRACT.label_rate
SCHEMA = pa.DataFrameSchema(
    {field.name: column(field) for field in CONTRACT.all_columns},
    checks=[
        *(pa.Check(lambda df, rule=rule: df.eval(rule.check), name=rule.check) for rule in CONTRACT.rules),
        pa.Check(lambda df: set(df[SPLIT].unique()) == set(SPLITS), name="every split has sessions"),
        pa.Check(
            lambda df: df.groupby(SPLIT)[LABEL].mean().between(low, high).all(),
            name=f"label rate per split within [{low}, {high}]",
        ),
    ],
    strict=True,
)


def check(frame: pd.DataFrame, settings: Settings, report_dir: Path) -> list[Failure]:
    """Every failed check, with how many rows fail it (0 for checks on the whole frame).

    pandera's failure cases (each failing value with its row) go to ``failure_cases.csv`` in ``report_dir``.
    """
    try:
        SCHEMA.validate(frame, lazy=True)
    except SchemaErrors as errors:
        cases = errors.failure_cases
        report_dir.mkdir(parents=True, exist_ok=True)
        cases.to_csv(report_dir / "failure_cases.csv", index=False)
        failures = []
        for (name, check_name), group in cases.groupby(["column", "check"], dropna=False, sort=True):
            rows = int(group["index"].notna().sum())
            column = None if pd.isna(name) else str(name)
            failures.append(Failure(check=str(check_name), column=column, rows=rows))
        return failures
    return []
