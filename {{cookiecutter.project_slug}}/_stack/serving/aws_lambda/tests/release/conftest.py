"""The Lambda bundle: a zip of the handler, what it imports, and the model beside it."""

import pytest

from ..conftest import PACKAGE
from .layout import Layout


@pytest.fixture
def layout() -> Layout:
    return Layout(
        archive="lambda.zip",
        files={
            f"{PACKAGE}/__init__.py",
            f"{PACKAGE}/contract.py",
            f"{PACKAGE}/serving/__init__.py",
            f"{PACKAGE}/serving/api.py",
            f"{PACKAGE}/serving/handler.py",
            f"{PACKAGE}/serving/model.json",
            f"{PACKAGE}/serving/recording.py",
            f"{PACKAGE}/serving/scoring.py",
        },
        model=f"{PACKAGE}/serving/model.json",
    )
