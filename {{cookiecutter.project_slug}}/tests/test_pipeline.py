"""The whole pipeline on a tiny sample: what `make run` does, how it stops, what stopping leaves alone."""

import json
from pathlib import Path

import pytest

from {{ cookiecutter.module_name }} import pipeline
from {{ cookiecutter.module_name }}.errors import StageError
from {{ cookiecutter.module_name }}.log.events import log_files
from {{ cookiecutter.module_name }}.log.sample import write_sample
from {{ cookiecutter.module_name }}.model.evaluate import ModelGateError
from {{ cookiecutter.module_name }}.quality.gate import QualityGateError, accepted_rows
from {{ cookiecutter.module_name }}.runs import ConcurrentRunError, Run, accepted, begin, exclusive
from {{ cookiecutter.module_name }}.settings import Settings
from {{ cookiecutter.module_name }}.warehouse.transform import TransformError

from .conftest import TINY_SAMPLE_EVENTS, FirstRun

PLOTS = {"roc.png", "precision_recall.png", "calibration.png"}


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file below ``folder`` (links followed), by path: what a run must leave as it was."""
    return {str(path.relative_to(folder)): path.read_bytes() for path in folder.rglob("*") if path.is_file()}


def accepted_evidence(settings: Settings) -> tuple[Path, dict[str, bytes], dict[str, bytes]]:
    """Which run is accepted, everything in its folder, and what dist/ shows."""
    run = accepted(settings)
    assert run is not None
    return run.dir, snapshot(run.dir), snapshot(settings.dist_dir.resolve())


def test_run_goes_from_an_empty_log_to_an_accepted_run_and_a_deployable_bundle(first_run: FirstRun) -> None:
    summary, settings = first_run.summary, Settings(workspace=first_run.workspace)

    assert summary.quality.passed
    assert summary.evaluation.lift >= settings.min_lift
    assert accepted(settings) == summary.run
    assert summary.bundle.archive.parent == settings.dist_dir and summary.bundle.archive.exists()
    assert settings.dist_dir.resolve() == summary.run.bundle_dir
    assert {p.name for p in summary.evaluation.plots} == PLOTS
    assert all(plot.is_relative_to(summary.run.dir) for plot in summary.evaluation.plots)
    assert json.loads(settings.accepted_model_path.read_text())["version"] == summary.bundle.version
    assert summary.run.outcome() is not None and summary.run.outcome()["outcome"] == "accepted"  # type: ignore[index]
    assert accepted_rows(settings) == summary.quality.rows


def test_running_again_appends_nothing_and_gives_the_same_model(
    first_run: FirstRun, accepted_run: Settings
) -> None:
    files = log_files(accepted_run)

    again = pipeline.run(accepted_run, sample_events=TINY_SAMPLE_EVENTS)

    assert log_files(accepted_run) == files
    assert again.model.params == first_run.summary.model.params
    assert again.evaluation.metrics == first_run.summary.evaluation.metrics
    assert accepted(accepted_run) == again.run != first_run.summary.run


def stopped_run(settings: Settings, before: set[Path]) -> Run:
    """The one run folder a stopped run left beside the ones already there."""
    [folder] = set(settings.runs_dir.iterdir()) - before
    return Run(folder)


def test_a_failed_quality_gate_leaves_the_accepted_run_as_it_was(accepted_run: Settings) -> None:
    evidence, before = accepted_evidence(accepted_run), set(accepted_run.runs_dir.iterdir())
    # Three days in four go missing (say, an upstream export broke): the training set shrinks sharply.
    for day, path in enumerate(log_files(accepted_run)):
        if day % 4:
            path.unlink()

    with pytest.raises(QualityGateError, match=r"volume failed \(dropped from"):
        pipeline.run(accepted_run, sample_events=TINY_SAMPLE_EVENTS)

    assert accepted_evidence(accepted_run) == evidence
    run = stopped_run(accepted_run, before)
    assert run.outcome() is not None and run.outcome()["stage"] == "quality gate"  # type: ignore[index]
    assert (run.quality_dir / "report.json").exists()


def test_a_rejected_model_leaves_the_accepted_evidence_and_keeps_its_own(accepted_run: Settings) -> None:
    evidence, before = accepted_evidence(accepted_run), set(accepted_run.runs_dir.iterdir())
    rows = accepted_rows(accepted_run)

    with pytest.raises(ModelGateError, match="the accepted model stays"):
        pipeline.run(accepted_run.model_copy(update={"min_lift": 0.99}), sample_events=TINY_SAMPLE_EVENTS)

    assert accepted_evidence(accepted_run) == evidence
    assert accepted_rows(accepted_run) == rows
    run = stopped_run(accepted_run, before)
    assert run.outcome() is not None and run.outcome()["outcome"] == "rejected"  # type: ignore[index]
    assert (run.evaluation_dir / "metrics.json").exists()
    assert len(list((run.evaluation_dir / "plots").glob("*.png"))) == 3
    assert not run.model_path.exists() and not run.bundle_dir.exists()


def test_a_second_run_at_the_same_time_stops_at_once_naming_the_first(accepted_run: Settings) -> None:
    evidence = accepted_evidence(accepted_run)

    with exclusive(accepted_run, "another run"), pytest.raises(ConcurrentRunError) as refused:
        pipeline.run(accepted_run, sample_events=TINY_SAMPLE_EVENTS)

    assert str(refused.value).startswith("another run holds this workspace (another run, pid ")
    assert accepted_evidence(accepted_run) == evidence


def test_what_a_killed_run_left_is_removed_by_the_next_one(accepted_run: Settings) -> None:
    unfinished = accepted_run.runs_dir / "20250101T000000-killed"
    (unfinished / "evaluation").mkdir(parents=True)
    (unfinished / "evaluation" / "metrics.json").write_text("{}")
    half_made = accepted_run.artifacts_dir / ".accepted-0123"
    half_made.symlink_to("runs/20250101T000000-killed")
    keep = accepted(accepted_run)

    begin(accepted_run)

    assert not unfinished.exists() and not half_made.is_symlink()
    assert accepted(accepted_run) == keep


def test_an_empty_log_and_a_sample_too_small_to_learn_from_stop_before_anything_is_written(
    settings: Settings,
) -> None:
    with pytest.raises(StageError, match=r"too small to learn from: run with EVENTS of at least"):
        pipeline.run(settings, sample_events=0)

    assert log_files(settings) == []


@pytest.mark.slow
def test_a_log_too_small_to_learn_from_says_what_is_needed_and_never_blocks_later_runs(
    settings: Settings,
) -> None:
    """`make sample EVENTS=2000`, then `make run`: one message; `make sample` again, and the run passes."""
    write_sample(2_000, settings, progress=False)

    with pytest.raises((TransformError, QualityGateError), match="append more events"):
        pipeline.run(settings)

    write_sample(TINY_SAMPLE_EVENTS, settings, progress=False)
    assert pipeline.run(settings).quality.passed


def test_the_accepted_run_survives_the_clean_up_whatever_path_leads_to_the_workspace(
    accepted_run: Settings, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """A workspace reached through a link, and an accepted run whose process was killed before it recorded
    its outcome: the next run must still recognise the accepted run and keep it."""
    link = tmp_path_factory.mktemp("elsewhere") / "workspace"
    link.symlink_to(accepted_run.workspace)
    through_link = Settings(workspace=link)
    kept = accepted(through_link)
    assert kept is not None
    kept.outcome_path.unlink()

    begin(through_link)

    assert accepted(through_link) == kept and kept.model_path.exists()
