"""Promotion of a trained model: what every serving target's packaging shares.

A model gets a version derived from its content and carries the rules for its inputs (the data contract's,
so every serving target refuses what it was never trained on). The serving target's package stage builds its
bundle in the run's folder and proves that the bundle reproduces the trained model's predictions; only then
is the run accepted (``runs.accept``): the model, its evidence and the bundle ``dist/`` points at change
together, in one atomic step, so a failed or killed run leaves the accepted ones as they were. Each target's
``package.py`` says only how its bundle is built and run.
"""

import hashlib
import json
import shutil
import subprocess
import sys
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Self

from ..atomic import write_atomically
from ..errors import StageError
from ..runs import Run, accept, accepted, begin, exclusive, recording
from ..settings import Settings
from ..training_set import CONTRACT, OUTPUT

# How far published predictions may stray from the trained model's: float rounding, nothing more.
TOLERANCE = 1e-9
SOURCE_DIR = Path(__file__).resolve().parents[1]
# The folder's name, not __name__'s prefix: under `python -m` (make package) __name__ is "__main__".
PACKAGE = SOURCE_DIR.name
# What every bundle carries from this package: the package markers, the contract's rules, the scoring API
# and the scorer (all standard library only).
CORE_FILES = (
    "__init__.py",
    "contract.py",
    "serving/__init__.py",
    "serving/api.py",
    "serving/recording.py",
    "serving/scoring.py",
)
# Sessions' features, as pandas' ``to_dict(orient="records")`` gives them.
Examples = Sequence[Mapping[Hashable, Any]]


class PackagingError(StageError):
    """What was published does not reproduce the trained model; the accepted model was not replaced."""


def with_metadata(exported: dict[str, Any], metrics: dict[str, float]) -> dict[str, Any]:
    """Stamp an exported model with a version derived from its content, the holdout metrics it earned, and
    the contract's rules for its inputs."""
    digest = hashlib.sha256(json.dumps(exported, sort_keys=True).encode()).hexdigest()[:12]
    now = datetime.now(UTC)
    return {
        **exported,
        "version": f"{now:%Y%m%dT%H%M%SZ}-{digest}",
        "trained_at": now.isoformat(),
        "metrics": metrics,
        "inputs": CONTRACT.inputs(exported["features"]).to_json(),
    }


def check_predictions(answered: Sequence[float], expected: Sequence[float], what: str) -> None:
    """Raise unless ``answered`` matches the trained model's ``expected`` predictions, one for one."""
    if len(answered) != len(expected):
        raise PackagingError(f"{what} gave {len(answered)} predictions for {len(expected)} sessions")
    worst = max((abs(a - b) for a, b in zip(answered, expected, strict=True)), default=0.0)
    if not worst <= TOLERANCE:
        raise PackagingError(f"{what}'s predictions differ from the trained model's by up to {worst:.2e}")


@dataclass(frozen=True)
class Bundle:
    """What the package stage published: ``archive`` is the file or folder a deployment takes."""

    archive: Path
    version: str

    @classmethod
    def of(cls, archive: Path, exported: dict[str, Any]) -> Self:
        return cls(archive, str(exported.get("version", "unversioned")))


# A target lays out its bundle from the exported model in a folder, then proves it answers right.
Build = Callable[[dict[str, Any], Path], Bundle]
Check = Callable[[Bundle, Examples, list[float]], None]


def promote(
    exported: dict[str, Any],
    examples: Examples,
    expected: list[float],
    settings: Settings,
    run: Run,
    build: Build,
    check: Check,
) -> Bundle:
    """Build the bundle in the run's folder, ``check`` that it reproduces ``expected`` on ``examples``,
    then accept the run; the bundle is returned where ``dist/`` shows it."""
    staged = build(exported, run.bundle_dir)
    check(staged, examples, expected)
    write_atomically(run.model_path, model_json(exported).encode())
    # Kept with the model, so that `make package` checks a rebuilt bundle the same way.
    write_atomically(_check_path(run), json.dumps({"examples": examples, "expected": expected}).encode())
    accept(run, settings)
    return published(staged, run, settings)


def rebuild(
    settings: Settings, build: Build, check: Check, vet: Callable[[Run], None] | None = None
) -> Bundle:
    """``make package``: the accepted model's bundle again, without retraining, in a new run that carries the
    accepted run's evidence, checked on the sessions the accepted bundle was checked on, then accepted as a
    whole, like any run. ``vet`` may stop it first, with the new run's folder to report in."""
    with exclusive(settings, "make package"):
        previous = accepted(settings)
        if previous is None or not _check_path(previous).exists():
            sys.exit(
                f"no accepted model with its checks at {settings.accepted_model_path}: run `make run` first"
            )
        exported: dict[str, Any] = json.loads(previous.model_path.read_text())
        checked = json.loads(_check_path(previous).read_text())
        run = begin(settings)
        with recording(run, "package"):
            if vet is not None:
                vet(run)
            for evidence in ("quality", "evaluation", "model"):
                if (previous.dir / evidence).exists() and not (run.dir / evidence).exists():
                    shutil.copytree(previous.dir / evidence, run.dir / evidence)
            staged = build(exported, run.bundle_dir)
            check(staged, checked["examples"], checked["expected"])
        accept(run, settings)
        return published(staged, run, settings)


def _check_path(run: Run) -> Path:
    """The sessions a run's bundle was checked on, and the trained model's predictions for them."""
    return run.model_path.with_name("check.json")


def published(bundle: Bundle, run: Run, settings: Settings) -> Bundle:
    """A bundle built in ``run``'s folder, where ``dist/`` shows it once the run is accepted."""
    return replace(bundle, archive=settings.dist_dir / bundle.archive.relative_to(run.bundle_dir))


def lay_out(folder: Path, files: Mapping[str, str | None], exported: dict[str, Any]) -> None:
    """Write a bundle's ``files`` into ``folder``, each named as in the bundle (see ``file_content``)."""
    for name, source in files.items():
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(file_content(source, exported))


def file_content(source: str | None, exported: dict[str, Any]) -> bytes:
    """A bundle file: the source file of this package at ``source``, or with None, the exported model."""
    return model_json(exported).encode() if source is None else (SOURCE_DIR / source).read_bytes()


def check_in_fresh_interpreter(
    script: str, path: Path, examples: Examples, expected: list[float], what: str, *, site_packages: bool
) -> None:
    """Run ``script`` on a staged bundle in a new interpreter and ask it to score ``examples``.

    The script gets ``path`` as ``sys.argv[1]`` and the request body on stdin, and prints the answer's status
    and JSON body as ``[status, body]``; the predictions must equal ``expected``. -I ignores the environment,
    the user site and the current folder, so the bundle's code is imported, not this project's; without
    ``site_packages``, -S drops installed packages too, for runtimes that install nothing beyond the bundle.
    -B leaves no bytecode in the bundle.
    """
    flags = ["-I", "-B"] if site_packages else ["-I", "-B", "-S"]
    result = subprocess.run(  # noqa: S603 (fixed command, our own interpreter)
        [sys.executable, *flags, "-c", script, str(path)],
        input=json.dumps({"sessions": examples}),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise PackagingError(f"{what} failed to answer a request:\n{result.stderr.strip()}")
    status, answer = json.loads(result.stdout)
    if status != 200:
        raise PackagingError(f"{what} answered {status}: {answer}")
    check_predictions([p[OUTPUT] for p in answer["predictions"]], expected, what)


def model_json(exported: dict[str, Any]) -> str:
    return json.dumps(exported, indent=2) + "\n"


def accepted_model(settings: Settings) -> dict[str, Any]:
    """The accepted model; exits with the fix when no run has produced one yet."""
    path = settings.accepted_model_path
    if not path.exists():
        sys.exit(f"no accepted model at {path}: run `make run` first")
    exported: dict[str, Any] = json.loads(path.read_text())
    return exported
