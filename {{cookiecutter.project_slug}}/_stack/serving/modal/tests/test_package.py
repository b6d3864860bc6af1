"""The deployable folder: the Modal app, its standard-library code and the model, answering exactly as the
trained model."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from {{ cookiecutter.module_name }}.package import Examples, build_folder, check_folder, package
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


def test_package_publishes_a_folder_that_reproduces_the_model(settings: Settings, trained: Trained) -> None:
    exported, examples, expected = trained

    bundle = package(exported, examples, expected, settings)

    assert bundle.archive == settings.dist_dir / "modal"
    assert files(bundle.archive) == {
        "modal_app.py",
        "model.json",
        f"{PACKAGE}/__init__.py",
        f"{PACKAGE}/contract.py",
        f"{PACKAGE}/scoring.py",
    }
    assert json.loads((bundle.archive / "model.json").read_text())["version"] == "v-test"
    assert json.loads(accepted(settings))["version"] == bundle.version == "v-test"


def test_a_folder_that_disagrees_is_not_published(settings: Settings, trained: Trained) -> None:
    exported, examples, expected = trained
    package(exported, examples, expected, settings)
    before = accepted(settings), (settings.dist_dir / "modal" / "model.json").read_bytes()

    with pytest.raises(PackagingError, match="differ"):
        package(exported | {"version": "v-wrong"}, examples, [p + 0.01 for p in expected], settings)

    assert (accepted(settings), (settings.dist_dir / "modal" / "model.json").read_bytes()) == before


def test_the_folder_is_checked_with_its_own_code(tmp_path: Path, trained: Trained) -> None:
    exported, examples, expected = trained
    staged = build_folder(exported | {"format": "something-else"}, tmp_path / "modal")

    with pytest.raises(PackagingError, match="failed to answer"):
        check_folder(staged.archive, examples, expected)


def test_make_package_rebuilds_the_same_folder_from_the_accepted_model(
    settings: Settings, trained: Trained
) -> None:
    exported, examples, expected = trained
    published = package(exported, examples, expected, settings).archive
    before = {name: (published / name).read_bytes() for name in files(published)}
    shutil.rmtree(published)

    make_package(settings)

    assert {name: (published / name).read_bytes() for name in files(published)} == before
