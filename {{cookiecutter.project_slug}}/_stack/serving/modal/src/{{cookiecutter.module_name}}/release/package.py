"""Packaging: the folder ``modal deploy`` takes, and promotion of the accepted model.

``dist/modal`` holds the Modal app file, the FastAPI app it serves, the API, contract and scorer that app
imports (standard library only) and the exported model: what the app's image adds, and nothing of the training
stack.
The folder is laid out in the run's folder and its app imported from there in a fresh interpreter (the
folder's code first on the path, not this project's); its web function is run locally, as Modal would in a
container, and the app it serves must reproduce the trained model's predictions before the run is accepted
and ``dist/`` shows the new folder.
"""

import sys
from pathlib import Path
from typing import Any

from ..errors import StageError
from ..runs import Run
from ..settings import Settings
from .promotion import (
    CORE_FILES,
    PACKAGE,
    Bundle,
    Examples,
    check_in_fresh_interpreter,
    lay_out,
    promote,
    rebuild,
)

# The deployable folder's files: where each comes from in this package (None: the exported model itself).
FILES: dict[str, str | None] = {
    "modal_app.py": "serving/modal_app.py",
    "model.json": None,
    **{f"{PACKAGE}/{name}": name for name in (*CORE_FILES, "serving/app.py")},
}
FOLDER_NAME = "modal"


def package(
    exported: dict[str, Any], examples: Examples, expected: list[float], settings: Settings, run: Run
) -> Bundle:
    """Lay out the folder, prove its app reproduces ``expected`` on ``examples``, then accept the run."""
    return promote(exported, examples, expected, settings, run, build, check)


def build(exported: dict[str, Any], out_dir: Path) -> Bundle:
    folder = out_dir / FOLDER_NAME
    lay_out(folder, FILES, exported)
    return Bundle.of(folder, exported)


def check(staged: Bundle, examples: Examples, expected: list[float]) -> None:
    """Run the folder's web function locally in a fresh interpreter and post ``examples`` to its app.

    Modal and the web framework still come from site-packages, as in the image; the app from the folder.
    """
    script = (
        "import json, sys\n"
        "sys.path.insert(0, sys.argv[1])\n"
        "import modal_app\n"
        "from fastapi.testclient import TestClient\n"
        "assert modal_app.__file__.startswith(sys.argv[1]), f'imported {modal_app.__file__} instead'\n"
        "response = TestClient(modal_app.web.local()).post('/predict', content=sys.stdin.read())\n"
        "print(json.dumps([response.status_code, response.json()]))\n"
    )
    folder = staged.archive
    check_in_fresh_interpreter(script, folder, examples, expected, "the Modal app", site_packages=True)


def main() -> None:
    """``make package``: rebuild the deployable folder from the accepted model, without retraining."""
    try:
        bundle = rebuild(Settings(), build, check)
    except StageError as error:
        sys.exit(f"error: {error}")
    print(f"deploy with: modal deploy {bundle.archive / 'modal_app.py'} (model {bundle.version})")


if __name__ == "__main__":
    main()
