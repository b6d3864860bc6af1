"""The deployment bundle: small, self-contained, and identical in its answers to the trained model."""

import json
import zipfile
from pathlib import Path

import pytest

from {{ cookiecutter.module_name }}.package import build_bundle, check_bundle, package
from {{ cookiecutter.module_name }}.promotion import PackagingError
from {{ cookiecutter.module_name }}.settings import Settings

from .conftest import PACKAGE, Trained, accepted, make_package


def test_package_publishes_a_bundle_that_reproduces_the_model(settings: Settings, trained: Trained) -> None:
    bundle = package(trained.exported, trained.examples, trained.expected, settings)

    assert bundle.archive == settings.dist_dir / "lambda.zip"
    assert (settings.dist_dir / "lambda" / PACKAGE / "serving" / "handler.py").is_file()
    assert bundle.archive.stat().st_size < 50_000
    names = zipfile.ZipFile(bundle.archive).namelist()
    assert f"{PACKAGE}/serving/handler.py" in names
    assert f"{PACKAGE}/contract.py" in names
    assert f"{PACKAGE}/serving/model.json" in names
    assert not [name for name in names if name.endswith((".pyc", ".so"))]
    assert json.loads(accepted(settings))["version"] == bundle.version == "v-test"


def test_a_bundle_that_disagrees_with_the_model_is_not_published(
    settings: Settings, trained: Trained
) -> None:
    package(trained.exported, trained.examples, trained.expected, settings)
    before = accepted(settings), (settings.dist_dir / "lambda.zip").read_bytes()
    wrong = [p + 0.01 for p in trained.expected]

    with pytest.raises(PackagingError, match="differ"):
        package(trained.exported | {"version": "v-wrong"}, trained.examples, wrong, settings)

    assert (accepted(settings), (settings.dist_dir / "lambda.zip").read_bytes()) == before


def test_the_bundle_is_checked_in_isolation(tmp_path: Path, trained: Trained) -> None:
    staged = build_bundle(trained.exported | {"format": "something-else"}, tmp_path)

    with pytest.raises(PackagingError, match="failed to answer"):
        check_bundle(staged, trained.examples, trained.expected)


def test_make_package_rebuilds_the_same_bundle_from_the_accepted_model(
    settings: Settings, trained: Trained
) -> None:
    published = package(trained.exported, trained.examples, trained.expected, settings).archive
    before = published.read_bytes()
    published.unlink()

    make_package(settings)

    assert published.read_bytes() == before
