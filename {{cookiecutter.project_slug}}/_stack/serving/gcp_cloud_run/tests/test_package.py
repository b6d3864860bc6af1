"""The image's build context: the serving app and the model only, answering exactly as the trained model."""

import json
import os
import shutil
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from {{ cookiecutter.module_name }}.package import Examples, build_context, check_context, package
from {{ cookiecutter.module_name }}.promotion import PackagingError
from {{ cookiecutter.module_name }}.settings import Settings
from {{ cookiecutter.module_name }}.train import train
from {{ cookiecutter.module_name }}.training_set import FEATURES

# An exported model, example sessions and the trained model's probabilities for them.
Trained = tuple[dict[str, Any], Examples, list[float]]
PACKAGE = "{{ cookiecutter.module_name }}"


@pytest.fixture(scope="module")
def trained(training_frame: pd.DataFrame) -> Trained:
    model = train(training_frame, Settings())
    rows = training_frame.head(50)
    examples = rows[list(FEATURES)].to_dict(orient="records")
    return model.export() | {"version": "v-test"}, examples, model.predict_proba(rows).tolist()


def files(folder: Path) -> set[str]:
    return {path.relative_to(folder).as_posix() for path in folder.rglob("*") if path.is_file()}


def accepted(settings: Settings) -> bytes:
    return (settings.artifacts_dir / "model" / "model.json").read_bytes()


def make_package(settings: Settings) -> None:
    """What `make package` runs, in this test's workspace."""
    variable = "{{ cookiecutter.module_name | upper }}_WORKSPACE"
    environment = os.environ | {variable: str(settings.workspace)}
    command = [sys.executable, "-m", f"{PACKAGE}.package"]
    subprocess.run(command, env=environment, check=True, capture_output=True)


def published(settings: Settings) -> bytes:
    return (settings.dist_dir / "cloud_run" / "app" / PACKAGE / "serving" / "model.json").read_bytes()


def test_package_publishes_a_context_that_reproduces_the_model(settings: Settings, trained: Trained) -> None:
    exported, examples, expected = trained

    bundle = package(exported, examples, expected, settings)

    assert bundle.archive == settings.dist_dir / "cloud_run"
    assert files(bundle.archive) == {
        "Dockerfile",
        "requirements.txt",
        f"app/{PACKAGE}/__init__.py",
        f"app/{PACKAGE}/contract.py",
        f"app/{PACKAGE}/scoring.py",
        f"app/{PACKAGE}/serving/__init__.py",
        f"app/{PACKAGE}/serving/app.py",
        f"app/{PACKAGE}/serving/model.json",
    }
    assert (bundle.archive / "requirements.txt").read_text().splitlines() == [
        f"fastapi=={version('fastapi')}",
        f"uvicorn=={version('uvicorn')}",
    ]
    assert json.loads(accepted(settings))["version"] == bundle.version == "v-test"


def test_a_context_that_disagrees_with_the_model_is_not_published(
    settings: Settings, trained: Trained
) -> None:
    exported, examples, expected = trained
    package(exported, examples, expected, settings)
    before = accepted(settings), published(settings)

    with pytest.raises(PackagingError, match="differ"):
        package(exported | {"version": "v-wrong"}, examples, [p + 0.01 for p in expected], settings)

    assert (accepted(settings), published(settings)) == before
    assert [p.name for p in settings.dist_dir.iterdir()] == ["cloud_run"]


def test_the_context_is_checked_with_its_own_code(tmp_path: Path, trained: Trained) -> None:
    exported, examples, expected = trained
    staged = build_context(exported | {"format": "something-else"}, tmp_path / "cloud_run")

    with pytest.raises(PackagingError, match="failed to answer"):
        check_context(staged.archive, examples, expected)


def test_make_package_rebuilds_the_same_context_from_the_accepted_model(
    settings: Settings, trained: Trained
) -> None:
    exported, examples, expected = trained
    published = package(exported, examples, expected, settings).archive
    before = {name: (published / name).read_bytes() for name in files(published)}
    shutil.rmtree(published)

    make_package(settings)

    assert {name: (published / name).read_bytes() for name in files(published)} == before
