"""The serving target's bundle: small, self-contained, the same from the same model, identical in its answers
to the trained model, and published with its run, in one step. What a bundle holds is its target's own
(``layout``, in tests/release/conftest.py); what it must do is the same for every target."""

import json
import tarfile
import zipfile
from pathlib import Path

import pytest

from {{ cookiecutter.module_name }}.release.package import build, check, package
from {{ cookiecutter.module_name }}.release.promotion import PackagingError
from {{ cookiecutter.module_name }}.runs import Run, begin
from {{ cookiecutter.module_name }}.settings import Settings

from ..conftest import Trained, accepted, files, make_package
from .layout import Layout


def contents(bundle: Path) -> dict[str, bytes]:
    """Every file a bundle holds, by its path inside it, whether it is a folder, a zip or a tarball."""
    if bundle.is_dir():
        return {name: (bundle / name).read_bytes() for name in files(bundle)}
    if bundle.suffix == ".zip":
        with zipfile.ZipFile(bundle) as zipped:
            return {name: zipped.read(name) for name in zipped.namelist()}
    with tarfile.open(bundle) as tarball:
        members = [member for member in tarball.getmembers() if member.isfile()]
        return {member.name: tarball.extractfile(member).read() for member in members}  # type: ignore[union-attr]


def published(settings: Settings, layout: Layout) -> tuple[bytes, dict[str, bytes]]:
    """The accepted model and the bundle ``dist/`` shows."""
    return accepted(settings), contents(settings.dist_dir / layout.archive)


def test_package_publishes_a_bundle_that_reproduces_the_model(
    settings: Settings, run: Run, trained: Trained, layout: Layout
) -> None:
    bundle = package(trained.exported, trained.examples, trained.expected, settings, run)

    assert bundle.archive == settings.dist_dir / layout.archive
    assert settings.dist_dir.is_symlink() and settings.dist_dir.resolve() == run.bundle_dir
    held = contents(bundle.archive)
    assert set(held) == layout.files
    # Beside the model, the serving code only: nothing of the training stack, nothing compiled.
    code = [content for name, content in held.items() if name != layout.model]
    assert sum(map(len, code)) < 60_000
    assert not [name for name in held if name.endswith((".pyc", ".so"))]
    assert json.loads(held[layout.model])["version"] == "v-test"
    assert json.loads(accepted(settings))["version"] == bundle.version == "v-test"


def test_a_bundle_that_disagrees_with_the_model_is_not_published(
    settings: Settings, run: Run, trained: Trained, layout: Layout
) -> None:
    package(trained.exported, trained.examples, trained.expected, settings, run)
    before = published(settings, layout)
    wrong = [p + 0.01 for p in trained.expected]

    with pytest.raises(PackagingError, match="differ"):
        package(trained.exported | {"version": "v-wrong"}, trained.examples, wrong, settings, begin(settings))

    assert published(settings, layout) == before
    assert settings.dist_dir.resolve() == run.bundle_dir


def test_the_bundle_is_checked_with_nothing_but_its_own_code(tmp_path: Path, trained: Trained) -> None:
    staged = build(trained.exported | {"format": "something-else"}, tmp_path)

    with pytest.raises(PackagingError, match="failed to answer"):
        check(staged, trained.examples, trained.expected)


def test_the_same_model_gives_the_same_bundle(tmp_path: Path, trained: Trained) -> None:
    (tmp_path / "first").mkdir()
    (tmp_path / "second").mkdir()

    first = build(trained.exported, tmp_path / "first").archive
    second = build(trained.exported, tmp_path / "second").archive

    assert contents(first) == contents(second)
    if first.is_file():  # fixed timestamps and order: the archive itself is the same, byte for byte
        assert first.read_bytes() == second.read_bytes()


def test_make_package_rebuilds_the_same_bundle_from_the_accepted_model_in_a_new_run(
    settings: Settings, run: Run, trained: Trained, layout: Layout
) -> None:
    package(trained.exported, trained.examples, trained.expected, settings, run)
    before = published(settings, layout)

    make_package(settings)

    assert published(settings, layout) == before
    assert settings.accepted_dir.resolve() != run.dir  # a run of its own, accepted like any other
