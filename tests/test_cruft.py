"""Regenerating with cruft: a project takes the template's new conventions, and a conflict fails loudly.

Each test works on a git copy of this template, creates projects from it with `cruft create`, moves the
template on (an edited generated file, a new file, a renamed file of one option value) and runs the project's
`make update-template` and `make template-check`, as a user would months later. Slow: they set projects up.
"""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import QUICK_TESTS, TEMPLATE, attempt, run

pytestmark = pytest.mark.slow

CRUFT = str(Path(sys.executable).parent / "cruft")
NOT_COPIED = shutil.ignore_patterns(".git", ".venv", ".tools", "build", "__pycache__", ".*_cache")
GIT_USER = ["-c", "user.name=Template Tests", "-c", "user.email=tests@example.com"]


def commit(repo: Path, message: str) -> None:
    run(["git", "add", "-A"], cwd=repo)
    run(["git", *GIT_USER, "commit", "-q", "-m", message], cwd=repo)


@pytest.fixture
def template(tmp_path: Path) -> Path:
    """A git repository holding this template as it is now, which the test can move on."""
    copy = tmp_path / "rs-template"
    shutil.copytree(TEMPLATE, copy, ignore=NOT_COPIED)
    run(["git", "init", "-q", "-b", "main"], cwd=copy)
    commit(copy, "The template as released")
    return copy


def create(template: Path, where: Path, project_env: dict[str, str], **answers: str) -> Path:
    """`cruft create` a project, commit it and set it up, as a team would on day one."""
    where.mkdir()
    command = [CRUFT, "create", str(template), "--no-input", "--output-dir", str(where)]
    run([*command, "--extra-context", json.dumps(answers)], cwd=where)
    [project] = where.iterdir()
    run(["git", "init", "-q", "-b", "main"], cwd=project)
    commit(project, "Generated from rs-template")
    run("make setup", cwd=project, env=project_env)
    run(["git", "add", "uv.lock"], cwd=project)
    commit(project, "Lock the dependencies")
    return project


def move_on(template: Path) -> None:
    """Three kinds of convention change: an edited generated file, a new file, a renamed option file."""
    makefile = template / "{{cookiecutter.project_slug}}" / "Makefile"
    makefile.write_text(makefile.read_text().replace("EVENTS ?= 200000", "EVENTS ?= 250000"))
    decision = template / "{{cookiecutter.project_slug}}" / "docs" / "decisions" / "0002-keep-the-log.md"
    decision.write_text("# 2. Keep the log forever\n\nStatus: accepted.\n")
    handler_tests = template / "{{cookiecutter.project_slug}}" / "_stack" / "serving" / "aws_lambda" / "tests"
    handler_tests /= "serving"
    (handler_tests / "test_handler.py").rename(handler_tests / "test_lambda_handler.py")
    commit(template, "New conventions")


def touched_tests(project: Path) -> list[str]:
    """The project's tests an update can have broken: the test folders it changed files in, and the ones that
    mirror the package folders it changed; all of them when it changed anything else Python reads. The rest
    passed before the update, in this stack's runs elsewhere in the suite, and still read the same files."""
    status = run(["git", "status", "--porcelain", "--untracked-files=all"], cwd=project)
    changed = [Path(line[3:].split(" -> ")[-1]) for line in status.splitlines()]  # a rename: where it went
    folders = set()
    for path in changed:
        if path.parts[0] == "tests" and path.suffix == ".py" and len(path.parts) > 2:
            folders.add(str(path.parent))
        elif path.parts[0] == "src" and len(path.parts) > 3:
            folders.add(str(Path("tests", path.parts[2])))
        elif path.suffix in (".py", ".toml", ".lock", ".sql", ".yml"):
            return ["tests"]
    return sorted(folders)


def make(target: str, project: Path, project_env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return attempt(["make", target], cwd=project, env=project_env)


@pytest.mark.parametrize(
    "answers",
    [{}, {"orchestrator": "none", "tracking": "mlflow", "ci": "gitlab"}],
    ids=["default", "cli-mlflow-gitlab"],
)
def test_an_update_applies_cleanly_and_the_project_still_passes(
    template: Path, tmp_path: Path, project_env: dict[str, str], answers: dict[str, str]
) -> None:
    project = create(template, tmp_path / "projects", project_env, **answers)
    assert make("template-check", project, project_env).returncode == 0

    move_on(template)
    assert make("template-check", project, project_env).returncode != 0
    updated = make("update-template", project, project_env)

    assert updated.returncode == 0, updated.stdout + updated.stderr
    assert "EVENTS ?= 250000" in (project / "Makefile").read_text()
    assert (project / "docs" / "decisions" / "0002-keep-the-log.md").exists()
    assert (project / "tests" / "serving" / "test_lambda_handler.py").exists()
    assert not (project / "tests" / "serving" / "test_handler.py").exists()
    touched = touched_tests(project)
    assert touched == ["tests/serving"], touched
    assert make("template-check", project, project_env).returncode == 0
    output = run([*QUICK_TESTS, *touched], cwd=project, env=project_env)
    assert " passed" in output and " failed" not in output


def test_a_conflicting_local_edit_fails_the_update_naming_the_file(
    template: Path, tmp_path: Path, project_env: dict[str, str]
) -> None:
    project = create(template, tmp_path / "projects", project_env)
    makefile = project / "Makefile"
    makefile.write_text(makefile.read_text().replace("EVENTS ?= 200000", "EVENTS ?= 500000"))
    (project / "notes.md").write_text("our own notes\n")
    commit(project, "Bigger default sample, and notes")
    move_on(template)

    updated = make("update-template", project, project_env)

    assert updated.returncode != 0
    output = updated.stdout + updated.stderr
    assert "Makefile" in output and "conflict" in output
    assert (project / "notes.md").read_text() == "our own notes\n"
    assert (project / "docs" / "decisions" / "0002-keep-the-log.md").exists()


def test_the_recorded_answers_hold_nothing_machine_specific(template: Path, tmp_path: Path) -> None:
    where = tmp_path / "projects"
    where.mkdir()
    run([CRUFT, "create", str(template), "--no-input", "--output-dir", str(where)], cwd=where)
    [project] = where.iterdir()

    recorded = (project / ".cruft.json").read_text() + (project / ".template-answers.json").read_text()
    assert str(where) not in recorded and str(Path.home()) not in recorded
    context = json.loads((project / ".cruft.json").read_text())["context"]["cookiecutter"]
    assert not [key for key in context if key in ("_output_dir", "_repo_dir", "_checkout")]


def test_a_plain_cookiecutter_project_links_and_then_updates(
    template: Path, tmp_path: Path, project_env: dict[str, str]
) -> None:
    version = json.loads((TEMPLATE / "cookiecutter.json").read_text())["_template_version"]
    run(["git", "tag", f"v{version}"], cwd=template)
    where = tmp_path / "projects"
    where.mkdir()
    cookiecutter = str(Path(sys.executable).parent / "cookiecutter")
    run([cookiecutter, str(template), "--no-input", "--output-dir", str(where), "tracking=mlflow"], cwd=where)
    [project] = where.iterdir()
    run(["git", "init", "-q", "-b", "main"], cwd=project)
    run("make setup", cwd=project, env=project_env)
    commit(project, "Generated with plain cookiecutter")
    move_on(template)

    run(["make", "link-template", f"TEMPLATE={template}"], cwd=project, env=project_env)
    commit(project, "Linked to rs-template")
    updated = make("update-template", project, project_env)

    assert updated.returncode == 0, updated.stdout + updated.stderr
    answers = json.loads((project / ".cruft.json").read_text())["context"]["cookiecutter"]
    assert answers["tracking"] == "mlflow"
    assert "EVENTS ?= 250000" in (project / "Makefile").read_text()
    assert (project / "tests" / "serving" / "test_lambda_handler.py").exists()
