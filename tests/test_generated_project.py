"""A baked project works as its README promises: `make setup`, `make lint`, `make test-all`, `make run`.

These set up real environments and run the real pipeline, so they take minutes: marked slow.
"""

import json
import subprocess
import time
import urllib.request
import zipfile
from pathlib import Path

import pytest

from .conftest import assert_hook_refuses_environment, attempt, bake, run
from .test_docs import assert_docs_hold_after_run
from .test_security import FAKE_AWS_KEY_ID, FAKE_PRIVATE_KEY

# One project set up once, then used by every test here: keep them on one pytest-xdist worker.
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("default-project")]


# Session-scoped: pytest-xdist may run other files' tests in between, which ends module-scoped fixtures.
@pytest.fixture(scope="session")
def project(cookies_session) -> Path:
    baked = bake(cookies_session)
    run("git init -q && git add -A", cwd=baked)
    run("make setup", cwd=baked)
    return baked


def test_setup_creates_the_environment_the_lock_file_and_the_git_hook(project: Path) -> None:
    assert (project / ".venv" / "bin" / "python").exists()
    assert (project / "uv.lock").exists()
    assert (project / ".git" / "hooks" / "pre-commit").exists()


def test_the_template_refuses_a_module_name_the_environment_can_import(project: Path) -> None:
    assert_hook_refuses_environment(project)


def test_lint_passes_on_a_fresh_bake(project: Path) -> None:
    run("make lint", cwd=project)


def test_pre_commit_passes_on_a_fresh_bake_having_checked_files(project: Path) -> None:
    output = run([".venv/bin/pre-commit", "run", "--all-files"], cwd=project)

    results = {line.split(".")[0]: line.rsplit(".", 1)[-1] for line in output.splitlines() if "...." in line}
    # "(no files to check)Skipped" would mean pre-commit saw nothing, the failure this guards against.
    for hook in ("ruff check", "ruff format", "mypy", "sqlfluff", "YAML parses", "TOML parses", "no private"):
        [result] = [result for name, result in results.items() if name.startswith(hook)]
        assert result == "Passed", f"{hook}: {result}\n{output}"


def test_pre_commit_refuses_a_planted_private_key_and_aws_key(project: Path) -> None:
    planted = {
        "deploy/signing.pem": FAKE_PRIVATE_KEY,
        "deploy/aws.env": f"AWS_ACCESS_KEY_ID={FAKE_AWS_KEY_ID}\n",
    }
    for name, text in planted.items():
        (project / name).write_text(text)
    try:
        run(["git", "add", *planted], cwd=project)
        result = attempt([".venv/bin/pre-commit", "run", "--files", *planted], cwd=project)
    finally:
        run(["git", "rm", "-q", "--cached", *planted], cwd=project)
        for name in planted:
            (project / name).unlink()

    assert result.returncode == 1
    failed = [line.split(".")[0] for line in result.stdout.splitlines() if line.endswith("Failed")]
    assert {"no private keys", "no secrets (keys, tokens, passwords)"} <= set(failed), result.stdout


def test_the_projects_own_tests_pass(project: Path) -> None:
    # As in a container image that turns off Python's bytecode cache: the tasks turn it back on, so each
    # process the tests start need not compile the stack again.
    # Less the flow's end-to-end run: the next test's `make run` runs the same flow and checks more of it.
    end_to_end = "TESTS=--deselect=tests/test_flow.py::test_the_metaflow_flow_runs_end_to_end"
    assert "def test_the_metaflow_flow_runs_end_to_end(" in (project / "tests" / "test_flow.py").read_text()
    output = run(["make", "test-all", end_to_end], cwd=project, env={"PYTHONDONTWRITEBYTECODE": "1"})

    assert " passed" in output and " failed" not in output and " skipped" not in output
    assert "PASSED tests/test_pipeline.py::" in output, "make test-all should say each test, not print dots"
    assert list((project / "src").glob("*/__pycache__/pipeline.*.pyc")), "make test-all cached no bytecode"


def test_run_produces_metrics_plots_and_a_bundle_then_serves_it(project: Path) -> None:
    output = run("make run", cwd=project)

    assert "published: " in output
    assert_docs_hold_after_run(project, output)
    assert_the_run_told_its_story(output)
    accepted = project / "artifacts" / "accepted"
    metrics = json.loads((accepted / "evaluation" / "metrics.json").read_text())
    assert metrics["average_precision"] > metrics["baseline_average_precision"] + 0.05
    for plot in ("roc.png", "precision_recall.png", "calibration.png"):
        assert (accepted / "evaluation" / "plots" / plot).read_bytes().startswith(b"\x89PNG")
    assert "purchase_intent/serving/handler.py" in zipfile.ZipFile(project / "dist" / "lambda.zip").namelist()

    run("make package", cwd=project)
    server = subprocess.Popen(["make", "serve-local", "PORT=8765"], cwd=project)
    try:
        features = json.loads((accepted / "model" / "model.json").read_text())["features"]
        # Zeros keep every rule of the contract (net cart items are adds minus removes, and so on).
        request = json.dumps({"sessions": [{"session_id": "s1", **dict.fromkeys(features, 0)}]}).encode()
        url = "http://127.0.0.1:8765/predict"
        for _ in range(60):
            try:
                with urllib.request.urlopen(url, data=request, timeout=5) as response:
                    answer = json.loads(response.read())
                break
            except OSError:
                time.sleep(1)
        else:
            pytest.fail("make serve-local never answered")
        assert 0 < answer["predictions"][0]["purchase_probability"] < 1
    finally:
        server.terminate()
        server.wait(timeout=30)


STORY = {
    "log": "events appended",
    "transform": "dbt build passed: ",
    "quality gate": "passed on ",
    "train": "validation average precision ",
    "evaluate": "holdout sessions; baseline ",
    "package": "run accepted",
}


def assert_the_run_told_its_story(output: str) -> None:
    """A line of figures per stage, the summary with where to look, and nothing a library says besides."""
    for stage, figures in STORY.items():
        assert any(f"{stage}  " in line and figures in line for line in output.splitlines()), (stage, output)
    assert " accepted: model " in output and "published: " in output
    assert "evaluation report: artifacts/accepted/evaluation/report.md" in output
    assert "Pylint" not in output and "Traceback" not in output, output


def test_running_again_adds_nothing_to_the_log(project: Path) -> None:
    log = project / "data" / "log" / "events"
    if not list(log.rglob("*.parquet")):
        # pytest-xdist may run this before the first run's test, on another worker's copy of the project.
        run("make run", cwd=project)
    before = sorted(p.name for p in log.rglob("*.parquet"))

    run("make run", cwd=project)

    assert sorted(p.name for p in log.rglob("*.parquet")) == before
