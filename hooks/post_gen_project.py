"""Put the chosen stack's files in place, drop the others, then say what was made and what to run next.

Runs inside the generated project. Standard library only, and nothing outside the project folder is touched:
cruft runs this twice per update in temporary folders.
"""

import shutil
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

# Files used by one value of one stack choice live in _stack/<choice>/<value>/, laid out as in the project.
STACK_DIR = Path("_stack")


def apply_stack() -> None:
    """Move the chosen values' files into the project, then drop every option's folder."""
    for choice, value in STACK.items():
        chosen = STACK_DIR / choice / value
        for source in sorted(path for path in chosen.rglob("*") if path.is_file()):
            target = source.relative_to(chosen)
            target.parent.mkdir(parents=True, exist_ok=True)
            source.replace(target)
    shutil.rmtree(STACK_DIR, ignore_errors=True)


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
