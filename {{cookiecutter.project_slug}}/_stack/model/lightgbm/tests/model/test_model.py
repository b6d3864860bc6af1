"""LightGBM: early stopping on the validation split, the cores given, an export that scores exactly alike, and
a long training's progress."""

import io
import math
from contextlib import redirect_stdout

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest

from {{ cookiecutter.module_name }} import story
from {{ cookiecutter.module_name }}.model.train import MAX_TREES, PATIENCE, TrainedModel, train
from {{ cookiecutter.module_name }}.release.promotion import with_metadata
from {{ cookiecutter.module_name }}.resources import usable_cpus
from {{ cookiecutter.module_name }}.serving.scoring import Scorer
from {{ cookiecutter.module_name }}.settings import Settings
from {{ cookiecutter.module_name }}.training_set import FEATURES, LABEL, SPLIT

from ..conftest import a_second_per_reading, assert_progress_told, ticker_readings


@pytest.fixture(scope="module")
def trained(training_frame: pd.DataFrame) -> tuple[TrainedModel, str]:
    """The model, and what its training said with a clock a second per boosting round: a long training's."""
    with pytest.MonkeyPatch.context() as patch, redirect_stdout(io.StringIO()) as said:
        patch.setattr(story, "now", a_second_per_reading())
        model = train(training_frame, Settings())
    return model, said.getvalue()


@pytest.fixture(scope="module")
def model(trained: tuple[TrainedModel, str]) -> TrainedModel:
    return trained[0]


def scored(model: TrainedModel, rows: pd.DataFrame) -> list[float]:
    scorer = Scorer.from_export(with_metadata(model.export(), {}))
    return [scorer.probability(dict(zip(model.features, row, strict=True))) for row in rows.to_numpy()]


def test_early_stopping_stops_well_before_the_cap(model: TrainedModel) -> None:
    assert 1 <= model.params["trees"] < MAX_TREES / 2
    assert model.booster.num_trees() == model.params["trees"]


def test_the_number_of_trees_is_chosen_on_the_validation_split(
    model: TrainedModel, training_frame: pd.DataFrame
) -> None:
    noise = training_frame.copy()
    validation = noise[SPLIT] == "validation"
    noise.loc[validation, LABEL] = np.random.default_rng(0).permutation(noise.loc[validation, LABEL])

    # With validation labels that nothing predicts, more trees only overfit: stopping comes much sooner.
    assert train(noise, Settings()).params["trees"] < model.params["trees"] / 2


def test_a_long_training_tells_its_boosting_rounds_and_validation_loss_in_a_few_lines(
    trained: tuple[TrainedModel, str],
) -> None:
    model, said = trained
    trees = model.params["trees"]
    choosing = trees + PATIENCE  # early stopping tries PATIENCE rounds past the best
    expected = [
        f"choosing the number of trees: boosting round {reading} of at most {MAX_TREES:,}, validation "
        if reading <= choosing
        else f"refit on training and validation: boosting round {reading - choosing} of {trees} ("
        for reading in ticker_readings(choosing + trees)
    ]

    told = assert_progress_told(said, "boosting round", expected)
    assert all(" binary_logloss 0." in line for line in told if line.startswith("choosing")), said


def test_lightgbm_uses_the_cores_given(training_frame: pd.DataFrame) -> None:
    assert train(training_frame, Settings(cpu=1)).booster.params["num_threads"] == 1
    greedy = train(training_frame, Settings(cpu=512))
    assert greedy.booster.params["num_threads"] == greedy.cpus == usable_cpus(512)


def test_the_trees_do_not_depend_on_the_number_of_threads(
    model: TrainedModel, training_frame: pd.DataFrame
) -> None:
    assert train(training_frame, Settings(cpu=1)).export() == model.export()


def test_the_export_scores_every_session_exactly_like_lightgbm(
    model: TrainedModel, training_frame: pd.DataFrame
) -> None:
    rows = training_frame[list(FEATURES)]

    assert scored(model, rows) == model.predict_proba(rows).tolist()


def test_values_on_a_threshold_and_odd_values_go_where_lightgbm_sends_them(model: TrainedModel) -> None:
    thresholds = sorted({t for tree in model.export()["trees"] for t in tree["threshold"]})
    odd = [0.0, -0.0, 1e-40, -1e-40, math.nan, -1.0, 1e12, -1e12]
    probes = [*thresholds, *(math.nextafter(t, math.inf) for t in thresholds), *odd]
    # Every feature takes every probe value in turn, the others keeping a typical session's values.
    typical = np.tile(np.arange(1.0, len(FEATURES) + 1), (len(probes) * len(FEATURES), 1))
    for column in range(len(FEATURES)):
        typical[column * len(probes) : (column + 1) * len(probes), column] = probes
    rows = pd.DataFrame(typical, columns=list(FEATURES))

    assert scored(model, rows) == model.predict_proba(rows).tolist()


@pytest.mark.parametrize("zero_as_missing", [False, True])
def test_missing_values_follow_the_default_direction_learned_by_lightgbm(zero_as_missing: bool) -> None:
    rng = np.random.default_rng(7)
    values = rng.normal(size=(3000, 3))
    values[rng.random(values.shape) < 0.2] = np.nan
    values[rng.random(values.shape) < 0.2] = 0.0
    # Missing values carry signal, so LightGBM learns where to send them.
    labels = np.isnan(values[:, 0]) | (np.nan_to_num(values[:, 1]) > 0.5)
    names = FEATURES[:3]
    params = {"objective": "binary", "num_leaves": 7, "zero_as_missing": zero_as_missing, "verbosity": -1}
    booster = lgb.train(params, lgb.Dataset(values, labels, feature_name=list(names)), num_boost_round=20)
    model = TrainedModel(booster, names, {}, validation_average_precision=0.0, rows=len(values), cpus=1)
    rows = pd.DataFrame(values, columns=list(names))

    missing = {kind for tree in model.export()["trees"] for kind in tree["missing"]}
    assert ("Zero" if zero_as_missing else "NaN") in missing
    assert scored(model, rows) == model.predict_proba(rows).tolist()


def test_a_model_that_is_not_a_binary_classifier_cannot_be_exported() -> None:
    values = np.random.default_rng(0).normal(size=(200, 2))
    booster = lgb.train({"objective": "regression", "verbosity": -1}, lgb.Dataset(values, values[:, 0]), 2)
    model = TrainedModel(booster, ("a", "b"), {}, validation_average_precision=0.0, rows=200, cpus=1)

    with pytest.raises(ValueError, match="only the binary objective"):
        model.export()
