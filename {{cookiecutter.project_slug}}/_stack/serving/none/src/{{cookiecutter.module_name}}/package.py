"""Packaging without an endpoint: batch predictions for the holdout, and promotion of the accepted model.

With nothing to deploy, a run publishes predictions: every holdout session (those after the validation
cutoff, which the model neither trained nor was tuned on, up to the latest day in the log) scored with the
exported model, in ``artifacts/predictions/predictions.parquet`` and in the ``predictions`` table of the local
DuckDB warehouse. The whole holdout rather than its last day: its labels are known, so the predictions can be
monitored against outcomes, and the newest sessions are a filter on ``session_start`` away.

Scoring goes through the standard-library scorer and the request contract an endpoint would use, so these are
the predictions a deployed model would give, and a session with a missing or impossible feature stops the run
with its name instead of becoming a silent NaN. They must match the trained model's before anything is
replaced; then the file is swapped in, the table replaced in one statement, and the model accepted.
"""

import sys
from dataclasses import dataclass
from typing import Any

import duckdb
import pandas as pd

from .contract import Model, RequestError, score_sessions
from .promotion import Bundle, Examples, PackagingError, accept, accepted_model, check_predictions
from .scoring import Scorer
from .settings import Settings
from .training_set import KEY, SPLIT
from .warehouse import WarehouseError, load_training_set


@dataclass(frozen=True)
class Predictions(Bundle):
    """The published predictions: ``archive`` is the Parquet file, also loaded into the warehouse."""

    rows: int


def package(
    exported: dict[str, Any], examples: Examples, expected: list[float], settings: Settings
) -> Predictions:
    """Check the exported model reproduces ``expected`` on ``examples``, then publish its predictions."""
    model = Scorer.from_export(exported)
    check_predictions(probabilities(model, examples), expected, "the exported model")
    bundle = publish(model, load_training_set(settings), settings)
    accept(exported, settings)
    return bundle


def publish(model: Model, training_set: pd.DataFrame, settings: Settings) -> Predictions:
    """Score the holdout and write file and table: readers see the old predictions or the new, never a mix."""
    holdout = training_set[training_set[SPLIT] == "test"]
    predictions = pd.DataFrame(
        {
            KEY: holdout[KEY].to_numpy(),
            "session_start": holdout["session_start"].to_numpy(),
            "purchase_probability": probabilities(model, holdout[[KEY, *model.features]].to_dict("records")),
            "model_version": model.version,
        }
    )
    path = settings.artifacts_dir / "predictions" / "predictions.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    staged = path.with_name(f".{path.name}.tmp")
    predictions.to_parquet(staged, index=False)
    try:
        with duckdb.connect(str(settings.warehouse_path)) as warehouse:
            replace = "create or replace table predictions as select * from read_parquet(?)"
            warehouse.execute(replace, [str(staged)])
        staged.replace(path)
    finally:
        staged.unlink(missing_ok=True)
    return Predictions(path, model.version, len(predictions))


def probabilities(model: Model, sessions: Examples) -> list[float]:
    """Each session's purchase probability, checked and scored as an endpoint would."""
    try:
        return [p["purchase_probability"] for p in score_sessions(model, sessions)]
    except RequestError as problem:
        raise PackagingError(f"a session cannot be scored: {problem}") from None


def main() -> None:
    """``make package``: score the warehouse's current holdout with the accepted model, without retraining."""
    settings = Settings()
    model = Scorer.from_export(accepted_model(settings))
    try:
        bundle = publish(model, load_training_set(settings), settings)
    except (PackagingError, WarehouseError) as error:
        sys.exit(f"error: {error}")
    print(f"{bundle.rows:,} predictions by model {bundle.version} in {bundle.archive} and table predictions")


if __name__ == "__main__":
    main()
