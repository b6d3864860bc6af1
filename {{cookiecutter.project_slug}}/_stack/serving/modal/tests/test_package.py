"""The deployable folder: the Modal app, the code it imports and the model, answering exactly as the trained
model."""

import json
import shutil
from pathlib import Path

import pytest

from {{ cookiecutter.module_name }}.package import build_folder, check_folder, package
from {{ cookiecutter.module_name }}.promotion import PackagingError
from {{ cookiecutter.module_name }}.settings import Settings

from .conftest import PACKAGE, Trained, accepted, files, make_package


def published(settings: Settings) -> bytes:
    return (settings.dist_dir / "modal" / "model.json").read_bytes()


def test_package_publishes_a_folder_that_reproduces_the_model(settings: Settings, trained: Trained) -> None:
    bundle = package(trained.exported, trained.examples, trained.expected, settings)

    assert bundle.archive == settings.dist_dir / "modal"
    assert files(bundle.archive) == {
        "modal_app.py",
        "model.json",
        f"{PACKAGE}/__init__.py",
        f"{PACKAGE}/contract.py",
        f"{PACKAGE}/scoring.py",
        f"{PACKAGE}/serving/__init__.py",
        f"{PACKAGE}/serving/app.py",
    }
    assert json.loads(published(settings))["version"] == "v-test"
    assert json.loads(accepted(settings))["version"] == bundle.version == "v-test"


def test_a_folder_that_disagrees_is_not_published(settings: Settings, trained: Trained) -> None:
    package(trained.exported, trained.examples, trained.expected, settings)
    before = accepted(settings), published(settings)
    wrong = [p + 0.01 for p in trained.expected]

    with pytest.raises(PackagingError, match="differ"):
        package(trained.exported | {"version": "v-wrong"}, trained.examples, wrong, settings)

    assert (accepted(settings), published(settings)) == before


def test_the_folder_is_checked_with_its_own_code(tmp_path: Path, trained: Trained) -> None:
    staged = build_folder(trained.exported | {"format": "something-else"}, tmp_path)

    with pytest.raises(PackagingError, match="failed to answer"):
        check_folder(staged, trained.examples, trained.expected)


def test_make_package_rebuilds_the_same_folder_from_the_accepted_model(
    settings: Settings, trained: Trained
) -> None:
    published = package(trained.exported, trained.examples, trained.expected, settings).archive
    before = {name: (published / name).read_bytes() for name in files(published)}
    shutil.rmtree(published)

    make_package(settings)

    assert {name: (published / name).read_bytes() for name in files(published)} == before
