"""No release strands the repositories of the one before it.

A project generated from the previous release (its newest `v*` tag, or the commit that set its version) is
edited as a team would edit it, then updated to the template as it is now, with its own `make update-template`
and then the migrations since its version: the team's edits must be in their new places, every conflict named
by file, and the project's lint, tests and pipeline must pass. Slow: it sets the updated project up once and
runs it.
"""

import difflib
import json
import os
import shutil
import sys
from pathlib import Path

import pytest

from .conftest import QUICK_TESTS, TEMPLATE, attempt, bake_into, run
from .test_cruft import CRUFT, GIT_USER, commit

pytestmark = pytest.mark.slow

# What a team does in its first months on the previous release's layout (the package flat, before the stage
# folders): a model of its own in the SQL, a setting changed, an edit to a generated module, a test of its
# own importing modules that have moved since.
OUR_MODEL = """-- Sessions per day: what the team's dashboard reads.
select
    cast(started_at as date) as session_day,
    count(*) as n_sessions
from {{ ref('sessions') }}
group by cast(started_at as date)
"""
OUR_TEST = """from purchase_intent import sample
from purchase_intent.event_log import LogError


def test_a_log_error_is_a_value_error() -> None:
    assert issubclass(LogError, ValueError)


def test_the_sample_is_importable() -> None:
    assert sample.__name__.endswith("sample")
"""
OUR_COMMENT = "# Our team: the on-call reads this first.\n"


def previous_release() -> tuple[str, str]:
    """The previous release's version and commit: its `v*` tag or, in a clone without tags, the newest commit
    before this one that set cookiecutter.json's `_template_version` (making a release does that)."""
    head = attempt(["git", "rev-parse", "HEAD"], cwd=TEMPLATE).stdout.strip()
    tags = attempt(["git", "tag", "--list", "v*", "--sort=-v:refname"], cwd=TEMPLATE).stdout.split()
    for tag in tags:
        if attempt(["git", "rev-list", "-n", "1", tag], cwd=TEMPLATE).stdout.strip() != head:
            return tag.removeprefix("v"), tag
    search = ["git", "log", "--format=%H", "-G", '"_template_version"', "--", "cookiecutter.json"]
    releases = [commit for commit in attempt(search, cwd=TEMPLATE).stdout.split() if commit != head]
    assert releases, "no earlier release in this clone: clone the template with its history"
    released = attempt(["git", "show", f"{releases[0]}:cookiecutter.json"], cwd=TEMPLATE).stdout
    return json.loads(released)["_template_version"], releases[0]


def template_now(folder: Path) -> Path:
    """A clone of the template's history with the working tree as it is now committed on top."""
    copy = folder / "rs-template"
    run(["git", "clone", "--quiet", "--no-checkout", str(TEMPLATE), str(copy)], cwd=folder)
    ignored = shutil.ignore_patterns(".git", ".venv", ".tools", "build", "__pycache__", ".*_cache")
    shutil.copytree(TEMPLATE, copy, ignore=ignored, dirs_exist_ok=True)
    run(["git", "reset", "-q"], cwd=copy)  # the index at the clone's commit; the files as they are now
    run(["git", "add", "-A"], cwd=copy)
    # Empty in a clean clone (as in CI): the template as it is now is then its last commit.
    run(["git", *GIT_USER, "commit", "-q", "--allow-empty", "-m", "The template as it is now"], cwd=copy)
    return copy


def test_a_project_of_the_previous_release_takes_this_one(
    tmp_path: Path, project_env: dict[str, str]
) -> None:
    version, release = previous_release()
    template = template_now(tmp_path)
    where = tmp_path / "projects"
    where.mkdir()
    run(
        [CRUFT, "create", str(template), "--checkout", release, "--no-input", "--output-dir", str(where)],
        cwd=where,
    )
    [project] = where.iterdir()
    run(["git", "init", "-q", "-b", "main"], cwd=project)
    commit(project, f"Generated from rs-template {version}")
    package = project / "src" / "purchase_intent"
    (project / "dbt" / "models" / "marts" / "daily_sessions.sql").write_text(OUR_MODEL)
    makefile = project / "Makefile"
    makefile.write_text(makefile.read_text().replace("EVENTS ?= 200000", "EVENTS ?= 150000"))
    log = package / "event_log.py"
    log.write_text(log.read_text().replace("def status(", OUR_COMMENT + "def status(", 1))
    (project / "tests" / "test_ours.py").write_text(OUR_TEST)
    # Each edit took: the release had what it edits.
    assert "EVENTS ?= 150000" in makefile.read_text() and OUR_COMMENT in log.read_text()
    commit(project, "Our model, sample size, comment and test")

    # The project's own `make update-template` (its script as the release made it), with the template's cruft,
    # then the migrations since its version, as the CHANGELOG tells a team on that release to run them.
    path = {"PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    updated = attempt([sys.executable, "scripts/template.py", "update"], cwd=project, env=path)
    output = updated.stdout + updated.stderr
    assert updated.returncode == 0, f"the update reported conflicts, or failed:\n{output[-4000:]}"
    migrated = attempt(
        [sys.executable, "scripts/template.py", "migrate", "--since", version], cwd=project, env=path
    )
    assert migrated.returncode == 0, migrated.stdout + migrated.stderr

    # The updated project is, file for file, the project the template bakes now (whose lint, tests and run
    # the rest of the suite proves) plus the team's edits, each in its new place; nothing of the old layout
    # is left. The team's own parts are then linted, tested and run below.
    fresh = bake_into(tmp_path / "fresh")
    theirs = {str(path.relative_to(fresh)) for path in fresh.rglob("*") if path.is_file()}
    ours = set(run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], cwd=project).split())
    added = {".cruft.json", "tests/test_ours.py", "dbt/models/marts/daily_sessions.sql"}
    assert ours - theirs == added, f"left over from {version}, or missing: {sorted(ours ^ (theirs | added))}"
    assert theirs <= ours, f"not brought by the update: {sorted(theirs - ours)}"
    expected = {
        "Makefile": (fresh / "Makefile").read_text().replace("EVENTS ?= 200000", "EVENTS ?= 150000"),
        "src/purchase_intent/log/events.py": (fresh / "src/purchase_intent/log/events.py")
        .read_text()
        .replace("def status(", OUR_COMMENT + "def status(", 1),
    }
    for name in sorted(theirs):
        if name in expected:
            got = (project / name).read_text()
            difference = difflib.unified_diff(expected[name].splitlines(), got.splitlines(), lineterm="")
            assert got == expected[name], "\n".join([name, *difference])
        else:
            assert (project / name).read_bytes() == (fresh / name).read_bytes(), name
    ours_test = (project / "tests" / "test_ours.py").read_text()
    assert OUR_TEST.split("\n\n\n", 1)[1] in ours_test  # the tests themselves, unchanged
    assert "from purchase_intent.log import sample" in ours_test
    assert "from purchase_intent.log.events import LogError" in ours_test
    assert (project / "dbt" / "models" / "marts" / "daily_sessions.sql").read_text() == OUR_MODEL
    commit(project, "Take the template's new conventions")

    run("make setup", cwd=project, env=project_env)
    run("make lint", cwd=project, env=project_env)
    assert "2 passed" in run([*QUICK_TESTS, "tests/test_ours.py"], cwd=project, env=project_env)
    run(["make", "run", "EVENTS=30000"], cwd=project, env=project_env)
    query = "select count(*) from information_schema.tables where table_name = 'daily_sessions'"
    warehouse = "duckdb.connect('data/warehouse.duckdb', read_only=True)"
    built = f"import duckdb; print({warehouse}.sql({query!r}).fetchall())"
    assert run([".venv/bin/python", "-c", built], cwd=project).strip() == "[(1,)]"  # our model, built by dbt
