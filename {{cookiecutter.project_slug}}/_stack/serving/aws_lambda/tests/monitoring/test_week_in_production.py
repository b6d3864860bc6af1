"""A week in production: the accepted model behind `make serve-local`'s server, a week of shoppers whose
sessions it scores over HTTP and records in the log, their outcomes, `make monitor`, then retraining.

From the fourth day a site change shows every session more pageviews, in the shoppers' own events, so that
retraining reads the new world from the log, not only from the requests. The monitoring gate must flag
n_pageviews on each day from then on, on no day before, and no other feature. Retraining on the grown log must
replace the champion if and only if the challenger beats it by ``min_gain_over_accepted`` on the same holdout:
once with a margin no challenger can meet, once with the settings' own.
"""

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta

import numpy as np
import pandas as pd
import pytest

from {{ cookiecutter.module_name }} import pipeline
from {{ cookiecutter.module_name }}.log.events import append_batch
from {{ cookiecutter.module_name }}.log.predictions import log_writer
from {{ cookiecutter.module_name }}.log.sample import Catalog, generate_day
from {{ cookiecutter.module_name }}.model.evaluate import ModelGateError, accepted_model
from {{ cookiecutter.module_name }}.monitoring import gate
from {{ cookiecutter.module_name }}.runs import accepted
from {{ cookiecutter.module_name }}.serving.recording import Recorder
from {{ cookiecutter.module_name }}.serving.scoring import Scorer
from {{ cookiecutter.module_name }}.serving.serve_local import make_server
from {{ cookiecutter.module_name }}.settings import Settings
from {{ cookiecutter.module_name }}.training_set import CONTRACT, FEATURES, KEY, LABEL, SPLIT
from {{ cookiecutter.module_name }}.warehouse.read import load_training_set
from {{ cookiecutter.module_name }}.warehouse.transform import build

from ..api_cases import body, call
from ..conftest import TINY_SAMPLE_EVENTS

DAYS = 7
SHIFT_DAY = 3  # the fourth day, counting from 0
SESSIONS_PER_DAY = 200  # over min_predictions_per_day: every day is judged
SHIFTED = "n_pageviews"
EXTRA_PAGEVIEWS = 3
SOURCE = "week-in-production"
# A margin no challenger can meet: average precision is at most 1 and the champion's is above 0.
UNBEATABLE = 1.0


class Clock:
    """The time the recorder dates predictions with: the test sets it to each session's start."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


@contextmanager
def served(settings: Settings, clock: Clock) -> Iterator[str]:
    """`make serve-local`'s server on a free port, serving the accepted model and recording its predictions in
    the log as `make serve-local` does: its scoring URL.

    The recorder takes its time from ``clock`` (a parameter of the recorder, the wall clock by default) rather
    than from a patched ``datetime``: a week is replayed in seconds through the code path the service runs.
    """
    recorder = Recorder(log_writer(settings), clock=clock)
    server = make_server(Scorer.load(settings.accepted_model_path), "127.0.0.1", 0, recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/predict"
    finally:
        server.shutdown()
        server.server_close()
        recorder.close()  # what is still buffered goes to the log, as when the server stops


def visitors(known: dict[str, int], history: np.ndarray, day: date, rng: np.random.Generator) -> list[str]:
    """A day's shoppers, each with as many earlier sessions as a training session drawn at random had.

    The sample's shoppers all keep coming back, so a week after it each has more history than the training
    sessions had, and prior_sessions would drift from the first day whatever the site does. A real shop has
    newcomers too: each visitor is a known shopper with the drawn number of sessions (``known``), or a
    newcomer when the draw is 0 or no shopper has that many."""
    by_count: dict[int, list[str]] = {}
    for user, count in known.items():
        by_count.setdefault(count, []).append(user)
    chosen: list[str] = []
    for number, wanted in enumerate(rng.choice(history, SESSIONS_PER_DAY)):
        candidates = sorted(set(by_count.get(int(wanted), [])) - set(chosen))
        chosen.append(str(rng.choice(candidates)) if candidates else f"week-{day:%Y%m%d}-newcomer-{number}")
    return chosen


def day_of_events(day: date, users: list[str], catalog: Catalog, rng: np.random.Generator) -> pd.DataFrame:
    """The shoppers' events of one day's sessions, from the sample's generator, one session per visitor."""
    taste = rng.normal(-0.8, 1.0, len(users))
    events = generate_day(day, len(users), catalog=catalog, shopper_taste=taste, rng=rng, prefix="week")
    # The generator numbers a day's sessions: the i-th is the i-th visitor's.
    number = events["session_id"].str.rsplit("-", n=1).str[1].astype(int)
    events["user_id"] = np.array(users)[number]
    return events


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


def append_week(settings: Settings, days: list[date]) -> None:
    """Each day's browsing appended as the day ends and its purchases (the outcomes) the next morning, through
    the log's API, as producers would send them."""
    rng = np.random.default_rng(settings.seed + 1)
    # The sample generator builds its catalog first from the seed: the same shop, at the same prices.
    catalog = Catalog.build(np.random.default_rng(settings.seed))
    sessions = load_training_set(settings)
    known = {str(user): int(count) for user, count in sessions["user_id"].value_counts().items()}
    history = sessions.loc[sessions[SPLIT] == "train", "prior_sessions"].to_numpy()
    for offset, day in enumerate(days):
        users = visitors(known, history, day, rng)
        events = day_of_events(day, users, catalog, rng)
        if offset >= SHIFT_DAY:
            events = with_extra_pageviews(events)
        for user in users:
            known[user] = known.get(user, 0) + 1
        purchases = events["event_type"] == "purchase"
        day_ends = datetime.combine(day, time(23, 59), tzinfo=UTC)
        browsing, outcomes = events[~purchases], events[purchases]
        append_batch(browsing, batch_id=f"week-{day}", source=SOURCE, settings=settings, now=day_ends)
        next_morning = day_ends + timedelta(hours=8)
        append_batch(outcomes, batch_id=f"outcomes-{day}", source=SOURCE, settings=settings, now=next_morning)


def send_traffic(settings: Settings, week: pd.DataFrame) -> None:
    """Each session of the week scored once over HTTP, as it starts."""
    clock = Clock()
    with served(settings, clock) as url:
        for session in week.sort_values("session_start").to_dict("records"):
            clock.now = pd.Timestamp(session["session_start"]).to_pydatetime().replace(tzinfo=UTC)
            request = {KEY: session[KEY]} | {name: session[name] for name in FEATURES}
            status, answer = call(url, body({"sessions": [request]}))
            assert status == 200, answer


def version(settings: Settings) -> str:
    return str(json.loads(settings.accepted_model_path.read_text())["version"])


@pytest.mark.slow
def test_a_week_in_production_flags_the_shift_then_retrains_through_the_gate(accepted_run: Settings) -> None:
    settings = accepted_run
    champion = version(settings)
    first_day = settings.sample_start + timedelta(days=settings.sample_days)
    days = [first_day + timedelta(days=offset) for offset in range(DAYS)]

    append_week(settings, days)
    # A request carries the features the project's transform computes for its session.
    build(settings)
    sessions = load_training_set(settings)
    week = sessions[pd.to_datetime(sessions["session_start"]) >= pd.Timestamp(first_day)]
    assert len(week) == DAYS * SESSIONS_PER_DAY
    send_traffic(settings, week)

    found = gate.check(settings)

    drifted = [failure for failure in found.failures if failure.check.startswith("PSI")]
    assert {failure.column for failure in drifted} == {SHIFTED}
    flagged = [day for day in days if any(f"on {day}" in failure.detail for failure in drifted)]
    assert flagged == days[SHIFT_DAY:]
    assert found.tables["daily_predictions"]["predictions"].tolist() == [SESSIONS_PER_DAY] * DAYS
    realised = {str(row.predicted_on)[:10]: row for row in found.tables["realised_performance"].itertuples()}
    started_on = pd.to_datetime(week["session_start"]).dt.date
    # The newest days wait for their outcomes (outcome_days after them); the others have every one.
    for day in days[: -1 - settings.outcome_days]:
        assert realised[str(day)].predictions_with_outcome == SESSIONS_PER_DAY
        assert realised[str(day)].observed_rate == pytest.approx(week[started_on == day][LABEL].mean())

    # Retraining as `make run` does, with the cutoffs moved on as far as the quality gate allows (a holdout of
    # min_holdout_days): the challenger fits on the log up to the week, and it and the champion are judged on
    # the week, the shifted days included.
    moved = days[-1] - timedelta(days=CONTRACT.min_holdout_days) - settings.validation_cutoff
    train_cutoff, validation_cutoff = settings.train_cutoff + moved, settings.validation_cutoff + moved
    retraining = settings.model_copy(
        update={"train_cutoff": train_cutoff, "validation_cutoff": validation_cutoff}
    )
    before = set(settings.runs_dir.iterdir())
    with pytest.raises(ModelGateError, match="the accepted model stays"):
        pipeline.run(retraining.model_copy(update={"min_gain_over_accepted": UNBEATABLE}), TINY_SAMPLE_EVENTS)
    assert version(settings) == champion
    [rejected] = set(settings.runs_dir.iterdir()) - before
    report = (rejected / "evaluation" / "report.md").read_text()
    assert f"**Status: rejected** — by the model gate; the accepted model is {champion}" in report
    # What the challenger gains on the champion, from the rejected run's figures and the champion scored on
    # the same holdout.
    holdout = load_training_set(retraining)
    champion_scored = accepted_model(holdout[holdout[SPLIT] == "test"], retraining)
    assert champion_scored is not None and champion_scored.version == champion
    challenger = json.loads((rejected / "evaluation" / "metrics.json").read_text())["average_precision"]
    gain = challenger - champion_scored.metrics["average_precision"]
    assert gain < UNBEATABLE

    # The settings' margin; should a model family's challenger fall short of it on this week, a margin just
    # under what it gains, so that a challenger replacing the champion is exercised whatever the family.
    margin = min(retraining.min_gain_over_accepted, gain - 0.001)
    winnable = retraining.model_copy(update={"min_gain_over_accepted": margin})
    summary = pipeline.run(winnable, TINY_SAMPLE_EVENTS)

    assert summary.evaluation.gain == pytest.approx(gain)  # the same challenger, on the same holdout
    assert version(settings) != champion
    assert version(settings) == summary.bundle.version
    now_accepted = accepted(settings)
    assert now_accepted is not None and now_accepted.dir == summary.run.dir
