"""The whole pipeline on a tiny sample: what `make run` does, how it stops, what stopping leaves alone."""

import json
import re
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
    # Its report cannot pass for the accepted model's: it says rejected and names the model that stays.
    version = json.loads(accepted_run.accepted_model_path.read_text())["version"]
    rejected = f"**Status: rejected** — by the model gate; the accepted model is {version}"
    assert status(run.report_path).startswith(rejected)
    assert status(accepted_run.accepted_dir / "evaluation" / "report.md").startswith("**Status: accepted**")


def status(report: Path) -> str:
    """An evaluation report's status line."""
    return next(line for line in report.read_text().splitlines() if line.startswith("**Status: "))


def test_a_run_tells_each_stage_in_a_line_of_figures_then_where_to_look(
    accepted_run: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    before = accepted(accepted_run)

    again = pipeline.run(accepted_run, sample_events=TINY_SAMPLE_EVENTS)
    print(pipeline.summary(again.run, again.bundle.version, again.bundle.archive, "", accepted_run))

    told = capsys.readouterr().out
    for stage, figures in {
        "log": r"[\d,]+ events in \d+ batches, [\d,]+ quarantined",
        "transform": r"dbt build passed: \d+ models built, \d+ tests passed in [\d.]+ s",
        "quality gate": r"passed on [\d,]+ rows",
        "train": r"done in [\d.]+ s: .*validation average precision 0\.\d{3}",
        "evaluate": r"average precision 0\.\d{3} on [\d,]+ holdout sessions; baseline 0\.\d{3}, accepted mo",
        "package": rf"bundle {again.bundle.version} at .+, checked on \d+ holdout sessions",
    }.items():
        assert re.search(rf"^{stage} +{figures}", told, re.MULTILINE), f"{stage}: {figures}\n{told}"
    assert f"run {again.run.id} accepted: model {again.bundle.version}" in told
    assert f"evaluation report: {accepted_run.accepted_dir / 'evaluation' / 'report.md'}" in told
    assert before is not None
    assert status(again.run.report_path).startswith("**Status: accepted**")
    superseded = f"**Status: superseded** — was accepted until run {again.run.id}"
    assert status(before.report_path).startswith(superseded)


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
