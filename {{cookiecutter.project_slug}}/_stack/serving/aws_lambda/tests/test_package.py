"""The deployment bundle: small, self-contained, and identical in its answers to the trained model."""

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from {{ cookiecutter.module_name }}.package import Examples, build_bundle, check_bundle, package
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


def make_package(settings: Settings) -> None:
    """What `make package` runs, in this test's workspace."""
    variable = "{{ cookiecutter.module_name | upper }}_WORKSPACE"
    environment = os.environ | {variable: str(settings.workspace)}
    command = [sys.executable, "-m", f"{PACKAGE}.package"]
    subprocess.run(command, env=environment, check=True, capture_output=True)


def test_package_publishes_a_bundle_that_reproduces_the_model(settings: Settings, trained: Trained) -> None:
    exported, examples, expected = trained

    bundle = package(exported, examples, expected, settings)

    assert bundle.archive == settings.dist_dir / "lambda.zip"
    assert bundle.zipped_bytes < 50_000
    names = zipfile.ZipFile(bundle.archive).namelist()
    assert "{{ cookiecutter.module_name }}/serving/handler.py" in names
    assert "{{ cookiecutter.module_name }}/contract.py" in names
    assert "{{ cookiecutter.module_name }}/serving/model.json" in names
    assert not [name for name in names if name.endswith((".pyc", ".so"))]
    accepted = json.loads((settings.artifacts_dir / "model" / "model.json").read_text())
    assert accepted["version"] == "v-test"


def test_a_bundle_that_disagrees_with_the_model_is_not_published(
    settings: Settings, trained: Trained
) -> None:
    exported, examples, expected = trained
    package(exported, examples, expected, settings)
    before = (settings.artifacts_dir / "model" / "model.json").read_bytes()
    wrong = [p + 0.01 for p in expected]

    with pytest.raises(PackagingError, match="differ"):
        package(exported | {"version": "v-wrong"}, examples, wrong, settings)

    assert (settings.artifacts_dir / "model" / "model.json").read_bytes() == before


def test_the_bundle_is_checked_in_isolation(tmp_path: Path, trained: Trained) -> None:
    exported, examples, expected = trained
    broken = exported | {"format": "something-else"}
    staged = build_bundle(broken, tmp_path)

    with pytest.raises(PackagingError, match="failed to answer"):
        check_bundle(staged.directory, examples, expected)


def test_make_package_rebuilds_the_same_bundle_from_the_accepted_model(
    settings: Settings, trained: Trained
) -> None:
    exported, examples, expected = trained
    published = package(exported, examples, expected, settings).archive
    before = published.read_bytes()
    published.unlink()

    make_package(settings)

    assert published.read_bytes() == before
