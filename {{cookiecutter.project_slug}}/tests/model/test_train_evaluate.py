"""Training is seeded and single-node; evaluation beats the baseline or stops the run."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from {{ cookiecutter.module_name }}.model.evaluate import ModelGateError, evaluate, model_gate
from {{ cookiecutter.module_name }}.model.train import TrainedModel, train
from {{ cookiecutter.module_name }}.release.promotion import with_metadata
from {{ cookiecutter.module_name }}.serving.scoring import Scorer
from {{ cookiecutter.module_name }}.settings import Settings
from {{ cookiecutter.module_name }}.training_set import FEATURES


@pytest.fixture(scope="module")
def model(training_frame: pd.DataFrame) -> TrainedModel:
    return train(training_frame, Settings())


def test_training_is_reproducible(model: TrainedModel, training_frame: pd.DataFrame) -> None:
    again = train(training_frame, Settings())

    assert again.params == model.params
    np.testing.assert_array_equal(again.predict_proba(training_frame), model.predict_proba(training_frame))


def test_training_uses_no_more_cores_than_asked(training_frame: pd.DataFrame) -> None:
    assert train(training_frame, Settings(cpu=1)).cpus == 1


def test_training_never_sees_the_holdout(model: TrainedModel, training_frame: pd.DataFrame) -> None:
    assert model.rows == int((training_frame["split"] != "test").sum())


def test_the_model_beats_the_baseline_on_the_holdout(
    model: TrainedModel, training_frame: pd.DataFrame, settings: Settings
) -> None:
    evaluation = evaluate(model, training_frame, settings, settings.artifacts_dir / "evaluation")

    assert evaluation.lift >= settings.min_lift
    assert evaluation.metrics["roc_auc"] > 0.7
    assert evaluation.metrics["baseline_roc_auc"] == pytest.approx(0.5)
    assert json.loads(evaluation.metrics_path.read_text()) == evaluation.metrics
    for plot in evaluation.plots:
        assert plot.read_bytes().startswith(b"\x89PNG"), plot


def test_the_model_gate_fails_a_model_that_does_not_beat_the_baseline_by_enough(
    model: TrainedModel, training_frame: pd.DataFrame, tmp_path: Path
) -> None:
    strict = Settings(workspace=tmp_path, min_lift=0.99)

    evaluation = evaluate(model, training_frame, strict, strict.artifacts_dir / "evaluation")

    with pytest.raises(ModelGateError, match="model gate failed"):
        model_gate(evaluation, strict)
    assert not (strict.artifacts_dir / "model").exists()


def test_the_export_scores_exactly_like_the_trained_model(
    model: TrainedModel, training_frame: pd.DataFrame
) -> None:
    scorer = Scorer.from_export(with_metadata(model.export(), {}))
    rows = training_frame.head(500)

    exported = [
        scorer.probability({name: float(row[name]) for name in FEATURES}) for _, row in rows.iterrows()
    ]

    np.testing.assert_allclose(exported, model.predict_proba(rows), rtol=0, atol=1e-12)
