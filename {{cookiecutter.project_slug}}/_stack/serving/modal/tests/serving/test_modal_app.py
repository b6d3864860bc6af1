"""The Modal app: it imports without a Modal account and its web function runs locally, serving the model
beside it. The app it serves has its own tests (``test_app.py``)."""

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from {{ cookiecutter.module_name }}.serving import modal_app

from ..conftest import Trained


def test_the_app_is_named_after_the_project() -> None:
    assert modal_app.app.name == "{{ cookiecutter.project_slug }}"


def test_the_web_function_runs_locally_with_the_model_beside_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, trained: Trained
) -> None:
    (tmp_path / "model.json").write_text(json.dumps(trained.exported | {"version": "v-local"}))
    monkeypatch.setattr(modal_app, "MODEL_PATH", tmp_path / "model.json")

    response = TestClient(modal_app.web.local()).get("/health")

    assert response.json() == {"status": "ok", "model_version": "v-local"}
