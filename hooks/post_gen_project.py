"""Remove what the chosen stack does not use, then say what was made and what to run next.

Runs inside the generated project. Standard library only, and nothing outside the project folder is touched:
cruft runs this twice per update in temporary folders.
"""

import shutil
from pathlib import Path

MODULE = Path("src") / "{{ cookiecutter.module_name }}"
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

# Paths that only some values of a choice use: kept for those values, removed for the others.
BELONGS_TO = {
    Path("flows"): ("orchestrator", {"metaflow"}),
    MODULE / "quality.py": ("data_quality", {"pandera"}),
    MODULE / "serving": ("serving", {"aws_lambda"}),
    MODULE / "serve_local.py": ("serving", {"aws_lambda"}),
    Path("deploy"): ("serving", {"aws_lambda"}),
    Path(".github"): ("ci", {"github"}),
}


def prune() -> None:
    for path, (choice, values) in BELONGS_TO.items():
        if STACK[choice] not in values and path.exists():
            shutil.rmtree(path) if path.is_dir() else path.unlink()


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
    prune()
    print(summary())
