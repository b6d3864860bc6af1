"""The training pipeline as a Metaflow flow: a thin adapter over the stages in ``pipeline.py``.

Run locally:            python flows/training_flow.py run
On a bigger machine:    python flows/training_flow.py run --with batch        (AWS Batch)
                        python flows/training_flow.py run --with kubernetes
Only the train step asks for more resources (``@resources``); locally the request is ignored and training uses
what the machine offers. Stage logic lives in the package, so changing orchestrator changes only this file.
"""

from metaflow import FlowSpec, Parameter, resources, step

from {{ cookiecutter.module_name }} import pipeline
from {{ cookiecutter.module_name }}.settings import Settings

SETTINGS = Settings()


class TrainingFlow(FlowSpec):
    """Log -> dbt build -> quality gate -> train -> evaluate (model gate) -> package."""

    sample_events = Parameter(
        "sample-events",
        default=pipeline.DEFAULT_SAMPLE_EVENTS,
        help="size of the sample log created when empty",
    )

    @step
    def start(self) -> None:
        self.log_files = pipeline.prepare_log(SETTINGS, self.sample_events)
        self.next(self.transform)

    @step
    def transform(self) -> None:
        self.transform_summary = str(pipeline.build_tables(SETTINGS))
        self.next(self.quality_gate)

    @step
    def quality_gate(self) -> None:
        self.quality_rows = pipeline.check_quality(SETTINGS).rows
        self.next(self.train)

    @resources(cpu=SETTINGS.cpu, memory=SETTINGS.memory_mb, gpu=SETTINGS.gpu)
    @step
    def train(self) -> None:
        self.model = pipeline.train_model(SETTINGS)
        self.next(self.evaluate)

    @step
    def evaluate(self) -> None:
        self.metrics = pipeline.evaluate_model(self.model, SETTINGS).metrics
        self.next(self.package)

    @step
    def package(self) -> None:
        bundle = pipeline.package_model(self.model, self.metrics, SETTINGS)
        self.model_version, self.published = bundle.version, str(bundle.archive)
        self.next(self.end)

    @step
    def end(self) -> None:
        # Artifacts read here are plain values, so this step needs neither scikit-learn nor pandas.
        print(
            f"model {self.model_version}: average precision {self.metrics['average_precision']:.3f} "
            f"(baseline {self.metrics['baseline_average_precision']:.3f})"
        )
        print(f"metrics and plots: {SETTINGS.artifacts_dir / 'evaluation'}")
        print(f"published: {self.published}")


if __name__ == "__main__":
    TrainingFlow()
