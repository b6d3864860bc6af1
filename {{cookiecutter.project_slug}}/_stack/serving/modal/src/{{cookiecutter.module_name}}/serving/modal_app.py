"""The scoring API as a Modal web function: a FastAPI app per container, the model loaded when it starts.

Deploy the folder ``make package`` lays out (this file, the code it imports and the model), with a Modal
account configured (``modal token new``):

    modal deploy dist/modal/modal_app.py

Least privilege: no secrets or volumes are attached; the container can reach neither the network nor other
Modal resources (requests still arrive, through Modal); and the URL only answers requests that carry a proxy
auth token of the workspace (``Modal-Key`` and ``Modal-Secret`` headers; tokens are made in its settings).
The app is ``app.py``'s, the one ``make serve-local`` serves too: bodies go through the scoring API every
serving target shares, so a bad request gets a 4xx JSON error naming the problem, never a 500.

    POST /predict  {"sessions": [{"session_id": "s1", "n_pageviews": 3, ...}, ...]}
      -> 200 {"model_version": "...", "predictions": [{"session_id": "s1", "purchase_probability": 0.42}]}
    GET /health    -> 200 {"status": "ok", "model_version": "..."}
"""

from importlib.metadata import version
from pathlib import Path

import modal
from fastapi import FastAPI

from {{ cookiecutter.module_name }}.serving import recording
from {{ cookiecutter.module_name }}.serving.app import create_app
from {{ cookiecutter.module_name }}.serving.scoring import Scorer

PACKAGE = "{{ cookiecutter.module_name }}"
HERE = Path(__file__).resolve().parent
# Beside this file in the deployable folder, and so in the container too.
MODEL_PATH = HERE / "model.json"
# Modal's working directory inside the container, which it puts on sys.path: a path in Modal's image, not on
# any developer's machine.
CONTAINER_DIR = "/root"

# Only what serving needs: the web framework, pinned to the version the tests ran against, the app with the
# standard-library API, contract and scorer it imports, and the model. Nothing of the training stack.
image = (
    modal.Image.debian_slim(python_version="3.13")
    .pip_install(f"fastapi=={version('fastapi')}")
    .add_local_dir(HERE / PACKAGE, f"{CONTAINER_DIR}/{PACKAGE}")
    .add_local_file(MODEL_PATH, f"{CONTAINER_DIR}/model.json")
)
app = modal.App({{ cookiecutter.project_slug | quoted }}, image=image)
# Every scored session is recorded as a prediction event in this volume (serving/recording.py), the only
# thing the function writes: `modal volume get` it, then `python -m <package>.log.predictions ingest`.
PREDICTIONS_DIR = "/predictions"
PREDICTIONS_VOLUME = {{ (cookiecutter.project_slug ~ "-predictions") | quoted }}
predictions = modal.Volume.from_name(PREDICTIONS_VOLUME, create_if_missing=True)


@app.function(
    cpu=0.25,
    memory=256,
    timeout=10,
    max_containers=10,  # also caps the bill
    scaledown_window=300,
    block_network=True,
    restrict_modal_access=True,
    volumes={PREDICTIONS_DIR: predictions},
    env={recording.DESTINATION: PREDICTIONS_DIR},
)
@modal.concurrent(max_inputs=80)
@modal.asgi_app(requires_proxy_auth=True)
def web() -> FastAPI:
    """Run once per container: the model loaded here serves every request the container gets."""
    return create_app(Scorer.load(MODEL_PATH), recording.from_environment())
