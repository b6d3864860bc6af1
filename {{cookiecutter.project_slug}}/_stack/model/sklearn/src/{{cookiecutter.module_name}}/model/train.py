"""Training on one node: a scikit-learn model fit on the training split, tuned on the validation split.

The training set is one row per session, so even a year of traffic fits in memory; the heavy lifting (turning
events into sessions and features) already happened in the warehouse. A long training tells each
regularization strength tried and its validation score (``story.Ticker``); each fit itself is one call to
scikit-learn's solver, which has no hook to report its iterations through.
"""

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler
from threadpoolctl import threadpool_limits

from ..resources import usable_cpus
from ..settings import Settings
from ..story import Ticker
from ..training_set import FEATURES, LABEL, SPLIT

# Inverse regularization strengths tried on the validation split.
C_GRID = (0.01, 0.1, 1.0, 10.0)
MODEL_FORMAT = "logistic-regression/1"


def signed_log1p(values: np.ndarray) -> np.ndarray:
    """Compress counts, seconds and prices, whose effects flatten as they grow, keeping the sign."""
    return np.asarray(np.sign(values) * np.log1p(np.abs(values)))


@dataclass(frozen=True)
class TrainedModel:
    """A fitted model with what it was fit on and how it was chosen."""

    estimator: Pipeline
    features: tuple[str, ...]
    params: dict[str, Any]
    validation_average_precision: float
    rows: int
    cpus: int

    def predict_proba(self, frame: pd.DataFrame) -> np.ndarray:
        """Probability of the label for each row of ``frame``."""
        return np.asarray(self.estimator.predict_proba(frame[list(self.features)])[:, 1])

    def export(self) -> dict[str, Any]:
        """The model as plain numbers, for a serving runtime that needs neither scikit-learn nor numpy."""
        scaler: StandardScaler = self.estimator.named_steps["scale"]
        classifier: LogisticRegression = self.estimator.named_steps["classify"]
        return {
            "format": MODEL_FORMAT,
            "features": list(self.features),
            "transform": "signed_log1p",
            "center": scaler.mean_.tolist(),
            "scale": scaler.scale_.tolist(),
            "coefficients": classifier.coef_[0].tolist(),
            "intercept": float(classifier.intercept_[0]),
        }


def build_estimator(c: float, seed: int) -> Pipeline:
    return Pipeline(
        [
            ("compress", FunctionTransformer(signed_log1p)),
            ("scale", StandardScaler()),
            ("classify", LogisticRegression(C=c, max_iter=2000, random_state=seed)),
        ]
    )


def train(frame: pd.DataFrame, settings: Settings) -> TrainedModel:
    """Pick the regularization on the validation split, then refit on training and validation together."""
    cpus = usable_cpus(settings.cpu)
    features = list(FEATURES)
    # Only what the model reads: each split's copy leaves the session and user ids behind.
    fit_rows = frame.loc[frame[SPLIT] == "train", [*FEATURES, LABEL]]
    tune_rows = frame.loc[frame[SPLIT] == "validation", [*FEATURES, LABEL]]
    ticker = Ticker("train")
    with threadpool_limits(limits=cpus):
        scores = {}
        for tried, c in enumerate(C_GRID, start=1):
            candidate = build_estimator(c, settings.seed).fit(fit_rows[features], fit_rows[LABEL])
            scores[c] = average_precision_score(
                tune_rows[LABEL], candidate.predict_proba(tune_rows[features])[:, 1]
            )
            score = f"validation average precision {scores[c]:.3f}"
            ticker.tell(f"choosing the regularization: {tried} of {len(C_GRID)} tried, C {c}: {score}")
        best_c = max(scores, key=lambda c: scores[c])
        both = pd.concat([fit_rows, tune_rows])
        estimator = build_estimator(best_c, settings.seed).fit(both[features], both[LABEL])
    return TrainedModel(
        estimator=estimator,
        features=tuple(features),
        params={"C": best_c},
        validation_average_precision=float(scores[best_c]),
        rows=len(both),
        cpus=cpus,
    )
