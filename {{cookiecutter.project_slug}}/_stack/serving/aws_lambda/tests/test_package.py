"""The deployment bundle: small, self-contained, identical in its answers to the trained model, and published
with its run, in one step."""

import json
import zipfile
from pathlib import Path

import pytest

from {{ cookiecutter.module_name }}.package import build_bundle, check_bundle, package
from {{ cookiecutter.module_name }}.promotion import PackagingError
from {{ cookiecutter.module_name }}.runs import Run, begin
from {{ cookiecutter.module_name }}.settings import Settings

from .conftest import PACKAGE, Trained, accepted, make_package


def test_package_publishes_a_bundle_that_reproduces_the_model(
    settings: Settings, run: Run, trained: Trained
) -> None:
    bundle = package(trained.exported, trained.examples, trained.expected, settings, run)

    assert bundle.archive == settings.dist_dir / "lambda.zip"
    assert settings.dist_dir.is_symlink() and settings.dist_dir.resolve() == run.bundle_dir
    assert (settings.dist_dir / "lambda" / PACKAGE / "serving" / "handler.py").is_file()
    assert bundle.archive.stat().st_size < 50_000
    names = zipfile.ZipFile(bundle.archive).namelist()
    for name in ("api.py", "contract.py", "scoring.py", "serving/handler.py", "serving/model.json"):
        assert f"{PACKAGE}/{name}" in names
    assert not [name for name in names if name.endswith((".pyc", ".so"))]
    assert json.loads(accepted(settings))["version"] == bundle.version == "v-test"


def test_a_bundle_that_disagrees_with_the_model_is_not_published(
    settings: Settings, run: Run, trained: Trained
) -> None:
    package(trained.exported, trained.examples, trained.expected, settings, run)
    before = accepted(settings), (settings.dist_dir / "lambda.zip").read_bytes()
    wrong = [p + 0.01 for p in trained.expected]

    with pytest.raises(PackagingError, match="differ"):
        package(trained.exported | {"version": "v-wrong"}, trained.examples, wrong, settings, begin(settings))

    assert (accepted(settings), (settings.dist_dir / "lambda.zip").read_bytes()) == before
    assert settings.dist_dir.resolve() == run.bundle_dir


def test_the_bundle_is_checked_in_isolation(tmp_path: Path, trained: Trained) -> None:
    staged = build_bundle(trained.exported | {"format": "something-else"}, tmp_path)

    with pytest.raises(PackagingError, match="failed to answer"):
        check_bundle(staged, trained.examples, trained.expected)


def test_make_package_rebuilds_the_same_bundle_from_the_accepted_model_in_a_new_run(
    settings: Settings, run: Run, trained: Trained
) -> None:
    published = package(trained.exported, trained.examples, trained.expected, settings, run).archive
    before = accepted(settings), published.read_bytes()

    make_package(settings)

    assert (accepted(settings), published.read_bytes()) == before
    assert settings.accepted_dir.resolve() != run.dir  # a run of its own, accepted like any other
