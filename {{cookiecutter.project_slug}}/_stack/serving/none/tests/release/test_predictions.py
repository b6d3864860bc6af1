"""Batch predictions: every holdout session scored exactly as the trained model would, published whole with
the run, in one step; the warehouse, which a rebuild from the log replaces, holds none of them."""

import json

import duckdb
import numpy as np
import pandas as pd
import pytest

from {{ cookiecutter.module_name }}.log.events import log_files
from {{ cookiecutter.module_name }}.release.package import package
from {{ cookiecutter.module_name }}.release.promotion import PackagingError
from {{ cookiecutter.module_name }}.runs import Run, begin
from {{ cookiecutter.module_name }}.settings import Settings
from {{ cookiecutter.module_name }}.training_set import HOLDOUT, KEY, OUTPUT, SPLIT

from ..conftest import Trained, accepted, make_package


def published(settings: Settings) -> pd.DataFrame:
    return pd.read_parquet(settings.dist_dir / "predictions.parquet")


def test_every_holdout_session_gets_the_trained_models_prediction(
    built: Settings, run: Run, trained: Trained, training_frame: pd.DataFrame
) -> None:
    bundle = package(trained.exported, trained.examples, trained.expected, built, run)

    file = published(built)
    holdout = training_frame[training_frame[SPLIT] == HOLDOUT]
    assert bundle.archive == built.dist_dir / "predictions.parquet"
    assert built.dist_dir.is_symlink() and built.dist_dir.resolve() == run.bundle_dir
    assert (len(file), bundle.version) == (len(holdout), "v-test")
    assert list(file.columns) == [KEY, "session_start", OUTPUT, "model_version"]
    assert file[KEY].tolist() == holdout[KEY].tolist()
    expected = trained.model.predict_proba(holdout)
    np.testing.assert_allclose(file[OUTPUT], expected, rtol=0, atol=1e-9)
    assert set(file["model_version"]) == {"v-test"}
    assert json.loads(accepted(built))["version"] == "v-test"
    with duckdb.connect(str(built.warehouse_path), read_only=True) as warehouse:
        tables = warehouse.sql("select table_name from information_schema.tables").fetchall()
    assert ("predictions",) not in tables


def test_predictions_that_disagree_with_the_model_replace_nothing(
    built: Settings, run: Run, trained: Trained
) -> None:
    package(trained.exported, trained.examples, trained.expected, built, run)
    before = published(built), accepted(built)
    wrong = [p + 0.01 for p in trained.expected]

    with pytest.raises(PackagingError, match="differ"):
        package(trained.exported | {"version": "v-wrong"}, trained.examples, wrong, built, begin(built))

    pd.testing.assert_frame_equal(published(built), before[0])
    assert accepted(built) == before[1]


def test_a_session_that_cannot_be_scored_stops_the_run_naming_it(
    built: Settings, run: Run, trained: Trained
) -> None:
    with duckdb.connect(str(built.warehouse_path)) as warehouse:
        warehouse.execute(
            "update training_set set n_pageviews = null"
            " where session_id = (select min(session_id) from training_set where split = ?)",
            [HOLDOUT],
        )

    with pytest.raises(PackagingError, match=r"sessions\[\d+\]\.n_pageviews is missing"):
        package(trained.exported, trained.examples, trained.expected, built, run)

    assert not built.accepted_dir.exists()
    assert not built.dist_dir.exists()


def test_make_package_scores_the_holdout_again_with_the_accepted_model_in_a_new_run(
    built: Settings, run: Run, trained: Trained
) -> None:
    package(trained.exported, trained.examples, trained.expected, built, run)
    before = published(built), accepted(built)

    make_package(built)

    pd.testing.assert_frame_equal(published(built), before[0])
    assert accepted(built) == before[1]
    assert built.accepted_dir.resolve() != run.dir  # a run of its own, accepted like any other


def test_published_predictions_are_recorded_in_the_log_once_for_make_monitor(
    built: Settings, run: Run, trained: Trained, training_frame: pd.DataFrame
) -> None:
    package(trained.exported, trained.examples, trained.expected, built, run)
    make_package(built)  # the same model and holdout published again: nothing more to record

    logged = pd.concat(pd.read_parquet(path) for path in log_files(built))
    recorded = logged[logged["event_type"] == "prediction"]
    file = published(built)
    assert sorted(recorded["session_id"]) == sorted(file[KEY])
    started = file.set_index(KEY)["session_start"]
    assert recorded["event_time"].tolist() == started.loc[recorded["session_id"]].tolist()  # dated by session
    extras = [json.loads(text) for text in recorded["extras"]]
    assert {extra["model_version"] for extra in extras} == {"v-test"}
    scores = dict(zip(file[KEY], file[OUTPUT], strict=True))
    assert [extra["score"] for extra in extras] == [scores[key] for key in recorded["session_id"]]
