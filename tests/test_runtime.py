"""The runtime tier: each value of each stack choice set up, tested and run for real at least once.

The covering matrix checks every pair of values statically; here a few combinations, generated so that every
orchestrator, warehouse, data-quality tool, tracker, model family and serving target appears, go through what
a user does first: `make setup`, the project's own tests, and `make run`. The default combination is not
among them: `test_generated_project.py` does all of that and more with it, every test of its suite included.
A combination then runs the tests that exercise one of its values the default bake does not have
(``EXERCISES``): the log's tests, which no value touches, ran once already. Minutes each: marked slow.
"""

from pathlib import Path

import pytest

from .combinations import STACK, Combination, covering, label
from .conftest import PROJECT_TESTS, assert_hook_refuses_environment, bake, run
from .test_docs import assert_docs_hold_after_run
from .test_generated_project import assert_the_run_told_its_story

pytestmark = pytest.mark.slow

RUNTIME_CHOICES = {choice: values for choice, values in STACK.items() if choice != "ci"}
# The stack questions' defaults derive from the scale answers: the default bake's values come first.
DEFAULT_STACK = {choice: values[0] for choice, values in RUNTIME_CHOICES.items()}
RUNTIME = covering(RUNTIME_CHOICES, strength=1, covered=DEFAULT_STACK)
# Which choices' values change what a baked project's tests exercise, by folder or file; tests mirror the
# package. The pipeline's own tests call its stages directly, so they exercise no orchestrator; the flow's
# tests exercise the orchestrator, whose stages `make run` runs here anyway. Tests run the pipeline on the dev
# target, where dbt builds on DuckDB whatever the warehouse: the warehouse's own code (its production build,
# loading the raw tables) is what tests/warehouse/ exercises.
PIPELINE = {"data_quality", "tracking", "model", "serving"}
EXERCISES = {
    "tests/log/": set(),  # the event log: the same in every project
    "tests/test_resources.py": set(),
    "tests/test_story.py": set(),  # how a run tells what it did: the same in every project
    "tests/monitoring/": set(),  # make monitor: the same in every project
    "tests/warehouse/": {"warehouse"},
    "tests/test_contract.py": {"data_quality"},  # the log's rules at dbt (on DuckDB) and at the gate
    "tests/quality/": {"data_quality"},
    "tests/model/": {"model", "tracking"},
    "tests/release/": {"model", "serving"},
    "tests/serving/": {"model", "serving"},
    "tests/test_pipeline.py": PIPELINE,
    "tests/test_bad_data_stops_the_run.py": PIPELINE,
    "tests/test_benchmarks.py": PIPELINE,
    "tests/test_flow.py": {"orchestrator"},
    "tests/test_cli.py": {"orchestrator"},
}


def selection(project: Path, combination: Combination) -> list[str]:
    """The project's test files that exercise one of ``combination``'s values the default bake lacks."""
    # Listed from the folder rather than collected by pytest, which imports every stack's libraries (20 s).
    files = sorted(str(path.relative_to(project)) for path in project.glob("tests/**/test_*.py"))
    exercises = {file: [key for key in EXERCISES if file.startswith(key)] for file in files}
    unknown = [file for file, keys in exercises.items() if not keys]
    assert not unknown, f"say in EXERCISES which choices these tests exercise: {unknown}"
    changed = {choice for choice, value in DEFAULT_STACK.items() if combination[choice] != value}
    return [file for file, [key] in exercises.items() if EXERCISES[key] & changed]


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
    selected = selection(project, combination)
    tests = run([*PROJECT_TESTS, *selected], cwd=project, env=project_env)
    pipeline = run("make run EVENTS=30000", cwd=project, env=project_env)

    assert " passed" in tests and " failed" not in tests and " skipped" not in tests
    assert_the_run_told_its_story(pipeline)
    published = [line.split("published: ", 1)[1] for line in pipeline.splitlines() if "published: " in line]
    assert published and (project / published[-1].strip()).exists(), pipeline[-3000:]
    assert (project / "artifacts" / "accepted" / "model" / "model.json").exists()
    assert (project / "artifacts" / "accepted" / "evaluation" / "metrics.json").exists()
    assert_docs_hold_after_run(project, pipeline)
