"""The model archive: small, self-contained, and identical in its answers to the trained model."""

import json
import tarfile
from pathlib import Path

import pytest

from {{ cookiecutter.module_name }}.package import build_archive, check_archive, package
from {{ cookiecutter.module_name }}.promotion import PackagingError
from {{ cookiecutter.module_name }}.settings import Settings

from .conftest import PACKAGE, Trained, accepted, make_package


def test_package_publishes_an_archive_that_reproduces_the_model(settings: Settings, trained: Trained) -> None:
    bundle = package(trained.exported, trained.examples, trained.expected, settings)

    assert bundle.archive == settings.dist_dir / "model.tar.gz"
    assert bundle.archive.stat().st_size < 50_000
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
    package(trained.exported, trained.examples, trained.expected, settings)
    before = accepted(settings), (settings.dist_dir / "model.tar.gz").read_bytes()
    wrong = [p + 0.01 for p in trained.expected]

    with pytest.raises(PackagingError, match="differ"):
        package(trained.exported | {"version": "v-wrong"}, trained.examples, wrong, settings)

    assert (accepted(settings), (settings.dist_dir / "model.tar.gz").read_bytes()) == before


def test_the_archive_is_checked_in_isolation(tmp_path: Path, trained: Trained) -> None:
    staged = build_archive(trained.exported | {"format": "something-else"}, tmp_path)

    with pytest.raises(PackagingError, match="failed to answer"):
        check_archive(staged, trained.examples, trained.expected)


def test_the_same_model_gives_the_same_archive(tmp_path: Path, trained: Trained) -> None:
    (tmp_path / "first").mkdir()
    (tmp_path / "second").mkdir()

    first = build_archive(trained.exported, tmp_path / "first").archive.read_bytes()
    second = build_archive(trained.exported, tmp_path / "second").archive.read_bytes()

    assert first == second


def test_make_package_rebuilds_the_same_archive_from_the_accepted_model(
    settings: Settings, trained: Trained
) -> None:
    published = package(trained.exported, trained.examples, trained.expected, settings).archive
    before = published.read_bytes()
    published.unlink()

    make_package(settings)

    assert published.read_bytes() == before
