"""Evaluation on the time-based holdout: the model against a trivial baseline, plots, then the model gate.

The baseline predicts the label's training rate for every session. A model that cannot beat it by
``settings.min_lift`` average precision is not worth deploying, however good its other numbers look. The
accepted model, if there is one (the champion), is scored on the same holdout, and the candidate (the
challenger) replaces it only when its average precision is at least ``settings.min_gain_over_accepted``
above the champion's: retraining on a newer log never swaps in a worse model by accident.

Everything lands in the run's ``evaluation/`` folder: ``metrics.json``, the plots, and ``report.md``, the page
a person opens, whose status line says whether this is the accepted model's evaluation ("accepted"), a
candidate's that was rejected (naming the accepted model), or one whose run stopped before acceptance.
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
from ..runs import REPORT, mark_report, status_line
from ..serving.scoring import Scorer
from ..settings import Settings
from ..story import shown
from ..training_set import CONTRACT, LABEL, PREDICTION, SPLIT
from .train import TrainedModel

# The metrics in the report's table, with how each reads.
REPORTED = {
    "average_precision": "average precision (higher is better)",
    "roc_auc": "ROC AUC (higher is better)",
    "log_loss": "log loss (lower is better)",
    "brier": "Brier score (lower is better)",
}


@dataclass(frozen=True)
class AcceptedModel:
    """The accepted model when the candidate was evaluated, scored on the candidate's holdout; ``metrics``
    is empty when it could not be (``why_not`` says why: another model format, other features)."""

    version: str
    path: Path
    metrics: dict[str, float]
    why_not: str = ""


@dataclass(frozen=True)
class Evaluation:
    metrics: dict[str, float]
    metrics_path: Path
    plots: list[Path]
    report_path: Path
    accepted: AcceptedModel | None = None

    @property
    def lift(self) -> float:
        return self.metrics["average_precision"] - self.metrics["baseline_average_precision"]

    @property
    def gain(self) -> float | None:
        """The candidate's average precision over the accepted model's on the same holdout; None when there
        is no accepted model, or it cannot score this holdout."""
        if self.accepted is None or not self.accepted.metrics:
            return None
        return self.metrics["average_precision"] - self.accepted.metrics["average_precision"]

    def refusals(self, settings: Settings) -> list[str]:
        """Why the model gate refuses this candidate, a clause per rule it breaks; empty when it passes."""
        metrics, refused = self.metrics, []
        if self.lift < settings.min_lift:
            refused.append(
                f"average precision {metrics['average_precision']:.3f} beats the baseline's "
                f"{metrics['baseline_average_precision']:.3f} by {self.lift:.3f}, less than the required "
                f"{settings.min_lift:.3f} (min_lift)"
            )
        gain = self.gain
        if gain is not None and self.accepted is not None and gain < settings.min_gain_over_accepted:
            refused.append(
                f"average precision {metrics['average_precision']:.3f} against the accepted model's "
                f"{self.accepted.metrics['average_precision']:.3f} on the same holdout is {gain:+.3f}, "
                f"less than the required {settings.min_gain_over_accepted:+.3f} (min_gain_over_accepted)"
            )
        return refused

    def passes(self, settings: Settings) -> bool:
        return not self.refusals(settings)

    def headline(self) -> str:
        """The candidate's average precision against the baseline's and the accepted model's."""
        metrics = self.metrics
        if self.accepted is None:
            current = "no accepted model yet"
        elif self.accepted.metrics:
            current = f"accepted model {self.accepted.metrics['average_precision']:.3f}"
        else:
            current = f"accepted model not comparable ({self.accepted.why_not})"
        return (
            f"average precision {metrics['average_precision']:.3f} on {metrics['holdout_sessions']:,.0f} "
            f"holdout sessions; baseline {metrics['baseline_average_precision']:.3f}, {current}"
        )


class ModelGateError(StageError):
    """The model did not beat the baseline by the required margin; nothing was packaged."""

    outcome = "rejected"


def evaluate(model: TrainedModel, frame: pd.DataFrame, settings: Settings, out_dir: Path) -> Evaluation:
    """Score the holdout; write ``metrics.json``, plots and ``report.md`` (a candidate's) into ``out_dir``."""
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
        "min_gain_over_accepted": settings.min_gain_over_accepted,
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    metrics_path = out_dir / "metrics.json"
    metrics_path.write_text(json.dumps(metrics, indent=2, sort_keys=True) + "\n")
    plots = _plot(truth, predicted, baseline, out_dir / "plots")
    evaluation = Evaluation(metrics, metrics_path, plots, out_dir / REPORT, accepted_model(holdout, settings))
    write_report(evaluation, settings)
    return evaluation


def accepted_model(holdout: pd.DataFrame, settings: Settings) -> AcceptedModel | None:
    """The accepted model scored on ``holdout`` with its exported scorer, as it serves; None before any."""
    path = settings.accepted_model_path
    if not path.exists():
        return None
    exported = json.loads(path.read_text())
    # Named by its run's folder: the accepted link moves on, the run's folder stays.
    where = settings.runs_dir / path.resolve().parents[1].name / "model" / path.name
    version = str(exported.get("version", "unversioned"))
    try:
        scorer = Scorer.from_export(exported)
        rows = holdout[list(scorer.features)].astype(float).to_dict(orient="records")
    except (KeyError, ValueError) as error:
        return AcceptedModel(version, where, {}, f"it cannot score this holdout: {error}")
    predicted = np.array([scorer.probability({str(k): v for k, v in row.items()}) for row in rows])
    return AcceptedModel(version, where, _scores(holdout[LABEL].to_numpy(), predicted))


def write_report(evaluation: Evaluation, settings: Settings) -> None:
    """``report.md``: the status, the metrics side by side, the gate's rule and the plots, for a person."""
    metrics, accepted = evaluation.metrics, evaluation.accepted
    header = "| metric | baseline | candidate | accepted before this run |"
    rows = [header, "|---|---:|---:|---:|"]
    for name, label in REPORTED.items():
        current = f"{accepted.metrics[name]:.3f}" if accepted and accepted.metrics else "-"
        rows.append(f"| {label} | {metrics[f'baseline_{name}']:.3f} | {metrics[name]:.3f} | {current} |")
    if accepted is None:
        compared = "There was no accepted model yet when this candidate was evaluated."
    else:
        why_not = f": {accepted.why_not}" if accepted.why_not else ""
        where = shown(accepted.path)
        compared = f"The model accepted before this run: {accepted.version} (`{where}`){why_not}."
    lines = [
        f"# Evaluation of run {evaluation.report_path.parents[1].name}",
        "",
        status_line(
            "candidate",
            f"{'passed' if evaluation.passes(settings) else 'failed'} the model gate; not the "
            "accepted model's evaluation unless this line says accepted",
        ),
        "",
        f"Holdout: {metrics['holdout_sessions']:,.0f} sessions after the validation cutoff, "
        f"{CONTRACT.prediction_words} rate {metrics[f'holdout_{PREDICTION}_rate']:.3f}. The baseline "
        f"predicts the training {CONTRACT.prediction_words} rate for every session. {compared}",
        "",
        *rows,
        "",
        f"Model gate: the candidate must beat the baseline's average precision by at least "
        f"{settings.min_lift:.3f}; it does by {evaluation.lift:.3f}. "
        f"{_against_accepted(evaluation, settings)}",
        "",
        "## Plots",
        "",
        *(f"![{plot.stem}](plots/{plot.name})" for plot in evaluation.plots),
        "",
    ]
    evaluation.report_path.write_text("\n".join(lines))


def _against_accepted(evaluation: Evaluation, settings: Settings) -> str:
    """The report's sentence on the champion rule: what the candidate had to beat, and by how much it did."""
    required = (
        f"It must also score at least {settings.min_gain_over_accepted:+.3f} average precision against the "
        "accepted model on the same holdout"
    )
    if evaluation.gain is None:
        return f"{required}: there was none to compare with."
    return f"{required}; it scores {evaluation.gain:+.3f}."


def model_gate(evaluation: Evaluation, settings: Settings) -> None:
    """Stop the run unless the model beats the baseline by ``settings.min_lift`` average precision, and the
    accepted model by ``settings.min_gain_over_accepted``, on the same holdout."""
    refusals = evaluation.refusals(settings)
    if refusals:
        accepted = evaluation.accepted
        current = f"{accepted.version} ({shown(accepted.path)})" if accepted else "none yet"
        mark_report(evaluation.report_path, "rejected", f"by the model gate; the accepted model is {current}")
        raise ModelGateError(
            f"model gate failed: {'; '.join(refusals)}; the accepted model stays (this candidate's report: "
            f"{shown(evaluation.report_path)})"
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
    precision, recall, _ = precision_recall_curve(truth, predicted)
    axes.plot(recall, precision, label=f"model (AP {average_precision_score(truth, predicted):.3f})")
    # A constant score ranks no session above another: at any recall its precision is the positive rate.
    # (The curve scikit-learn draws for it joins (0, 1) to (1, rate), a point no threshold reaches.)
    baseline_ap = average_precision_score(truth, baseline)
    axes.axhline(truth.mean(), color="grey", linestyle="--", label=f"baseline (AP {baseline_ap:.3f})")
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
