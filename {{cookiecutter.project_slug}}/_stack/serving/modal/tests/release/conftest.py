"""Modal's deployable folder: the app, the code it imports, and the model."""

import pytest

from ..conftest import PACKAGE
from .layout import Layout


@pytest.fixture
def layout() -> Layout:
    return Layout(
        archive="modal",
        files={
            "modal_app.py",
            "model.json",
            f"{PACKAGE}/__init__.py",
            f"{PACKAGE}/contract.py",
            f"{PACKAGE}/serving/__init__.py",
            f"{PACKAGE}/serving/api.py",
            f"{PACKAGE}/serving/app.py",
            f"{PACKAGE}/serving/recording.py",
            f"{PACKAGE}/serving/scoring.py",
        },
        model="model.json",
    )
