"""Packaging: the folder ``modal deploy`` takes, and promotion of the accepted model.

``dist/modal`` holds the Modal app file, the contract and scorer it imports (standard library only) and the
exported model: what the app's image adds, and nothing of the training stack. Before anything is replaced, the
staged app is imported in a fresh interpreter (the folder's code first on the path, not this project's), its
web function is run locally, as Modal would in a container, and the app it serves must reproduce the trained
model's predictions; only then do the folder and the accepted model move into place.
"""

import json
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .promotion import PackagingError, accept, accepted_model, check_predictions
from .settings import Settings

SOURCE_DIR = Path(__file__).resolve().parent
# The folder's name, not __name__'s prefix: under `python -m` (make package) __name__ is "__main__".
PACKAGE = SOURCE_DIR.name
# The deployable folder's files: where each comes from in this package (None: the exported model itself).
FILES = {
    "modal_app.py": "serving/modal_app.py",
    "model.json": None,
    f"{PACKAGE}/__init__.py": "__init__.py",
    f"{PACKAGE}/contract.py": "contract.py",
    f"{PACKAGE}/scoring.py": "scoring.py",
}
FOLDER_NAME = "modal"
# Sessions' features, as pandas' ``to_dict(orient="records")`` gives them.
Examples = Sequence[Mapping[Hashable, Any]]


@dataclass(frozen=True)
class Bundle:
    """The deployable folder; ``archive`` is what ``modal deploy`` is pointed at (its app file's folder)."""

    archive: Path
    version: str


def package(
    exported: dict[str, Any], examples: Examples, expected: list[float], settings: Settings
) -> Bundle:
    """Lay out the folder, prove its app reproduces ``expected`` on ``examples``, then publish both."""
    settings.dist_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=settings.dist_dir, prefix=".build-") as scratch:
        staged = build_folder(exported, Path(scratch) / FOLDER_NAME)
        check_folder(staged.archive, examples, expected)
        bundle = _publish(staged, settings.dist_dir / FOLDER_NAME)
    accept(exported, settings)
    return bundle


def build_folder(exported: dict[str, Any], folder: Path) -> Bundle:
    for name, source in FILES.items():
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if source is None:
            target.write_text(json.dumps(exported, indent=2) + "\n")
        else:
            shutil.copyfile(SOURCE_DIR / source, target)
    return Bundle(folder, str(exported.get("version", "unversioned")))


def check_folder(folder: Path, examples: Examples, expected: list[float]) -> None:
    """Run the folder's web function locally in a fresh interpreter and post ``examples`` to its app."""
    script = (
        "import json, sys\n"
        "sys.path.insert(0, sys.argv[1])\n"
        "import modal_app\n"
        "from fastapi.testclient import TestClient\n"
        "assert modal_app.__file__.startswith(sys.argv[1]), f'imported {modal_app.__file__} instead'\n"
        "response = TestClient(modal_app.web.local()).post('/predict', content=sys.stdin.read())\n"
        "print(json.dumps([response.status_code, response.json()]))\n"
    )
    # -I ignores the environment, the user site and the current folder (Modal and the web framework still
    # come from site-packages, as in the image); -B leaves no bytecode in the folder.
    result = subprocess.run(  # noqa: S603 (fixed command, our own interpreter)
        [sys.executable, "-I", "-B", "-c", script, str(folder)],
        input=json.dumps({"sessions": examples}),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise PackagingError(f"the Modal app failed to answer a request:\n{result.stderr.strip()}")
    status, answer = json.loads(result.stdout)
    if status != 200:
        raise PackagingError(f"the Modal app answered {status}: {answer}")
    answered = [p["purchase_probability"] for p in answer["predictions"]]
    check_predictions(answered, expected, "the Modal app")


def _publish(staged: Bundle, final: Path) -> Bundle:
    """Swap the staged folder into ``dist/``; the old one is removed only once the new one is in place."""
    retired = staged.archive.with_name("retired")
    if final.exists():
        final.rename(retired)
    staged.archive.rename(final)
    shutil.rmtree(retired, ignore_errors=True)
    return Bundle(final, staged.version)


def main() -> None:
    """``make package``: rebuild the deployable folder from the accepted model, without retraining."""
    settings = Settings()
    exported = accepted_model(settings)
    settings.dist_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=settings.dist_dir, prefix=".build-") as scratch:
        staged = build_folder(exported, Path(scratch) / FOLDER_NAME)
        bundle = _publish(staged, settings.dist_dir / FOLDER_NAME)
    print(f"deploy with: modal deploy {bundle.archive / 'modal_app.py'} (model {bundle.version})")


if __name__ == "__main__":
    main()
