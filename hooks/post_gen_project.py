"""Put the chosen stack's files in place, drop the others, then say what was made and what to run next.

Runs inside the generated project. Standard library only, and nothing outside the project folder is touched:
cruft runs this twice per update in temporary folders.
"""

import re
import shutil
import sys
from pathlib import Path

# BEGIN options.toml stack: `make options` writes what follows, up to END, from options.toml
STACK = {
    "orchestrator": "{{ cookiecutter.orchestrator }}",
    "warehouse": "{{ cookiecutter.warehouse }}",
    "data_quality": "{{ cookiecutter.data_quality }}",
    "tracking": "{{ cookiecutter.tracking }}",
    "model": "{{ cookiecutter.model }}",
    "serving": "{{ cookiecutter.serving }}",
    "ci": "{{ cookiecutter.ci }}",
}
LICENSE = "{{ cookiecutter.license }}"
SCALE = {
    "ML value per year": {{ {"under_1m": "Under $1M", "1m_to_10m": "$1M to $10M", "10m_to_100m": "$10M to $100M"}[cookiecutter.ml_value] | quoted }},
    "ML and data engineers": {{ {"1_to_10": "1 to 10", "11_to_30": "11 to 30", "31_to_100": "31 to 100"}[cookiecutter.team_size] | quoted }},
    "data per training run": {{ {"under_100gb": "Under 100 GB", "100gb_to_1tb": "100 GB to 1 TB", "1tb_to_10tb": "1 TB to 10 TB"}[cookiecutter.data_volume] | quoted }},
    "training compute": {{ {"cpu": "CPU only", "one_gpu": "One GPU", "few_gpu_nodes": "A few GPU nodes"}[cookiecutter.compute] | quoted }},
}
# END options.toml stack

# Each value of a stack choice brings everything it contributes in its own folder, _stack/<choice>/<value>/:
# its files, laid out as in the project, and in _places/ the lines it adds to shared files. <value> is one
# value, or several joined by "+" for what each of them uses: serving/gcp_cloud_run+modal/ holds what Cloud
# Run and Modal share. A value takes each of its files from exactly one of its folders.
STACK_DIR = Path("_stack")
# A shared file marks where values add lines with a line of its own, `# place: <name>` (`<!-- place: <name>
# -->` in Markdown). Each chosen folder's _places/<name> file replaces that line, in the order of STACK, and a
# place no value fills disappears with its line (and with a blank line, when it stood between two). What a
# value adds may itself mark a place for the values of another choice.
PLACES = "_places"
MARKER = re.compile(r"^[ \t]*(?:# place: ([a-z0-9-]+)|<!-- place: ([a-z0-9-]+) -->)[ \t]*$")


def apply_stack() -> None:
    """Move the chosen values' files into the project, fill the shared files' places, drop `_stack`.

    Refuses, before changing anything, a file that two of the chosen folders both provide, and a place that no
    shared file marks. A file already in place is replaced: baking over a project (-f) with the same stack
    finds the files it moved there before. (No value's file is also a shared file: a template test checks it.)
    """
    moves: dict[Path, Path] = {}
    fills: dict[str, list[str]] = {}
    for choice, value in {"license": LICENSE, **STACK}.items():
        for folder in folders_of(choice, value):
            for source in sorted(path for path in folder.rglob("*") if path.is_file()):
                target = source.relative_to(folder)
                if target.parts[0] == PLACES:
                    fills.setdefault(target.name, []).append(source.read_text(encoding="utf-8"))
                elif target in moves:
                    sys.exit(f"error: {moves[target]} and {source} would both become {target}: keep one")
                else:
                    moves[target] = source
    # A place may be marked by a shared file, by a chosen value's own file, or by what a value adds.
    texts = [text for _, text in text_files([*project_files(), *moves.values()])]
    texts += [text for added in fills.values() for text in added]
    missing = set(fills) - {name for text in texts for name in places_in(text)}
    if missing:
        sys.exit(f"error: no shared file marks the place {', '.join(sorted(missing))}: add `# place: <name>`")
    for target, source in moves.items():
        target.parent.mkdir(parents=True, exist_ok=True)
        source.replace(target)
    for path, text in text_files(project_files()):
        if "place: " in text:
            path.write_text(filled(text, fills), encoding="utf-8")
    shutil.rmtree(STACK_DIR, ignore_errors=True)


def folders_of(choice: str, value: str) -> list[Path]:
    """The folders holding what ``value`` contributes: its own, and those it shares with other values."""
    return sorted(path for path in (STACK_DIR / choice).glob("*") if value in path.name.split("+"))


def project_files() -> list[Path]:
    """Every file of the project outside ``_stack``."""
    return sorted(p for p in Path().rglob("*") if p.is_file() and p.parts[0] not in (STACK_DIR.name, ".git"))


def text_files(paths: list[Path]) -> list[tuple[Path, str]]:
    """Each of ``paths`` that holds text, with its content."""
    texts = []
    for path in paths:
        try:
            texts.append((path, path.read_text(encoding="utf-8")))
        except UnicodeDecodeError:
            continue
    return texts


def places_in(text: str) -> list[str]:
    return [match[1] or match[2] for line in text.splitlines() if (match := MARKER.match(line))]


def filled(text: str, fills: dict[str, list[str]]) -> str:
    """``text`` with each place's line replaced by what the chosen values add there."""
    lines = text.splitlines(keepends=True)
    out: list[str] = []
    for number, line in enumerate(lines):
        match = MARKER.match(line.rstrip("\n"))
        if not match:
            out.append(line)
            continue
        added = filled("".join(fills.get(match[1] or match[2], [])), fills)  # places within places
        if added:
            out.append(added if added.endswith("\n") else added + "\n")
        elif out and not out[-1].strip() and number + 1 < len(lines) and not lines[number + 1].strip():
            out.pop()  # the place stood alone between blank lines: keep one of them
    return "".join(out)


def summary() -> str:
    scale = ", ".join(f"{name}: {value}" for name, value in SCALE.items())
    stack = ", ".join(f"{name}={value}" for name, value in STACK.items())
    return (
        f"\nCreated {{ cookiecutter.project_slug }}/\n"
        f"  scale: {scale}\n"
        f"  stack: {stack}\n"
        "Next:\n"
        "  cd {{ cookiecutter.project_slug }}\n"
        "  make setup   # install into .venv (offline from then on)\n"
        "  make run     # the whole pipeline on a sample log\n"
        "  make test    # the quick tests (make test-all: every test, as CI runs them)\n"
    )


if __name__ == "__main__":
    apply_stack()
    print(summary())
