"""The training pipeline as a Metaflow flow: a thin adapter over the stages in ``pipeline.py``.

Run locally:            python flows/training_flow.py run
On a bigger machine:    python flows/training_flow.py run --with batch        (AWS Batch)
                        python flows/training_flow.py run --with kubernetes
Only the train step asks for more resources (``@resources``); locally the request is ignored and training uses
what the machine offers. Stage logic lives in the package, so changing orchestrator changes only this file.

A run holds the workspace from start to end, and each step records in the run's folder why it stopped, if it
does; when a step stops the run, the last thing on the screen is that stage's own message, not a traceback.
"""

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from metaflow import FlowSpec, Parameter, resources, step
from metaflow.exception import MetaflowException

from {{ cookiecutter.module_name }} import pipeline
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


class TrainingFlow(FlowSpec):
    """Log -> dbt build -> quality gate -> train -> evaluate (model gate) -> package."""

    sample_events = Parameter(
        "sample-events",
        default=pipeline.DEFAULT_SAMPLE_EVENTS,
        help="size of the sample log created when empty",
    )

    @step
    def start(self) -> None:
        self.pipeline_run = pipeline.begin_run(SETTINGS)
        with stage(self.pipeline_run, "log"):
            self.log_files = pipeline.prepare_log(SETTINGS, self.sample_events)
        self.next(self.transform)

    @step
    def transform(self) -> None:
        with stage(self.pipeline_run, "transform"):
            self.transform_summary = str(pipeline.build_tables(SETTINGS))
        self.next(self.quality_gate)

    @step
    def quality_gate(self) -> None:
        with stage(self.pipeline_run, "quality gate"):
            self.quality_rows = pipeline.check_quality(SETTINGS, self.pipeline_run).rows
        self.next(self.train)

    @resources(cpu=SETTINGS.cpu, memory=SETTINGS.memory_mb, gpu=SETTINGS.gpu)
    @step
    def train(self) -> None:
        with stage(self.pipeline_run, "train"):
            self.model = pipeline.train_model(SETTINGS)
        self.next(self.evaluate)

    @step
    def evaluate(self) -> None:
        with stage(self.pipeline_run, "evaluate"):
            evaluation = pipeline.evaluate_model(self.model, SETTINGS, self.pipeline_run)
        self.metrics, self.headline = evaluation.metrics, evaluation.headline()
        self.next(self.package)

    @step
    def package(self) -> None:
        with stage(self.pipeline_run, "package"):
            bundle = pipeline.package_model(self.model, self.metrics, SETTINGS, self.pipeline_run)
        self.model_version, self.published = bundle.version, str(bundle.archive)
        self.next(self.end)

    @step
    def end(self) -> None:
        # Artifacts read here are plain values, so this step needs neither scikit-learn nor pandas.
        published = Path(self.published)
        print(pipeline.summary(self.pipeline_run, self.model_version, published, self.headline, SETTINGS))


@contextmanager
def stage(run: Run, name: str) -> Iterator[None]:
    """Record why the stage stopped the run, if it does; Metaflow then prints its message, not a traceback."""
    try:
        with pipeline.recording(run, name):
            yield
    except pipeline.STOPS as error:
        raise MetaflowException(f"{name} stopped the run") from error


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
