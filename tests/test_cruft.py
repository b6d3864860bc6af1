"""Regenerating with cruft: a project takes the template's new conventions, and a conflict fails loudly.

Each test works on a git copy of this template, creates projects from it with `cruft create`, moves the
template on (an edited generated file, a new file, a renamed file of one option value) and runs the project's
`make update-template` and `make template-check`, as a user would months later. Slow: they set projects up.
"""

import json
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest

from .conftest import QUICK_TESTS, TEMPLATE, attempt, bake_into, run

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
    return copy_of_template(tmp_path)


def copy_of_template(folder: Path) -> Path:
    copy = folder / "rs-template"
    shutil.copytree(TEMPLATE, copy, ignore=NOT_COPIED)
    run(["git", "init", "-q", "-b", "main"], cwd=copy)
    commit(copy, "The template as released")
    return copy


def generated(template: Path, where: Path, **answers: str) -> Path:
    """A project made with `cruft create` in the new folder ``where``, committed on its main branch."""
    where.mkdir()
    command = [CRUFT, "create", str(template), "--no-input", "--output-dir", str(where)]
    run([*command, "--extra-context", json.dumps(answers)], cwd=where)
    [project] = where.iterdir()
    run(["git", "init", "-q", "-b", "main"], cwd=project)
    commit(project, "Generated from rs-template")
    return project


def create(template: Path, where: Path, project_env: dict[str, str], **answers: str) -> Path:
    """`cruft create` a project, commit it and set it up, as a team would on day one."""
    project = generated(template, where, **answers)
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


# What the scheduled job's commits are signed with, as its workflow sets it.
BOT = {
    "GIT_AUTHOR_NAME": "rs-template update",
    "GIT_AUTHOR_EMAIL": "bot@example.com",
    "GIT_COMMITTER_NAME": "rs-template update",
    "GIT_COMMITTER_EMAIL": "bot@example.com",
}
NEW_ENTRY = "- The sample has 250000 events by default. **To do:** nothing, unless you set EVENTS yourself."


def hosted(template: Path, where: Path, **answers: str) -> Path:
    """A project made with `cruft create` and pushed to its host (a bare repository), not set up: the
    scheduled job's script needs cruft alone, which the template's own environment has."""
    project = generated(template, where, **answers)
    run(["git", "init", "-q", "--bare", str(where / "host.git")], cwd=where)
    run(["git", "remote", "add", "origin", str(where / "host.git")], cwd=project)
    run(["git", "push", "-q", "origin", "main"], cwd=project)
    return project


def move_on_with_changelog(template: Path) -> None:
    """The template moves on, saying so in its CHANGELOG as every release does."""
    changelog = template / "CHANGELOG.md"
    changelog.write_text(
        changelog.read_text().replace("## Unreleased\n\n", f"## Unreleased\n\n{NEW_ENTRY}\n", 1)
    )
    move_on(template)


def propose(project: Path, tools: Path, host: str, env: dict[str, str] | None = None) -> str:
    """The scheduled job's step: `make update-template-pr HOST=<host>`, with the template's cruft."""
    path = f"{tools}:{Path(sys.executable).parent}:{os.environ['PATH']}"
    command = [sys.executable, "scripts/template.py", "propose", host]
    result = attempt(command, cwd=project, env={**BOT, **(env or {}), "PATH": path})
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout + result.stderr


def fake_gh(folder: Path) -> Path:
    """A folder with a `gh` that records what GitHub's CLI would send: its arguments and the description."""
    folder.mkdir()
    gh = folder / "gh"
    record = folder / "sent.json"
    gh.write_text(
        f"#!{sys.executable}\nimport json, sys\n"
        f"open({str(record)!r}, 'w').write(json.dumps({{'args': sys.argv[1:], 'body': sys.stdin.read()}}))\n"
    )
    gh.chmod(0o755)
    return folder


@pytest.fixture
def gitlab_api() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """A stand-in for GitLab's API on localhost: its address, and each request it received."""
    received: list[dict[str, Any]] = []

    class MergeRequests(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            received.append({"path": self.path, "token": self.headers["PRIVATE-TOKEN"], "fields": body})
            answer = json.dumps({"web_url": "http://gitlab.example.com/team/project/-/merge_requests/7"})
            self.send_response(201)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(answer.encode())

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), MergeRequests)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/api/v4", received
    server.shutdown()


def test_the_scheduled_job_opens_a_pull_request_with_the_changelog(template: Path, tmp_path: Path) -> None:
    project = hosted(template, tmp_path / "projects")
    tools = fake_gh(tmp_path / "tools")
    assert "up to date" in propose(project, tools, "github")
    assert not (tools / "sent.json").exists()

    move_on_with_changelog(template)
    (project / "uv.lock").write_text(
        "# what `make setup` wrote in CI's checkout\n"
    )  # not the update's to commit
    propose(project, tools, "github")

    sent = json.loads((tools / "sent.json").read_text())
    newest = run(["git", "rev-parse", "HEAD"], cwd=template).strip()
    branch = f"template-update/{newest[:12]}"
    assert sent["args"][:6] == ["pr", "create", "--base", "main", "--head", branch]
    assert "--draft" not in sent["args"]
    body = sent["body"]
    assert NEW_ENTRY in body
    assert "- nothing, unless you set EVENTS yourself." in body  # under "What this repository must do"
    assert "## 0.1.0" not in body and "### 0.2.0" not in body  # only what is new since the project's commit
    assert "None: the update merged cleanly" in body
    pushed = run(
        ["git", "--git-dir", str(tmp_path / "projects" / "host.git"), "show", f"{branch}:Makefile"],
        cwd=tmp_path,
    )
    assert "EVENTS ?= 250000" in pushed
    host = str(tmp_path / "projects" / "host.git")
    committed = run(["git", "--git-dir", host, "ls-tree", "-r", "--name-only", branch], cwd=tmp_path).split()
    assert "tests/serving/test_lambda_handler.py" in committed and "uv.lock" not in committed
    run(["git", "switch", "-q", "main"], cwd=project)  # next week's run starts from main again
    assert "already proposed" in propose(project, tools, "github")


def test_a_conflicting_update_opens_a_draft_merge_request_naming_the_file(
    template: Path, tmp_path: Path, gitlab_api: tuple[str, list[dict[str, Any]]]
) -> None:
    project = hosted(template, tmp_path / "projects", ci="gitlab")
    makefile = project / "Makefile"
    makefile.write_text(makefile.read_text().replace("EVENTS ?= 200000", "EVENTS ?= 500000"))
    commit(project, "Bigger default sample")
    run(["git", "push", "-q", "origin", "main"], cwd=project)
    move_on_with_changelog(template)
    api, received = gitlab_api

    gitlab = {"CI_API_V4_URL": api, "CI_PROJECT_ID": "42", "TEMPLATE_UPDATE_TOKEN": "test-token"}
    output = propose(project, tmp_path, "gitlab", gitlab)

    assert "merge_requests/7" in output
    [request] = received
    assert request["path"] == "/api/v4/projects/42/merge_requests" and request["token"] == "test-token"
    fields = request["fields"]
    assert fields["title"].startswith("Draft: ") and fields["target_branch"] == "main"
    assert "## Conflicts: 1 file(s)" in fields["description"]
    assert "- `Makefile`: conflict markers" in fields["description"]
    assert NEW_ENTRY in fields["description"]
    host = str(tmp_path / "projects" / "host.git")
    pushed = run(["git", "--git-dir", host, "show", f"{fields['source_branch']}:Makefile"], cwd=tmp_path)
    assert "<<<<<<< " in pushed and "EVENTS ?= 500000" in pushed


# A value other than the default for each stack question (the default project: metaflow, duckdb, pandera,
# none, sklearn, aws_lambda, github).
SWITCHES = {
    "orchestrator": "prefect",
    "warehouse": "snowflake",
    "data_quality": "great_expectations",
    "tracking": "mlflow",
    "model": "lightgbm",
    "serving": "modal",
    "ci": "gitlab",
}
# What a team adds: files of its own, and a section at the end of the README.
TEAM_FILES = {
    "notes/decisions.md": "# Our decisions\n\nWe switch when we outgrow a choice.\n",
    "tests/test_ours.py": "def test_our_arithmetic() -> None:\n    assert 1 + 1 == 2\n",
}
TEAM_README = "\n## Our notes\n\nWho to ask: the data team.\n"


@pytest.fixture(scope="module")
def team_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A default project made with `cruft create` from a git copy of the template, with a team's edits
    committed; each test changes a copy of it. Not set up: changing an answer needs cruft alone."""
    folder = tmp_path_factory.mktemp("team")
    template = copy_of_template(folder)
    run([CRUFT, "create", str(template), "--no-input", "--output-dir", str(folder / "projects")], cwd=folder)
    [project] = (folder / "projects").iterdir()
    for name, text in TEAM_FILES.items():
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        (project / name).write_text(text)
    with (project / "README.md").open("a") as readme:
        readme.write(TEAM_README)
    run(["git", "init", "-q", "-b", "main"], cwd=project)
    commit(project, "Generated from rs-template, with our notes and a test of our own")
    return project


def change_stack(project: Path, *answers: str) -> subprocess.CompletedProcess[str]:
    """`make change-stack <answers>`, with the template's cruft."""
    path = f"{Path(sys.executable).parent}:{os.environ['PATH']}"
    command = [sys.executable, "scripts/template.py", "change-stack", *answers]
    return attempt(command, cwd=project, env={"PATH": path})


def files_in(folder: Path) -> set[str]:
    return {
        str(path.relative_to(folder))
        for path in folder.rglob("*")
        if path.is_file() and ".git" not in path.parts
    }


def test_changing_every_stack_answer_leaves_exactly_a_new_bake_plus_the_teams_edits(
    team_project: Path, tmp_path: Path
) -> None:
    project = tmp_path / "project"
    shutil.copytree(team_project, project, symlinks=True)

    # Every stack question at once: one merge (the cost of the test is cruft's two renders), checked file by
    # file below, so a value whose files stay behind or do not arrive is named all the same.
    changed = change_stack(project, *(f"{question}={value}" for question, value in SWITCHES.items()))

    assert changed.returncode == 0, changed.stdout + changed.stderr
    assert "applied cleanly" in changed.stdout and "make setup" in changed.stdout
    # A project baked with those answers from the start is what `make run`, lint and the tests are proven on
    # (test_runtime.py sets up and runs one per stack value): the changed project must be that, file for
    # file, plus what the team added.
    fresh = bake_into(tmp_path / "fresh", **SWITCHES)
    ours = set(TEAM_FILES) | {".cruft.json"}
    left_over = files_in(project) - files_in(fresh) - ours
    assert not left_over, f"files of the old values left: {sorted(left_over)}"
    missing = files_in(fresh) - files_in(project)
    assert not missing, f"files of the new values missing: {sorted(missing)}"
    differing = sorted(
        name for name in files_in(fresh) if (project / name).read_bytes() != (fresh / name).read_bytes()
    )
    assert differing == ["README.md"], f"these differ from a fresh bake: {differing}"
    assert (project / "README.md").read_text() == (fresh / "README.md").read_text() + TEAM_README
    for name, text in TEAM_FILES.items():
        assert (project / name).read_text() == text
    recorded = json.loads((project / ".cruft.json").read_text())["context"]["cookiecutter"]
    assert {question: recorded[question] for question in SWITCHES} == SWITCHES


def test_changing_an_answer_names_each_conflict_and_refuses_what_is_no_answer(
    team_project: Path, tmp_path: Path
) -> None:
    project = tmp_path / "project"
    shutil.copytree(team_project, project, symlinks=True)
    assert "choose one of aws_lambda, sagemaker_serverless" in change_stack(project, "serving=lambda").stdout
    assert "WORKERS is not a question with a menu" in change_stack(project, "WORKERS=1").stdout
    assert "nothing to change" in change_stack(project, "serving=aws_lambda").stdout
    template = project / "deploy" / "template.yaml"  # the Lambda's, which a switch to Modal removes
    template.write_text(template.read_text().replace("MemorySize: ", "MemorySize: 2048 # was "))
    commit(project, "More memory for the Lambda")

    changed = change_stack(project, "serving=modal")

    assert changed.returncode == 1
    assert "deploy/template.yaml" in changed.stdout and "conflict" in changed.stdout
    assert (project / "src" / "purchase_intent" / "serving" / "modal_app.py").exists()
