"""SageMaker's model archive: the model, and under code/ the inference script and what it imports."""

import pytest

from ..conftest import PACKAGE
from .layout import Layout


@pytest.fixture
def layout() -> Layout:
    return Layout(
        archive="model.tar.gz",
        files={
            "code/inference.py",
            f"code/{PACKAGE}/__init__.py",
            f"code/{PACKAGE}/contract.py",
            f"code/{PACKAGE}/serving/__init__.py",
            f"code/{PACKAGE}/serving/api.py",
            f"code/{PACKAGE}/serving/recording.py",
            f"code/{PACKAGE}/serving/scoring.py",
            "model.json",
        },
        model="model.json",
    )
