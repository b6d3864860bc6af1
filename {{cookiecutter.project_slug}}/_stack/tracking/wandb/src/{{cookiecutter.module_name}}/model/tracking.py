"""Run tracking with Weights & Biases: each evaluated run's parameters, metrics, plots and model.

Without ``WANDB_API_KEY`` runs are recorded offline, as files under ``wandb/`` in the workspace, and nothing
leaves the machine: ``wandb sync wandb/offline-run-*`` uploads them later. With a key set, runs go straight to
W&B (``WANDB_BASE_URL`` for a self-hosted server). ``WANDB_MODE`` overrides either choice.

The model is logged as what the serving bundle deploys, the exported JSON, in a ``model`` artifact: the same
code for every model family, and what the registry holds is exactly what serving runs. The accepted model's
version carries the ``champion`` alias (``record_acceptance``).
"""

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..settings import Settings
from .evaluate import Evaluation
from .train import TrainedModel

PROJECT = "{{ cookiecutter.project_slug }}"
# The alias of the accepted model's version of the ``model`` artifact.
CHAMPION = "champion"


def record_run(model: TrainedModel, evaluation: Evaluation, settings: Settings) -> None:
    """Record the run in W&B with the model gate's verdict as a tag: failed candidates are worth a look."""
    with _wandb(settings) as wandb:
        passed = evaluation.passes(settings)
        exported = model.export()
        run = wandb.init(
            project=PROJECT,
            dir=settings.workspace,
            job_type="train",
            config=_run_params(model, settings),
            tags=["model-gate-passed" if passed else "model-gate-failed"],
            settings=_quiet(wandb),
        )
        with run:
            run.summary.update({**evaluation.metrics, "lift": evaluation.lift})
            run.log({f"plots/{plot.stem}": wandb.Image(str(plot)) for plot in evaluation.plots})
            artifact = wandb.Artifact(
                "model",
                type="model",
                metadata={"format": exported["format"], "model_gate_passed": passed},
            )
            with artifact.new_file("model.json") as file:
                json.dump(exported, file, indent=2)
            run.log_artifact(artifact)


def record_acceptance(version: str, evaluation_dir: Path, settings: Settings) -> None:
    """Log the accepted model as a version of the ``model`` artifact carrying the ``champion`` alias, which
    W&B moves from the previous champion: the champion is always the model ``artifacts/accepted`` serves."""
    with _wandb(settings) as wandb:
        run = wandb.init(project=PROJECT, dir=settings.workspace, job_type="accept", settings=_quiet(wandb))
        with run:
            artifact = wandb.Artifact("model", type="model", metadata={"model_version": version})
            artifact.add_file(str(settings.accepted_model_path), name="model.json")
            run.log_artifact(artifact, aliases=[CHAMPION])


@contextmanager
def _wandb(settings: Settings) -> Iterator[Any]:
    """W&B, set up for this workspace (offline without a key), its errors in words that say what to check."""
    folder = settings.workspace / "wandb"
    with _environment_defaults(
        # In the environment, not init's `mode` argument: W&B's process-wide usage metrics read it from there.
        WANDB_MODE="online" if os.environ.get("WANDB_API_KEY") else "offline",
        # W&B stages artifacts and writes its service logs under the home folder by default: an offline run
        # would leave its model there. Everything stays with the run, in the workspace.
        WANDB_DATA_DIR=str(folder / "data"),
        WANDB_CACHE_DIR=str(folder / "cache"),
        # No crash reports or usage metrics sent to W&B, offline or online.
        WANDB_ERROR_REPORTING="false",
    ):
        import wandb

        try:
            yield wandb
        except wandb.Error as error:
            server = os.environ.get("WANDB_BASE_URL") or "its cloud service"
            raise RuntimeError(
                f"cannot record the run on W&B at {server} ({str(error).splitlines()[0]}): check the "
                "network, WANDB_API_KEY and WANDB_BASE_URL, or unset WANDB_API_KEY to record runs offline"
            ) from error
        finally:
            # Stop W&B's background service: the next run in this process may use another workspace.
            wandb.teardown()


def _quiet(wandb: Any) -> Any:
    """Quiet, leaves the pipeline's output alone, no system metrics (they probe GPUs and clouds)."""
    return wandb.Settings(silent=True, console="off", x_disable_stats=True, x_disable_machine_info=True)


@contextmanager
def _environment_defaults(**values: str) -> Iterator[None]:
    """Set the variables the user has not set, for the duration of the run only."""
    added = {name: value for name, value in values.items() if name not in os.environ}
    os.environ.update(added)
    try:
        yield
    finally:
        for name in added:
            os.environ.pop(name, None)


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
