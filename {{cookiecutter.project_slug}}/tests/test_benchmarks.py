"""`make bench` on a tiny log: every variant measured, the results files written, and a fair baseline."""

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from {{ cookiecutter.module_name }}.resources import duckdb_memory_limit_mb
from {{ cookiecutter.module_name }}.settings import Settings
from {{ cookiecutter.module_name }}.training_set import COLUMNS, KEY
from {{ cookiecutter.module_name }}.warehouse import load_training_set

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
def test_every_stage_of_every_variant_is_measured(bench: Path) -> None:
    results = json.loads((bench / "results.json").read_text())
    [run] = results["sizes"]
    assert run["size"] == SIZE
    assert 0.9 * SIZE < run["events"] < 1.1 * SIZE
    assert run["log_bytes"] > 0
    expected = {
        "floor": ["scan", "copy", "models"],
        "pipeline": ["transform", "gate", "train", "evaluate", "package"],
        "baseline": ["transform"],
    }
    for variant, stages in expected.items():
        assert list(run[variant]) == stages
        for measurement in run[variant].values():
            assert measurement["seconds"] > 0, measurement
            assert measurement["peak_rss_bytes"] > 10 * 2**20, measurement
    assert run["floor"]["copy"]["rows"] == run["floor"]["scan"]["rows"] == run["events"]
    assert not list((bench / "workspace").rglob("copy.duckdb*")), "the floor's copy was left on disk"
    # The models without dbt build the same training set as the pipeline's transform, which the gate reads.
    assert run["floor"]["models"]["rows"] == run["pipeline"]["gate"]["rows"] > 0
    models_floor = bench / "workspace" / f"n{SIZE}" / "handoff" / "models"
    assert not models_floor.exists(), "the floor's models were left on disk"
    inside = run["pipeline"]["transform"]["dbt"]
    assert set(inside["model_seconds"]) == {"stg_events", "sessions", "session_features", "training_set"}
    assert inside["tests"] > 0
    assert 0 < inside["dbt_run_seconds"] < run["pipeline"]["transform"]["seconds"]
    assert results["machine"]["cpus"] >= 1
    assert results["machine"]["step_memory_mb"] == STEP_MEMORY_MB
    assert results["machine"]["duckdb_memory_limit_mb"] == duckdb_memory_limit_mb(STEP_MEMORY_MB)


@pytest.mark.slow
def test_the_table_and_the_plot_are_written(bench: Path) -> None:
    events = json.loads((bench / "results.json").read_text())["sizes"][0]["events"]
    table = (bench / "results.md").read_text()
    assert "## Stages" in table
    assert "## Ratios" in table
    assert "## Inside the transform" in table
    assert f"DuckDB's memory limit is {duckdb_memory_limit_mb(STEP_MEMORY_MB):,} MB" in table
    assert f"| {events:,} | pipeline | **total** |" in table
    assert f"| {events:,} | floor | copy |" in table
    assert f"| {events:,} | floor | models |" in table
    assert (bench / "results.png").read_bytes().startswith(b"\x89PNG")


@pytest.mark.slow
def test_the_pandas_baseline_builds_the_same_training_set_as_dbt(bench: Path) -> None:
    """Otherwise the comparison would be between two different computations."""
    script = load_script()
    settings = Settings(workspace=bench / "workspace" / f"n{SIZE}")

    def comparable(frame: pd.DataFrame) -> pd.DataFrame:
        return frame[list(COLUMNS)].sort_values(KEY).reset_index(drop=True)

    ours = comparable(script.pandas_training_set(settings))
    pd.testing.assert_frame_equal(ours, comparable(load_training_set(settings)), check_dtype=False)


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
        script.run_models(Settings(workspace=tmp_path))


def test_a_log_too_small_to_learn_from_is_refused(tmp_path: Path) -> None:
    command = [sys.executable, str(SCRIPT), "--sizes", "500", "--workspace", str(tmp_path)]
    done = subprocess.run([*command, "--out", str(tmp_path)], capture_output=True, text=True, check=False)
    assert done.returncode == 2
    assert "--sizes 500 is too small: use at least 10000 events" in done.stderr
    assert not list(tmp_path.iterdir())
