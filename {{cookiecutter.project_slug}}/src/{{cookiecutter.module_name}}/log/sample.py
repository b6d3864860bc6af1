"""A seeded generator of a realistic e-commerce browsing log, appended day by day to the event log.

Shoppers come back over several weeks; each session is pageviews, product detail views, cart adds and removes,
and sometimes a purchase. Whether a session ends in a purchase depends on things the log shows (cart activity,
how many products were studied, price level, time of day, the shopper's history) plus noise, so a model has a
real but imperfect signal to learn. The same seed and size always give the same events, in the same batches,
so writing a sample again appends nothing; another seed or size gives other shoppers, sessions and events,
every id prefixed with the sample's name, so samples never collide in the log.
"""

import argparse
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pandas as pd

from ..settings import Settings
from ..story import Progress
from .events import AppendResult, append_batch

EVENT_TYPES = ("pageview", "detail", "add_to_cart", "remove_from_cart", "purchase")
SOURCE = "sample-generator"
# The sample's period when the settings leave it alone.
DEFAULT_PERIOD = tuple(Settings.model_fields[name].default for name in ("sample_start", "sample_days"))
CATEGORIES = (
    "books",
    "electronics",
    "garden",
    "home",
    "kitchen",
    "music",
    "outdoor",
    "shoes",
    "sports",
    "toys",
)
PRODUCTS_PER_CATEGORY = 200
EVENTS_PER_SESSION = 7.0  # the average the session model below produces, used to size a day
# Visits by hour of day (UTC): quiet nights, a lunchtime bump and an evening peak.
HOURLY_TRAFFIC = np.array([2, 1, 1, 1, 1, 2, 3, 5, 6, 6, 7, 8, 9, 8, 7, 7, 8, 9, 11, 13, 14, 12, 8, 4], float)


@dataclass(frozen=True)
class Catalog:
    """Products, each in one category with a list price."""

    category: np.ndarray
    price: np.ndarray

    @classmethod
    def build(cls, rng: np.random.Generator) -> "Catalog":
        category = np.repeat(np.arange(len(CATEGORIES)), PRODUCTS_PER_CATEGORY)
        typical_price = rng.uniform(10, 150, len(CATEGORIES))[category]
        price = np.round(typical_price * rng.lognormal(0, 0.5, category.size), 2)
        return cls(category, price)


@dataclass(frozen=True)
class Shop:
    """A sample's shop: its catalog, its shoppers (each one's taste), its traffic, and the name every id of
    its events starts with. More days of the same shop are more of the same sample (tests serve them)."""

    name: str
    catalog: Catalog
    shopper_taste: np.ndarray
    sessions_per_day: int

    @classmethod
    def of_sample(cls, events: int, settings: Settings) -> tuple["Shop", np.random.Generator]:
        """The shop of the sample of about ``events`` events, and the generator its days are drawn from."""
        rng = np.random.default_rng(settings.seed)
        catalog = Catalog.build(rng)
        sessions_per_day = max(1, round(events / EVENTS_PER_SESSION / settings.sample_days))
        # About three sessions per shopper over the period, so history features mean something.
        shopper_taste = rng.normal(-0.8, 1.0, max(10, sessions_per_day * settings.sample_days // 3))
        name = f"sample-s{settings.seed}-n{events}"
        if (settings.sample_start, settings.sample_days) != DEFAULT_PERIOD:
            # Another period is another sample: the default one keeps the short name earlier logs hold.
            name += f"-{settings.sample_start:%Y%m%d}x{settings.sample_days}"
        return cls(name, catalog, shopper_taste, sessions_per_day), rng


def generate_day(
    day: date,
    sessions: int,
    *,
    catalog: Catalog,
    shopper_taste: np.ndarray,
    rng: np.random.Generator,
    prefix: str = "sample",
) -> pd.DataFrame:
    """The events of one day's sessions, in the log's input format; every id starts with ``prefix``."""
    n_shoppers = shopper_taste.size
    shopper = rng.integers(0, n_shoppers, sessions)
    hour = rng.choice(24, sessions, p=HOURLY_TRAFFIC / HOURLY_TRAFFIC.sum())
    start = pd.Timestamp(day) + pd.to_timedelta(hour * 3600 + rng.integers(0, 3600, sessions), unit="s")

    # Intent is hidden; what the log shows are its consequences.
    evening = (hour >= 18) & (hour <= 22)
    weekend = day.weekday() >= 5
    intent_logit = shopper_taste[shopper] + rng.normal(0, 1.0, sessions) + 0.4 * evening + 0.3 * weekend
    intent = 1 / (1 + np.exp(-intent_logit))
    focus = rng.integers(0, len(CATEGORIES), sessions)

    pageviews = 1 + rng.poisson(1.5 + 2.0 * (1 - intent))
    details = rng.poisson(0.5 + 4.0 * intent)
    adds = rng.binomial(details, 0.05 + 0.45 * intent)
    removes = rng.binomial(adds, 0.35 * (1 - intent))
    kept = adds - removes

    looked_at = details + adds + removes + 1
    products = _pick_products(focus, looked_at, catalog, rng)
    first_product = np.r_[0, np.cumsum(looked_at)[:-1]]
    price_level = np.add.reduceat(catalog.price[products], first_product) / looked_at
    purchase_logit = -3.0 + 1.1 * np.minimum(kept, 3) + 2.0 * intent - 0.6 * np.log(price_level / 60.0)
    purchases = ((kept > 0) & (rng.random(sessions) < 1 / (1 + np.exp(-purchase_logit)))).astype(int)

    counts = np.stack([pageviews, details, adds, removes, purchases], axis=1)
    event_session = np.repeat(np.repeat(np.arange(sessions), 5), counts.ravel())
    event_type = np.tile(np.arange(5), sessions).repeat(counts.ravel())

    # Order within a session: browsing first, carts later, the purchase last.
    earliest = np.array([0.0, 0.1, 0.3, 0.5, 1.0])[event_type]
    latest = np.array([0.6, 0.9, 0.95, 0.98, 1.0])[event_type]
    order = np.lexsort((rng.uniform(earliest, latest), event_session))
    event_session, event_type = event_session[order], event_type[order]

    gap_seconds = rng.exponential(20 + 40 * intent[event_session])
    position = _position_in_session(event_session)
    elapsed = np.cumsum(gap_seconds)
    elapsed -= elapsed[np.arange(event_session.size) - position]

    # Each product event takes the session's next product; the purchase buys the last one looked at.
    product = products[first_product[event_session] + np.minimum(position, looked_at[event_session] - 1)]
    has_product = event_type > 0
    stamp = f"{day:%Y%m%d}"
    session_text = pd.Series(np.arange(sessions)).astype(str)
    return pd.DataFrame(
        {
            "event_id": f"{prefix}-e{stamp}-" + pd.Series(np.arange(event_session.size)).astype(str),
            "event_time": start[event_session] + pd.to_timedelta(np.round(elapsed, 3), unit="s"),
            "session_id": (f"{prefix}-s{stamp}-" + session_text)[event_session].to_numpy(),
            "user_id": (f"{prefix}-u" + pd.Series(shopper).astype(str))[event_session].to_numpy(),
            "event_type": np.array(EVENT_TYPES)[event_type],
            "product_id": pd.Series(np.where(has_product, "p" + product.astype(str), None), dtype="string"),
            "category": pd.Series(
                np.where(has_product, np.array(CATEGORIES)[catalog.category[product]], None), dtype="string"
            ),
            "price": np.where(has_product, catalog.price[product], np.nan),
        }
    )


def _pick_products(
    focus: np.ndarray, how_many: np.ndarray, catalog: Catalog, rng: np.random.Generator
) -> np.ndarray:
    """The products each session looks at, one run per session: mostly its focus category, sometimes not."""
    picks = focus.repeat(how_many) * PRODUCTS_PER_CATEGORY + rng.integers(
        0, PRODUCTS_PER_CATEGORY, how_many.sum()
    )
    stray = rng.random(picks.size) < 0.15
    picks[stray] = rng.integers(0, catalog.price.size, stray.sum())
    return np.asarray(picks)


def _position_in_session(session: np.ndarray) -> np.ndarray:
    """0, 1, 2, ... within each run of equal, sorted session numbers."""
    starts = np.flatnonzero(np.r_[True, session[1:] != session[:-1]])
    return np.arange(session.size) - np.repeat(starts, np.diff(np.r_[starts, session.size]))


def write_sample(
    events: int, settings: Settings | None = None, *, progress: bool = True
) -> list[AppendResult]:
    """Append about ``events`` sample events to the log, one batch per day (re-running adds nothing); with
    ``progress``, say so as it goes (a start line, a line per tenth of the days at most every few seconds)."""
    settings = settings or Settings()
    shop, rng = Shop.of_sample(events, settings)
    name = shop.name
    days = [settings.sample_start + timedelta(days=i) for i in range(settings.sample_days)]
    results = []
    writing = f"writing a sample of about {events:,} events, one batch per day for {len(days)} days"
    with Progress("log", writing, len(days), "days", quiet=not progress) as told:
        for day in days:
            weekday_factor = 1.25 if day.weekday() >= 5 else 1.0
            frame = generate_day(
                day,
                round(shop.sessions_per_day * weekday_factor),
                catalog=shop.catalog,
                shopper_taste=shop.shopper_taste,
                rng=rng,
                prefix=name,
            )
            batch_id = f"{name}-{day:%Y%m%d}"
            results.append(
                append_batch(frame, batch_id=batch_id, source=SOURCE, settings=settings, now=_ingest(day))
            )
            told.advance()
    return results


def _ingest(day: date) -> datetime:
    """Sample events arrive at the end of their day, as a nightly export would deliver them."""
    return datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=UTC).replace(hour=1)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200_000, help="about how many events to generate")
    args = parser.parse_args(argv)
    if args.events < 1_000:
        parser.error(f"--events {args.events} is too small: use at least 1000 so every split has sessions")
    results = write_sample(args.events, progress=True)
    appended = sum(r.appended for r in results)
    skipped = sum(r.already_present for r in results)
    print(f"appended {appended:,} events in {len(results) - skipped} batches ({skipped} already in the log)")


if __name__ == "__main__":
    main()
