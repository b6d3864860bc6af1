"""The runtime tier: each value of each stack choice set up, tested and run for real at least once.

The covering matrix checks every pair of values statically; here a few combinations, generated so that every
orchestrator, warehouse, data-quality tool, tracker, model family and serving target appears, go through what
a user does first: `make setup`, the project's own tests, and `make run`. Minutes each: marked slow.
"""

from pathlib import Path

import pytest

from .combinations import STACK, Combination, covering, label
from .conftest import bake, run

pytestmark = pytest.mark.slow

RUNTIME = covering({choice: values for choice, values in STACK.items() if choice != "ci"}, strength=1)


@pytest.mark.parametrize("combination", RUNTIME, ids=label)
def test_sets_up_passes_its_own_tests_and_runs(
    combination: Combination, cookies_session, project_env: dict[str, str]
) -> None:
    project = bake(cookies_session, **combination)
    run("git init -q && git add -A", cwd=project)

    run("make setup", cwd=project, env=project_env)
    if combination["model"] == "pytorch":
        cuda = run([".venv/bin/python", "-c", "import torch; print(torch.version.cuda)"], cwd=project)
        assert cuda.strip() == "None", f"compute=cpu installed a CUDA build of PyTorch (CUDA {cuda.strip()})"
    run([".venv/bin/pre-commit", "run", "--all-files"], cwd=project, env=project_env)
    tests = run("make test", cwd=project, env=project_env)
    pipeline = run("make run EVENTS=30000", cwd=project, env=project_env)

    assert " passed" in tests and " failed" not in tests and " skipped" not in tests
    published = [line.split("published: ", 1)[1] for line in pipeline.splitlines() if "published: " in line]
    assert published and Path(published[-1].strip()).exists(), pipeline[-3000:]
    assert (project / "artifacts" / "model" / "model.json").exists()
    assert (project / "artifacts" / "evaluation" / "metrics.json").exists()
