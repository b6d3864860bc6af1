"""The update script's migrations, in process: which run, and what the stage layout's rewrites make of code.

The script is a generated file: the tests load it from a baked project, never from the raw template folder.
"""

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

from .conftest import TEMPLATE, bake

OLD_LAYOUT = """from purchase_intent import pipeline, sample
from purchase_intent import quality
from purchase_intent import (
    event_log,
    settings,
)
from purchase_intent.quality import run_checks
from purchase_intent.warehouse import read_training_set as read
import purchase_intent.event_log

rows = quality.run_checks(purchase_intent.event_log.utc)
patched = "purchase_intent.train.fit"
command = "python -m purchase_intent.dbt_contract --check"
"""
NEW_LAYOUT = """from purchase_intent import pipeline
from purchase_intent.log import sample
from purchase_intent.quality import checks as quality
from purchase_intent import settings
from purchase_intent.log import events as event_log
from purchase_intent.quality.checks import run_checks
from purchase_intent.warehouse.read import read_training_set as read
import purchase_intent.log.events

rows = quality.run_checks(purchase_intent.log.events.utc)
patched = "purchase_intent.model.train.fit"
command = "python -m purchase_intent.warehouse.dbt_tests --check"
"""


def load(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def baked(cookies_session) -> Path:  # type: ignore[no-untyped-def]
    return bake(cookies_session)


@pytest.fixture(scope="module")
def script(baked: Path) -> ModuleType:
    return load(baked / "scripts" / "template.py", "template_script")


def test_the_stage_layout_migration_points_old_imports_to_the_new_places(
    baked: Path, script: ModuleType
) -> None:
    modules = load(TEMPLATE / "migrations" / "0.3.0.py", "migration_0_3_0").MODULES
    root = baked / "src" / "purchase_intent"

    assert script.imports_moved(OLD_LAYOUT, "purchase_intent", modules, root) == NEW_LAYOUT
    # Code already on the new layout, every generated file among it, is left as it is: running twice is safe.
    for path in baked.rglob("*"):
        if path.suffix in script.REWRITTEN or path.name == "Makefile":
            text = path.read_text()
            assert script.imports_moved(text, "purchase_intent", modules, root) == text, path
    # Every new place is a module of the template: shared, or some stack value's.
    project = TEMPLATE / "{{cookiecutter.project_slug}}"
    places = [project / "src", *project.glob("_stack/*/*/src")]
    for old, new in modules.items():
        module = Path("{{cookiecutter.module_name}}", *new.split(".")).with_suffix(".py")
        assert any((place / module).is_file() for place in places), f"{old} -> {new}: no such module"


def test_migrations_run_oldest_first_from_the_repositorys_version(tmp_path: Path, script: ModuleType) -> None:
    for name in ("0.3.0.py", "0.10.0.py", "0.2.1.py", "0.2.0.py", "helpers.py", "README.md"):
        (tmp_path / name).write_text("")

    def after(since: str) -> list[str]:
        return [version for version, _ in script.migrations_after(tmp_path, since)]

    assert after("0.2.0") == ["0.2.1", "0.3.0", "0.10.0"]
    assert after("0.3.0") == ["0.10.0"]
    assert after("unknown") == ["0.2.0", "0.2.1", "0.3.0", "0.10.0"]


def test_the_request_quotes_new_changelog_entries_and_their_to_do_lines(script: ModuleType) -> None:
    before = "# Changelog\n\n## 0.2.0\n\n- Old entry. **To do:** nothing.\n"
    after = (
        "# Changelog\n\n## Unreleased\n\n- New entry,\n  on two lines. **To do:** run\n  `make contract`.\n\n"
        "| a table | too |\n|---|---|\n\n## 0.2.0\n\n- Old entry. **To do:** nothing.\n"
    )
    sections = script.changelog_sections(after)
    new = [(heading, [entry for entry in entries if entry not in before]) for heading, entries in sections]

    assert new == [
        (
            "Unreleased",
            [
                "- New entry,\n  on two lines. **To do:** run\n  `make contract`.",
                "| a table | too |\n|---|---|",
            ],
        ),
        ("0.2.0", []),
    ]
    assert script.to_do(new[0][1][0]) == "run `make contract`."
