"""The Brier check: how the accepted model's predictions turned out once their outcomes arrived.

A day's Brier score is judged against the accepted model's on its holdout, plus ``max_brier_rise``. A day with
at least ``min_outcomes_per_day`` outcomes is judged alone; the recent days with fewer are judged together
once they add up to that many, so a shop with a few hundred outcomes a day still learns within its monitoring
window that the model got worse, without an alarm on one unlucky small day (settings.py has the figures).
"""

from dataclasses import dataclass
from typing import Any

import pandas as pd

from ..settings import Settings

OVER, WITHIN = "over the threshold", "within the threshold"


@dataclass(frozen=True)
class Judged:
    """A Brier score judged: over one day (``first`` is ``last``) or over the small days together."""

    first: Any
    last: Any
    outcomes: int
    brier: float
    verdict: str

    @property
    def together(self) -> bool:
        return bool(self.first != self.last)


def limit(expected_brier: float, settings: Settings) -> float:
    return expected_brier * (1 + settings.max_brier_rise)


def recent(table: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    """The rows of the newest ``monitor_days`` days of predictions."""
    if table.empty:
        return table
    days = pd.to_datetime(table["predicted_on"])
    return table[days > days.max() - pd.Timedelta(days=settings.monitor_days)]


def verdict(brier: float, expected_brier: float, settings: Settings) -> str:
    return OVER if brier > limit(expected_brier, settings) else WITHIN


def day_verdict(outcomes: float, brier: float, expected_brier: float, settings: Settings) -> str:
    """What the check makes of one day alone."""
    if outcomes < settings.min_outcomes_per_day:
        return (
            f"too few to judge alone (under {settings.min_outcomes_per_day:,} outcomes: min_outcomes_per_day)"
        )
    return verdict(brier, expected_brier, settings)


def judge(realised: pd.DataFrame, expected_brier: float, settings: Settings) -> list[Judged]:
    """The recent days judged alone, then the recent days too small for that, together once they can be."""
    window = recent(realised, settings)
    alone = window["predictions_with_outcome"] >= settings.min_outcomes_per_day
    days = window[alone]
    judged = [
        Judged(day, day, int(outcomes), float(brier), verdict(float(brier), expected_brier, settings))
        for day, outcomes, brier in zip(
            days["predicted_on"], days["predictions_with_outcome"], days["brier"], strict=True
        )
    ]
    small = window[~alone]
    outcomes = int(small["predictions_with_outcome"].sum())
    if outcomes >= settings.min_outcomes_per_day:  # so two days or more
        brier = float((small["brier"] * small["predictions_with_outcome"]).sum() / outcomes)
        first, last = small["predicted_on"].min(), small["predicted_on"].max()
        judged.append(Judged(first, last, outcomes, brier, verdict(brier, expected_brier, settings)))
    return judged
