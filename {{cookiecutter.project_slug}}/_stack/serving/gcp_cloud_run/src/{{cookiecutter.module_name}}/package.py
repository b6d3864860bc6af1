"""Packaging: the Cloud Run image's build context, and promotion of the accepted model.

``dist/cloud_run`` holds all the image needs: the Dockerfile, the serving app with the contract and scorer it
imports, the exported model, and the web framework pinned to the versions the tests ran against. Nothing of
the training stack goes in, so the image stays small and starts fast. Before anything is replaced, the app is
imported from the staged context in a fresh interpreter (the context's code first on the path, not this
project's) and must reproduce the trained model's predictions through HTTP; only then do the context and the
accepted model move into place, so a failed run leaves the previous ones untouched.
"""

import json
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from .promotion import PackagingError, accept, accepted_model, check_predictions
from .settings import PROJECT_ROOT, Settings

SOURCE_DIR = Path(__file__).resolve().parent
# The folder's name, not __name__'s prefix: under `python -m` (make package) __name__ is "__main__".
PACKAGE = SOURCE_DIR.name
DOCKERFILE = PROJECT_ROOT / "deploy" / "Dockerfile"
# What the image needs from this package: the app, the contract and scorer, and the package markers.
RUNTIME_FILES = ("__init__.py", "contract.py", "scoring.py", "serving/__init__.py", "serving/app.py")
# The serving runtime's own dependencies, pinned to the versions installed here.
REQUIREMENTS = ("fastapi", "uvicorn")
CONTEXT_NAME = "cloud_run"
# Sessions' features, as pandas' ``to_dict(orient="records")`` gives them.
Examples = Sequence[Mapping[Hashable, Any]]


@dataclass(frozen=True)
class Bundle:
    """The image's build context; ``archive`` is the folder ``docker build`` or ``gcloud builds`` takes."""

    archive: Path
    version: str


def package(
    exported: dict[str, Any], examples: Examples, expected: list[float], settings: Settings
) -> Bundle:
    """Lay out the context, prove its app reproduces ``expected`` on ``examples``, then publish both."""
    settings.dist_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=settings.dist_dir, prefix=".build-") as scratch:
        staged = build_context(exported, Path(scratch) / CONTEXT_NAME)
        check_context(staged.archive, examples, expected)
        bundle = _publish(staged, settings.dist_dir / CONTEXT_NAME)
    accept(exported, settings)
    return bundle


def build_context(exported: dict[str, Any], context: Path) -> Bundle:
    """Write the build context: Dockerfile, pinned requirements, and ``app/`` with the code and the model."""
    for relative in RUNTIME_FILES:
        target = context / "app" / PACKAGE / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(SOURCE_DIR / relative, target)
    (context / "app" / PACKAGE / "serving" / "model.json").write_text(json.dumps(exported, indent=2) + "\n")
    shutil.copyfile(DOCKERFILE, context / "Dockerfile")
    pins = "".join(f"{name}=={metadata.version(name)}\n" for name in REQUIREMENTS)
    (context / "requirements.txt").write_text(pins)
    return Bundle(context, str(exported.get("version", "unversioned")))


def check_context(context: Path, examples: Examples, expected: list[float]) -> None:
    """Serve the context's app in a fresh interpreter and post ``examples``: it must answer ``expected``."""
    script = (
        "import json, sys\n"
        "sys.path.insert(0, sys.argv[1])\n"
        f"from {PACKAGE}.serving import app\n"
        "from fastapi.testclient import TestClient\n"
        "assert app.__file__.startswith(sys.argv[1]), f'imported {app.__file__}, not the context'\n"
        "with TestClient(app.app) as client:\n"
        "    response = client.post('/predict', content=sys.stdin.read())\n"
        "print(json.dumps([response.status_code, response.json()]))\n"
    )
    # -I ignores the environment, the user site and the current folder (the web framework still comes from
    # site-packages, as in the image); -B leaves no bytecode in the context.
    result = subprocess.run(  # noqa: S603 (fixed command, our own interpreter)
        [sys.executable, "-I", "-B", "-c", script, str(context / "app")],
        input=json.dumps({"sessions": examples}),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise PackagingError(f"the image's app failed to answer a request:\n{result.stderr.strip()}")
    status, answer = json.loads(result.stdout)
    if status != 200:
        raise PackagingError(f"the image's app answered {status}: {answer}")
    answered = [p["purchase_probability"] for p in answer["predictions"]]
    check_predictions(answered, expected, "the image's app")


def _publish(staged: Bundle, final: Path) -> Bundle:
    """Swap the staged context into ``dist/``; the old one is removed only once the new one is in place."""
    retired = staged.archive.with_name("retired")
    if final.exists():
        final.rename(retired)
    staged.archive.rename(final)
    shutil.rmtree(retired, ignore_errors=True)
    return Bundle(final, staged.version)


def main() -> None:
    """``make package``: rebuild the image's context from the accepted model, without retraining."""
    settings = Settings()
    exported = accepted_model(settings)
    settings.dist_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=settings.dist_dir, prefix=".build-") as scratch:
        staged = build_context(exported, Path(scratch) / CONTEXT_NAME)
        bundle = _publish(staged, settings.dist_dir / CONTEXT_NAME)
    print(f"image context {bundle.archive} (docker build -t IMAGE {bundle.archive}), model {bundle.version}")


if __name__ == "__main__":
    main()
