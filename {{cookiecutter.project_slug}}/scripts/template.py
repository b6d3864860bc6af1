"""Keep this repository in step with the template it was generated from (rs-template), using cruft.

    make update-template    take the template's new conventions (python scripts/template.py update)
    make link-template      link a repository made with plain cookiecutter (... link TEMPLATE)

`cruft update` merges the template's changes with a three-way merge, but reports success even when the merge
leaves conflict markers or `.rej` files behind. `update` checks for both and fails loudly, naming each file.
"""

import argparse
import json
import subprocess
import sys
from pathlib import Path

ANSWERS = Path(".template-answers.json")
CONFLICT_MARKERS = ("<<<<<<< ", ">>>>>>> ")
IGNORED_DIRS = {".git", ".venv", ".tools", "data", "artifacts", "dist", "node_modules"}


def git(*args: str) -> str:
    return subprocess.run(["git", *args], capture_output=True, text=True, check=True).stdout


def update() -> int:
    if not Path(".cruft.json").exists():
        print("error: no .cruft.json here: link the repository to its template first (make link-template)")
        return 2
    if git("status", "--porcelain", "--untracked-files=no").strip():
        print("error: there are uncommitted changes: commit or stash them first, to review the update alone")
        return 2
    result = subprocess.run(["cruft", "update", "--skip-apply-ask"], check=False)
    if result.returncode != 0:
        print(f"error: cruft update failed (exit {result.returncode}); nothing else was checked")
        return result.returncode
    conflicts = conflicted_files()
    if conflicts:
        print(f"error: the template update conflicts with local changes in {len(conflicts)} file(s):")
        for path, reason in conflicts:
            print(f"  {path}: {reason}")
        print(
            "Resolve each one: keep what you need between the <<<<<<< and >>>>>>> markers and delete the "
            "markers; apply each .rej file's hunks by hand, then delete it. `git diff` shows everything the "
            "update changed. Then run `make test` and commit."
        )
        return 1
    changed = git("status", "--porcelain").splitlines()
    print(f"the template update applied cleanly to {len(changed)} file(s): review it, run make test, commit")
    return 0


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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("update", help="take the template's new conventions")
    linking = commands.add_parser("link", help="link a repository made with plain cookiecutter")
    linking.add_argument("template", help="where the template lives, e.g. gh:org/rs-template")
    args = parser.parse_args()
    return update() if args.command == "update" else link(args.template)


if __name__ == "__main__":
    sys.exit(main())
