"""The whole pipeline on a tiny sample: what `make run` does, and how it stops when a gate fails."""

import json

import pytest

from {{ cookiecutter.module_name }} import pipeline
from {{ cookiecutter.module_name }}.evaluate import ModelGateError
from {{ cookiecutter.module_name }}.event_log import log_files
from {{ cookiecutter.module_name }}.gate import QualityGateError
from {{ cookiecutter.module_name }}.settings import Settings

from .conftest import TINY_SAMPLE_EVENTS, FirstRun


def accepted_model(settings: Settings) -> bytes:
    return (settings.artifacts_dir / "model" / "model.json").read_bytes()


def test_run_goes_from_an_empty_log_to_a_deployable_bundle(first_run: FirstRun) -> None:
    summary, settings = first_run.summary, Settings(workspace=first_run.workspace)

    assert summary.quality.passed
    assert summary.evaluation.lift >= settings.min_lift
    assert summary.bundle.archive.exists()
    assert {p.name for p in summary.evaluation.plots} == {
        "roc.png",
        "precision_recall.png",
        "calibration.png",
    }
    assert json.loads(accepted_model(settings))["version"] == summary.bundle.version


def test_running_again_appends_nothing_and_gives_the_same_model(
    first_run: FirstRun, accepted_run: Settings
) -> None:
    files = log_files(accepted_run)

    again = pipeline.run(accepted_run, sample_events=TINY_SAMPLE_EVENTS)

    assert log_files(accepted_run) == files
    assert again.model.params == first_run.summary.model.params
    assert again.evaluation.metrics == first_run.summary.evaluation.metrics


def test_a_failed_quality_gate_stops_before_training_and_keeps_the_previous_model(
    accepted_run: Settings,
) -> None:
    before = accepted_model(accepted_run)
    # Three days in four go missing (say, an upstream export broke): the training set shrinks sharply.
    for day, path in enumerate(log_files(accepted_run)):
        if day % 4:
            path.unlink()

    with pytest.raises(QualityGateError, match=r"volume failed \(dropped from"):
        pipeline.run(accepted_run, sample_events=TINY_SAMPLE_EVENTS)

    assert accepted_model(accepted_run) == before


def test_a_failed_model_gate_keeps_the_previous_model(accepted_run: Settings) -> None:
    before = accepted_model(accepted_run)

    with pytest.raises(ModelGateError):
        pipeline.run(accepted_run.model_copy(update={"min_lift": 0.99}), sample_events=TINY_SAMPLE_EVENTS)

    assert accepted_model(accepted_run) == before
