"""The pipeline's stages as plain functions of the settings: orchestrators only call them in order.

    log -> transform (dbt build) -> quality gate -> train -> evaluate (model gate) -> package

Each stage reads what the previous one left in the workspace (log files, warehouse tables, the run's folder)
or receives it as an argument, so an orchestrator can run stages in separate processes and pass the small
results along: the ``Run`` from ``begin_run`` is one of them. Stage modules are imported inside the stages:
an orchestrator starts a fresh process per step, and importing dbt, scikit-learn and matplotlib for a step
that uses none of them would cost seconds each time.

Each stage tells what it did in one line of figures (``story.py``), the same under every orchestrator, and
``summary`` ends the run with where to look.

A stage that refuses to go on raises a ``StageError`` (or a pydantic ``ValidationError`` for bad settings, a
``ContractError`` for a broken ``contract.toml``): ``STOPS``. Orchestrators record it in the run's folder
(``stopped``) and show its message, not a traceback.
"""

import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

# Orchestrators use these beside the stages: the failures that stop a run on purpose (their message says
# what failed and what to do), and how a stage's end is recorded in the run's folder.
from .errors import STOPS as STOPS
from .errors import StageError
from .runs import Run, begin, exclusive
from .runs import recording as recording
from .settings import Settings
from .story import duration, say, shown

if TYPE_CHECKING:
    from .model.evaluate import Evaluation
    from .model.train import TrainedModel
    from .quality.gate import QualityReport
    from .release.promotion import Bundle
    from .warehouse.transform import TransformResult

# Size of the sample log `make run` creates when the log is empty: seconds to build, enough to learn from.
DEFAULT_SAMPLE_EVENTS = 200_000
# Below this, a sample's splits hold too few sessions for the gates to pass (tests run with 30,000).
MIN_SAMPLE_EVENTS = 20_000
# Holdout sessions the bundle must reproduce exactly before it is accepted.
BUNDLE_CHECK_ROWS = 200


@dataclass(frozen=True)
class RunSummary:
    run: Run
    transform: "TransformResult"
    quality: "QualityReport"
    model: "TrainedModel"
    evaluation: "Evaluation"
    bundle: "Bundle"


def prepare_log(settings: Settings, sample_events: int = DEFAULT_SAMPLE_EVENTS) -> int:
    """Make sure there is something to learn from: a sample log when the log is empty; returns its files."""
    from .log.events import log_files, manifests
    from .log.sample import write_sample
    from .log.store import copy_to_local

    # Only an empty log gets a sample: a log whose batches were all quarantined is a real one.
    if not log_files(settings) and not manifests(settings):
        if sample_events < MIN_SAMPLE_EVENTS:
            raise StageError(
                f"the event log is empty, and a sample of {sample_events:,} events is too small to learn "
                f"from: run with EVENTS of at least {MIN_SAMPLE_EVENTS:,} "
                f"(`make run EVENTS={DEFAULT_SAMPLE_EVENTS}`), or append your own events first"
            )
        results = write_sample(sample_events, settings)
        appended, quarantined = sum(r.appended for r in results), sum(r.quarantined for r in results)
        new = len(results)
        say("log", f"{appended:,} events appended, {quarantined:,} quarantined, in {new} new batches")
    else:
        batches = manifests(settings)
        appended, quarantined = sum(b.appended for b in batches), sum(b.quarantined for b in batches)
        say(
            "log",
            f"{appended:,} events in {len(batches)} batches, {quarantined:,} quarantined "
            f"(no sample written: the log is not empty)",
        )
    copied = copy_to_local(settings)  # a log on object storage: what is new in it, for the transform
    if copied:
        say("log", f"{copied:,} new files of the log on object storage copied to {settings.log_root}")
    return len(log_files(settings))


def begin_run(settings: Settings) -> Run:
    """A folder for this run's evidence; what killed runs left behind is removed first."""
    return begin(settings)


def build_tables(settings: Settings) -> "TransformResult":
    """dbt build; on prod, the log's new batches are first loaded into the warehouse (``load_raw``)."""
    from .log.store import copy_to_local
    from .warehouse.targets import target
    from .warehouse.transform import build

    copied = copy_to_local(settings)  # a log on object storage: what is new in it, for the readers below
    if copied:
        say("transform", f"{copied:,} new files of the log on object storage copied to {settings.log_root}")

    if target() != "dev":
        # Only here: the production client is slow to import, and dev never needs it.
        from .warehouse.load_raw import load_new_batches

        for line in str(load_new_batches(settings)).splitlines():
            say("transform", line)
    from .log.events import log_files

    files = log_files(settings)
    size_mb = sum(path.stat().st_size for path in files) / 1e6
    started = time.monotonic()
    say("transform", f"dbt build over {len(files):,} log files ({size_mb:,.1f} MB)...")
    result = build(settings)
    say("transform", f"{result.passed} in {duration(time.monotonic() - started)}")
    for warning in result.warnings:
        say("transform", f"  warning: {warning}")
    return result


def check_quality(settings: Settings, run: Run) -> "QualityReport":
    from .quality import checks, gate
    from .warehouse.read import load_training_set

    frame = load_training_set(settings)
    report = gate.run(frame, checks.check(frame, settings, run.quality_dir), settings, run)
    say("quality gate", f"passed on {report.rows:,} rows of the training set (report: {shown(report.path)})")
    return report


def train_model(settings: Settings) -> "TrainedModel":
    from .model.train import train
    from .training_set import SPLIT
    from .warehouse.read import load_training_set

    training_set = load_training_set(settings)
    started = time.monotonic()
    fitting = int((training_set[SPLIT] != "test").sum())
    say("train", f"fitting on {fitting:,} sessions (training and validation splits)...")
    model = train(training_set, settings)
    params = ", ".join(f"{name} {value}" for name, value in model.params.items())
    say(
        "train",
        f"done in {duration(time.monotonic() - started)}: {params}; validation average precision "
        f"{model.validation_average_precision:.3f}",
    )
    return model


def evaluate_model(model: "TrainedModel", settings: Settings, run: Run) -> "Evaluation":
    """Evaluate on the holdout, record the run with the tracker, then apply the model gate."""
    from .model.evaluate import evaluate, model_gate
    from .model.tracking import record_run
    from .warehouse.read import load_training_set

    evaluation = evaluate(model, load_training_set(settings), settings, run.evaluation_dir)
    record_run(model, evaluation, settings)  # failed candidates are worth recording too
    say("evaluate", evaluation.headline())
    model_gate(evaluation, settings)
    passed = f"model gate passed: lift {evaluation.lift:.3f} >= {settings.min_lift:.3f} required"
    if evaluation.gain is not None:
        margin = settings.min_gain_over_accepted
        passed += f", {evaluation.gain:+.3f} >= {margin:+.3f} over the accepted model"
    say("evaluate", passed)
    return evaluation


def package_model(model: "TrainedModel", metrics: dict[str, float], settings: Settings, run: Run) -> "Bundle":
    """Build and check the bundle in the run's folder, then accept the run: model, evidence and bundle."""
    from .model.tracking import record_acceptance
    from .release.package import package
    from .release.promotion import with_metadata
    from .training_set import HOLDOUT, KEY, SPLIT
    from .warehouse.read import load_training_set

    training_set = load_training_set(settings)
    holdout = training_set[training_set[SPLIT] == HOLDOUT].head(BUNDLE_CHECK_ROWS)
    examples = holdout[[KEY, *model.features]].to_dict(orient="records")
    expected = model.predict_proba(holdout).tolist()
    bundle = package(with_metadata(model.export(), metrics), examples, expected, settings, run)
    record_acceptance(bundle.version, run.evaluation_dir, settings)
    say(
        "package",
        f"bundle {bundle.version} at {shown(bundle.archive)}, checked on {len(examples)} holdout sessions; "
        "run accepted",
    )
    return bundle


def summary(run: Run, version: str, bundle: Path, headline: str, settings: Settings) -> str:
    """The run's last lines: what was accepted, how it scored (``Evaluation.headline``), where to look."""
    report = settings.accepted_dir / "evaluation" / "report.md"
    return "\n".join(
        [
            f"\nrun {run.id} accepted: model {version}",
            f"  {headline}",
            f"  evaluation report: {shown(report)}",
            f"  published: {shown(bundle)}",
            f"  this run's evidence: {shown(run.dir)} (every run's: {shown(settings.runs_dir)})",
        ]
    )


def run(settings: Settings, sample_events: int = DEFAULT_SAMPLE_EVENTS) -> RunSummary:
    """Every stage in order, in this process, holding the workspace; a failed gate stops all after it."""
    with exclusive(settings):
        this_run = begin_run(settings)
        with recording(this_run, "log"):
            prepare_log(settings, sample_events)
        with recording(this_run, "transform"):
            transform = build_tables(settings)
        with recording(this_run, "quality gate"):
            report = check_quality(settings, this_run)
        with recording(this_run, "train"):
            model = train_model(settings)
        with recording(this_run, "evaluate"):
            evaluation = evaluate_model(model, settings, this_run)
        with recording(this_run, "package"):
            bundle = package_model(model, evaluation.metrics, settings, this_run)
    return RunSummary(this_run, transform, report, model, evaluation, bundle)
