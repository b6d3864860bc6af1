"""Training on one node: gradient-boosted trees (LightGBM), as many as the validation split says help.

Trees are added until the validation loss stops improving (early stopping); the model is then refit on the
training and validation splits together with that many trees. Threads come from the cores the step was given,
and training is deterministic: the same data and settings give the same trees, whatever the thread count.
A long training tells its boosting rounds and the validation loss as it goes (``story.Ticker``), through a
LightGBM callback.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score

from ..resources import usable_cpus
from ..settings import Settings
from ..story import Ticker
from ..training_set import FEATURES, LABEL, SPLIT

MODEL_FORMAT = "lightgbm-trees/1"
# Small trees and a fast learning rate: the exported model stays a few kilobytes, and the sample learns in
# seconds. Raise MAX_TREES with a lower learning rate when the data grows.
HYPERPARAMETERS: dict[str, Any] = {
    "objective": "binary",
    "learning_rate": 0.1,
    "num_leaves": 15,
    "min_data_in_leaf": 50,
    "lambda_l2": 1.0,
}
MAX_TREES = 1000
# Stop once this many trees in a row have not lowered the validation loss.
PATIENCE = 30


@dataclass(frozen=True)
class TrainedModel:
    """A fitted model with what it was fit on and how it was chosen."""

    booster: lgb.Booster
    features: tuple[str, ...]
    params: dict[str, Any]
    validation_average_precision: float
    rows: int
    cpus: int

    def predict_proba(self, frame: pd.DataFrame) -> np.ndarray:
        """Probability of the label for each row of ``frame``."""
        return np.asarray(self.booster.predict(_matrix(frame, self.features)))

    def export(self) -> dict[str, Any]:
        """The trees as plain numbers, for a serving runtime that needs neither LightGBM nor numpy."""
        dumped = self.booster.dump_model()
        objective = dumped["objective"].split()
        if objective[0] != "binary" or not objective[1].startswith("sigmoid:"):
            raise ValueError(f"only the binary objective can be exported, not {dumped['objective']!r}")
        return {
            "format": MODEL_FORMAT,
            "features": dumped["feature_names"],
            "sigmoid": float(objective[1].removeprefix("sigmoid:")),
            "trees": [_flatten(tree["tree_structure"], tree["num_leaves"]) for tree in dumped["tree_info"]],
        }


def booster_params(settings: Settings, cpus: int) -> dict[str, Any]:
    """LightGBM's parameters: the hyperparameters plus what makes training repeatable and quiet."""
    return {
        **HYPERPARAMETERS,
        "num_threads": cpus,
        "seed": settings.seed,
        # Same trees for the same data whatever the thread count; column-wise histograms skip the timing
        # test LightGBM otherwise runs to choose, which could choose differently from run to run.
        "deterministic": True,
        "force_col_wise": True,
        "verbosity": -1,
    }


def train(frame: pd.DataFrame, settings: Settings) -> TrainedModel:
    """Count the trees worth having on the validation split, then refit on training and validation."""
    cpus = usable_cpus(settings.cpu)
    params = booster_params(settings, cpus)
    # Only what the model reads: each split's copy leaves the session and user ids behind.
    fit_rows = frame.loc[frame[SPLIT] == "train", [*FEATURES, LABEL]]
    tune_rows = frame.loc[frame[SPLIT] == "validation", [*FEATURES, LABEL]]

    ticker = Ticker("train")
    fit_set = _dataset(fit_rows, params)
    tuned = lgb.train(
        {**params, "metric": "binary_logloss"},
        fit_set,
        num_boost_round=MAX_TREES,
        valid_sets=[_dataset(tune_rows, params, reference=fit_set)],
        valid_names=["validation"],
        callbacks=[lgb.early_stopping(PATIENCE, verbose=False), told(ticker, "choosing the number of trees")],
    )
    trees = tuned.best_iteration
    validation_ap = average_precision_score(
        tune_rows[LABEL], tuned.predict(_matrix(tune_rows, FEATURES), num_iteration=trees)
    )

    both = pd.concat([fit_rows, tune_rows])
    refit = told(ticker, "refit on training and validation")
    booster = lgb.train(params, _dataset(both, params), num_boost_round=trees, callbacks=[refit])
    return TrainedModel(
        booster=booster,
        features=FEATURES,
        params={**HYPERPARAMETERS, "trees": trees},
        validation_average_precision=float(validation_ap),
        rows=len(both),
        cpus=cpus,
    )


def told(ticker: Ticker, phase: str) -> Callable[[lgb.callback.CallbackEnv], None]:
    """A LightGBM callback telling the ticker each boosting round, with the validation scores if any."""

    def after_round(env: lgb.callback.CallbackEnv) -> None:
        done, planned = env.iteration - env.begin_iteration + 1, env.end_iteration - env.begin_iteration
        scored = env.evaluation_result_list or []

        def line() -> str:
            # Early stopping makes the round count an upper bound; a refit runs exactly the rounds given.
            bound = f"of at most {planned:,}" if scored else f"of {planned:,}"
            scores = "".join(f", {data} {metric} {value:.4f}" for data, metric, value, *_ in scored)
            return f"{phase}: boosting round {done:,} {bound}{scores}"

        ticker.tell(line)

    return after_round


def _matrix(frame: pd.DataFrame, features: tuple[str, ...]) -> np.ndarray:
    """Features as float64, the precision LightGBM predicts in and the exported scorer computes in."""
    return frame[list(features)].to_numpy(dtype=np.float64)


def _dataset(rows: pd.DataFrame, params: dict[str, Any], reference: lgb.Dataset | None = None) -> lgb.Dataset:
    return lgb.Dataset(
        _matrix(rows, FEATURES),
        label=rows[LABEL].to_numpy(),
        feature_name=list(FEATURES),
        reference=reference,
        params=params,
    )


def _flatten(root: dict[str, Any], leaves: int) -> dict[str, list[Any]]:
    """One tree as parallel lists indexed by split; a child below zero is the leaf ``-child - 1``."""
    splits = leaves - 1
    tree: dict[str, list[Any]] = {
        "feature": [0] * splits,
        "threshold": [0.0] * splits,
        "default_left": [True] * splits,
        "missing": ["None"] * splits,
        "left": [0] * splits,
        "right": [0] * splits,
        "leaf_value": [0.0] * leaves,
    }

    def visit(node: dict[str, Any]) -> int:
        if "leaf_value" in node:
            leaf = int(node.get("leaf_index", 0))  # a tree with no split has one leaf, and no index
            tree["leaf_value"][leaf] = node["leaf_value"]
            return -leaf - 1
        if node["decision_type"] != "<=":
            raise ValueError(f"only numerical splits can be exported, not {node['decision_type']!r}")
        index = int(node["split_index"])
        tree["feature"][index] = node["split_feature"]
        tree["threshold"][index] = node["threshold"]
        tree["default_left"][index] = node["default_left"]
        tree["missing"][index] = node["missing_type"]
        tree["left"][index] = visit(node["left_child"])
        tree["right"][index] = visit(node["right_child"])
        return index

    visit(root)
    return tree
