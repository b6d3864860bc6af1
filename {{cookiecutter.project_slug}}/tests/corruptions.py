"""Ways a training set goes bad, each a function of a copy of a good one: shared by the data-quality tests."""

from collections.abc import Callable

import pandas as pd

Corruption = Callable[[pd.DataFrame], pd.DataFrame]


def null_keys(frame: pd.DataFrame) -> pd.DataFrame:
    frame.loc[frame.index[:3], "session_id"] = None
    return frame


def duplicate_rows(frame: pd.DataFrame) -> pd.DataFrame:
    return pd.concat([frame, frame.head(5)], ignore_index=True)


def negative_counts(frame: pd.DataFrame) -> pd.DataFrame:
    frame.loc[frame.index[:4], "n_pageviews"] = -1
    return frame


def unseen_split(frame: pd.DataFrame) -> pd.DataFrame:
    frame.loc[frame.index[:2], "split"] = "holdout"
    return frame


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


def inconsistent_cart(frame: pd.DataFrame) -> pd.DataFrame:
    frame.loc[frame.index[:6], "net_cart_items"] = frame["net_cart_items"].iloc[:6] + 1
    return frame
