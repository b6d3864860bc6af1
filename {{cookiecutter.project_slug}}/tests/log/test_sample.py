"""The sample generator: seeded, sized as asked, shaped like real browsing, and safe to re-run."""

from pathlib import Path
from typing import Any

import duckdb
import pytest

from {{ cookiecutter.module_name }}.log.events import log_files
from {{ cookiecutter.module_name }}.log.sample import EVENT_TYPES, write_sample
from {{ cookiecutter.module_name }}.settings import Settings

# The shortest sample there is: each day is a batch appended on its own (a file written and synced, most of
# the generator's time), and none of the properties below depends on how many days there are.
DAYS = 14


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(workspace=tmp_path, sample_days=DAYS)


def query(settings: Settings, sql: str) -> list[tuple[Any, ...]]:
    """Run ``sql`` against the log, which it reads as the view ``events``."""
    with duckdb.connect() as connection:
        connection.read_parquet(f"{settings.log_dir}/*/*.parquet", hive_partitioning=False).create_view(
            "events"
        )
        return connection.execute(sql).fetchall()


def test_the_same_seed_gives_the_same_log(tmp_path_factory: pytest.TempPathFactory) -> None:
    first, second = (Settings(workspace=tmp_path_factory.mktemp(name), sample_days=DAYS) for name in "ab")
    write_sample(5_000, first, progress=False)
    write_sample(5_000, second, progress=False)

    everything = (
        "select event_id, event_time, session_id, event_type, product_id, price from events order by 1"
    )
    assert query(first, everything) == query(second, everything)


def test_size_days_and_event_types_match_the_request(settings: Settings) -> None:
    results = write_sample(20_000, settings, progress=False)

    assert len(results) == settings.sample_days == len(log_files(settings))
    total = sum(r.appended for r in results)
    assert 15_000 <= total <= 25_000
    assert all(r.quarantined == 0 for r in results)
    types = {row[0] for row in query(settings, "select distinct event_type from events")}
    assert types == set(EVENT_TYPES)


def test_sessions_look_like_shopping(settings: Settings) -> None:
    write_sample(20_000, settings, progress=False)

    [(purchase_rate, pageviews_first)] = query(
        settings,
        """
        with ordered as (
            select
                event_type,
                row_number() over (partition by session_id order by event_time) as step,
                max(event_type = 'purchase') over (partition by session_id)::int as bought
            from events
        )
        select avg(bought), avg(case when event_type = 'pageview' then 1 else 0 end)
        from ordered where step = 1
        """,
    )
    assert 0.03 < purchase_rate < 0.4
    assert pageviews_first > 0.75  # most sessions start by browsing


def test_running_again_appends_nothing(settings: Settings) -> None:
    write_sample(5_000, settings, progress=False)

    again = write_sample(5_000, settings, progress=False)

    assert all(r.already_present for r in again)


def test_samples_of_other_sizes_add_their_own_shoppers_sessions_and_events(settings: Settings) -> None:
    """`make sample` with another EVENTS adds to the log: no id of the first sample is reused by the second,
    so deduplication drops nothing and no session gets two users."""
    write_sample(5_000, settings, progress=False)
    write_sample(6_000, settings, progress=False)

    [(events, ids, sessions_with_two_users)] = query(
        settings,
        """
        select
            count(*),
            count(distinct event_id),
            (select count(*) from (
                select session_id from events group by session_id having count(distinct user_id) > 1
            ))
        from events
        """,
    )
    assert events == ids and sessions_with_two_users == 0
    [(shared_users,)] = query(
        settings,
        "select count(*) from (select user_id from events group by user_id having count(distinct batch_id"
        " like '%-n5000-%') > 1)",
    )
    assert shared_users == 0
