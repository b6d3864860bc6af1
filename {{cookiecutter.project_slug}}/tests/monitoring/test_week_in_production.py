"""A week in production: the accepted model scoring a week of the sample's shoppers the way the serving target
does (``score_week``: over HTTP by `make serve-local`'s server and its recorder, or, with no endpoint, by the
nightly batch predictions, day by day), their outcomes, `make monitor`, then retraining.

From the fourth day a site change shows every session more pageviews, in the shoppers' own events, so that
retraining reads the new world from the log, not only from the predictions. The shoppers keep coming back,
so their history grows all week, as any shop's log does. The monitoring gate must flag n_pageviews on each
day from the fourth on, on no day before, and no other feature. Retraining on the grown log must replace the
champion if and only if the challenger beats it by ``min_gain_over_accepted`` on the same holdout: once with
a margin no challenger can meet, once with the settings' own.
"""

import json
from datetime import timedelta

import pandas as pd
import pytest

from {{ cookiecutter.module_name }} import pipeline
from {{ cookiecutter.module_name }}.model.evaluate import ModelGateError, accepted_model
from {{ cookiecutter.module_name }}.monitoring import gate
from {{ cookiecutter.module_name }}.runs import accepted
from {{ cookiecutter.module_name }}.settings import Settings
from {{ cookiecutter.module_name }}.training_set import CONTRACT, LABEL, SPLIT
from {{ cookiecutter.module_name }}.warehouse.read import load_training_set

from ..conftest import TINY_SAMPLE_EVENTS
from .week import SESSIONS_PER_DAY, ScoreWeek, append_week, on_days, week_after_sample

SHIFT_DAY = 3  # the fourth day, counting from 0
SHIFTED = "n_pageviews"
# A margin no challenger can meet: average precision is at most 1 and the champion's is above 0.
UNBEATABLE = 1.0


def version(settings: Settings) -> str:
    return str(json.loads(settings.accepted_model_path.read_text())["version"])


@pytest.mark.slow
def test_a_week_in_production_flags_the_shift_then_retrains_through_the_gate(
    accepted_run: Settings, score_week: ScoreWeek
) -> None:
    settings = accepted_run
    champion = version(settings)
    days = week_after_sample(settings)
    # A prediction reads the features the project's transform computes for its session.
    week = append_week(settings, days, shifted_from=SHIFT_DAY)

    score_week(settings, week)
    found = gate.check(settings)

    drifted = [failure for failure in found.failures if failure.check.startswith("PSI")]
    assert {failure.column for failure in drifted} == {SHIFTED}
    flagged = [day for day in days if any(f"on {day}" in failure.detail for failure in drifted)]
    assert flagged == days[SHIFT_DAY:]
    daily = on_days(found.tables["daily_predictions"], days)
    assert daily["predictions"].tolist() == [SESSIONS_PER_DAY] * len(days)
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
