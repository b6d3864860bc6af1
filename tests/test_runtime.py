"""The runtime tier: each value of each stack choice set up, tested and run for real at least once.

The covering matrix checks every pair of values statically; here a few combinations, generated so that every
orchestrator, warehouse, data-quality tool, tracker, model family and serving target appears, go through what
a user does first: `make setup`, the project's own tests, and `make run`. The default combination is not
among them: `test_generated_project.py` does all of that and more with it. Minutes each: marked slow.
"""

from pathlib import Path

import pytest

from .combinations import STACK, Combination, covering, label
from .conftest import assert_hook_refuses_environment, bake, run

pytestmark = pytest.mark.slow

RUNTIME_CHOICES = {choice: values for choice, values in STACK.items() if choice != "ci"}
# The stack questions' defaults derive from the scale answers: the default bake's values come first.
DEFAULT_STACK = {choice: values[0] for choice, values in RUNTIME_CHOICES.items()}
RUNTIME = covering(RUNTIME_CHOICES, strength=1, covered=DEFAULT_STACK)


@pytest.mark.parametrize("combination", RUNTIME, ids=label)
def test_sets_up_passes_its_own_tests_and_runs(
    combination: Combination, cookies_session, project_env: dict[str, str]
) -> None:
    project = bake(cookies_session, **combination)
    run("git init -q && git add -A", cwd=project)

    run("make setup", cwd=project, env=project_env)
    assert_hook_refuses_environment(project)
    if combination["model"] == "pytorch":
        cuda = run([".venv/bin/python", "-c", "import torch; print(torch.version.cuda)"], cwd=project)
        assert cuda.strip() == "None", f"compute=cpu installed a CUDA build of PyTorch (CUDA {cuda.strip()})"
    run([".venv/bin/pre-commit", "run", "--all-files"], cwd=project, env=project_env)
    tests = run("make test", cwd=project, env=project_env)
    pipeline = run("make run EVENTS=30000", cwd=project, env=project_env)

    assert " passed" in tests and " failed" not in tests and " skipped" not in tests
    published = [line.split("published: ", 1)[1] for line in pipeline.splitlines() if "published: " in line]
    assert published and Path(published[-1].strip()).exists(), pipeline[-3000:]
    assert (project / "artifacts" / "accepted" / "model" / "model.json").exists()
    assert (project / "artifacts" / "accepted" / "evaluation" / "metrics.json").exists()
