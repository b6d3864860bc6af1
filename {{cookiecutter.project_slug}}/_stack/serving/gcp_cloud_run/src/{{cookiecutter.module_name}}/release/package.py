"""Packaging: the Cloud Run image's build context, and promotion of the accepted model.

``dist/cloud_run`` holds all the image needs: the Dockerfile, the serving app with the API, contract and
scorer it imports, the exported model, and the web framework pinned to the versions the tests ran against.
Nothing of the training stack goes in, so the image stays small and starts fast. The context is laid out in
the run's folder and its app imported from there in a fresh interpreter (the context's code first on the path,
not this project's); it must reproduce the trained model's predictions through HTTP before the run is
accepted and ``dist/`` shows the new context.
"""

import shutil
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

from ..errors import StageError
from ..runs import Run
from ..settings import PROJECT_ROOT, Settings
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

DOCKERFILE = PROJECT_ROOT / "deploy" / "Dockerfile"
SERVING_FILES = ("serving/app.py", "serving/cloud_run.py")
# The image's ``app/`` folder: the app and what it imports, and the exported model beside it.
APP_FILES: dict[str, str | None] = {
    **{f"{PACKAGE}/{name}": name for name in (*CORE_FILES, *SERVING_FILES)},
    f"{PACKAGE}/serving/model.json": None,
}
# The serving runtime's own dependencies, pinned to the versions installed here.
REQUIREMENTS = ("fastapi", "uvicorn")
CONTEXT_NAME = "cloud_run"


def package(
    exported: dict[str, Any], examples: Examples, expected: list[float], settings: Settings, run: Run
) -> Bundle:
    """Lay out the context, prove its app reproduces ``expected`` on ``examples``, then accept the run."""
    return promote(exported, examples, expected, settings, run, build, check)


def build(exported: dict[str, Any], out_dir: Path) -> Bundle:
    """Write the build context: Dockerfile, pinned requirements, and ``app/`` with the code and the model."""
    context = out_dir / CONTEXT_NAME
    lay_out(context / "app", APP_FILES, exported)
    shutil.copyfile(DOCKERFILE, context / "Dockerfile")
    pins = "".join(f"{name}=={metadata.version(name)}\n" for name in REQUIREMENTS)
    (context / "requirements.txt").write_text(pins)
    return Bundle.of(context, exported)


def check(staged: Bundle, examples: Examples, expected: list[float]) -> None:
    """Serve the context's app in a fresh interpreter and post ``examples`` to it through HTTP.

    The web framework still comes from site-packages, as in the image; the app must come from the context.
    """
    script = (
        "import json, sys\n"
        "sys.path.insert(0, sys.argv[1])\n"
        f"from {PACKAGE}.serving import app, cloud_run\n"
        "from fastapi.testclient import TestClient\n"
        "for module in (app, cloud_run):\n"
        "    assert module.__file__.startswith(sys.argv[1]), f'imported {module.__file__}, not the context'\n"
        "response = TestClient(cloud_run.serve()).post('/predict', content=sys.stdin.read())\n"
        "print(json.dumps([response.status_code, response.json()]))\n"
    )
    app_dir = staged.archive / "app"
    check_in_fresh_interpreter(script, app_dir, examples, expected, "the image's app", site_packages=True)


def main() -> None:
    """``make package``: rebuild the image's context from the accepted model, without retraining."""
    try:
        bundle = rebuild(Settings(), build, check)
    except StageError as error:
        sys.exit(f"error: {error}")
    print(f"image context {bundle.archive} (docker build -t IMAGE {bundle.archive}), model {bundle.version}")


if __name__ == "__main__":
    main()
