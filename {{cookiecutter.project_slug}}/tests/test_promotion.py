"""Promotion: a model is versioned from its content, checked against the trained one, accepted atomically."""

import json
from pathlib import Path

import pytest

from {{ cookiecutter.module_name }}.promotion import (
    PackagingError,
    accept,
    accepted_model,
    check_predictions,
    swap_into,
    with_metadata,
)
from {{ cookiecutter.module_name }}.settings import Settings

EXPORTED = {"format": "test/1", "weights": [0.5, -1.0]}


def test_versions_differ_with_the_content_and_carry_the_metrics() -> None:
    first = with_metadata(EXPORTED, {"average_precision": 0.6})
    other = with_metadata(EXPORTED | {"weights": [0.5, -1.5]}, {"average_precision": 0.6})

    assert first["version"].rsplit("-", 1)[1] != other["version"].rsplit("-", 1)[1]
    assert first["metrics"] == {"average_precision": 0.6}
    assert first["format"] == "test/1"


def test_predictions_must_match_one_for_one_within_float_rounding() -> None:
    check_predictions([0.1, 0.2 + 1e-12], [0.1, 0.2], "the bundle")

    with pytest.raises(PackagingError, match=r"the bundle's predictions differ .* by up to 1\.00e-03"):
        check_predictions([0.1, 0.201], [0.1, 0.2], "the bundle")
    with pytest.raises(PackagingError, match="gave 1 predictions for 2 sessions"):
        check_predictions([0.1], [0.1, 0.2], "the bundle")
    with pytest.raises(PackagingError, match="differ"):
        check_predictions([float("nan")], [0.1], "the bundle")


def test_the_accepted_model_is_replaced_whole(settings: Settings) -> None:
    path = accept(EXPORTED | {"version": "v1"}, settings)
    accept(EXPORTED | {"version": "v2"}, settings)

    assert json.loads(path.read_text())["version"] == "v2"
    assert accepted_model(settings)["version"] == "v2"
    assert [p.name for p in path.parent.iterdir()] == ["model.json"]


def test_without_an_accepted_model_packaging_says_to_run_the_pipeline(settings: Settings) -> None:
    with pytest.raises(SystemExit, match="run `make run` first"):
        accepted_model(settings)


def test_a_staged_folder_or_file_replaces_the_published_one_whole(tmp_path: Path) -> None:
    dist, scratch = tmp_path / "dist", tmp_path / "dist" / ".build-1"
    (dist / "bundle").mkdir(parents=True)
    (dist / "bundle" / "old.txt").write_text("old")
    (dist / "bundle.zip").write_text("old")
    (scratch / "bundle").mkdir(parents=True)
    (scratch / "bundle" / "new.txt").write_text("new")
    (scratch / "bundle.zip").write_text("new")

    assert swap_into(scratch / "bundle", dist) == dist / "bundle"
    assert swap_into(scratch / "bundle.zip", dist) == dist / "bundle.zip"

    assert [p.name for p in (dist / "bundle").iterdir()] == ["new.txt"]
    assert (dist / "bundle.zip").read_text() == "new"
    assert sorted(p.name for p in dist.iterdir()) == [".build-1", "bundle", "bundle.zip"]
    assert list(scratch.iterdir()) == []
