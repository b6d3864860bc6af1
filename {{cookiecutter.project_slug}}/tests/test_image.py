"""The image for the bigger box, checked without Docker: it installs exactly the lock and starts the pipeline.

`make image` builds it where Docker runs; here the Dockerfile is read and linted (hadolint), and what it
starts is found in the project.
"""

import json
import re
import subprocess
import sys
import tomllib
from importlib.util import find_spec
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = (ROOT / "Dockerfile").read_text()
INSTRUCTIONS = [line for line in DOCKERFILE.splitlines() if line and not line.startswith("#")]


def test_the_image_installs_exactly_the_locked_dependencies_without_the_dev_tools() -> None:
    installs = [line for line in INSTRUCTIONS if line.startswith("RUN")]

    # The log on object storage is how a remote step reads it: its client (the s3 extra) comes too.
    assert installs[0] == "RUN uv sync --locked --no-dev --extra s3 --no-install-project"
    assert installs[1].startswith("RUN uv sync --locked --no-dev --extra s3 &&")
    assert "pip install" not in DOCKERFILE
    lock_first = DOCKERFILE.index("COPY pyproject.toml uv.lock ./")
    assert lock_first < DOCKERFILE.index(installs[0]) < DOCKERFILE.index("COPY . .")


def test_the_image_runs_the_python_the_project_requires() -> None:
    required = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    [base] = [line.split()[1] for line in INSTRUCTIONS if line.startswith("FROM ")]

    assert base == f"python:{required.removeprefix('>=')}-slim"


def test_the_image_starts_the_pipeline_it_holds() -> None:
    [command] = [json.loads(line.removeprefix("CMD ")) for line in INSTRUCTIONS if line.startswith("CMD ")]

    assert command[0] == "python"
    if command[1] == "-m":
        sys.path.insert(0, str(ROOT / "src"))
        assert find_spec(f"{command[2]}.__main__") is not None, command
    else:
        assert (ROOT / command[1]).is_file(), command


def test_the_build_context_holds_the_code_and_never_the_environment_or_the_data() -> None:
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    ignored = {line for line in lines if line[:1] not in ("", "#")}

    assert {".venv", "data", "artifacts", "dist", ".env"} <= ignored
    assert not ignored & {"src", "dbt", "flows", "contract.toml", "pyproject.toml", "uv.lock", "README.md"}


def test_the_dockerfile_passes_hadolint() -> None:
    linted = subprocess.run(
        [Path(sys.executable).parent / "hadolint", "--no-color", "-"],
        input=DOCKERFILE,
        capture_output=True,
        text=True,
        check=False,
    )

    assert linted.returncode == 0, linted.stdout + linted.stderr
    assert not re.search(r"DL\d{4}", linted.stdout)
