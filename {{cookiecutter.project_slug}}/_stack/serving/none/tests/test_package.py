"""Batch predictions: every holdout session scored exactly as the trained model would, published whole."""

import json
import os
import subprocess
import sys
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pytest

from {{ cookiecutter.module_name }}.package import Examples, package
from {{ cookiecutter.module_name }}.promotion import PackagingError
from {{ cookiecutter.module_name }}.settings import Settings
from {{ cookiecutter.module_name }}.train import TrainedModel, train
from {{ cookiecutter.module_name }}.training_set import FEATURES, SPLIT

# The trained model, its export, example sessions and the model's probabilities for them.
Trained = tuple[TrainedModel, dict[str, Any], Examples, list[float]]
PACKAGE = "{{ cookiecutter.module_name }}"


@pytest.fixture(scope="module")
def trained(training_frame: pd.DataFrame) -> Trained:
    model = train(training_frame, Settings())
    rows = training_frame.head(50)
    examples = rows[list(FEATURES)].to_dict(orient="records")
    return model, model.export() | {"version": "v-test"}, examples, model.predict_proba(rows).tolist()


def published(settings: Settings) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The predictions file and the warehouse table."""
    file = pd.read_parquet(settings.artifacts_dir / "predictions" / "predictions.parquet")
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as warehouse:
        table = warehouse.sql("select * from predictions").df()
    return file, table


def make_package(settings: Settings) -> None:
    """What `make package` runs, in this test's workspace."""
    variable = "{{ cookiecutter.module_name | upper }}_WORKSPACE"
    environment = os.environ | {variable: str(settings.workspace)}
    command = [sys.executable, "-m", f"{PACKAGE}.package"]
    subprocess.run(command, env=environment, check=True, capture_output=True)


def test_every_holdout_session_gets_the_trained_models_prediction(
    built: Settings, trained: Trained, training_frame: pd.DataFrame
) -> None:
    model, exported, examples, expected = trained

    bundle = package(exported, examples, expected, built)

    file, table = published(built)
    holdout = training_frame[training_frame[SPLIT] == "test"]
    assert bundle.archive == built.artifacts_dir / "predictions" / "predictions.parquet"
    assert (bundle.rows, bundle.version) == (len(holdout), "v-test")
    assert list(file.columns) == ["session_id", "session_start", "purchase_probability", "model_version"]
    assert file["session_id"].tolist() == holdout["session_id"].tolist()
    np.testing.assert_allclose(file["purchase_probability"], model.predict_proba(holdout), rtol=0, atol=1e-9)
    assert set(file["model_version"]) == {"v-test"}
    pd.testing.assert_frame_equal(table, file, check_dtype=False)
    assert json.loads((built.artifacts_dir / "model" / "model.json").read_text())["version"] == "v-test"


def test_predictions_that_disagree_with_the_model_replace_nothing(built: Settings, trained: Trained) -> None:
    _, exported, examples, expected = trained
    package(exported, examples, expected, built)
    before = published(built), (built.artifacts_dir / "model" / "model.json").read_bytes()

    with pytest.raises(PackagingError, match="differ"):
        package(exported | {"version": "v-wrong"}, examples, [p + 0.01 for p in expected], built)

    after = published(built), (built.artifacts_dir / "model" / "model.json").read_bytes()
    pd.testing.assert_frame_equal(after[0][0], before[0][0])
    pd.testing.assert_frame_equal(after[0][1], before[0][1])
    assert after[1] == before[1]


def test_a_session_that_cannot_be_scored_stops_the_run_naming_it(built: Settings, trained: Trained) -> None:
    _, exported, examples, expected = trained
    with duckdb.connect(str(built.warehouse_path)) as warehouse:
        warehouse.execute(
            "update training_set set n_pageviews = null"
            " where session_id = (select min(session_id) from training_set where split = 'test')"
        )

    with pytest.raises(PackagingError, match=r"sessions\[0\]\.n_pageviews is missing"):
        package(exported, examples, expected, built)

    assert not (built.artifacts_dir / "predictions").exists()
    assert not (built.artifacts_dir / "model" / "model.json").exists()


def test_make_package_scores_the_holdout_again_with_the_accepted_model(
    built: Settings, trained: Trained
) -> None:
    _, exported, examples, expected = trained
    package(exported, examples, expected, built)
    before = published(built)
    (built.artifacts_dir / "predictions" / "predictions.parquet").unlink()

    make_package(built)

    for now, then in zip(published(built), before, strict=True):
        pd.testing.assert_frame_equal(now, then)
