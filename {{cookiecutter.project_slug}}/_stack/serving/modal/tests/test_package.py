"""The deployable folder: the Modal app, the code it imports and the model, answering exactly as the trained
model, and published with its run, in one step."""

import json
from pathlib import Path

import pytest

from {{ cookiecutter.module_name }}.package import build_folder, check_folder, package
from {{ cookiecutter.module_name }}.promotion import PackagingError
from {{ cookiecutter.module_name }}.runs import Run, begin
from {{ cookiecutter.module_name }}.settings import Settings

from .conftest import PACKAGE, Trained, accepted, files, make_package


def published(settings: Settings) -> dict[str, bytes]:
    folder = settings.dist_dir / "modal"
    return {name: (folder / name).read_bytes() for name in files(folder)}


def test_package_publishes_a_folder_that_reproduces_the_model(
    settings: Settings, run: Run, trained: Trained
) -> None:
    bundle = package(trained.exported, trained.examples, trained.expected, settings, run)

    assert bundle.archive == settings.dist_dir / "modal"
    assert settings.dist_dir.is_symlink() and settings.dist_dir.resolve() == run.bundle_dir
    assert files(bundle.archive) == {
        "modal_app.py",
        "model.json",
        f"{PACKAGE}/__init__.py",
        f"{PACKAGE}/api.py",
        f"{PACKAGE}/contract.py",
        f"{PACKAGE}/scoring.py",
        f"{PACKAGE}/serving/__init__.py",
        f"{PACKAGE}/serving/app.py",
    }
    assert json.loads(published(settings)["model.json"])["version"] == "v-test"
    assert json.loads(accepted(settings))["version"] == bundle.version == "v-test"


def test_a_folder_that_disagrees_is_not_published(settings: Settings, run: Run, trained: Trained) -> None:
    package(trained.exported, trained.examples, trained.expected, settings, run)
    before = accepted(settings), published(settings)
    wrong = [p + 0.01 for p in trained.expected]

    with pytest.raises(PackagingError, match="differ"):
        package(trained.exported | {"version": "v-wrong"}, trained.examples, wrong, settings, begin(settings))

    assert (accepted(settings), published(settings)) == before


def test_the_folder_is_checked_with_its_own_code(tmp_path: Path, trained: Trained) -> None:
    staged = build_folder(trained.exported | {"format": "something-else"}, tmp_path)

    with pytest.raises(PackagingError, match="failed to answer"):
        check_folder(staged, trained.examples, trained.expected)


def test_make_package_rebuilds_the_same_folder_from_the_accepted_model_in_a_new_run(
    settings: Settings, run: Run, trained: Trained
) -> None:
    package(trained.exported, trained.examples, trained.expected, settings, run)
    before = accepted(settings), published(settings)

    make_package(settings)

    assert (accepted(settings), published(settings)) == before
    assert settings.accepted_dir.resolve() != run.dir  # a run of its own, accepted like any other
