"""Promotion of a trained model: what every serving target's packaging shares.

A model gets a version derived from its content; the serving target's package stage publishes it and proves
that what it published reproduces the trained model's predictions. Only then does the accepted model,
``artifacts/model/model.json``, change, in one atomic step, so a failed run leaves the previous one in place.
"""

import hashlib
import json
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .settings import Settings

# How far published predictions may stray from the trained model's: float rounding, nothing more.
TOLERANCE = 1e-9


class PackagingError(RuntimeError):
    """What was published does not reproduce the trained model; the accepted model was not replaced."""


def with_metadata(exported: dict[str, Any], metrics: dict[str, float]) -> dict[str, Any]:
    """Stamp an exported model with a version derived from its content and the holdout metrics it earned."""
    digest = hashlib.sha256(json.dumps(exported, sort_keys=True).encode()).hexdigest()[:12]
    now = datetime.now(UTC)
    return {
        **exported,
        "version": f"{now:%Y%m%dT%H%M%SZ}-{digest}",
        "trained_at": now.isoformat(),
        "metrics": metrics,
    }


def check_predictions(published: Sequence[float], expected: Sequence[float], what: str) -> None:
    """Raise unless ``published`` matches the trained model's ``expected`` predictions, one for one."""
    if len(published) != len(expected):
        raise PackagingError(f"{what} gave {len(published)} predictions for {len(expected)} sessions")
    worst = max((abs(a - b) for a, b in zip(published, expected, strict=True)), default=0.0)
    if not worst <= TOLERANCE:
        raise PackagingError(f"{what}'s predictions differ from the trained model's by up to {worst:.2e}")


def model_path(settings: Settings) -> Path:
    return settings.artifacts_dir / "model" / "model.json"


def accept(exported: dict[str, Any], settings: Settings) -> Path:
    """Make ``exported`` the accepted model; call only once what was published has been checked."""
    path = model_path(settings)
    write_atomically(path, json.dumps(exported, indent=2) + "\n")
    return path


def accepted_model(settings: Settings) -> dict[str, Any]:
    """The accepted model, for ``make package``; exits with the fix when no run has produced one yet."""
    path = model_path(settings)
    if not path.exists():
        sys.exit(f"no accepted model at {path}: run `make run` first")
    exported: dict[str, Any] = json.loads(path.read_text())
    return exported


def write_atomically(path: Path, text: str) -> None:
    """Readers see the old file or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text)
    temporary.replace(path)
