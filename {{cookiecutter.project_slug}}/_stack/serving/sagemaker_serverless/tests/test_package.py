"""The model archive: small, self-contained, and identical in its answers to the trained model."""

import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from {{ cookiecutter.module_name }}.package import Examples, build_archive, check_archive, package
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


def accepted(settings: Settings) -> bytes:
    return (settings.artifacts_dir / "model" / "model.json").read_bytes()


def make_package(settings: Settings) -> None:
    """What `make package` runs, in this test's workspace."""
    variable = "{{ cookiecutter.module_name | upper }}_WORKSPACE"
    environment = os.environ | {variable: str(settings.workspace)}
    command = [sys.executable, "-m", f"{PACKAGE}.package"]
    subprocess.run(command, env=environment, check=True, capture_output=True)


def test_package_publishes_an_archive_that_reproduces_the_model(settings: Settings, trained: Trained) -> None:
    exported, examples, expected = trained

    bundle = package(exported, examples, expected, settings)

    assert bundle.archive == settings.dist_dir / "model.tar.gz"
    assert bundle.size_bytes < 50_000
    with tarfile.open(bundle.archive) as archive:
        assert set(archive.getnames()) == {
            "model.json",
            "code/inference.py",
            f"code/{PACKAGE}/__init__.py",
            f"code/{PACKAGE}/contract.py",
            f"code/{PACKAGE}/scoring.py",
        }
    assert json.loads(accepted(settings))["version"] == bundle.version == "v-test"


def test_an_archive_that_disagrees_is_not_published(settings: Settings, trained: Trained) -> None:
    exported, examples, expected = trained
    package(exported, examples, expected, settings)
    before = accepted(settings), (settings.dist_dir / "model.tar.gz").read_bytes()

    with pytest.raises(PackagingError, match="differ"):
        package(exported | {"version": "v-wrong"}, examples, [p + 0.01 for p in expected], settings)

    assert (accepted(settings), (settings.dist_dir / "model.tar.gz").read_bytes()) == before


def test_the_archive_is_checked_in_isolation(tmp_path: Path, trained: Trained) -> None:
    exported, examples, expected = trained
    staged = build_archive(exported | {"format": "something-else"}, tmp_path / "model.tar.gz")

    with pytest.raises(PackagingError, match="failed to answer"):
        check_archive(staged.archive, examples, expected)


def test_the_same_model_gives_the_same_archive(tmp_path: Path, trained: Trained) -> None:
    exported = trained[0]

    first = build_archive(exported, tmp_path / "first.tar.gz").archive.read_bytes()
    second = build_archive(exported, tmp_path / "second.tar.gz").archive.read_bytes()

    assert first == second


def test_make_package_rebuilds_the_same_archive_from_the_accepted_model(
    settings: Settings, trained: Trained
) -> None:
    exported, examples, expected = trained
    published = package(exported, examples, expected, settings).archive
    before = published.read_bytes()
    published.unlink()

    make_package(settings)

    assert published.read_bytes() == before
