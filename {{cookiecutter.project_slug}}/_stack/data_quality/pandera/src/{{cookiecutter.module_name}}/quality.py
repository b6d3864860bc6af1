"""The training set's data-quality checks, written with pandera.

dbt tests already guard keys and accepted values inside the warehouse; these checks look at the frame the
model will actually be trained on, including what SQL tests express badly (per-split label rates, rules across
columns).
"""

import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors

from .gate import Failure
from .settings import Settings
from .training_set import AMOUNTS, COUNTS, FLAGS, KEY, LABEL, SIGNED, SPLIT, SPLITS

# A label rate outside these bounds in any split means the log or a join broke, not that customers changed.
LABEL_RATE_BOUNDS = (0.005, 0.8)

SCHEMA = pa.DataFrameSchema(
    {
        KEY: pa.Column(str, unique=True),
        "user_id": pa.Column(str),
        "session_start": pa.Column("datetime64[us]"),
        SPLIT: pa.Column(str, pa.Check.isin(SPLITS)),
        LABEL: pa.Column(int, pa.Check.isin([0, 1])),
        **{name: pa.Column(int, pa.Check.ge(0)) for name in COUNTS},
        **{name: pa.Column(int, pa.Check.isin([0, 1])) for name in FLAGS},
        **{name: pa.Column(float, pa.Check.ge(0)) for name in AMOUNTS},
        **{name: pa.Column(int) for name in SIGNED},
    },
    checks=[
        pa.Check(
            lambda df: df["max_price_viewed"] >= df["mean_price_viewed"], name="max price >= mean price"
        ),
        pa.Check(
            lambda df: df["net_cart_items"] == df["n_cart_adds"] - df["n_cart_removes"],
            name="net cart items = adds - removes",
        ),
        pa.Check(
            lambda df: df["n_distinct_categories"] <= df["n_distinct_products"],
            name="categories <= products",
        ),
        pa.Check(lambda df: set(df[SPLIT].unique()) == set(SPLITS), name="every split has sessions"),
        pa.Check(
            lambda df: df.groupby(SPLIT)[LABEL].mean().between(*LABEL_RATE_BOUNDS).all(),
            name=f"label rate per split within {LABEL_RATE_BOUNDS}",
        ),
    ],
    strict=True,
    coerce=True,
)


def check(frame: pd.DataFrame, settings: Settings) -> list[Failure]:
    """Every failed check, with how many rows fail it (0 for checks on the whole frame).

    pandera's failure cases (each failing value with its row) go to ``artifacts/quality/failure_cases.csv``.
    """
    path = settings.artifacts_dir / "quality" / "failure_cases.csv"
    path.unlink(missing_ok=True)  # a passing run must not leave the last failure's cases behind
    try:
        SCHEMA.validate(frame, lazy=True)
    except SchemaErrors as errors:
        cases = errors.failure_cases
        path.parent.mkdir(parents=True, exist_ok=True)
        cases.to_csv(path, index=False)
        failures = []
        for (column, check_name), group in cases.groupby(["column", "check"], dropna=False, sort=True):
            rows = int(group["index"].notna().sum())
            failures.append(
                Failure(check=str(check_name), column=None if pd.isna(column) else str(column), rows=rows)
            )
        return failures
    return []
