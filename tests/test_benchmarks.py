"""The template's `make bench` (benchmarks/run.py): the pandas baseline computes dbt's training set, and the
report judges the targets.

The slow tests bake and set up the default project and run the whole benchmark on a tiny log (about a minute);
the others check the comparison and the report on figures made up here.
"""

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from .conftest import TEMPLATE, run

BENCH_DIR = TEMPLATE / "benchmarks"
SIZE = 20_000

# Run by the baked project's Python, in its folder: the baseline's training set against dbt's, frame to frame,
# then the fingerprints of dbt's and of a copy with one count and one price changed.
COMPARE = """
import json, sys
import pandas as pd
sys.path.insert(0, sys.argv[1])
from baseline import fingerprint, pandas_training_set
from purchase_intent.settings import Settings
from purchase_intent.training_set import COLUMNS, CONTRACT, KEY
from purchase_intent.warehouse.read import load_training_set

settings = Settings(workspace=sys.argv[2])
ours, dbt = pandas_training_set(settings, "purchase_intent"), load_training_set(settings)
comparable = lambda frame: frame[list(COLUMNS)].sort_values(KEY).reset_index(drop=True)
pd.testing.assert_frame_equal(comparable(ours), comparable(dbt), check_dtype=False)
changed = dbt.copy()
changed.loc[0, "n_pageviews"] += 1
changed.loc[1, "mean_price_viewed"] += 0.01
print(json.dumps([fingerprint(dbt, CONTRACT), fingerprint(changed, CONTRACT)]))
"""


def load_run() -> ModuleType:
    """benchmarks/run.py as a module: it is a script."""
    spec = importlib.util.spec_from_file_location("bench_run", BENCH_DIR / "run.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# Session-scoped: pytest-xdist may run other files' tests between the two below, ending module fixtures.
@pytest.fixture(scope="session")
def bench(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding the benchmark's scratch bake (scratch/purchase-intent) and its report (out/)."""
    folder = tmp_path_factory.mktemp("template-bench")
    command = [sys.executable, str(BENCH_DIR / "run.py"), "--sizes", str(SIZE)]
    run([*command, "--scratch", str(folder / "scratch"), "--out", str(folder / "out")], cwd=TEMPLATE)
    return folder


@pytest.mark.slow
@pytest.mark.xdist_group("template-bench")
def test_the_pandas_baseline_builds_the_same_training_set_as_dbt(bench: Path) -> None:
    """Otherwise the comparison would be between two different computations."""
    results = json.loads((bench / "out" / "results.json").read_text())
    [size] = results["sizes"]
    assert size["differences"] == []
    assert size["training_sets"]["pandas"]["rows"] == size["floors"]["models"]["rows"] > 0
    project = bench / "scratch" / "purchase-intent"
    python = str(project / ".venv" / "bin" / "python")
    output = run([python, "-c", COMPARE, str(BENCH_DIR), size["workspace"]], cwd=project)
    unchanged, changed = json.loads(output.strip().splitlines()[-1])
    # The fingerprints see a change of one value, in a count and in a price.
    assert load_run().differences(changed, unchanged) == ["mean_price_viewed", "n_pageviews"]


@pytest.mark.slow
@pytest.mark.xdist_group("template-bench")
def test_the_report_is_written_from_the_projects_own_bench(bench: Path) -> None:
    results = json.loads((bench / "out" / "results.json").read_text())
    [size] = results["sizes"]
    assert size["size"] == SIZE
    assert list(size["stages"]) == ["transform", "gate", "train", "evaluate", "package"]
    assert list(size["floors"]) == ["scan", "copy", "models"]
    assert size["baseline"]["seconds"] > 0 and size["baseline"]["peak_rss_bytes"] > 10 * 2**20
    assert size["dbt"]["tests"] > 0
    assert results["serving"]["warm_p50_ms"] > 0  # the default bake serves on AWS Lambda
    report = (bench / "out" / "results.md").read_text()
    for section in ("## Stages", "## Ratios", "## Inside the transform", "## Against the targets"):
        assert section in report
    assert f"| {size['events']:,} | baseline | transform (pandas) |" in report
    assert "| the transform's speed-up over pandas | at least 5x |" in report
    figures = (bench / "out" / "readme-figures.md").read_text()
    assert f"| 20,000 events ({size['events']:,}) | wall s | CPU s | peak RSS |" in figures
    assert (bench / "out" / "pipeline.png").read_bytes().startswith(b"\x89PNG")
    # The project's own results stay in the project.
    assert (bench / "scratch" / "purchase-intent" / "benchmarks" / "results.json").exists()


def measurement(seconds: float, peak_mib: float) -> dict[str, float]:
    return {"seconds": seconds, "cpu_seconds": seconds * 1.5, "peak_rss_bytes": peak_mib * 2**20}


def made_up_size(size: int, scale: float, baseline: dict[str, Any]) -> dict[str, Any]:
    """One size's figures as run.py holds them, the pipeline's stages taking ``scale`` seconds each."""
    stages = {name: measurement(scale, 300 * scale) for name in ("transform", "gate", "train", "evaluate")}
    stages["package"] = measurement(scale, 200)
    fingerprint = {"rows": size // 7, "columns": {"n_pageviews": {"missing": 0, "sha256": "ab"}}}
    return {
        "size": size,
        "events": size + 1234,
        "stages": stages,
        "floors": {name: measurement(scale / 10, 100) for name in ("scan", "copy", "models")},
        "pipeline": load_run().pipeline_total({"stages": stages}),
        "baseline": baseline,
        "pandas": "3.0",
        "dbt": {
            "run_seconds": scale / 2,
            "model_seconds": {"stg_events": 0.5},
            "tests": 9,
            "test_seconds": 2.0,
        },
        "training_sets": {"pandas": fingerprint, "dbt": fingerprint},
        "differences": [] if "seconds" in baseline else None,
    }


def made_up_results() -> dict[str, Any]:
    machine = {
        "cpus": 2,
        "cpu_model": "a CPU",
        "memory_bytes": 24 * 2**30,
        "system": "Linux",
        "python": "3.11",
        "load_average_1min": 1.0,
        "step_memory_mb": 16_000,
        "duckdb_memory_limit_mb": 8_000,
        "duckdb": "1",
        "dbt-core": "1",
        "template_commit": "abc1234",
    }
    sizes = [
        made_up_size(1_000_000, 2.0, measurement(4.0, 900)),
        made_up_size(10_000_000, 10.0, measurement(30.0, 6000)),
        made_up_size(100_000_000, 100.0, {"failed": "out of memory"}),
    ]
    return {"machine": machine, "sizes": sizes}


def test_the_targets_are_judged_at_ten_million_events() -> None:
    bench = load_run()
    results = made_up_results()
    found = {target.what: target for target in bench.targets(results)}

    assert found["the whole pipeline's time"].measured == "50 s" and found["the whole pipeline's time"].met
    assert found["the quality gate's share of the pipeline's time"].measured == "20.0%"
    assert not found["the quality gate's share of the pipeline's time"].met
    assert found["the transform's speed-up over pandas"].measured == "3.00x"
    assert not found["the transform's speed-up over pandas"].met
    assert found["the transform's peak memory against pandas'"].measured == "0.50x"
    assert not found["the transform's peak memory against pandas'"].met
    assert found["the pipeline's time for 10x the events"].met  # 50 s against 10 s: sub-linear
    assert found["the pipeline completes at every size measured"].met


def test_the_report_shows_failures_and_differences_without_breaking() -> None:
    bench = load_run()
    results = made_up_results()
    results["sizes"][0]["differences"] = ["n_pageviews"]
    found = bench.targets(results)

    report = bench.markdown(results, found)
    figures = bench.readme_figures(results, found)

    assert "| 100,001,234 | baseline | transform (pandas) | out of memory | | | | |" in report
    assert "**no**: n_pageviews" in report
    assert "n/a (no baseline)" in report
    assert "| 10^7 events (10,001,234) | wall s | CPU s | peak RSS |" in figures
    assert "- **Not met**: the transform's speed-up over pandas: 3.00x (target: at least 5x)." in figures


def test_fingerprints_differ_by_column_and_forgive_the_order_of_additions() -> None:
    bench = load_run()
    ours = {
        "rows": 10,
        "columns": {
            "label": {"missing": 0, "sha256": "aa"},
            "mean_price_viewed": {"missing": 0, "sum": 1234.5678, "min": 1.0, "max": 99.0},
        },
    }
    summed_otherwise = json.loads(json.dumps(ours))
    summed_otherwise["columns"]["mean_price_viewed"]["sum"] = 1234.5678 * (1 + 1e-13)
    assert bench.differences(ours, summed_otherwise) == []

    other = json.loads(json.dumps(summed_otherwise))
    other["rows"] = 11
    other["columns"]["label"]["sha256"] = "bb"
    other["columns"]["mean_price_viewed"]["missing"] = 1
    assert bench.differences(ours, other) == ["rows (10 against 11)", "label", "mean_price_viewed"]
