"""Helpers for the template's tests: baking with pytest-cookies and running commands in baked projects."""

import json
import os
import subprocess
from collections.abc import Mapping
from pathlib import Path

import pytest

TEMPLATE = Path(__file__).resolve().parents[1]
DEFAULTS = json.loads((TEMPLATE / "cookiecutter.json").read_text())


def bake(cookies, **answers: str) -> Path:  # type: ignore[no-untyped-def]
    """Bake with the given answers (the rest default) and return the project folder; fail with the reason."""
    result = cookies.bake(extra_context=answers)
    assert result.exit_code == 0, f"bake failed: {result.exception}"
    assert result.exception is None
    return Path(result.project_path)


def run(
    command: list[str] | str, cwd: Path, env: Mapping[str, str] | None = None, timeout: int = 1800
) -> str:
    """Run a command as a user would (a shell string or an argument list); fail the test with its output."""
    environment = {**os.environ, "CI": "true", **(env or {})}
    # The template's own virtualenv must not leak into a baked project's tools.
    environment.pop("VIRTUAL_ENV", None)
    result = subprocess.run(
        command,
        cwd=cwd,
        env=environment,
        shell=isinstance(command, str),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    output = result.stdout + result.stderr
    if result.returncode != 0:
        pytest.fail(f"`{command}` failed with exit code {result.returncode} in {cwd}:\n{output[-6000:]}")
    return output
