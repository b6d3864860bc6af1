"""The runtime tier: each value of each stack choice set up, tested and run for real at least once.

The covering matrix checks every pair of values statically; here a few combinations, generated so that every
orchestrator, warehouse, data-quality tool, tracker, model family and serving target appears, go through what
a user does first: `make setup`, the project's own tests, and `make run`. The default combination is not
among them: `test_generated_project.py` does all of that and more with it, its slow tests included. Here each
combination runs its quick selection and those of its slow tests that exercise a value the default bake does
not have (``SLOW_TESTS``). Minutes each: marked slow.
"""

from pathlib import Path

import pytest

from .combinations import STACK, Combination, covering, label
from .conftest import PYTEST, QUICK_TESTS, assert_hook_refuses_environment, bake, run

pytestmark = pytest.mark.slow

RUNTIME_CHOICES = {choice: values for choice, values in STACK.items() if choice != "ci"}
# The stack questions' defaults derive from the scale answers: the default bake's values come first.
DEFAULT_STACK = {choice: values[0] for choice, values in RUNTIME_CHOICES.items()}
RUNTIME = covering(RUNTIME_CHOICES, strength=1, covered=DEFAULT_STACK)
# A baked project's slow test files, by the choices whose value changes what they exercise. The pipeline's
# own tests call its stages directly, so they exercise no orchestrator, and dev builds on DuckDB whatever
# the warehouse; the flow's tests exercise the orchestrator, whose stages `make run` runs here anyway.
PIPELINE = {"data_quality", "tracking", "model", "serving"}
SLOW_TESTS = {
    "tests/log/test_faults.py": set(),  # the event log alone
    "tests/test_contract.py": {"data_quality"},  # the log, dbt and the quality gate
    "tests/release/test_promotion.py": {"model", "serving"},
    "tests/test_bad_data_stops_the_run.py": PIPELINE,
    "tests/test_pipeline.py": PIPELINE,
    "tests/test_benchmarks.py": PIPELINE,
    "tests/test_flow.py": {"orchestrator"},
}


def slow_tests_to_run(project: Path, combination: Combination) -> list[str]:
    """The project's slow test files that exercise one of ``combination``'s values the default bake lacks."""
    collected = run([".venv/bin/pytest", "--collect-only", "-q", "-m", "slow"], cwd=project)
    files = sorted({line.split("::")[0] for line in collected.splitlines() if "::" in line})
    unknown = [file for file in files if file not in SLOW_TESTS]
    assert not unknown, f"say in SLOW_TESTS which choices these slow tests exercise: {unknown}"
    changed = {choice for choice, value in DEFAULT_STACK.items() if combination[choice] != value}
    return [file for file in files if SLOW_TESTS[file] & changed]


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
    tests = [run(QUICK_TESTS, cwd=project, env=project_env)]
    if slow := slow_tests_to_run(project, combination):
        tests.append(run([*PYTEST, "-m", "slow", *slow], cwd=project, env=project_env))
    pipeline = run("make run EVENTS=30000", cwd=project, env=project_env)

    for output in tests:
        assert " passed" in output and " failed" not in output and " skipped" not in output
    published = [line.split("published: ", 1)[1] for line in pipeline.splitlines() if "published: " in line]
    assert published and Path(published[-1].strip()).exists(), pipeline[-3000:]
    assert (project / "artifacts" / "accepted" / "model" / "model.json").exists()
    assert (project / "artifacts" / "accepted" / "evaluation" / "metrics.json").exists()
