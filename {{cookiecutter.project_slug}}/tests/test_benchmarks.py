"""`make bench` on a tiny log: every stage and floor measured in a fresh process, the results written."""

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from {{ cookiecutter.module_name }}.resources import duckdb_memory_limit_mb
from {{ cookiecutter.module_name }}.settings import Settings

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "pipeline.py"
SIZE = 30_000
STEP_MEMORY_MB = 3_000


def load_script() -> Any:
    """benchmarks/pipeline.py as a module: it is a script, not part of the package."""
    spec = importlib.util.spec_from_file_location("bench_pipeline", SCRIPT)
    assert spec is not None and spec.loader is not None
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    return script


@pytest.fixture(scope="module")
def bench(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder of one benchmark run on a tiny log: results files, and the run's workspace."""
    out = tmp_path_factory.mktemp("bench")
    command = [sys.executable, str(SCRIPT), "--sizes", str(SIZE), "--workspace", str(out / "workspace")]
    # A small step, set the way a user sets it: the results must say what memory the stages were allowed.
    environment = os.environ | {"{{ cookiecutter.module_name | upper }}_MEMORY_MB": str(STEP_MEMORY_MB)}
    subprocess.run([*command, "--out", str(out)], check=True, capture_output=True, env=environment)
    return out


@pytest.mark.slow
def test_every_stage_and_floor_is_measured_on_the_sizes_log(bench: Path) -> None:
    results = json.loads((bench / "results.json").read_text())
    [run] = results["sizes"]
    workspace = bench / "workspace" / f"n{SIZE}"
    assert run["size"] == SIZE
    assert run["workspace"] == str(workspace.resolve())
    assert 0.9 * SIZE < run["events"] < 1.1 * SIZE
    assert run["log_bytes"] > 0
    assert list(run["stages"]) == ["transform", "gate", "train", "evaluate", "package"]
    assert list(run["floors"]) == ["scan", "copy", "models"]
    for measurement in [*run["stages"].values(), *run["floors"].values()]:
        assert measurement["seconds"] > 0, measurement
        assert measurement["cpu_seconds"] > 0, measurement
        assert measurement["peak_rss_bytes"] > 10 * 2**20, measurement
    assert run["floors"]["scan"]["rows"] == run["floors"]["copy"]["rows"] == run["events"]
    # The models without dbt build the same training set as the transform, which the gate reads.
    assert run["floors"]["models"]["rows"] == run["stages"]["gate"]["rows"] > 0
    assert not (workspace / "handoff" / "copy").exists(), "the floor's copy was left on disk"
    assert not (workspace / "handoff" / "models").exists(), "the floor's models were left on disk"
    assert results["machine"]["step_memory_mb"] == STEP_MEMORY_MB
    assert results["machine"]["duckdb_memory_limit_mb"] == duckdb_memory_limit_mb(STEP_MEMORY_MB)


@pytest.mark.slow
def test_the_plot_is_written(bench: Path) -> None:
    assert (bench / "results.png").read_bytes().startswith(b"\x89PNG")


def test_each_transform_rebuilds_from_the_log_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A warehouse or a dbt parse left by an earlier run would make later runs measure less work."""
    script = load_script()
    settings = Settings(workspace=tmp_path)
    target = settings.dbt_target_dir
    left_behind = [settings.warehouse_path, target / "partial_parse.msgpack", target / "run_results.json"]
    for path in left_behind:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"from an earlier run")
    found_at_build: list[Path] = []

    def build_tables(_: Settings) -> None:
        found_at_build.extend(path for path in left_behind if path.exists())

    monkeypatch.setattr(script, "build_tables", build_tables)

    script.transform(settings)

    assert found_at_build == []


def test_the_models_floor_needs_a_transform_that_built_the_models(tmp_path: Path) -> None:
    """Without it there is no compiled SQL to run: a clear message, not a traceback or stale SQL."""
    script = load_script()
    with pytest.raises(SystemExit, match="the pipeline's transform did not build its models"):
        script.models(Settings(workspace=tmp_path))


def test_a_log_too_small_to_learn_from_is_refused(tmp_path: Path) -> None:
    command = [sys.executable, str(SCRIPT), "--sizes", "500", "--workspace", str(tmp_path)]
    done = subprocess.run([*command, "--out", str(tmp_path)], capture_output=True, text=True, check=False)
    assert done.returncode == 2
    assert "--sizes 500 is too small: use at least 10000 events" in done.stderr
    assert not list(tmp_path.iterdir())
