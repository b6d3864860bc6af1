"""Without a tracker, every evaluated run still leaves a line in the run history."""

import json

import pandas as pd

from {{ cookiecutter.module_name }}.model.evaluate import evaluate
from {{ cookiecutter.module_name }}.model.tracking import record_run
from {{ cookiecutter.module_name }}.model.train import train
from {{ cookiecutter.module_name }}.settings import Settings


def test_each_run_appends_its_params_metrics_and_outcome(
    training_frame: pd.DataFrame, settings: Settings
) -> None:
    model = train(training_frame, settings)
    evaluation = evaluate(model, training_frame, settings, settings.artifacts_dir / "evaluation")

    record_run(model, evaluation, settings)
    record_run(model, evaluation, settings.model_copy(update={"min_lift": 0.99}))

    first, second = (
        json.loads(line) for line in (settings.artifacts_dir / "runs.jsonl").read_text().splitlines()
    )
    assert first["params"] == model.params
    assert first["metrics"] == evaluation.metrics
    assert (first["passed_model_gate"], second["passed_model_gate"]) == (True, False)
