"""``make bench``: each stage of the pipeline, and three floors beside it, timed on logs of several sizes.

For each size, a synthetic log of about that many events is written into a workspace of its own,
``benchmarks/workspace/n<size>/`` (never ``data/``). Each stage then runs on it in a fresh Python process,
which reports its wall and CPU seconds and its peak memory, so no measurement's peak hides in another's. The
floors, on the same log, are what the transform is measured against: one DuckDB scan reading every column; one
copy of the log into a DuckDB table; and the models' SQL, as dbt compiled it, run by DuckDB alone (no dbt, no
tests). Every figure goes to ``benchmarks/results.json``; time and memory against events to ``results.png``.

    python benchmarks/pipeline.py --sizes 100000 1000000
"""

import argparse
import json
import os
import pickle
import platform
import resource
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING, Any

from {{ cookiecutter.module_name }}.pipeline import (
    begin_run,
    build_tables,
    check_quality,
    evaluate_model,
    package_model,
    train_model,
)
from {{ cookiecutter.module_name }}.resources import duckdb_memory_limit_mb
from {{ cookiecutter.module_name }}.runs import Run
from {{ cookiecutter.module_name }}.settings import Settings

if TYPE_CHECKING:
    import duckdb

BENCH_DIR = Path(__file__).resolve().parent
SIZES = (100_000, 1_000_000, 10_000_000)
MIN_EVENTS = 10_000  # fewer, and some split has too few sessions to learn from
Measurement = dict[str, Any]


# The stages, each run alone in a fresh process. They return the rows they produced, when that says something,
# and hand their results on through files in the workspace, as an orchestrator's steps do.


def transform(settings: Settings) -> None:
    """Rebuild from the log alone, as a first run or a fresh container does, so that every run measures the
    same work: no earlier warehouse, no saved parse of the dbt project, no earlier SQL for the floor."""
    settings.warehouse_path.unlink(missing_ok=True)
    for name in ("partial_parse.msgpack", "run_results.json"):
        (settings.dbt_target_dir / name).unlink(missing_ok=True)
    build_tables(settings)


def gate(settings: Settings) -> int:
    """Begin the run whose folder the later stages write into, then check the training set."""
    run = begin_run(settings)
    (_handoff(settings) / "run.txt").write_text(str(run.dir))
    return check_quality(settings, run).rows


def train(settings: Settings) -> int:
    model = train_model(settings)
    (_handoff(settings) / "model.pickle").write_bytes(pickle.dumps(model))
    return model.rows


def evaluate(settings: Settings) -> int:
    model, run = _model_and_run(settings)
    evaluation = evaluate_model(model, settings, run)
    (_handoff(settings) / "metrics.json").write_text(json.dumps(evaluation.metrics))
    return int(evaluation.metrics["holdout_sessions"])


def package(settings: Settings) -> None:
    model, run = _model_and_run(settings)
    package_model(model, json.loads((_handoff(settings) / "metrics.json").read_text()), settings, run)


def _handoff(settings: Settings) -> Path:
    """Where a stage leaves what the next ones read."""
    (settings.workspace / "handoff").mkdir(parents=True, exist_ok=True)
    return settings.workspace / "handoff"


def _model_and_run(settings: Settings) -> tuple[Any, Run]:
    # Only ever the model this benchmark's train stage wrote into its own workspace.
    model = pickle.loads((_handoff(settings) / "model.pickle").read_bytes())  # noqa: S301
    return model, Run(Path((_handoff(settings) / "run.txt").read_text()))


# The floors.


def scan(settings: Settings) -> int:
    """Decode every value of every column once, with the engine dbt uses; returns the events."""
    import duckdb

    with duckdb.connect() as database:
        _open_log(database, settings)
        row = database.execute("select count(*), sum(hash(columns(*))) from log").fetchone()
    return int(row[0]) if row else 0


def copy(settings: Settings) -> int:
    """Store the events once, unchanged, in a new DuckDB table (dbt's staging model also deduplicates and
    types them); returns the events."""
    with _scratch_database(settings, "copy", "copy.duckdb") as database:
        _open_log(database, settings)
        row = database.execute("create table events as select * from log").fetchone()
    return int(row[0]) if row else 0  # DuckDB answers with the rows it wrote


def models(settings: Settings) -> int:
    """The engine's share of the transform: the models' SQL, as dbt compiled it in the transform stage, run
    by DuckDB alone; returns the rows of the last model (the training set)."""
    run_results = settings.dbt_target_dir / "run_results.json"
    results = json.loads(run_results.read_text())["results"] if run_results.exists() else []
    # dbt starts a model once the models it reads are built: the order they finished in is one that works.
    built = [node for node in results if node["unique_id"].startswith("model.")]
    if not built or any(node["status"] != "success" for node in built):
        raise SystemExit("the pipeline's transform did not build its models, so there is no SQL to run alone")
    manifest = json.loads((settings.dbt_target_dir / "manifest.json").read_text())["nodes"]
    # The warehouse's file name, so that the names dbt compiled ("warehouse"."main"."sessions") resolve.
    with _scratch_database(settings, "models", settings.warehouse_path.name) as database:
        for node in built:
            kind = "view" if manifest[node["unique_id"]]["config"]["materialized"] == "view" else "table"
            create = f"create {kind} {node['relation_name']} as {node['compiled_code']}"
            row = database.execute(create).fetchone()
    # The training set is built last, as a table: DuckDB answers with the rows it wrote.
    return int(row[0]) if row else 0


def _open_log(database: "duckdb.DuckDBPyConnection", settings: Settings) -> None:
    """The view ``log``: the log's files, read as dbt's source reads them (staging/_sources.yml)."""
    files = f"{settings.log_dir.as_posix()}/ingest_date=*/*.parquet"
    database.read_parquet(files, union_by_name=True, hive_partitioning=False).create_view("log")


@contextmanager
def _scratch_database(settings: Settings, folder: str, name: str) -> "Iterator[duckdb.DuckDBPyConnection]":
    """A new DuckDB file with the transform's memory limit, in a folder of its own, removed afterwards."""
    import duckdb

    scratch = _handoff(settings) / folder
    shutil.rmtree(scratch, ignore_errors=True)  # what a killed run left
    scratch.mkdir(parents=True)
    limit = f"{duckdb_memory_limit_mb(settings.memory_mb)}MB"
    try:
        with duckdb.connect(scratch / name, config={"memory_limit": limit}) as database:
            yield database
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


Stage = Callable[[Settings], int | None]
STAGES: dict[str, Stage] = {stage.__name__: stage for stage in (transform, gate, train, evaluate, package)}
FLOORS: dict[str, Stage] = {floor.__name__: floor for floor in (scan, copy, models)}


# Measuring: one fresh interpreter per stage, which times it and writes its figures for the parent.


def measured(stage: Callable[[], int | None]) -> Measurement:
    """Run ``stage`` in this process: wall and CPU seconds (all threads), the process's peak memory, rows."""
    start, before = time.perf_counter(), resource.getrusage(resource.RUSAGE_SELF)
    rows = stage()
    seconds = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "seconds": seconds,
        "cpu_seconds": usage.ru_utime + usage.ru_stime - before.ru_utime - before.ru_stime,
        "peak_rss_bytes": peak_rss_bytes(),
    } | ({"rows": rows} if rows is not None else {})


def peak_rss_bytes() -> int:
    """This process's peak memory; on Linux from /proc, as getrusage there counts the parent's at the fork."""
    if sys.platform == "darwin":
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # in bytes there
    return int(Path("/proc/self/status").read_text().split("VmHWM:")[1].split()[0]) * 1024  # in kB


def in_fresh_process(stage: str, settings: Settings) -> Measurement:
    """Run one stage in a new interpreter: its figures, or why it failed."""
    result = _handoff(settings) / "measurement.json"
    result.unlink(missing_ok=True)
    command = [sys.executable, __file__, "--stage", stage, "--workspace", str(settings.workspace)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode == -9:  # SIGKILL, as the kernel's out-of-memory killer sends
        return {"failed": "killed (out of memory?)"}
    if done.returncode != 0 or not result.exists():
        return {"failed": (done.stderr.strip().splitlines() or [f"exit status {done.returncode}"])[-1]}
    measurement: Measurement = json.loads(result.read_text())
    return measurement


def bench_size(size: int, workspace: Path) -> dict[str, Any]:
    """Each stage, and the floors right after the transform, on the size's log. Once a stage fails, the stages
    after it are skipped. The floors read the log the transform read (publishing can record predictions in it
    later, with serving=none) and run the SQL it compiled."""
    # Imported here, in the parent only: each stage's process loads only what its stage needs.
    import pyarrow.parquet as pq

    from {{ cookiecutter.module_name }}.log.events import log_files
    from {{ cookiecutter.module_name }}.log.sample import write_sample

    settings = Settings(workspace=workspace)
    if len(log_files(settings)) < settings.sample_days:  # else reuse it: generation is deterministic
        write_sample(size, settings, progress=False)
    files = log_files(settings)
    events = sum(pq.read_metadata(path).num_rows for path in files)
    result: dict[str, Any] = {
        "size": size,
        "events": events,
        "log_bytes": sum(path.stat().st_size for path in files),
        "workspace": str(workspace),
        "stages": {},
        "floors": {},
    }
    first, *later = STAGES  # the transform, then the floors, then the other stages
    for name in [first, *FLOORS, *later]:
        group = result["stages"] if name in STAGES else result["floors"]
        if name in STAGES and any("failed" in earlier for earlier in group.values()):
            group[name] = {"failed": "skipped: an earlier stage failed"}
        else:
            group[name] = in_fresh_process(name, settings)
        print(f"{events:>13,} events  {name:<10} {describe(group[name], events)}", flush=True)
    return result


def describe(m: Measurement, events: int) -> str:
    if "failed" in m:
        return f"failed: {m['failed']}"
    return (
        f"{m['seconds']:8.2f} s {m['cpu_seconds']:8.2f} CPU s {events / m['seconds']:>12,.0f} events/s "
        f"{m['peak_rss_bytes'] / 2**20:>7,.0f} MiB peak"
    )


def plot(results: dict[str, Any], path: Path) -> None:
    """Time and peak memory against events, log-log: one line per stage and per floor."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = results["sizes"]
    figure, axes = plt.subplots(1, 2, figsize=(11, 4.5))
    for ax, key, label, unit in zip(
        axes, ("seconds", "peak_rss_bytes"), ("seconds", "peak RSS (MiB)"), (1, 2**20), strict=True
    ):
        for group, prefix in (("stages", ""), ("floors", "floor: ")):
            for name in sizes[-1][group]:
                points = [(r["events"], r[group][name][key] / unit) for r in sizes if key in r[group][name]]
                if points:
                    ax.plot(*zip(*points, strict=True), marker="o", label=prefix + name)
        ax.set(xscale="log", yscale="log", xlabel="events in the log", ylabel=label)
        ax.grid(True, which="both", alpha=0.3)
    axes[0].legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)


def machine(settings: Settings) -> dict[str, Any]:
    """What the figures were measured on, and how much memory the stages were allowed."""
    return {
        "cpus": os.cpu_count(),
        "memory_bytes": os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"),
        "system": platform.platform(),
        "python": platform.python_version(),
        # Other work on the machine slows every figure: compare runs made under similar loads.
        "load_average_1min": os.getloadavg()[0],
        # DuckDB spills to disk past its limit: less memory costs time, not a failure.
        "step_memory_mb": settings.memory_mb,
        "duckdb_memory_limit_mb": duckdb_memory_limit_mb(settings.memory_mb),
        **{package: version(package) for package in ("duckdb", "dbt-core")},
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES), help="events per log")
    parser.add_argument("--workspace", type=Path, default=BENCH_DIR / "workspace", help="where logs go")
    parser.add_argument("--out", type=Path, default=BENCH_DIR, help="where results.json and .png go")
    parser.add_argument("--stage", choices=[*STAGES, *FLOORS], help=argparse.SUPPRESS)  # in_fresh_process's
    args = parser.parse_args(argv)
    if args.stage:
        settings = Settings(workspace=args.workspace)
        figures = measured(lambda: (STAGES | FLOORS)[args.stage](settings))
        (_handoff(settings) / "measurement.json").write_text(json.dumps(figures))
        return
    if min(args.sizes) < MIN_EVENTS:
        parser.error(f"--sizes {min(args.sizes)} is too small: use at least {MIN_EVENTS} events")

    args.out.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {"machine": machine(Settings(workspace=args.workspace)), "sizes": []}
    for size in sorted(args.sizes):
        results["sizes"].append(bench_size(size, args.workspace.resolve() / f"n{size}"))
        (args.out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
        plot(results, args.out / "results.png")
    print(f"written: {args.out / 'results.json'} and {args.out / 'results.png'}")


if __name__ == "__main__":
    main()
