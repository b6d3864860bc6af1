"""Keep this repository in step with the template it was generated from (rs-template), using cruft.

    make update-template     take the template's new conventions (python scripts/template.py update)
    make update-template-pr  the same on a branch, opened as a pull or merge request (... propose HOST)
    make change-stack serving=modal   switch an answer, keeping this repository's edits (... change-stack)
    make link-template       link a repository made with plain cookiecutter (... link TEMPLATE)

`update` then runs the template's migrations (migrations/<version>.py in the template) newer than the
version the repository was on: they carry over what a merge cannot, such as imports of moved modules.

`cruft update` merges the template's changes with a three-way merge, but reports success even when the merge
leaves conflict markers or `.rej` files behind. `update` checks for both and fails loudly, naming each file;
`propose` commits them on the branch and opens the request as a draft, listing each file.
"""

import argparse
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path
from typing import Any

ANSWERS = Path(".template-answers.json")
CONFLICT_MARKERS = ("<<<<<<< ", ">>>>>>> ")
IGNORED_DIRS = {".git", ".venv", ".tools", "data", "artifacts", "dist", "node_modules"}
BRANCH_PREFIX = "template-update/"
# GitHub refuses a pull request description longer than 65536 characters.
MAX_DESCRIPTION = 60000
# Cookiecutter's abbreviations, which cruft records as given (gh:org/rs-template).
ABBREVIATIONS = {
    "gh": "https://github.com/{}.git",
    "gl": "https://gitlab.com/{}.git",
    "bb": "https://bitbucket.org/{}",
}
# The template's migrations: migrations/<version>.py, each leading to the version it is named for.
MIGRATIONS = "migrations"
# Where a migration rewrites the names of moved modules: code, configuration, docs.
REWRITTEN = {".py", ".pyi", ".toml", ".yml", ".yaml", ".cfg", ".ini", ".md", ".txt", ".sh"}
RESOLVE = (
    "Resolve each one: keep what you need between the <<<<<<< and >>>>>>> markers and delete the markers; "
    "apply each .rej file's hunks by hand, then delete it."
)


def git(*args: str, cwd: Path | None = None) -> str:
    return subprocess.run(["git", *args], capture_output=True, text=True, check=True, cwd=cwd).stdout


def update() -> int:
    """Take the template's new conventions, then run its migrations since this repository's version."""
    state = linked()
    if state is None:
        return 2
    with tempfile.TemporaryDirectory() as folder:
        template = clone(state["template"], Path(folder))
        since = version_at(template, state["commit"])
        return merge([], "the template update", "review it, run make test, commit", template, since)


def change_stack(assignments: list[str]) -> int:
    """Switch answers given as `question=value` (serving=modal) at the template version this repository is
    on: the old value's files go, the new value's come, the repository's own edits are merged or named."""
    state = linked()
    if state is None:
        return 2
    wanted = {}
    for assignment in assignments:
        question, equals, value = assignment.partition("=")
        if not equals or not value:
            print(f"error: {assignment!r} is not an answer: write question=value, e.g. serving=modal")
            return 2
        wanted[question] = value
    if not wanted:
        print("error: name the answers to change, e.g. make change-stack serving=modal")
        return 2
    answers = state["context"]["cookiecutter"]
    with tempfile.TemporaryDirectory() as folder:
        template = clone(state["template"], Path(folder))
        try:
            questions = json.loads(git("show", f"{state['commit']}:cookiecutter.json", cwd=template))
        except subprocess.CalledProcessError:
            print(f"error: the template lost commit {state['commit'][:12]}: run make update-template first")
            return 2
    for question, value in wanted.items():
        # A menu's first item may be a default derived from other answers: it is not a value of its own.
        values = [item for item in questions.get(question, "") if isinstance(item, str) and "{" not in item]
        if not values:
            menus = ", ".join(name for name, items in questions.items() if isinstance(items, list))
            print(f"error: {question} is not a question with a menu; these are: {menus}")
            return 2
        if value not in values:
            print(f"error: {value} is not a value of {question}: choose one of {', '.join(values)}")
            return 2
    changes = {question: value for question, value in wanted.items() if answers.get(question) != value}
    if not changes:
        print("nothing to change: the repository already has these answers")
        return 0
    # At the commit this repository is on, so the switch is all the change: a template update is its own.
    command = ["--checkout", state["commit"], "--variables-to-update", json.dumps(changes)]
    described = ", ".join(f"{question}={value}" for question, value in changes.items())
    after = "run make setup (the new answers' dependencies, uv.lock), make test, then commit"
    return merge(command, f"switching to {described}", after)


def merge(
    cruft_options: list[str], what: str, after: str, template: Path | None = None, since: str = ""
) -> int:
    """`cruft update` with ``cruft_options``, then the migrations of ``template`` newer than ``since`` (when
    given), failing loudly on what the merge could not merge or a migration could not carry over."""
    if git("status", "--porcelain", "--untracked-files=no").strip():
        print("error: there are uncommitted changes: commit or stash them first, to review the update alone")
        return 2
    failed, conflicts = cruft_update(cruft_options)
    if failed:
        print(f"error: cruft update failed (exit {failed}); nothing else was checked")
        return failed
    if template is not None:
        conflicts = sorted({**dict(conflicts), **dict(migrate(template, since))}.items())
    if conflicts:
        print(f"error: {what} conflicts with local changes in {len(conflicts)} file(s):")
        for path, reason in conflicts:
            print(f"  {path}: {reason}")
        print(f"{RESOLVE} `git diff` shows everything the update changed. Then run `make test` and commit.")
        return 1
    changed = git("status", "--porcelain").splitlines()
    print(f"{what} applied cleanly to {len(changed)} file(s): {after}")
    return 0


def cruft_update(options: list[str]) -> tuple[int, list[tuple[str, str]]]:
    """Run `cruft update`; return its exit code and the files its merge left unresolved."""
    result = subprocess.run(
        ["cruft", "update", "--skip-apply-ask", *options], stderr=subprocess.PIPE, text=True, check=False
    )
    sys.stderr.write(result.stderr)
    if result.returncode != 0:
        return result.returncode, []
    # A change git could not apply at all (the template deletes or rewrites a file this repository edited)
    # leaves no marker and no .rej file: git's own message is the only trace.
    unapplied = {
        match[1]: "the template's change to it did not apply to your edited copy (`cruft diff` shows the "
        "template's version): carry it over by hand, or delete the file if the template no longer has it"
        for match in re.finditer(r"^error: (.+): patch does not apply$", result.stderr, re.MULTILINE)
    }
    found = dict(conflicted_files())
    return 0, sorted({**unapplied, **found}.items())


def migrate(template: Path, since: str) -> list[tuple[str, str]]:
    """Run the template's migrations newer than version ``since``, oldest first, on the merged repository.

    A migration is migrations/<version>.py in the template, named for the version whose change it carries
    over (a move, a rename, a split). It may declare MODULES, {old module: new place} inside the package, and
    define migrate(project, package) for anything else; either way, it returns or leaves for a person only
    what it cannot carry over, by file. Each must be safe to run again: it acts only on what it finds.
    """
    package = json.loads(Path(".cruft.json").read_text())["context"]["cookiecutter"]["module_name"]
    left: list[tuple[str, str]] = []
    for version, path in migrations_after(template / MIGRATIONS, since):
        spec = importlib.util.spec_from_file_location(f"migration_{version.replace('.', '_')}", path)
        if spec is None or spec.loader is None:
            continue
        migration = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(migration)
        left += moved_modules(package, getattr(migration, "MODULES", {}))
        if hasattr(migration, "migrate"):
            left += migration.migrate(Path.cwd(), package)
        print(f"migration {version} applied")
    return left


def migrations_after(folder: Path, since: str) -> list[tuple[str, Path]]:
    """The migrations in ``folder`` for versions after ``since`` (all when it is unknown), oldest first."""
    found = sorted((version_key(path.stem), path) for path in folder.glob("*.py") if path.stem[:1].isdigit())
    floor = version_key(since) if since[:1].isdigit() else ()
    return [(path.stem, path) for key, path in found if key > floor]


def version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", version))


def moved_modules(package: str, modules: dict[str, str]) -> list[tuple[str, str]]:
    """Point the repository's own imports of moved modules to their new places; name each old module file
    still here (edited too far from the template's for the merge to move it) with where its edits go."""
    root = Path("src") / package
    left = []
    for old, new in modules.items():
        old_file, new_file = root / f"{old}.py", root / (new.replace(".", "/") + ".py")
        if old_file.is_file() and new_file.is_file():
            left.append(
                (
                    str(old_file),
                    f"the template moved it to {new_file}; your edits are not there yet: carry them over "
                    f"(`git diff HEAD -- {old_file}` shows what the update changed), then delete {old_file}",
                )
            )
    rewritten = []
    for path in walk(Path(".")):
        if path.suffix not in REWRITTEN and path.name != "Makefile":
            continue
        try:
            text = path.read_text()
        except (UnicodeDecodeError, OSError):
            continue
        new_text = imports_moved(text, package, modules, root)
        if new_text != text:
            path.write_text(new_text)
            rewritten.append(path)
    for path in rewritten:
        print(f"  {path}: now imports the moved modules from their new places")
    python = [str(path) for path in rewritten if path.suffix in (".py", ".pyi")]
    if python and shutil.which("ruff"):
        # The new import lines sort differently; the project's own formatter puts them in order.
        subprocess.run(["ruff", "check", "--quiet", "--fix", "--select", "I", *python], check=False)
        subprocess.run(["ruff", "format", "--quiet", *python], check=False)
    return left


def imports_moved(text: str, package: str, modules: dict[str, str], root: Path) -> str:
    """``text`` with each moved module named by its new place: `package.old` and `from package import old`.

    An old name that is now a package of its own (`warehouse`, now `warehouse/`) is left alone where what
    follows it is one of that package's modules: that is the new layout already.
    """
    names = "|".join(re.escape(name) for name in modules)

    def is_new_layout(old: str, after: str | None) -> bool:
        return bool(after) and ((root / old / f"{after}.py").is_file() or (root / old / str(after)).is_dir())

    def dotted(match: re.Match[str]) -> str:
        if is_new_layout(match[1], match[2]):
            return match[0]
        return f"{package}.{modules[match[1]]}" + (f".{match[2]}" if match[2] else "")

    quoted = re.escape(package)
    names_imported = r"(?:\((?P<group>[^)]*)\)|(?P<line>[^\n(]+))"

    def from_module(match: re.Match[str]) -> str:
        items = re.split(r"[,\n]", match["group"] or match["line"])
        imported = [item.split("#")[0].split() for item in items]
        if any(is_new_layout(match["old"], words[0]) for words in imported if words):
            return match[0]
        return match[0].replace(f"{package}.{match['old']}", f"{package}.{modules[match['old']]}", 1)

    pattern = rf"^[ \t]*from {quoted}\.(?P<old>{names}) import {names_imported}"
    text = re.sub(pattern, from_module, text, flags=re.MULTILINE)
    # `package.old` anywhere else (import lines, `python -m`, patched names), unless `import` follows it.
    text = re.sub(rf"\b{quoted}\.({names})\b(?:\.(\w+)|(?!\s+import\b))", dotted, text)

    def from_import(match: re.Match[str]) -> str:
        indent = match["indent"]
        items = [item.split("#")[0].strip() for item in (match["group"] or match["line"]).split(",")]
        kept, moved = [], []
        for item in filter(None, items):
            name, _, alias = (part.strip() for part in item.partition(" as "))
            alias = alias or name
            uses = re.findall(rf"(?<![\w.]){re.escape(alias)}\.(\w+)", text)
            if name in modules and not any(is_new_layout(name, used) for used in uses):
                parent, _, leaf = f"{package}.{modules[name]}".rpartition(".")
                renamed = "" if leaf == alias else f" as {alias}"
                moved.append(f"{indent}from {parent} import {leaf}{renamed}")
            else:
                kept.append(item)
        if not moved:
            return match[0]
        return "\n".join(([f"{indent}from {package} import {', '.join(kept)}"] if kept else []) + moved)

    pattern = rf"^(?P<indent>[ \t]*)from {quoted} import {names_imported}"
    return re.sub(pattern, from_import, text, flags=re.MULTILINE)


def conflicted_files() -> list[tuple[str, str]]:
    """Files the merge could not resolve: conflict markers in text files, and rejected hunks."""
    found = []
    for path in sorted(walk(Path("."))):
        if path.suffix == ".rej":
            found.append((str(path), "rejected hunks (.rej file)"))
            continue
        try:
            lines = path.read_text().splitlines()
        except (UnicodeDecodeError, OSError):
            continue
        if any(line.startswith(CONFLICT_MARKERS) for line in lines):
            found.append((str(path), "conflict markers"))
    return found


def walk(folder: Path) -> list[Path]:
    files = []
    for path in folder.iterdir():
        if path.is_dir():
            if path.name not in IGNORED_DIRS:
                files.extend(walk(path))
        elif path.is_file():
            files.append(path)
    return files


def migrate_since(since: str) -> int:
    """The migrations alone, for an update taken with a script older than them (a repository at 0.2.0)."""
    state = linked()
    if state is None:
        return 2
    with tempfile.TemporaryDirectory() as folder:
        left = migrate(clone(state["template"], Path(folder)), since)
    if left:
        print(f"error: the migrations left {len(left)} file(s) to you:")
        for path, reason in left:
            print(f"  {path}: {reason}")
        return 1
    print("the migrations carried everything over: run make setup, make lint, make test, then commit")
    return 0


def link(template: str) -> int:
    """Record the template and the answers this repository was generated with, so `update` works."""
    if Path(".cruft.json").exists():
        print("error: already linked (.cruft.json exists): use `make update-template`")
        return 2
    recorded = json.loads(ANSWERS.read_text())
    command = [
        "cruft",
        "link",
        template,
        "--no-input",
        *("--checkout", f"v{recorded['template_version']}"),
        *("--extra-context", json.dumps(recorded["answers"])),
    ]
    return subprocess.run(command, check=False).returncode


def propose(host: str, base: str) -> int:
    """Take the template's new conventions on a branch of their own, push it, and open a pull request
    (GitHub) or merge request (GitLab) saying what changed and what to do; a draft when anything conflicts.

    Does nothing when the template has not moved, or when a branch for its newest commit was pushed already.
    """
    state = linked()
    if state is None:
        return 2
    if git("status", "--porcelain", "--untracked-files=no").strip():
        print("error: there are uncommitted changes: run the update from a clean checkout")
        return 2
    with tempfile.TemporaryDirectory() as folder:
        template = clone(state["template"], Path(folder))
        newest = git("rev-parse", "HEAD", cwd=template).strip()
        if newest == state["commit"]:
            print(f"up to date: the template has not moved since {newest[:12]}")
            return 0
        branch = BRANCH_PREFIX + newest[:12]
        if git("ls-remote", "--heads", "origin", branch).strip():
            print(f"already proposed: the branch {branch} exists; merge or close its request first")
            return 0
        git("switch", "--quiet", "-c", branch)
        # What CI's checkout holds beyond the repository (a lock file `make setup` wrote) is not the update's.
        untracked = set(git("ls-files", "--others", "--exclude-standard").splitlines())
        failed, conflicts = cruft_update(["--allow-untracked-files"])
        if failed:
            print(f"error: cruft update failed (exit {failed}); nothing was pushed")
            return failed
        old, new = version_at(template, state["commit"]), version_at(template, newest)
        conflicts = sorted({**dict(conflicts), **dict(migrate(template, old))}.items())
        conflicts = sorted({**dict(conflicts), **dict(relocked())}.items())
        title = f"Take rs-template {new} ({newest[:12]})"
        description = describe(state["commit"], newest, old, new, changes_since(template, state["commit"]))
        description += conflicts_section(conflicts)
    git("add", "--update")
    added = sorted(set(git("ls-files", "--others", "--exclude-standard").splitlines()) - untracked)
    if added:
        git("add", "--", *added)
    # --no-verify: the conflict markers are committed on purpose, for a person to resolve in the request;
    # CI's pre-commit run fails on them, so the request cannot be merged with any left.
    git("commit", "--quiet", "--no-verify", "-m", title)
    if subprocess.run(["git", "push", "--quiet", "origin", branch], check=False).returncode != 0:
        print(
            f"error: could not push {branch} (git says why above). The token must be allowed to push a "
            "branch, and on GitHub to change workflows when the update does: see TEMPLATE_UPDATE_TOKEN in CI"
        )
        return 1
    draft = bool(conflicts)
    opened = open_pull_request if host == "github" else open_merge_request
    return opened(branch, base, ("Draft: " if draft and host == "gitlab" else "") + title, description, draft)


def linked() -> dict[str, Any] | None:
    """What cruft recorded in .cruft.json (the template, its commit, the answers), or None, saying why."""
    if not Path(".cruft.json").exists():
        print("error: no .cruft.json here: link the repository to its template first (make link-template)")
        return None
    state: dict[str, Any] = json.loads(Path(".cruft.json").read_text())
    return state


def clone(template: str, folder: Path) -> Path:
    """A clone of the template in ``folder``; stops with git's reason when it cannot be cloned."""
    command = ["git", "clone", "--quiet", clone_url(template), str(folder)]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        reason = (result.stderr.strip().splitlines() or [f"exit {result.returncode}"])[-1]
        sys.exit(f"error: cannot clone the template {template} ({reason}): check its address and your access")
    return folder


def clone_url(template: str) -> str:
    """What git clones for the template cruft recorded: an abbreviation expanded, a `git+` prefix dropped."""
    prefix, _, rest = template.partition(":")
    if prefix in ABBREVIATIONS:
        return ABBREVIATIONS[prefix].format(rest)
    return template.removeprefix("git+")


def relocked() -> list[tuple[str, str]]:
    """Lock the dependencies again when the update changed them, so CI, which keeps to uv.lock, can pass."""
    changed = git("diff", "HEAD", "--name-only").split()  # cruft's merge stages what it changes
    if not git("ls-files", "uv.lock").strip() or "pyproject.toml" not in changed:
        return []
    if shutil.which("uv") is None:
        return [("uv.lock", "the update changed the dependencies: run make setup and commit uv.lock")]
    unlocked = {key: value for key, value in os.environ.items() if key not in ("UV_LOCKED", "UV_FROZEN")}
    if subprocess.run(["uv", "lock", "--quiet"], env=unlocked, check=False).returncode != 0:
        return [("uv.lock", "uv could not lock the new dependencies (it says why above): fix, lock, commit")]
    return []


def version_at(template: Path, commit: str) -> str:
    """The template's version at ``commit`` (cookiecutter.json's `_template_version`), or "unknown"."""
    try:
        return str(json.loads(git("show", f"{commit}:cookiecutter.json", cwd=template))["_template_version"])
    except (subprocess.CalledProcessError, KeyError, ValueError):
        return "unknown"


def changes_since(template: Path, commit: str) -> list[tuple[str, list[str]]]:
    """The entries of the template's CHANGELOG.md that were not in it at ``commit``, under their headings."""
    try:
        before = git("show", f"{commit}:CHANGELOG.md", cwd=template)
    except subprocess.CalledProcessError:
        before = ""  # the commit is gone from the template's history: every entry is news
    after = (template / "CHANGELOG.md").read_text() if (template / "CHANGELOG.md").exists() else ""
    sections = []
    for heading, entries in changelog_sections(after):
        new_entries = [entry for entry in entries if entry not in before]
        if new_entries:
            sections.append((heading, new_entries))
    return sections


def changelog_sections(text: str) -> list[tuple[str, list[str]]]:
    """Each `## ` section's heading and entries: a bullet with its indented lines, or a paragraph or table."""
    sections: list[tuple[str, list[str]]] = []
    entry: list[str] = []

    def close_entry() -> None:
        if entry and sections:
            sections[-1][1].append("\n".join(entry))
        entry.clear()

    for line in text.splitlines():
        if line.startswith("## "):
            close_entry()
            sections.append((line[3:].strip(), []))
        elif not line.strip() or line.startswith("- "):
            close_entry()
            if line.strip():
                entry.append(line)
        else:
            entry.append(line)
    close_entry()
    return sections


def to_do(entry: str) -> str | None:
    """What an entry asks an updating team to do (its "To do" sentence), on one line."""
    match = re.search(r"To do[^:]*:\**\s*(.*)", " ".join(line.strip() for line in entry.splitlines()))
    return match[1].strip() if match else None


def describe(
    old_commit: str, new_commit: str, old: str, new: str, changes: list[tuple[str, list[str]]]
) -> str:
    """The request's description: what it takes, what to do, and the CHANGELOG's entries in between."""
    lines = [
        f"Takes rs-template from {old} (`{old_commit[:12]}`) to {new} (`{new_commit[:12]}`), made by "
        "`make update-template-pr`. Review it as any change: CI runs lint, tests and the pipeline on it.",
        "",
    ]
    todos = [todo for _, entries in changes for entry in entries if (todo := to_do(entry))]
    if todos:
        lines += ["## What this repository must do", "", *(f"- {todo}" for todo in todos), ""]
    lines += [f"## The template's changes since {old} (its CHANGELOG.md)", ""]
    for heading, entries in changes:
        lines += [f"### {heading}", "", *entries, ""]
    if not changes:
        lines += ["The template's CHANGELOG.md names no change since then.", ""]
    text = "\n".join(lines)
    if len(text) > MAX_DESCRIPTION:
        text = text[:MAX_DESCRIPTION] + "\n\n(cut here: the template's CHANGELOG.md has the rest)\n"
    return text


def conflicts_section(conflicts: list[tuple[str, str]]) -> str:
    if not conflicts:
        return "\n## Conflicts\n\nNone: the update merged cleanly with this repository's changes.\n"
    lines = [
        "",
        f"## Conflicts: {len(conflicts)} file(s), so this request is a draft",
        "",
        "The update could not merge these files with this repository's own changes; they are committed with "
        f"the conflict left in. {RESOLVE} Then run `make test`, push, and mark the request ready.",
        "",
        *(f"- `{path}`: {reason}" for path, reason in conflicts),
    ]
    return "\n".join(lines) + "\n"


def open_pull_request(branch: str, base: str, title: str, description: str, draft: bool) -> int:
    """Open the pull request with GitHub's CLI, which reads its token from GH_TOKEN."""
    if shutil.which("gh") is None:
        print("error: gh (the GitHub CLI) is not installed: it opens the pull request")
        return 2
    command = ["gh", "pr", "create", "--base", base, "--head", branch, "--title", title, "--body-file", "-"]
    result = subprocess.run([*command, *(["--draft"] if draft else [])], input=description, text=True)
    return result.returncode


def open_merge_request(branch: str, base: str, title: str, description: str, draft: bool) -> int:
    """Open the merge request through GitLab's API, as the project access token in TEMPLATE_UPDATE_TOKEN.

    GitLab makes a request whose title starts with "Draft: " a draft.
    """
    token = os.environ.get("TEMPLATE_UPDATE_TOKEN")
    api, project = os.environ.get("CI_API_V4_URL"), os.environ.get("CI_PROJECT_ID")
    if not token or not api or not project:
        print(
            "error: TEMPLATE_UPDATE_TOKEN, CI_API_V4_URL and CI_PROJECT_ID must be set: GitLab CI sets the "
            "last two; the first is a project access token (role Developer, scopes api and write_repository) "
            "in the project's masked CI/CD variables"
        )
        return 2
    if not api.startswith(("https://", "http://")):
        print(f"error: CI_API_V4_URL is {api!r}, not a web address: unset it, GitLab CI sets it")
        return 2
    fields = {
        "source_branch": branch,
        "target_branch": base,
        "title": title,
        "description": description,
        "remove_source_branch": True,
    }
    request = urllib.request.Request(
        f"{api}/projects/{project}/merge_requests",
        data=json.dumps(fields).encode(),
        headers={"PRIVATE-TOKEN": token, "Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            print(f"opened {json.load(response)['web_url']}")
    except OSError as error:
        print(f"error: GitLab refused the merge request ({error}); the branch {branch} is pushed")
        return 1
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("update", help="take the template's new conventions")
    changing = commands.add_parser("change-stack", help="switch answers, e.g. serving=modal")
    changing.add_argument("answers", nargs="*", help="question=value")
    proposing = commands.add_parser("propose", help="the update on a branch, as a pull or merge request")
    proposing.add_argument("host", choices=["github", "gitlab"], help="where the repository is hosted")
    proposing.add_argument("--base", help="the branch to merge into (default: the one checked out)")
    migrating = commands.add_parser("migrate", help="run the template's migrations after an update")
    migrating.add_argument("--since", required=True, help="the version the repository was updated from")
    linking = commands.add_parser("link", help="link a repository made with plain cookiecutter")
    linking.add_argument("template", help="where the template lives, e.g. gh:org/rs-template")
    args = parser.parse_args()
    if args.command == "propose":
        base = args.base or git("branch", "--show-current").strip()
        if not base:
            print("error: no branch is checked out: name the branch to merge into, --base (make: BASE=)")
            return 2
        return propose(args.host, base)
    if args.command == "change-stack":
        return change_stack(args.answers)
    if args.command == "migrate":
        return migrate_since(args.since)
    return update() if args.command == "update" else link(args.template)


if __name__ == "__main__":
    sys.exit(main())
