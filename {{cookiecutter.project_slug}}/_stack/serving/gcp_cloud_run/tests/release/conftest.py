"""Cloud Run's build context: the Dockerfile, the pinned requirements, the app and the model."""

import pytest

from ..conftest import PACKAGE
from .layout import Layout


@pytest.fixture
def layout() -> Layout:
    return Layout(
        archive="cloud_run",
        files={
            "Dockerfile",
            f"app/{PACKAGE}/__init__.py",
            f"app/{PACKAGE}/contract.py",
            f"app/{PACKAGE}/serving/__init__.py",
            f"app/{PACKAGE}/serving/api.py",
            f"app/{PACKAGE}/serving/app.py",
            f"app/{PACKAGE}/serving/cloud_run.py",
            f"app/{PACKAGE}/serving/model.json",
            f"app/{PACKAGE}/serving/recording.py",
            f"app/{PACKAGE}/serving/scoring.py",
            "requirements.txt",
        },
        model=f"app/{PACKAGE}/serving/model.json",
    )
