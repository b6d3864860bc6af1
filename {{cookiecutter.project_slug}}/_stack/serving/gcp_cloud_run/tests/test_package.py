"""The image's build context: the serving app and the model only, answering exactly as the trained model, and
published with its run, in one step."""

import json
from importlib.metadata import version
from pathlib import Path

import pytest

from {{ cookiecutter.module_name }}.package import build_context, check_context, package
from {{ cookiecutter.module_name }}.promotion import PackagingError
from {{ cookiecutter.module_name }}.runs import Run, begin
from {{ cookiecutter.module_name }}.settings import Settings

from .conftest import PACKAGE, Trained, accepted, files, make_package


def published(settings: Settings) -> dict[str, bytes]:
    context = settings.dist_dir / "cloud_run"
    return {name: (context / name).read_bytes() for name in files(context)}


def test_package_publishes_a_context_that_reproduces_the_model(
    settings: Settings, run: Run, trained: Trained
) -> None:
    bundle = package(trained.exported, trained.examples, trained.expected, settings, run)

    assert bundle.archive == settings.dist_dir / "cloud_run"
    assert settings.dist_dir.is_symlink() and settings.dist_dir.resolve() == run.bundle_dir
    assert files(bundle.archive) == {
        "Dockerfile",
        "requirements.txt",
        f"app/{PACKAGE}/__init__.py",
        f"app/{PACKAGE}/api.py",
        f"app/{PACKAGE}/contract.py",
        f"app/{PACKAGE}/scoring.py",
        f"app/{PACKAGE}/serving/__init__.py",
        f"app/{PACKAGE}/serving/app.py",
        f"app/{PACKAGE}/serving/cloud_run.py",
        f"app/{PACKAGE}/serving/model.json",
    }
    assert (bundle.archive / "requirements.txt").read_text().splitlines() == [
        f"fastapi=={version('fastapi')}",
        f"uvicorn=={version('uvicorn')}",
    ]
    assert json.loads(accepted(settings))["version"] == bundle.version == "v-test"


def test_a_context_that_disagrees_with_the_model_is_not_published(
    settings: Settings, run: Run, trained: Trained
) -> None:
    package(trained.exported, trained.examples, trained.expected, settings, run)
    before = accepted(settings), published(settings)
    wrong = [p + 0.01 for p in trained.expected]

    with pytest.raises(PackagingError, match="differ"):
        package(trained.exported | {"version": "v-wrong"}, trained.examples, wrong, settings, begin(settings))

    assert (accepted(settings), published(settings)) == before
    assert [p.name for p in settings.dist_dir.iterdir()] == ["cloud_run"]


def test_the_context_is_checked_with_its_own_code(tmp_path: Path, trained: Trained) -> None:
    staged = build_context(trained.exported | {"format": "something-else"}, tmp_path)

    with pytest.raises(PackagingError, match="failed to answer"):
        check_context(staged, trained.examples, trained.expected)


def test_make_package_rebuilds_the_same_context_from_the_accepted_model_in_a_new_run(
    settings: Settings, run: Run, trained: Trained
) -> None:
    package(trained.exported, trained.examples, trained.expected, settings, run)
    before = accepted(settings), published(settings)

    make_package(settings)

    assert (accepted(settings), published(settings)) == before
    assert settings.accepted_dir.resolve() != run.dir  # a run of its own, accepted like any other
