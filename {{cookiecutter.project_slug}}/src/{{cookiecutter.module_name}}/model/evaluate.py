"""Evaluation on the time-based holdout: the model against a trivial baseline, plots, then the model gate.

The baseline predicts the label's training rate for every session. A model that cannot beat it by
``settings.min_lift`` average precision is not worth deploying, however good its other numbers look.
"""

import json
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only: no display on servers and CI

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from sklearn.calibration import calibration_curve
from sklearn.metrics import (
    average_precision_score,
    brier_score_loss,
    log_loss,
    precision_recall_curve,
    roc_auc_score,
    roc_curve,
)

from ..errors import StageError
from ..settings import Settings
from ..training_set import CONTRACT, LABEL, PREDICTION, SPLIT
from .train import TrainedModel


@dataclass(frozen=True)
class Evaluation:
    metrics: dict[str, float]
    metrics_path: Path
    plots: list[Path]

    @property
    def lift(self) -> float:
        return self.metrics["average_precision"] - self.metrics["baseline_average_precision"]


class ModelGateError(StageError):
    """The model did not beat the baseline by the required margin; nothing was packaged."""

    outcome = "rejected"


def evaluate(model: TrainedModel, frame: pd.DataFrame, settings: Settings, out_dir: Path) -> Evaluation:
    """Score the holdout and write ``metrics.json`` and plots into ``out_dir``."""
    seen = frame[frame[SPLIT] != "test"]
    holdout = frame[frame[SPLIT] == "test"]
    truth = holdout[LABEL].to_numpy()
    predicted = model.predict_proba(holdout)
    baseline = np.full(len(holdout), seen[LABEL].mean())

    metrics = {
        **_scores(truth, predicted),
        **{f"baseline_{name}": value for name, value in _scores(truth, baseline).items()},
        "holdout_sessions": float(len(holdout)),
        f"holdout_{PREDICTION}_rate": float(truth.mean()),
        "min_lift": settings.min_lift,
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    metrics_path = out_dir / "metrics.json"
    metrics_path.write_text(json.dumps(metrics, indent=2, sort_keys=True) + "\n")
    return Evaluation(metrics, metrics_path, _plot(truth, predicted, baseline, out_dir / "plots"))


def model_gate(evaluation: Evaluation, settings: Settings) -> None:
    """Stop the run unless the model beats the baseline by ``settings.min_lift`` average precision."""
    if evaluation.lift < settings.min_lift:
        metrics = evaluation.metrics
        raise ModelGateError(
            f"model gate failed: average precision {metrics['average_precision']:.3f} beats the baseline's "
            f"{metrics['baseline_average_precision']:.3f} by {evaluation.lift:.3f}, less than the required "
            f"{settings.min_lift:.3f}; the accepted model stays (this candidate's metrics: "
            f"{evaluation.metrics_path})"
        )


def _scores(truth: np.ndarray, predicted: np.ndarray) -> dict[str, float]:
    return {
        "average_precision": float(average_precision_score(truth, predicted)),
        "roc_auc": float(roc_auc_score(truth, predicted)),
        "log_loss": float(log_loss(truth, predicted, labels=[0, 1])),
        "brier": float(brier_score_loss(truth, predicted)),
    }


def _plot(truth: np.ndarray, predicted: np.ndarray, baseline: np.ndarray, out_dir: Path) -> list[Path]:
    """ROC, precision-recall and calibration curves, the three a reviewer looks at first."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []

    figure, axes = plt.subplots(figsize=(5, 5))
    for name, scores in (("model", predicted), ("baseline", baseline)):
        fpr, tpr, _ = roc_curve(truth, scores)
        axes.plot(fpr, tpr, label=f"{name} (AUC {roc_auc_score(truth, scores):.3f})")
    axes.set(xlabel="false positive rate", ylabel="true positive rate", title="ROC curve on the holdout")
    paths.append(_save(figure, axes, out_dir / "roc.png"))

    figure, axes = plt.subplots(figsize=(5, 5))
    for name, scores in (("model", predicted), ("baseline", baseline)):
        precision, recall, _ = precision_recall_curve(truth, scores)
        axes.plot(recall, precision, label=f"{name} (AP {average_precision_score(truth, scores):.3f})")
    axes.set(xlabel="recall", ylabel="precision", title="Precision-recall on the holdout")
    paths.append(_save(figure, axes, out_dir / "precision_recall.png"))

    figure, axes = plt.subplots(figsize=(5, 5))
    observed, expected = calibration_curve(truth, predicted, n_bins=10, strategy="quantile")
    axes.plot([0, 1], [0, 1], linestyle="--", color="grey", label="perfectly calibrated")
    axes.plot(expected, observed, marker="o", label="model")
    axes.set(
        xlabel="predicted probability",
        ylabel=f"observed {CONTRACT.prediction_words} rate",
        title="Calibration on the holdout",
    )
    paths.append(_save(figure, axes, out_dir / "calibration.png"))
    return paths


def _save(figure: Figure, axes: Axes, path: Path) -> Path:
    axes.legend(loc="best")
    axes.grid(alpha=0.3)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return path
