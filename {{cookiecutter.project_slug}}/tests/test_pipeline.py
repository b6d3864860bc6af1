"""The whole pipeline on a tiny sample: what `make run` does, and how it stops when a gate fails."""

import json

import pytest

from {{ cookiecutter.module_name }} import pipeline
from {{ cookiecutter.module_name }}.evaluate import ModelGateError
from {{ cookiecutter.module_name }}.event_log import log_files
from {{ cookiecutter.module_name }}.gate import QualityGateError
from {{ cookiecutter.module_name }}.settings import Settings

TINY = 30_000


def accepted_model(settings: Settings) -> bytes:
    return (settings.artifacts_dir / "model" / "model.json").read_bytes()


def test_run_goes_from_an_empty_log_to_a_deployable_bundle(settings: Settings) -> None:
    summary = pipeline.run(settings, sample_events=TINY)

    assert summary.quality.passed
    assert summary.evaluation.lift >= settings.min_lift
    assert summary.bundle.archive.exists()
    assert {p.name for p in summary.evaluation.plots} == {
        "roc.png",
        "precision_recall.png",
        "calibration.png",
    }
    assert json.loads(accepted_model(settings))["version"] == summary.bundle.version


def test_running_again_appends_nothing_and_gives_the_same_model(settings: Settings) -> None:
    first = pipeline.run(settings, sample_events=TINY)
    files = log_files(settings)

    second = pipeline.run(settings, sample_events=TINY)

    assert log_files(settings) == files
    assert second.model.params == first.model.params
    assert second.evaluation.metrics == first.evaluation.metrics


def test_a_failed_quality_gate_stops_before_training_and_keeps_the_previous_model(settings: Settings) -> None:
    pipeline.run(settings, sample_events=TINY)
    before = accepted_model(settings)
    # Three days in four go missing (say, an upstream export broke): the training set shrinks sharply.
    for day, path in enumerate(log_files(settings)):
        if day % 4:
            path.unlink()

    with pytest.raises(QualityGateError, match=r"volume failed \(dropped from"):
        pipeline.run(settings, sample_events=TINY)

    assert accepted_model(settings) == before


def test_a_failed_model_gate_keeps_the_previous_model(settings: Settings) -> None:
    pipeline.run(settings, sample_events=TINY)
    before = accepted_model(settings)

    with pytest.raises(ModelGateError):
        pipeline.run(settings.model_copy(update={"min_lift": 0.99}), sample_events=TINY)

    assert accepted_model(settings) == before
