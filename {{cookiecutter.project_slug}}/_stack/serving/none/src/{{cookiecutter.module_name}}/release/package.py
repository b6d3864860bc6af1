"""Packaging without an endpoint: batch predictions for the holdout, and promotion of the accepted model.

With nothing to deploy, a run publishes predictions: every holdout session (those after the validation
cutoff, which the model neither trained nor was tuned on, up to the latest day in the log) scored with the
exported model, in ``dist/predictions.parquet`` (the accepted run's ``bundle/predictions.parquet``). The whole
holdout rather than its last day: its labels are known, so the predictions can be monitored against outcomes,
and the newest sessions are a filter on ``session_start`` away. Query them with DuckDB, for instance:
``duckdb -c "select * from 'dist/predictions.parquet' order by purchase_probability desc limit 10"`` (the
column is named for contract.toml's training_set.prediction).

Scoring goes through the standard-library scorer and the scoring API an endpoint would use, so these are
the predictions a deployed model would give, and a session with a missing or impossible feature stops the run
with its name instead of becoming a silent NaN. They must match the trained model's before the run is
accepted; the predictions, the model and its evidence then change together, in one step.

Once published, the predictions are recorded in the event log as prediction events, as an endpoint records
its answers (``serving/recording.py``), each dated by its session's start, so `make monitor` watches them.
The same predictions (sessions and scores) are recorded once, by whichever run published them first: running
again on the same log appends nothing.
"""

import hashlib
import sys
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import StageError
from ..log.events import read_manifest
from ..log.predictions import log_writer
from ..quality import checks, gate
from ..runs import Run
from ..serving.api import Model, RequestError, score_sessions
from ..serving.recording import prediction_events
from ..serving.scoring import Scorer
from ..settings import Settings
from ..training_set import HOLDOUT, KEY, OUTPUT, SPLIT
from ..warehouse.read import load_training_set
from .promotion import (
    Build,
    Bundle,
    Check,
    Examples,
    PackagingError,
    accepted_model,
    check_predictions,
    promote,
    rebuild,
)

FILE_NAME = "predictions.parquet"


def package(
    exported: dict[str, Any], examples: Examples, expected: list[float], settings: Settings, run: Run
) -> Bundle:
    """Check the exported model reproduces ``expected`` on ``examples``, then publish its predictions."""
    training_set = load_training_set(settings)
    bundle = promote(exported, examples, expected, settings, run, scoring(training_set), checking(exported))
    record(bundle, training_set, settings)
    return bundle


def checking(exported: dict[str, Any]) -> Check:
    """The check of a bundle of predictions: the exported model it came from reproduces the trained one's."""

    def check(bundle: Bundle, examples: Examples, expected: list[float]) -> None:
        answered = probabilities(Scorer.from_export(exported), examples)
        check_predictions(answered, expected, "the exported model")

    return check


def scoring(training_set: pd.DataFrame) -> Build:
    """What builds the bundle: the holdout of ``training_set`` scored by an exported model."""

    def build(exported: dict[str, Any], out_dir: Path) -> Bundle:
        return publish(Scorer.from_export(exported), training_set, out_dir)

    return build


def publish(model: Model, training_set: pd.DataFrame, out_dir: Path) -> Bundle:
    """Score the holdout into ``out_dir/predictions.parquet``."""
    holdout = training_set[training_set[SPLIT] == HOLDOUT]
    predictions = pd.DataFrame(
        {
            KEY: holdout[KEY].to_numpy(),
            "session_start": holdout["session_start"].to_numpy(),
            OUTPUT: probabilities(model, holdout[[KEY, *model.features]].to_dict("records")),
            "model_version": model.version,
        }
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / FILE_NAME
    predictions.to_parquet(path, index=False)
    return Bundle(path, model.version)


def record(bundle: Bundle, training_set: pd.DataFrame, settings: Settings) -> None:
    """Append the published predictions to the event log, with the features they were made from, unless the
    log holds the same predictions already."""
    published = pd.read_parquet(bundle.archive)
    pairs = zip(published[KEY], published[OUTPUT], strict=True)
    predicted = "\n".join(f"{key} {score!r}" for key, score in pairs)
    batch = f"predictions-{hashlib.sha256(predicted.encode()).hexdigest()[:32]}"
    if read_manifest(batch, settings) is not None:
        return
    features = training_set.set_index(KEY).loc[published[KEY]]
    model = Scorer.load(settings.accepted_model_path)
    sessions = [
        {KEY: key, **{name: row[name] for name in model.features}}
        for key, row in zip(published[KEY], features.to_dict("records"), strict=True)
    ]
    answers = [{OUTPUT: score} for score in published[OUTPUT]]
    events = prediction_events(f"batch-{bundle.version}", bundle.version, KEY, OUTPUT, sessions, answers)
    for event, started in zip(events, published["session_start"], strict=True):
        event["event_id"] = f"{bundle.version}-{event['session_id']}"
        event["event_time"] = pd.Timestamp(started).isoformat()
    log_writer(settings)(batch, events)


def predict(training_set: pd.DataFrame, settings: Settings) -> Bundle:
    """The holdout of ``training_set`` scored by the accepted model in a new run, once the training set passes
    the quality gate, and recorded in the log: what `make package` does after each build."""

    def vet(run: Run) -> None:
        gate.run(training_set, checks.check(training_set, settings, run.quality_dir), settings, run)

    bundle = rebuild(settings, scoring(training_set), checking(accepted_model(settings)), vet)
    record(bundle, training_set, settings)
    return bundle


def probabilities(model: Model, sessions: Examples) -> list[float]:
    """Each session's probability, checked and scored as an endpoint would."""
    try:
        return [p[model.inputs.output] for p in score_sessions(model, sessions)]
    except RequestError as problem:
        raise PackagingError(f"a session cannot be scored: {problem}") from None


def main() -> None:
    """``make package``: score the warehouse's current holdout with the accepted model, without retraining.

    The warehouse holds the last build, which a gate may have stopped: its training set passes the quality
    gate (against the accepted run's volume) before anything is scored.
    """
    settings = Settings()
    try:
        bundle = predict(load_training_set(settings), settings)
    except StageError as error:
        sys.exit(f"error: {error}")
    rows = len(pd.read_parquet(bundle.archive, columns=[KEY]))
    print(f"{rows:,} predictions by model {bundle.version} in {bundle.archive}")


if __name__ == "__main__":
    main()
