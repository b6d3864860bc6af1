"""Batch predictions: every holdout session scored exactly as the trained model would, published whole."""

import json

import duckdb
import numpy as np
import pandas as pd
import pytest

from {{ cookiecutter.module_name }}.package import package
from {{ cookiecutter.module_name }}.promotion import PackagingError
from {{ cookiecutter.module_name }}.settings import Settings
from {{ cookiecutter.module_name }}.training_set import SPLIT

from .conftest import Trained, accepted, make_package


def published(settings: Settings) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The predictions file and the warehouse table."""
    file = pd.read_parquet(settings.artifacts_dir / "predictions" / "predictions.parquet")
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as warehouse:
        table = warehouse.sql("select * from predictions").df()
    return file, table


def test_every_holdout_session_gets_the_trained_models_prediction(
    built: Settings, trained: Trained, training_frame: pd.DataFrame
) -> None:
    bundle = package(trained.exported, trained.examples, trained.expected, built)

    file, table = published(built)
    holdout = training_frame[training_frame[SPLIT] == "test"]
    assert bundle.archive == built.artifacts_dir / "predictions" / "predictions.parquet"
    assert (bundle.rows, bundle.version) == (len(holdout), "v-test")
    assert list(file.columns) == ["session_id", "session_start", "purchase_probability", "model_version"]
    assert file["session_id"].tolist() == holdout["session_id"].tolist()
    expected = trained.model.predict_proba(holdout)
    np.testing.assert_allclose(file["purchase_probability"], expected, rtol=0, atol=1e-9)
    assert set(file["model_version"]) == {"v-test"}
    pd.testing.assert_frame_equal(table, file, check_dtype=False)
    assert json.loads(accepted(built))["version"] == "v-test"


def test_predictions_that_disagree_with_the_model_replace_nothing(built: Settings, trained: Trained) -> None:
    package(trained.exported, trained.examples, trained.expected, built)
    before = published(built), accepted(built)
    wrong = [p + 0.01 for p in trained.expected]

    with pytest.raises(PackagingError, match="differ"):
        package(trained.exported | {"version": "v-wrong"}, trained.examples, wrong, built)

    after = published(built), accepted(built)
    pd.testing.assert_frame_equal(after[0][0], before[0][0])
    pd.testing.assert_frame_equal(after[0][1], before[0][1])
    assert after[1] == before[1]


def test_a_session_that_cannot_be_scored_stops_the_run_naming_it(built: Settings, trained: Trained) -> None:
    with duckdb.connect(str(built.warehouse_path)) as warehouse:
        warehouse.execute(
            "update training_set set n_pageviews = null"
            " where session_id = (select min(session_id) from training_set where split = 'test')"
        )

    with pytest.raises(PackagingError, match=r"sessions\[0\]\.n_pageviews is missing"):
        package(trained.exported, trained.examples, trained.expected, built)

    assert not (built.artifacts_dir / "predictions").exists()
    assert not (built.artifacts_dir / "model" / "model.json").exists()


def test_make_package_scores_the_holdout_again_with_the_accepted_model(
    built: Settings, trained: Trained
) -> None:
    package(trained.exported, trained.examples, trained.expected, built)
    before = published(built)
    (built.artifacts_dir / "predictions" / "predictions.parquet").unlink()

    make_package(built)

    for now, then in zip(published(built), before, strict=True):
        pd.testing.assert_frame_equal(now, then)
