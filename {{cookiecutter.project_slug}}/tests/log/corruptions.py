"""Ways a training set goes bad as a whole, each a function of a copy of a good one, for the data-quality
tests. Broken values and rules come from the contract itself (contract_cases.py)."""

from collections.abc import Callable

import pandas as pd

Corruption = Callable[[pd.DataFrame], pd.DataFrame]


def duplicate_rows(frame: pd.DataFrame) -> pd.DataFrame:
    return pd.concat([frame, frame.head(5)], ignore_index=True)


def missing_split(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[frame["split"] != "validation"]


def renamed_column(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.rename(columns={"n_cart_adds": "cart_adds"})


def extra_column(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.assign(surprise=1)


def text_in_numbers(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.assign(session_seconds=frame["session_seconds"].astype(str) + "s")


def no_purchases(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.assign(label=0)
