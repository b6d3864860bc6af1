"""Put the chosen stack's files in place, drop the others, then say what was made and what to run next.

Runs inside the generated project. Standard library only, and nothing outside the project folder is touched:
cruft runs this twice per update in temporary folders.
"""

import shutil
import sys
from pathlib import Path

STACK = {
    "orchestrator": "{{ cookiecutter.orchestrator }}",
    "warehouse": "{{ cookiecutter.warehouse }}",
    "data_quality": "{{ cookiecutter.data_quality }}",
    "tracking": "{{ cookiecutter.tracking }}",
    "model": "{{ cookiecutter.model }}",
    "serving": "{{ cookiecutter.serving }}",
    "ci": "{{ cookiecutter.ci }}",
}
SCALE = {
    "ML value per year": "{{ cookiecutter.ml_value }}",
    "ML and data engineers": "{{ cookiecutter.team_size }}",
    "data per training run": "{{ cookiecutter.data_volume }}",
    "training compute": "{{ cookiecutter.compute }}",
}

# Files used by some values of one stack choice live in _stack/<choice>/<values>/, laid out as in the project.
# <values> is one value, or several joined by "+" for files each of them uses: serving/gcp_cloud_run+modal/
# holds what Cloud Run and Modal share. A value takes each of its files from exactly one of these folders.
STACK_DIR = Path("_stack")


def apply_stack() -> None:
    """Move the chosen values' files into the project, then drop every option's folder.

    Refuses, before moving anything, a file that two of the chosen folders both provide.
    """
    moves: dict[Path, Path] = {}
    for choice, value in STACK.items():
        for target, source in files_of(choice, value):
            if target in moves:
                sys.exit(f"error: {moves[target]} and {source} would both become {target}: keep one")
            moves[target] = source
    for target, source in moves.items():
        target.parent.mkdir(parents=True, exist_ok=True)
        source.replace(target)
    shutil.rmtree(STACK_DIR, ignore_errors=True)


def files_of(choice: str, value: str) -> list[tuple[Path, Path]]:
    """Each file ``value`` uses, as (where it goes, where it is now); none once ``_stack`` is gone."""
    folders = sorted(path for path in (STACK_DIR / choice).glob("*") if value in path.name.split("+"))
    return [
        (source.relative_to(folder), source)
        for folder in folders
        for source in sorted(path for path in folder.rglob("*") if path.is_file())
    ]


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
        "  make test    # the tests\n"
    )


if __name__ == "__main__":
    apply_stack()
    print(summary())
