"""The training pipeline as a Metaflow flow: a thin adapter over the stages in ``pipeline.py``.

Run locally:            python flows/training_flow.py run
On a bigger machine:    python flows/training_flow.py run --with batch        (AWS Batch)
                        python flows/training_flow.py run --with kubernetes
Retrain, as scheduled:  python flows/training_flow.py run --monitor true       (`make retrain`)
On its schedule:        python flows/training_flow.py argo-workflows create     (or step-functions create)
The deployed flow runs on the schedule in ``@schedule`` (daily, 06:17 UTC), and a scheduled run does what
`make retrain` does (``retraining.py``): the monitoring gate first, then the pipeline through its gates, and
an alert to the ``alert_webhook_url`` setting when the outcome calls for one; a run that alerted ends failed,
so the scheduler shows it red. Give the deployment the settings it needs (the log's location, the
warehouse's, the webhook) through the environment: ``--with environment:vars=...``, or your cluster's secrets.
Only the train step asks for more resources (``@resources``); locally the request is ignored and training uses
what the machine offers. Stage logic lives in the package, so changing orchestrator changes only this file.

A run holds the workspace from start to end, and each step records in the run's folder why it stopped, if it
does; when a step stops the run, the last thing on the screen is that stage's own message, not a traceback.
"""

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from metaflow import FlowSpec, Parameter, resources, schedule, step
from metaflow.exception import MetaflowException

from {{ cookiecutter.module_name }} import pipeline, retraining
from {{ cookiecutter.module_name }}.runs import Run, exclusive, stopped_since
from {{ cookiecutter.module_name }}.settings import Settings


def settings() -> Settings:
    """The settings, read once as the flow file loads (the train step's resources come from them); invalid
    ones end the command with pydantic's message, before Metaflow starts."""
    try:
        return Settings()
    except pipeline.STOPS as error:
        sys.exit(f"\nthe settings are not valid: {error}")


SETTINGS = settings()
# Where Metaflow runs the deployed flow on its schedule (it names the runtime in each step's environment).
SCHEDULERS = ("argo-workflows", "step-functions")


# EventBridge's six fields (Step Functions); Argo Workflows reads the first five, as cron does.
@schedule(cron="17 6 * * ? *")
class TrainingFlow(FlowSpec):
    """Log -> dbt build -> quality gate -> train -> evaluate (model gate) -> package."""

    sample_events = Parameter(
        "sample-events",
        default=pipeline.DEFAULT_SAMPLE_EVENTS,
        help="size of the sample log created when empty",
    )
    monitor = Parameter(
        "monitor",
        type=bool,
        default=False,
        help="monitor first and alert on failure, as `make retrain` and every scheduled run do",
    )

    @step
    def start(self) -> None:
        self.verdict: retraining.Verdict | None = None
        if self.monitor or os.environ.get("METAFLOW_RUNTIME_NAME") in SCHEDULERS:
            self.verdict = retraining.monitor(SETTINGS)
        self.pipeline_run = pipeline.begin_run(SETTINGS)
        with stage(self.pipeline_run, "log", self.verdict):
            self.log_files = pipeline.prepare_log(SETTINGS, self.sample_events)
        self.next(self.transform)

    @step
    def transform(self) -> None:
        with stage(self.pipeline_run, "transform", self.verdict):
            self.transform_summary = str(pipeline.build_tables(SETTINGS))
        self.next(self.quality_gate)

    @step
    def quality_gate(self) -> None:
        with stage(self.pipeline_run, "quality gate", self.verdict):
            self.quality_rows = pipeline.check_quality(SETTINGS, self.pipeline_run).rows
        self.next(self.train)

    @resources(cpu=SETTINGS.cpu, memory=SETTINGS.memory_mb, gpu=SETTINGS.gpu)
    @step
    def train(self) -> None:
        with stage(self.pipeline_run, "train", self.verdict):
            self.model = pipeline.train_model(SETTINGS)
        self.next(self.evaluate)

    @step
    def evaluate(self) -> None:
        with stage(self.pipeline_run, "evaluate", self.verdict):
            evaluation = pipeline.evaluate_model(self.model, SETTINGS, self.pipeline_run)
        self.metrics, self.headline = evaluation.metrics, evaluation.headline()
        self.next(self.package)

    @step
    def package(self) -> None:
        with stage(self.pipeline_run, "package", self.verdict):
            bundle = pipeline.package_model(self.model, self.metrics, SETTINGS, self.pipeline_run)
        self.model_version, self.published = bundle.version, str(bundle.archive)
        self.next(self.end)

    @step
    def end(self) -> None:
        # Artifacts read here are plain values, so this step needs neither scikit-learn nor pandas.
        published = Path(self.published)
        print(pipeline.summary(self.pipeline_run, self.model_version, published, self.headline, SETTINGS))
        if self.verdict is not None:
            status = retraining.conclude(self.verdict, retraining.outcome_of(self.pipeline_run), SETTINGS)
            if status:
                raise MetaflowException("the retraining alerted: see the alert above")


@contextmanager
def stage(run: Run, name: str, verdict: retraining.Verdict | None) -> Iterator[None]:
    """Record why the stage stopped the run, if it does; Metaflow then prints its message, not a traceback.
    In a retraining run (``verdict``, monitoring's), a stage that stops or crashes the run alerts."""
    try:
        with pipeline.recording(run, name):
            yield
    except Exception as error:
        if verdict is not None:
            retraining.conclude(verdict, retraining.outcome_of(run), SETTINGS)
        if isinstance(error, pipeline.STOPS):
            raise MetaflowException(f"{name} stopped the run") from error
        raise


def main() -> None:
    """The command line: `run` and `resume` hold the workspace, and a stopped run ends with its message."""
    command = next((word for word in sys.argv[1:] if word in ("run", "resume", "step")), None)
    if command not in ("run", "resume"):
        TrainingFlow()  # a step in its own process, `show`, `--help`: Metaflow as it is
        return
    started = datetime.now(UTC)
    try:
        with exclusive(SETTINGS):
            TrainingFlow()
    except pipeline.STOPS as error:
        sys.exit(f"\n{error}")
    except SystemExit as ended:
        if ended.code in (0, None):
            raise
        # The step's own message, which its run's folder recorded, after Metaflow's report of the failed task.
        stopped = stopped_since(SETTINGS, started)
        sys.exit(f"\n{stopped}" if stopped else ended.code)


if __name__ == "__main__":
    main()
