"""The pipeline's stages as plain functions of the settings: orchestrators only call them in order.

    log -> transform (dbt build) -> quality gate -> train -> evaluate (model gate) -> package

Each stage reads what the previous one left in the workspace (log files, warehouse tables) or receives it as
an argument, so an orchestrator can run stages in separate processes and pass the small results along. Stage
modules are imported inside the stages: an orchestrator starts a fresh process per step, and importing dbt,
scikit-learn and matplotlib for a step that uses none of them would cost seconds each time.
"""

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .settings import Settings

if TYPE_CHECKING:
    from .evaluate import Evaluation
    from .gate import QualityReport
    from .promotion import Bundle
    from .train import TrainedModel
    from .transform import TransformResult

# Size of the sample log `make run` creates when the log is empty: seconds to build, enough to learn from.
DEFAULT_SAMPLE_EVENTS = 200_000
# Holdout sessions the bundle must reproduce exactly before it replaces the current one.
BUNDLE_CHECK_ROWS = 200


@dataclass(frozen=True)
class RunSummary:
    quality: "QualityReport"
    model: "TrainedModel"
    evaluation: "Evaluation"
    bundle: "Bundle"


def prepare_log(settings: Settings, sample_events: int = DEFAULT_SAMPLE_EVENTS) -> int:
    """Make sure there is something to learn from: a sample log when the log is empty; returns its files."""
    from .event_log import log_files
    from .sample import write_sample

    if not log_files(settings):
        write_sample(sample_events, settings)
    return len(log_files(settings))


def build_tables(settings: Settings) -> "TransformResult":
{%- if cookiecutter.warehouse == "duckdb" %}
    from .transform import build

    return build(settings)
{%- else %}
    """dbt build; on prod, the log's new batches are loaded into the warehouse's raw table first."""
    from .transform import build
    from .warehouse import target

    if target() != "dev":
        # Only here: the production client is slow to import, and dev never needs it.
        from .load_raw import load_new_batches

        load_new_batches(settings)
    return build(settings)
{%- endif %}


def check_quality(settings: Settings) -> "QualityReport":
    from . import gate, quality
    from .warehouse import load_training_set

    frame = load_training_set(settings)
    return gate.run(frame, quality.check(frame, settings), settings)


def train_model(settings: Settings) -> "TrainedModel":
    from .train import train
    from .warehouse import load_training_set

    return train(load_training_set(settings), settings)


def evaluate_model(model: "TrainedModel", settings: Settings) -> "Evaluation":
    """Evaluate on the holdout, record the run with the tracker, then apply the model gate."""
    from .evaluate import evaluate, model_gate
    from .tracking import record_run
    from .warehouse import load_training_set

    evaluation = evaluate(model, load_training_set(settings), settings, settings.artifacts_dir / "evaluation")
    record_run(model, evaluation, settings)  # failed candidates are worth recording too
    model_gate(evaluation, settings)
    return evaluation


def package_model(model: "TrainedModel", metrics: dict[str, float], settings: Settings) -> "Bundle":
    from .package import package
    from .promotion import with_metadata
    from .training_set import SPLIT
    from .warehouse import load_training_set

    holdout = load_training_set(settings).query(f"{SPLIT} == 'test'").head(BUNDLE_CHECK_ROWS)
    examples = holdout[list(model.features)].to_dict(orient="records")
    expected = model.predict_proba(holdout).tolist()
    return package(with_metadata(model.export(), metrics), examples, expected, settings)


def run(settings: Settings, sample_events: int = DEFAULT_SAMPLE_EVENTS) -> RunSummary:
    """Every stage in order, in this process; a failed gate raises and stops everything after it."""
    prepare_log(settings, sample_events)
    build_tables(settings)
    report = check_quality(settings)
    model = train_model(settings)
    evaluation = evaluate_model(model, settings)
    return RunSummary(report, model, evaluation, package_model(model, evaluation.metrics, settings))
