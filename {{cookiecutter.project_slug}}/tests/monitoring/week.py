"""A week of the sample's shop after the sample, for the monitoring tests: the same shoppers, catalog and
session model (``log/sample.py``), so the only change is the one a test makes.

The sample's shoppers keep coming back, so their history features (prior sessions, prior purchases) grow with
every day of it: traffic that is normal in every other way, which the monitoring gate must not flag.
"""

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta

import numpy as np
import pandas as pd

from {{ cookiecutter.module_name }}.log.events import append_batch
from {{ cookiecutter.module_name }}.log.sample import Shop, generate_day
from {{ cookiecutter.module_name }}.settings import Settings
from {{ cookiecutter.module_name }}.warehouse.read import load_training_set
from {{ cookiecutter.module_name }}.warehouse.transform import build

from ..conftest import TINY_SAMPLE_EVENTS

DAYS = 7
SESSIONS_PER_DAY = 200  # over min_predictions_per_day: every day is judged
EXTRA_PAGEVIEWS = 3
SOURCE = "week-in-production"
# The serving target's way of scoring a week (its fixture ``score_week``, in tests/fixtures_serving.py): each
# session scored once by the accepted model and recorded in the log as a prediction dated at the session's
# start, as that target does in production.
ScoreWeek = Callable[[Settings, pd.DataFrame], None]


def week_after_sample(settings: Settings) -> list[date]:
    first_day = settings.sample_start + timedelta(days=settings.sample_days)
    return [first_day + timedelta(days=offset) for offset in range(DAYS)]


def with_extra_pageviews(events: pd.DataFrame) -> pd.DataFrame:
    """The site now splits its listings over more pages: each session shows EXTRA_PAGEVIEWS more pageviews,
    at its first event's time, so that nothing else about the session changes."""
    first = events.sort_values("event_time").groupby("session_id").head(1)
    no_product = pd.Series(None, index=first.index, dtype="string")
    extra = [
        first.assign(
            event_id=first["event_id"] + f"-extra{n}",
            event_type="pageview",
            product_id=no_product,
            category=no_product,
            price=np.nan,
        )
        for n in range(EXTRA_PAGEVIEWS)
    ]
    return pd.concat([events, *extra], ignore_index=True)


def append_week(settings: Settings, days: list[date], shifted_from: int | None = None) -> pd.DataFrame:
    """Each day's browsing appended as the day ends and its purchases (the outcomes) the next morning, through
    the log's API, as producers would send them; from day ``shifted_from`` (counting from 0) with extra
    pageviews. Then the transform, as `make run` does: the week's sessions, with the features it computed."""
    shop, _ = Shop.of_sample(TINY_SAMPLE_EVENTS, settings)
    rng = np.random.default_rng(settings.seed + 1)
    for offset, day in enumerate(days):
        events = generate_day(
            day,
            SESSIONS_PER_DAY,
            catalog=shop.catalog,
            shopper_taste=shop.shopper_taste,
            rng=rng,
            prefix=shop.name,
        )
        if shifted_from is not None and offset >= shifted_from:
            events = with_extra_pageviews(events)
        purchases = events["event_type"] == "purchase"
        day_ends = datetime.combine(day, time(23, 59), tzinfo=UTC)
        browsing, outcomes = events[~purchases], events[purchases]
        append_batch(browsing, batch_id=f"week-{day}", source=SOURCE, settings=settings, now=day_ends)
        next_morning = day_ends + timedelta(hours=8)
        append_batch(outcomes, batch_id=f"outcomes-{day}", source=SOURCE, settings=settings, now=next_morning)
    build(settings)
    sessions = load_training_set(settings)
    week = sessions[pd.to_datetime(sessions["session_start"]) >= pd.Timestamp(days[0])]
    assert len(week) == len(days) * SESSIONS_PER_DAY
    return week


def on_days(table: pd.DataFrame, days: list[date]) -> pd.DataFrame:
    """The rows of a monitoring table for ``days``."""
    return table[pd.to_datetime(table["predicted_on"]).dt.date.isin(days)]
