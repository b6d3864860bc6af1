"""Training is seeded and single-node; evaluation beats the baseline or stops the run."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from {{ cookiecutter.module_name }}.model.evaluate import ModelGateError, evaluate, model_gate
from {{ cookiecutter.module_name }}.model.train import TrainedModel, train
from {{ cookiecutter.module_name }}.release.promotion import with_metadata
from {{ cookiecutter.module_name }}.serving.scoring import Scorer
from {{ cookiecutter.module_name }}.settings import Settings
from {{ cookiecutter.module_name }}.training_set import FEATURES, LABEL


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


def test_the_report_puts_baseline_candidate_and_accepted_model_side_by_side_with_the_plots(
    model: TrainedModel, training_frame: pd.DataFrame, settings: Settings
) -> None:
    first = evaluate(model, training_frame, settings, settings.artifacts_dir / "first")
    assert "no accepted model yet" in first.headline()
    # The same model, accepted: scored again on the holdout, it must score exactly as the candidate does.
    settings.accepted_model_path.parent.mkdir(parents=True)
    settings.accepted_model_path.write_text(json.dumps(with_metadata(model.export(), first.metrics)))

    second = evaluate(model, training_frame, settings, settings.artifacts_dir / "second")

    report = second.report_path.read_text()
    assert "| metric | baseline | candidate | accepted before this run |" in report
    metrics = second.metrics
    ap = f"{metrics['baseline_average_precision']:.3f} | {metrics['average_precision']:.3f} | "
    assert f"| average precision (higher is better) | {ap}{metrics['average_precision']:.3f} |" in report
    assert "**Status: candidate** — passed the model gate" in report
    for plot in second.plots:
        assert f"](plots/{plot.name})" in report and plot.exists()


def test_a_challenger_must_beat_the_champion_on_the_same_holdout_by_the_margin(
    model: TrainedModel, training_frame: pd.DataFrame, settings: Settings
) -> None:
    """The accepted model is this very model: it scores the same, which passes a margin of 0 and no more."""
    first = evaluate(model, training_frame, settings, settings.artifacts_dir / "first")
    settings.accepted_model_path.parent.mkdir(parents=True)
    settings.accepted_model_path.write_text(json.dumps(with_metadata(model.export(), first.metrics)))
    demanding = settings.model_copy(update={"min_gain_over_accepted": 0.01})

    challenger = evaluate(model, training_frame, demanding, settings.artifacts_dir / "challenger")

    assert challenger.gain == pytest.approx(0, abs=1e-9)
    model_gate(challenger, settings)  # as good as the champion: the default margin lets it in
    ap = f"{first.metrics['average_precision']:.3f}"
    with pytest.raises(ModelGateError) as refused:
        model_gate(challenger, demanding)
    assert (
        f"model gate failed: average precision {ap} against the accepted model's {ap} on the same holdout is "
        "+0.000, less than the required +0.010 (min_gain_over_accepted); the accepted model stays"
    ) in str(refused.value)
    report = challenger.report_path.read_text()
    assert "**Status: rejected**" in report
    champion = "at least +0.010 average precision against the accepted model on the same holdout"
    assert f"{champion}; it scores +0.000" in report


def test_a_rejected_candidates_report_says_so_and_names_the_accepted_model(
    model: TrainedModel, training_frame: pd.DataFrame, tmp_path: Path
) -> None:
    strict = Settings(workspace=tmp_path, min_lift=0.99)
    strict.accepted_model_path.parent.mkdir(parents=True)
    strict.accepted_model_path.write_text(json.dumps({"format": "another/1", "version": "v-accepted"}))
    evaluation = evaluate(model, training_frame, strict, strict.artifacts_dir / "evaluation")

    with pytest.raises(ModelGateError):
        model_gate(evaluation, strict)

    report = evaluation.report_path.read_text()
    assert "**Status: rejected** — by the model gate; the accepted model is v-accepted" in report
    assert "v-accepted" in report and "cannot score this holdout" in report


def test_the_precision_recall_baseline_is_flat_at_the_positive_rate(
    model: TrainedModel, training_frame: pd.DataFrame, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    figures: list[Figure] = []
    monkeypatch.setattr("matplotlib.pyplot.close", figures.append)

    evaluate(model, training_frame, settings, settings.artifacts_dir / "evaluation")

    [axes] = [f.axes[0] for f in figures if f.axes[0].get_title().startswith("Precision-recall")]
    [baseline] = [line for line in axes.get_lines() if str(line.get_label()).startswith("baseline")]
    positive_rate = training_frame.loc[training_frame["split"] == "test", LABEL].mean()
    np.testing.assert_allclose(np.asarray(baseline.get_ydata(), dtype=float), positive_rate)


def test_the_export_scores_exactly_like_the_trained_model(
    model: TrainedModel, training_frame: pd.DataFrame
) -> None:
    scorer = Scorer.from_export(with_metadata(model.export(), {}))
    rows = training_frame.head(500)

    exported = [
        scorer.probability({name: float(row[name]) for name in FEATURES}) for _, row in rows.iterrows()
    ]

    np.testing.assert_allclose(exported, model.predict_proba(rows), rtol=0, atol=1e-12)
