"""Run tracking without a tracking server: one line per evaluated run in ``artifacts/runs.jsonl``.

The metrics, plots and accepted model are files under ``artifacts/``, and the orchestrator keeps each run's
artifacts; this history answers "how did the last runs compare" until several people compare runs daily, the
point where a tracking server earns its upkeep.
"""

import json
from datetime import UTC, datetime
from pathlib import Path

from ..settings import Settings
from .evaluate import Evaluation
from .train import TrainedModel


def record_run(model: TrainedModel, evaluation: Evaluation, settings: Settings) -> None:
    """Append the run's parameters, metrics and outcome to the run history."""
    record = {
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "params": model.params,
        "metrics": evaluation.metrics,
        "passed_model_gate": evaluation.passes(settings),
        "plots": [str(path) for path in evaluation.plots],
    }
    history = settings.artifacts_dir / "runs.jsonl"
    history.parent.mkdir(parents=True, exist_ok=True)
    with history.open("a") as runs:
        runs.write(json.dumps(record) + "\n")


def record_acceptance(version: str, evaluation_dir: Path, settings: Settings) -> None:
    """Nothing to register: without a tracking server, ``artifacts/accepted`` is the champion."""
