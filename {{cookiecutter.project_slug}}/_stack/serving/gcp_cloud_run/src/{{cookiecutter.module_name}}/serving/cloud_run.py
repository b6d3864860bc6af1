"""Cloud Run's entry point: the image's uvicorn calls ``serve`` (``--factory``) once, as the container starts.

So the model is read once per container and serves every request the container gets. The app is ``app.py``'s,
the one ``make serve-local`` serves too.
"""

from pathlib import Path

from fastapi import FastAPI

from . import recording
from .app import create_app
from .scoring import Scorer

# The image carries the model beside this file (release/package.py puts it there).
MODEL_PATH = Path(__file__).with_name("model.json")


def serve() -> FastAPI:
    """The app, serving the model the image carries and recording its predictions where ``PREDICTIONS_URI``
    says (deploy/service.yaml mounts a bucket there)."""
    return create_app(Scorer.load(MODEL_PATH), recording.from_environment())
