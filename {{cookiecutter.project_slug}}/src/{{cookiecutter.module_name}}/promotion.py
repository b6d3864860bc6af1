"""Promotion of a trained model: what every serving target's packaging shares.

A model gets a version derived from its content; the serving target's package stage builds its bundle aside,
proves that the bundle reproduces the trained model's predictions, and only then publishes it in ``dist/``
and changes the accepted model, ``artifacts/model/model.json``, in one atomic step each, so a failed run
leaves the previous ones in place. Each target's ``package.py`` says only how its bundle is built and run.
"""

import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Hashable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Self

from .settings import Settings

# How far published predictions may stray from the trained model's: float rounding, nothing more.
TOLERANCE = 1e-9
SOURCE_DIR = Path(__file__).resolve().parent
# The folder's name, not __name__'s prefix: under `python -m` (make package) __name__ is "__main__".
PACKAGE = SOURCE_DIR.name
# What every bundle carries from this package: the package marker, the request contract and the scorer.
CORE_FILES = ("__init__.py", "contract.py", "scoring.py")
# Sessions' features, as pandas' ``to_dict(orient="records")`` gives them.
Examples = Sequence[Mapping[Hashable, Any]]


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


@dataclass(frozen=True)
class Bundle:
    """What the package stage published: ``archive`` is the file or folder a deployment takes."""

    archive: Path
    version: str

    @classmethod
    def of(cls, archive: Path, exported: dict[str, Any]) -> Self:
        return cls(archive, str(exported.get("version", "unversioned")))

    def moved_into(self, dist_dir: Path) -> Self:
        """The staged bundle, swapped into ``dist_dir``."""
        return replace(self, archive=swap_into(self.archive, dist_dir))


# A target lays out its bundle from the exported model in a scratch folder, then proves it answers right.
Build = Callable[[dict[str, Any], Path], Bundle]
Check = Callable[[Bundle, Examples, list[float]], None]


def promote(
    exported: dict[str, Any],
    examples: Examples,
    expected: list[float],
    settings: Settings,
    build: Build,
    check: Check,
) -> Bundle:
    """Build the bundle, ``check`` that it reproduces ``expected`` on ``examples``, then publish both."""
    with _staging(settings) as scratch:
        staged = build(exported, scratch)
        check(staged, examples, expected)
        bundle = staged.moved_into(settings.dist_dir)
    accept(exported, settings)
    return bundle


def rebuild(settings: Settings, build: Build) -> Bundle:
    """``make package``: the accepted model's bundle again, without retraining; it passed its check then."""
    exported = accepted_model(settings)
    with _staging(settings) as scratch:
        return build(exported, scratch).moved_into(settings.dist_dir)


@contextmanager
def _staging(settings: Settings) -> Iterator[Path]:
    """A scratch folder inside ``dist/``: on the same filesystem, so publishing what it holds is a rename."""
    settings.dist_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=settings.dist_dir, prefix=".build-") as scratch:
        yield Path(scratch)


def swap_into(staged: Path, dist_dir: Path) -> Path:
    """Move a staged file or folder into ``dist_dir``; a folder it replaces goes only once it is in place."""
    final = dist_dir / staged.name
    if not staged.is_dir():
        staged.replace(final)
        return final
    retired = staged.with_name("retired")
    if final.exists():
        final.rename(retired)
    staged.rename(final)
    shutil.rmtree(retired, ignore_errors=True)
    return final


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
    check_predictions([p["purchase_probability"] for p in answer["predictions"]], expected, what)


def model_json(exported: dict[str, Any]) -> str:
    return json.dumps(exported, indent=2) + "\n"


def model_path(settings: Settings) -> Path:
    return settings.artifacts_dir / "model" / "model.json"


def accept(exported: dict[str, Any], settings: Settings) -> Path:
    """Make ``exported`` the accepted model; call only once what was published has been checked."""
    path = model_path(settings)
    write_atomically(path, model_json(exported))
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
