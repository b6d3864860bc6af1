"""Run tracking with MLflow: each evaluated run's parameters, metrics, plots and model, side by side.

Runs go to a SQLite store in the workspace (``mlruns.db``, files under ``mlartifacts/``): no server to run,
and MLflow 3 no longer accepts a plain folder as a store. Set ``MLFLOW_TRACKING_URI`` to a tracking server's
address to share runs with the team; ``make mlflow-ui`` browses the local store.

The model is recorded as what the serving bundle deploys, the exported JSON, in an MLflow "external" model
linked to the run's metrics: the same code for every model family, and what the model registry holds is
exactly what serving runs. When a run is accepted, its model is registered under the experiment's name and
the registered model's ``champion`` alias moves to it (``record_acceptance``): the champion in the registry is
always the model ``artifacts/accepted`` serves.
"""

import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..settings import Settings
from .evaluate import Evaluation
from .train import TrainedModel

EXPERIMENT = "{{ cookiecutter.project_slug }}"
# The registered model's alias for the accepted model.
CHAMPION = "champion"
# Beside a run's evaluation: the id of the model MLflow logged for it, which acceptance registers.
MODEL_ID = "mlflow_model_id.txt"


def tracking_uri(settings: Settings) -> str:
    """Where runs are recorded: ``MLFLOW_TRACKING_URI`` when set, else the SQLite store in the workspace."""
    store = (settings.workspace / "mlruns.db").resolve()
    return os.environ.get("MLFLOW_TRACKING_URI") or f"sqlite:///{store.as_posix()}"


def record_run(model: TrainedModel, evaluation: Evaluation, settings: Settings) -> None:
    """Record the run in MLflow with the model gate's verdict as a tag: failed candidates are worth a look."""
    with _store(settings) as local_artifacts:
        import mlflow

        experiment_id = _experiment_id(local_artifacts)
        exported = model.export()
        gate = {"model_gate": "passed" if evaluation.passes(settings) else "failed"}
        with mlflow.start_run(experiment_id=experiment_id):
            mlflow.log_params(_run_params(model, settings))
            mlflow.set_tags({**gate, "model_format": exported["format"]})
            logged = mlflow.create_external_model(
                name="model",
                model_type=exported["format"],
                params={name: str(value) for name, value in model.params.items()},
                tags=gate,
            )
            mlflow.log_metrics({**evaluation.metrics, "lift": evaluation.lift}, model_id=logged.model_id)
            for plot in evaluation.plots:
                mlflow.log_artifact(str(plot), artifact_path="plots")
            with tempfile.TemporaryDirectory() as folder:
                (Path(folder) / "model.json").write_text(json.dumps(exported, indent=2) + "\n")
                mlflow.MlflowClient().log_model_artifacts(logged.model_id, folder)
        evaluation.metrics_path.with_name(MODEL_ID).write_text(logged.model_id + "\n")


def record_acceptance(version: str, evaluation_dir: Path, settings: Settings) -> None:
    """Register the accepted run's model as a new version of the registered model, tagged with the model
    version it serves as, and move the ``champion`` alias to it."""
    model_id = (evaluation_dir / MODEL_ID).read_text().strip()
    with _store(settings):
        import mlflow

        registered = mlflow.register_model(f"models:/{model_id}", EXPERIMENT, tags={"model_version": version})
        mlflow.MlflowClient().set_registered_model_alias(EXPERIMENT, CHAMPION, registered.version)


@contextmanager
def _store(settings: Settings) -> Iterator[str | None]:
    """MLflow pointed at this workspace's store (or MLFLOW_TRACKING_URI's); yields where the local store keeps
    artifacts (None for a tracking server, which decides for itself)."""
    # MLflow reads these when it is first imported, hence the import below them. Telemetry off: it would send
    # usage data and write an installation id under ~/.config. Its INFO lines (creating the store) are noise.
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    os.environ.setdefault("MLFLOW_LOGGING_LEVEL", "WARNING")
    import mlflow

    chosen = os.environ.get("MLFLOW_TRACKING_URI")
    mlflow.set_tracking_uri(tracking_uri(settings))
    try:
        yield None if chosen else (settings.workspace / "mlartifacts").resolve().as_uri()
    finally:
        # MLflow exports the URI it was given as MLFLOW_TRACKING_URI; left there, the next run in this process
        # (another workspace, in tests) would take it for the user's choice.
        if not chosen:
            os.environ.pop("MLFLOW_TRACKING_URI", None)


def _experiment_id(artifact_location: str | None) -> str:
    """The project's experiment, created on first use; a clear error when the store cannot be reached."""
    import mlflow

    try:
        experiment = mlflow.get_experiment_by_name(EXPERIMENT)
    except mlflow.MlflowException as error:
        raise RuntimeError(
            f"cannot use the MLflow tracking store at {mlflow.get_tracking_uri()} "
            f"({error.message.splitlines()[0]}): fix MLFLOW_TRACKING_URI, or unset it to use the local store"
        ) from error
    if experiment is not None:
        return experiment.experiment_id
    return mlflow.create_experiment(EXPERIMENT, artifact_location=artifact_location)


def _run_params(model: TrainedModel, settings: Settings) -> dict[str, Any]:
    """The model's hyperparameters and the settings that shaped the run: what runs are compared on."""
    return {
        **model.params,
        "train_cutoff": settings.train_cutoff.isoformat(),
        "validation_cutoff": settings.validation_cutoff.isoformat(),
        "seed": settings.seed,
        "cpu": settings.cpu,
        "memory_mb": settings.memory_mb,
        "gpu": settings.gpu,
        "cpus_used": model.cpus,
        "training_rows": model.rows,
    }
