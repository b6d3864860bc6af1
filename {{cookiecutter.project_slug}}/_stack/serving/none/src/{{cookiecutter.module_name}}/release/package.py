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
"""

import sys
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import StageError
from ..quality import checks, gate
from ..runs import Run
from ..serving.api import Model, RequestError, score_sessions
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
    build = scoring(load_training_set(settings))
    return promote(exported, examples, expected, settings, run, build, checking(exported))


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
        training_set = load_training_set(settings)

        def vet(run: Run) -> None:
            gate.run(training_set, checks.check(training_set, settings, run.quality_dir), settings, run)

        bundle = rebuild(settings, scoring(training_set), checking(accepted_model(settings)), vet)
    except StageError as error:
        sys.exit(f"error: {error}")
    rows = len(pd.read_parquet(bundle.archive, columns=[KEY]))
    print(f"{rows:,} predictions by model {bundle.version} in {bundle.archive}")


if __name__ == "__main__":
    main()
