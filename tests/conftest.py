"""Helpers for the template's tests: baking with pytest-cookies and running commands in baked projects."""

import fcntl
import json
import os
import pickle
import subprocess
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TypeVar

import pytest
from cookiecutter.main import cookiecutter

from . import import_names

TEMPLATE = Path(__file__).resolve().parents[1]
DEFAULTS = json.loads((TEMPLATE / "cookiecutter.json").read_text())
T = TypeVar("T")
# A baked project's tests, run by the suite: in one process, since the suite's own workers already keep every
# core busy, and one process builds the project's session fixtures (the trained model, the built log) once
# where each of its own workers would build them again (measured on one stack: 368 CPU seconds, against 426).
PROJECT_TESTS = [".venv/bin/pytest", "-p", "no:xdist"]
# The vars a baked project's transform gives dbt (warehouse/transform.py), for a `dbt parse` or `compile` run
# by hand: the split's cutoffs, where the log is, and what the monitoring models judge.
DBT_VARS = json.dumps(
    {
        "train_cutoff": "2025-02-17",
        "validation_cutoff": "2025-02-24",
        "log_path": "data/log/events",
        "retractions_path": "data/log/retractions/ingest_date=*/*.parquet",
        "features": "n_pageviews,is_weekend",
        "max_feature_psi": "0.2",
        "min_predictions_per_day": "100",
        "recent_reference_days": "3",
        "log_age_features": "",
        "monitor_days": "7",
        "outcome_days": "1",
    }
)
# Its quick selection (its README's `uv run pytest -m "not slow"`), for projects whose stack's slow tests
# already run elsewhere in the suite: the default bake's in test_generated_project.py, each other stack
# value's in test_runtime.py.
QUICK_TESTS = [*PROJECT_TESTS, "-m", "not slow"]
# The suite's longest tests, first: the workers then share out the short ones at the end and finish together,
# instead of one of them starting a test of many minutes while the other has nothing left to do.
LONGEST_FIRST = (
    "test_runtime.py",
    "test_generated_project.py",
    "test_releases.py",
    "test_cruft.py",
    "test_hostile_answers.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        name = item.path.name
        return LONGEST_FIRST.index(name) if name in LONGEST_FIRST else len(LONGEST_FIRST)

    items.sort(key=rank)


@pytest.fixture(scope="session", autouse=True)
def shared_mypy_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """One mypy cache for the baked projects a worker lints, one after another.

    A cold mypy spends most of its time on the libraries a project imports (40 CPU seconds with PyTorch), the
    same files in every project's environment; mypy checks each cached module against its source's hash, so a
    shared cache only skips work whose result it already knows. One per worker: its tests run in turn, so no
    two mypy processes write it at once.
    """
    os.environ["MYPY_CACHE_DIR"] = str(tmp_path_factory.getbasetemp() / "mypy-cache")


@pytest.fixture(scope="session")
def project_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Environment for commands run in baked projects: where uv finds PyTorch's CPU build.

    A project baked with model=pytorch and compute=cpu takes torch from the index named ``pytorch-cpu``
    (download.pytorch.org). Where pip keeps CPU wheels of torch in a find-links folder (``PIP_FIND_LINKS``),
    as on machines without access to that host, a one-package simple index over them replaces it by name.
    With neither, the project's `make setup` fails and says how to point ``pytorch-cpu`` elsewhere, and so
    does the test.
    """
    wheels = [
        wheel
        for links in os.environ.get("PIP_FIND_LINKS", "").split()
        for wheel in sorted(Path(links).glob("torch-*+cpu-*.whl"))
    ]
    if not wheels:
        return {}
    index = tmp_path_factory.mktemp("torch-cpu-index")
    (index / "torch").mkdir()
    (index / "torch" / "index.html").write_text(
        "".join(f'<a href="{wheel.as_uri()}">{wheel.name}</a>\n' for wheel in wheels)
    )
    return {"UV_INDEX": f"pytorch-cpu={index.as_uri()}"}


def bake(cookies, **answers: str) -> Path:  # type: ignore[no-untyped-def]
    """Bake with the given answers (the rest default) and return the project folder; fail with the reason."""
    result = cookies.bake(extra_context=answers)
    assert result.exit_code == 0, f"bake failed: {result.exception}"
    assert result.exception is None
    return Path(result.project_path)


def made_once(tmp_path_factory: pytest.TempPathFactory, name: str, make: Callable[[Path], T]) -> T:
    """What ``make`` returns for a new folder, made once per test run however many workers ask for it.

    The complete suite runs in several pytest-xdist workers. The first to ask makes it in the run's temporary
    folder, which every worker can read, and saves the result; the others wait for that (a file lock) and
    load it, rather than each spending minutes on the same bakes, setups and parses.
    """
    run_dir = tmp_path_factory.getbasetemp()
    if "PYTEST_XDIST_WORKER" in os.environ:
        run_dir = run_dir.parent  # the run's temporary folder, which holds each worker's
    saved = run_dir / f"{name}.pickle"
    with (run_dir / f"{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not saved.exists():
            folder = run_dir / name
            folder.mkdir()
            saved.write_bytes(pickle.dumps(make(folder)))
        made: T = pickle.loads(saved.read_bytes())
        return made


def bake_into(folder: Path, **answers: str) -> Path:
    """Bake outside pytest-cookies, for projects shared between workers; Cookiecutter's replay and clone
    folders go inside ``folder``, never into the home directory."""
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "cookiecutter-config.yaml"
    config.write_text(
        f"cookiecutters_dir: {json.dumps(str(folder / 'cookiecutters'))}\n"
        f"replay_dir: {json.dumps(str(folder / 'replay'))}\n"
    )
    output = folder / "out"
    baked = cookiecutter(
        str(TEMPLATE), no_input=True, extra_context=answers, output_dir=str(output), config_file=str(config)
    )
    return Path(baked)


def attempt(
    command: list[str] | str, cwd: Path, env: Mapping[str, str] | None = None, timeout: int = 1800
) -> subprocess.CompletedProcess[str]:
    """Run a command as a user would (a shell string or an argument list) and return what happened."""
    # The template's own virtualenv and pytest must not leak into a baked project's tools: a project's pytest
    # that saw this worker's PYTEST_XDIST_WORKER would share its fixtures' files with every other project's.
    environment = {
        key: value
        for key, value in {**os.environ, "CI": "true", **(env or {})}.items()
        if key != "VIRTUAL_ENV" and not key.startswith("PYTEST_")
    }
    return subprocess.run(
        command,
        cwd=cwd,
        env=environment,
        shell=isinstance(command, str),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def run(
    command: list[str] | str, cwd: Path, env: Mapping[str, str] | None = None, timeout: int = 1800
) -> str:
    """Run a command that must succeed; fail the test with its output otherwise."""
    result = attempt(command, cwd, env, timeout)
    output = result.stdout + result.stderr
    if result.returncode != 0:
        pytest.fail(f"`{command}` failed with exit code {result.returncode} in {cwd}:\n{output[-6000:]}")
    return output


def assert_hook_refuses_environment(project: Path) -> None:
    """Fail unless the hook refuses as module_name every name the set-up project's environment can import.

    Environments differ per stack, and indirect dependencies come and go with releases: a list kept by hand
    goes stale, one compared with every environment the suite sets up cannot. A package of the lock this
    machine does not install (another platform's) must have its names in ``import_names.ELSEWHERE``.
    """
    venv = project / ".venv"
    regenerate = f"`python -m tests.import_names --add {venv}` prints IMPORT_NAMES with them"
    missing = sorted(import_names.names_in(venv) - import_names.hook_names())
    if missing:
        pytest.fail(
            f"hooks/pre_gen_project.py accepts module names that would shadow what {venv} imports: "
            f"{' '.join(missing)}. {regenerate}."
        )
    unexplained = import_names.unexplained(import_names.not_installed(project))
    if unexplained:
        pytest.fail(
            f"{project / 'uv.lock'} holds packages this machine does not install (other platforms' or "
            f"Pythons'): {' '.join(unexplained)}. Add the names their wheels bring to ELSEWHERE in "
            f"tests/import_names.py; then {regenerate}."
        )
