"""The model archive: small, self-contained, identical in its answers to the trained model, and published with
its run, in one step."""

import json
import tarfile
from pathlib import Path

import pytest

from {{ cookiecutter.module_name }}.package import build_archive, check_archive, package
from {{ cookiecutter.module_name }}.promotion import PackagingError
from {{ cookiecutter.module_name }}.runs import Run, begin
from {{ cookiecutter.module_name }}.settings import Settings

from .conftest import PACKAGE, Trained, accepted, make_package


def test_package_publishes_an_archive_that_reproduces_the_model(
    settings: Settings, run: Run, trained: Trained
) -> None:
    bundle = package(trained.exported, trained.examples, trained.expected, settings, run)

    assert bundle.archive == settings.dist_dir / "model.tar.gz"
    assert settings.dist_dir.is_symlink() and settings.dist_dir.resolve() == run.bundle_dir
    assert bundle.archive.stat().st_size < 50_000
    with tarfile.open(bundle.archive) as archive:
        assert set(archive.getnames()) == {
            "model.json",
            "code/inference.py",
            f"code/{PACKAGE}/__init__.py",
            f"code/{PACKAGE}/api.py",
            f"code/{PACKAGE}/contract.py",
            f"code/{PACKAGE}/scoring.py",
        }
    assert json.loads(accepted(settings))["version"] == bundle.version == "v-test"


def test_an_archive_that_disagrees_is_not_published(settings: Settings, run: Run, trained: Trained) -> None:
    package(trained.exported, trained.examples, trained.expected, settings, run)
    before = accepted(settings), (settings.dist_dir / "model.tar.gz").read_bytes()
    wrong = [p + 0.01 for p in trained.expected]

    with pytest.raises(PackagingError, match="differ"):
        package(trained.exported | {"version": "v-wrong"}, trained.examples, wrong, settings, begin(settings))

    assert (accepted(settings), (settings.dist_dir / "model.tar.gz").read_bytes()) == before
    assert settings.dist_dir.resolve() == run.bundle_dir


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


def test_make_package_rebuilds_the_same_archive_from_the_accepted_model_in_a_new_run(
    settings: Settings, run: Run, trained: Trained
) -> None:
    published = package(trained.exported, trained.examples, trained.expected, settings, run).archive
    before = accepted(settings), published.read_bytes()

    make_package(settings)

    assert (accepted(settings), published.read_bytes()) == before
    assert settings.accepted_dir.resolve() != run.dir  # a run of its own, accepted like any other
