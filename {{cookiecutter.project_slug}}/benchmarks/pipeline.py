"""``make bench``: the pipeline's stages against three floors and a pandas baseline, at several log sizes.

For each size, a synthetic log of about that many events is generated into its own bench workspace
(``benchmarks/workspace/n<size>/``, never ``data/``), then three variants run on that same log:

- pipeline: the real stages (transform with dbt, quality gate, train, evaluate, package);
- floor: one DuckDB scan reading every column of the whole log, the cost of touching the data once; one
  plain copy of the log into a DuckDB table, the cost of storing the events once (dbt's staging model
  stores them too, deduplicated and typed); and the transform's models run by DuckDB alone, the SQL dbt
  compiled and nothing else (no dbt, no tests), the engine's share of the transform;
- baseline: the dbt models' session features and training set written in pandas, after loading the whole
  log into memory: what one writes without an embedded engine.

Every stage and variant runs in a fresh Python process that reports its own peak resident memory, so one
measurement's peak can never hide in another's. Results go to ``benchmarks/results.json``, ``results.md``
(with ratios) and ``results.png`` (time and memory against events, log-log), rewritten after each size.

    python benchmarks/pipeline.py --sizes 100000 1000000 10000000
"""

import argparse
import itertools
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
    import pandas as pd

    from {{ cookiecutter.module_name }}.train import TrainedModel

BENCH_DIR = Path(__file__).resolve().parent
DEFAULT_SIZES = (100_000, 1_000_000, 10_000_000)
# How a measurement that ran out of memory exits (a MemoryError under the baseline's cap).
OUT_OF_MEMORY = 3

Measurement = dict[str, Any]


# Stages. Each runs alone in a fresh process (see ``measure``) and returns the rows it produced, when that
# says something. Heavy libraries are imported inside them, so a process loads only what its stage needs.


def generate(settings: Settings, events: int) -> int:
    """The size's synthetic log, reused when an earlier run left it complete (generation is deterministic)."""
    from {{ cookiecutter.module_name }}.event_log import log_files
    from {{ cookiecutter.module_name }}.sample import write_sample

    if len(log_files(settings)) < settings.sample_days:
        write_sample(events, settings, progress=False)
    return len(log_files(settings))


def scan_log(settings: Settings) -> int:
    """The floor: decode every value of every column once, with the engine dbt uses; returns the events."""
    import duckdb

    with duckdb.connect() as database:
        _open_log(database, settings)
        row = database.execute("select count(*), sum(hash(columns(*))) from log").fetchone()
    return int(row[0]) if row else 0


def copy_log(settings: Settings) -> int:
    """What storing the events once costs, to compare with dbt's staging model: the log copied, unchanged,
    into a new DuckDB file with the transform's memory limit; returns the events."""
    with _scratch_database(settings, "copy", "copy.duckdb") as database:
        _open_log(database, settings)
        database.execute("create table events as select * from log")
        row = database.execute("select count(*) from events").fetchone()
    return int(row[0]) if row else 0


@contextmanager
def _scratch_database(
    settings: Settings, folder: str, file_name: str
) -> "Iterator[duckdb.DuckDBPyConnection]":
    """A new DuckDB file with the transform's memory limit, in a folder of its own under the workspace's
    handoff, removed afterwards. A folder left by a run that was killed goes first: every floor starts from
    nothing."""
    import duckdb

    scratch = settings.workspace / "handoff" / folder
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    memory_limit = f"{duckdb_memory_limit_mb(settings.memory_mb)}MB"
    try:
        with duckdb.connect(scratch / file_name, config={"memory_limit": memory_limit}) as database:
            yield database
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _open_log(database: "duckdb.DuckDBPyConnection", settings: Settings) -> None:
    """The view ``log``: the log's files, read as dbt's source reads them (staging/_sources.yml)."""
    files = f"{settings.log_dir.as_posix()}/ingest_date=*/*.parquet"
    database.read_parquet(files, union_by_name=True, hive_partitioning=False).create_view("log")


def transform(settings: Settings) -> None:
    """Rebuild from the log alone, as a first run or a fresh container does, so every run of the benchmark
    measures the same work. (A later run in the same workspace skips parsing the unchanged dbt project.)"""
    settings.warehouse_path.unlink(missing_ok=True)
    (settings.dbt_target_dir / "partial_parse.msgpack").unlink(missing_ok=True)
    # So that a failed build leaves no earlier build's SQL for the models' floor (run_models) to run.
    (settings.dbt_target_dir / "run_results.json").unlink(missing_ok=True)
    build_tables(settings)


def inside_the_transform(settings: Settings) -> dict[str, Any]:
    """Where the transform's time went, from the run results dbt wrote: its models, its tests, its slowest."""
    run = json.loads((settings.dbt_target_dir / "run_results.json").read_text())
    nodes = {node["unique_id"]: node["execution_time"] for node in run["results"]}
    models = {key.split(".")[-1]: seconds for key, seconds in nodes.items() if key.startswith("model.")}
    tests = [seconds for key, seconds in nodes.items() if key.startswith("test.")]
    return {
        "dbt_run_seconds": run["elapsed_time"],
        "model_seconds": models,
        "tests": len(tests),
        "test_seconds": sum(tests),
    }


def run_models(settings: Settings) -> int:
    """The engine's share of the transform: the models' SQL, as dbt compiled it in the pipeline's transform
    just before, run by DuckDB alone into a new file with the transform's memory limit; returns the rows of
    the last model (the training set)."""
    run_results = settings.dbt_target_dir / "run_results.json"
    results = json.loads(run_results.read_text())["results"] if run_results.exists() else []
    # dbt starts a model only once the models it reads are built, so the order they finished in is an order
    # they can be built in.
    models = [node for node in results if node["unique_id"].startswith("model.")]
    if not models or any(model["status"] != "success" for model in models):
        raise SystemExit("the pipeline's transform did not build its models, so there is no SQL to run alone")
    # The warehouse's file name, so the names dbt compiled ("warehouse"."main"."sessions") resolve.
    with _scratch_database(settings, "models", settings.warehouse_path.name) as database:
        for model in models:
            create = f"create table {model['relation_name']} as {model['compiled_code']}"
            rows = database.execute(create).fetchone()  # DuckDB answers with the rows it wrote
    return int(rows[0]) if rows else 0


def gate(settings: Settings) -> int:
    """Begin the run whose folder the later stages write into, as an orchestrator's first step does."""
    run = begin_run(settings)
    _run_path(settings).parent.mkdir(parents=True, exist_ok=True)
    _run_path(settings).write_text(str(run.dir))
    return check_quality(settings, run).rows


def train(settings: Settings) -> int:
    """Train, and hand the model to the next stages as an orchestrator does: pickled to disk."""
    model = train_model(settings)
    _model_path(settings).write_bytes(pickle.dumps(model))
    return model.rows


def evaluate(settings: Settings) -> int:
    evaluation = evaluate_model(_trained_model(settings), settings, _run(settings))
    _metrics_path(settings).write_text(json.dumps(evaluation.metrics))
    return int(evaluation.metrics["holdout_sessions"])


def package(settings: Settings) -> None:
    metrics = json.loads(_metrics_path(settings).read_text())
    package_model(_trained_model(settings), metrics, settings, _run(settings))


def _run_path(settings: Settings) -> Path:
    return settings.workspace / "handoff" / "run.txt"


def _run(settings: Settings) -> Run:
    return Run(Path(_run_path(settings).read_text()))


def _model_path(settings: Settings) -> Path:
    return settings.workspace / "handoff" / "model.pickle"


def _metrics_path(settings: Settings) -> Path:
    return settings.workspace / "handoff" / "metrics.json"


def _trained_model(settings: Settings) -> "TrainedModel":
    # Only ever the file this benchmark's train stage wrote into its own workspace.
    model: TrainedModel = pickle.loads(_model_path(settings).read_bytes())  # noqa: S301
    return model


def baseline(settings: Settings) -> int:
    return len(pandas_training_set(settings))


def pandas_training_set(settings: Settings) -> "pd.DataFrame":
    """The baseline: ``dbt/models`` (staging, sessions, session features, training set) in pandas.

    It computes only the columns the training set needs, while dbt also builds the whole sessions mart and
    runs every dbt test: the comparison favours pandas.
    """
    import pandas as pd

    from {{ cookiecutter.module_name }}.event_log import LOG_SCHEMA

    events = pd.read_parquet(settings.log_dir, columns=LOG_SCHEMA.names)
    # stg_events: clean the codes; a producer retry can log an event twice, the copy that arrived first wins.
    for column in ("event_type", "category"):
        events[column] = events[column].str.strip().str.lower()
    events = events.sort_values(["ingest_time", "batch_id"]).drop_duplicates("event_id")
    kind = events["event_type"]

    # sessions: whose, when, and when (if ever) the first purchase happened.
    sessions = (
        events.assign(purchase_time=events["event_time"].where(kind == "purchase"))
        .groupby("session_id")
        .agg(
            user_id=("user_id", "min"),
            session_start=("event_time", "min"),
            first_purchase_at=("purchase_time", "min"),
        )
    )

    # session_features: activity before the first purchase only, so the label cannot leak into features.
    first_purchase = events["session_id"].map(sessions["first_purchase_at"])
    before = events[first_purchase.isna() | (events["event_time"] < first_purchase)]
    before_kind = before["event_type"]
    activity = (
        before.assign(
            pageview=before_kind == "pageview",
            detail=before_kind == "detail",
            cart_add=before_kind == "add_to_cart",
            cart_remove=before_kind == "remove_from_cart",
            detail_price=before["price"].where(before_kind == "detail"),
            second=before["event_time"].dt.floor("s"),
        )
        .groupby("session_id")
        .agg(
            n_pageviews=("pageview", "sum"),
            n_detail_views=("detail", "sum"),
            n_cart_adds=("cart_add", "sum"),
            n_cart_removes=("cart_remove", "sum"),
            n_distinct_products=("product_id", "nunique"),
            n_distinct_categories=("category", "nunique"),
            first_second=("second", "min"),
            last_second=("second", "max"),
            mean_price_viewed=("detail_price", "mean"),
            max_price_viewed=("detail_price", "max"),
        )
    )
    elapsed = activity["last_second"] - activity["first_second"]
    activity["session_seconds"] = elapsed.dt.total_seconds().astype(int)
    activity = activity.drop(columns=["first_second", "last_second"])
    frame = sessions.join(activity).fillna(dict.fromkeys(activity.columns, 0))
    frame["net_cart_items"] = frame["n_cart_adds"] - frame["n_cart_removes"]

    # History: the user's earlier sessions, and the purchases they made before this session started.
    frame["prior_sessions"] = frame.groupby("user_id")["session_start"].rank(method="min").astype(int) - 1
    purchases = events.loc[kind == "purchase", ["user_id", "event_time"]].sort_values("event_time")
    purchases["purchases_so_far"] = purchases.groupby("user_id").cumcount() + 1
    prior = pd.merge_asof(
        frame[["user_id", "session_start"]].reset_index().sort_values("session_start"),
        purchases,
        left_on="session_start",
        right_on="event_time",
        by="user_id",
        allow_exact_matches=False,
    ).set_index("session_id")
    frame["prior_purchases"] = prior["purchases_so_far"].fillna(0).astype(int)
    frame["is_evening"] = frame["session_start"].dt.hour.between(18, 22).astype(int)
    frame["is_weekend"] = frame["session_start"].dt.day_of_week.isin([5, 6]).astype(int)

    # training_set: the label, and the split by session start with the cutoffs from Settings.
    frame["label"] = frame["first_purchase_at"].notna().astype(int)
    start = frame["session_start"]
    frame["split"] = "test"
    frame.loc[start < pd.Timestamp(settings.validation_cutoff), "split"] = "validation"
    frame.loc[start < pd.Timestamp(settings.train_cutoff), "split"] = "train"
    return frame.drop(columns="first_purchase_at").reset_index()


# Every measurement, by "variant/stage"; a variant's stages run in this order.
STAGES: dict[str, Callable[[Settings], int | None]] = {
    "floor/scan": scan_log,
    "floor/copy": copy_log,
    "pipeline/transform": transform,
    "floor/models": run_models,  # runs the SQL the pipeline's transform compiled
    "pipeline/gate": gate,
    "pipeline/train": train,
    "pipeline/evaluate": evaluate,
    "pipeline/package": package,
    "baseline/transform": baseline,
}
VARIANTS = ("floor", "pipeline", "baseline")


# The parent: one fresh process per measurement, then the results files.


def measure_in_child(stage: str, workspace: Path, events: int, memory_cap: int | None = None) -> Measurement:
    """Run one stage in a fresh interpreter; its time and peak memory, or why it failed."""
    result_path = workspace / "handoff" / "measurement.json"
    result_path.parent.mkdir(parents=True, exist_ok=True)
    result_path.unlink(missing_ok=True)
    command = [sys.executable, __file__, "--measure", stage, "--workspace", str(workspace)]
    command += ["--events", str(events), "--result", str(result_path)]
    if memory_cap:
        command += ["--memory-cap", str(memory_cap)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode in (OUT_OF_MEMORY, -9):  # -9: SIGKILL, the kernel's OOM killer
        return {"failed": "out of memory"}
    if done.returncode != 0 or not result_path.exists():
        last_line = (done.stderr.strip().splitlines() or [f"exit status {done.returncode}"])[-1]
        return {"failed": last_line}
    measurement: Measurement = json.loads(result_path.read_text())
    return measurement


def measure(stage: str, settings: Settings, events: int, result_path: Path, memory_cap: int | None) -> None:
    """In the child: run the stage, then write its seconds, CPU time, rows, and this process's peak memory."""
    if memory_cap:
        # A cap on the address space turns running out of memory into a MemoryError we can report, instead
        # of swapping or the kernel killing processes that are not ours.
        resource.setrlimit(resource.RLIMIT_AS, (memory_cap, memory_cap))
    start, before = time.perf_counter(), resource.getrusage(resource.RUSAGE_SELF)
    try:
        rows = generate(settings, events) if stage == "generate" else STAGES[stage](settings)
    except MemoryError:
        sys.exit(OUT_OF_MEMORY)
    seconds = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_SELF)
    measurement = {
        "seconds": seconds,
        # Time on a CPU, every thread's: unlike seconds, barely changed by other work on the machine.
        "cpu_seconds": usage.ru_utime + usage.ru_stime - before.ru_utime - before.ru_stime,
        "peak_rss_bytes": usage.ru_maxrss * (1 if sys.platform == "darwin" else 1024),  # Linux counts KiB
    }
    result_path.write_text(json.dumps(measurement | ({"rows": rows} if rows is not None else {})))


def bench_size(size: int, workspace: Path, memory_cap: int) -> dict[str, Any]:
    """Every variant on one log of about ``size`` events."""
    settings = Settings(workspace=workspace)
    generated = measure_in_child("generate", workspace, size)
    if "failed" in generated:
        raise SystemExit(f"generating the {size:,}-event log failed: {generated['failed']}")
    log_bytes = sum(path.stat().st_size for path in settings.log_dir.glob("ingest_date=*/*.parquet"))
    result: dict[str, Any] = {
        "size": size,
        "events": size,  # until the floor has counted them
        "workspace": str(workspace),
        "log_bytes": log_bytes,
        "generate": generated,
        **{variant: {} for variant in VARIANTS},
    }
    for key in STAGES:
        variant, stage = key.split("/")
        if any("failed" in earlier for earlier in result[variant].values()):
            measurement: Measurement = {"failed": "skipped: an earlier stage failed"}
        else:
            cap = memory_cap if variant == "baseline" else None
            measurement = measure_in_child(key, workspace, size, cap)
        if key == "floor/scan" and "rows" in measurement:
            result["events"] = measurement["rows"]
        if key == "pipeline/transform" and "failed" not in measurement:
            measurement["dbt"] = inside_the_transform(settings)
        result[variant][stage] = measurement
        print(
            f"{result['events']:>13,} events  {key:<20} {describe(measurement, result['events'])}", flush=True
        )
    return result


def describe(measurement: Measurement, events: int) -> str:
    if "failed" in measurement:
        return f"failed: {measurement['failed']}"
    seconds, peak = measurement["seconds"], measurement["peak_rss_bytes"]
    return (
        f"{seconds:9.2f} s {events / seconds:>13,.0f} events/s {peak / 2**20:>9,.0f} MiB peak RSS "
        f"{measurement['cpu_seconds']:9.2f} CPU s"
    )


def machine(settings: Settings) -> dict[str, Any]:
    """What the figures were measured on, and with how much memory the steps were allowed."""
    from importlib.metadata import version

    cpuinfo = Path("/proc/cpuinfo")
    lines = cpuinfo.read_text().splitlines() if cpuinfo.exists() else []
    models = [line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")]
    return {
        "cpus": os.cpu_count(),
        "cpu_model": next(iter(models), platform.processor()),
        "memory_bytes": os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"),
        "system": platform.platform(),
        "python": platform.python_version(),
        # Other work on the machine slows every figure: compare runs made under similar loads.
        "load_average_1min": os.getloadavg()[0],
        # DuckDB spills to disk past its limit, half the step's memory: less memory costs time, not a failure.
        "step_memory_mb": settings.memory_mb,
        "duckdb_memory_limit_mb": duckdb_memory_limit_mb(settings.memory_mb),
        **{package: version(package) for package in ("duckdb", "dbt-core", "pandas", "scikit-learn")},
    }


# The results files.


def pipeline_total(result: dict[str, Any]) -> Measurement:
    """The whole pipeline: the stages' seconds added up, the highest of their peaks."""
    stages = result["pipeline"].values()
    if any("failed" in stage for stage in stages):
        return {"failed": "a stage failed"}
    return {
        "seconds": sum(stage["seconds"] for stage in stages),
        "cpu_seconds": sum(stage["cpu_seconds"] for stage in stages),
        "peak_rss_bytes": max(stage["peak_rss_bytes"] for stage in stages),
    }


def ratio(numerator: Measurement, denominator: Measurement, key: str) -> str:
    if "failed" in numerator or "failed" in denominator:
        return "n/a"
    return f"{numerator[key] / denominator[key]:.2f}x"


def seconds_or_na(measurement: Measurement) -> str:
    return "n/a" if "failed" in measurement else f"{measurement['seconds']:.2f}"


def mib(measurement: Measurement) -> str:
    return "failed" if "failed" in measurement else f"{measurement['peak_rss_bytes'] / 2**20:,.0f}"


def markdown(results: dict[str, Any]) -> str:
    """The figures as tables, with the ratios the benchmark exists for."""
    host = results["machine"]
    lines = [
        "# Pipeline benchmark",
        "",
        f"{host['cpus']} CPUs ({host['cpu_model']}), {host['memory_bytes'] / 2**30:.0f} GiB memory, "
        f"{host['system']}; Python {host['python']}, DuckDB {host['duckdb']}, dbt-core {host['dbt-core']}, "
        f"pandas {host['pandas']}, scikit-learn {host['scikit-learn']}; "
        f"load average {host['load_average_1min']:.1f} at the start. Each figure is from a fresh process.",
        f"The steps declare {host['step_memory_mb']:,} MB (Settings.memory_mb), so DuckDB's memory limit is "
        f"{host['duckdb_memory_limit_mb']:,} MB.",
        "",
        "## Stages",
        "",
        "| events | variant | stage | seconds | events/s | peak RSS (MiB) | time vs scan | CPU seconds |",
        "|---:|---|---|---:|---:|---:|---:|---:|",
    ]
    for result in results["sizes"]:
        events, floor = result["events"], result["floor"]["scan"]
        rows = [(variant, stage, m) for variant in VARIANTS for stage, m in result[variant].items()]
        for variant, stage, m in [*rows, ("pipeline", "**total**", pipeline_total(result))]:
            if "failed" in m:
                lines.append(f"| {events:,} | {variant} | {stage} | {m['failed']} | | | | |")
                continue
            lines.append(
                f"| {events:,} | {variant} | {stage} | {m['seconds']:.2f} | {events / m['seconds']:,.0f} "
                f"| {mib(m)} | {ratio(m, floor, 'seconds')} | {m['cpu_seconds']:.1f} |"
            )
    lines += [
        "",
        "## Ratios",
        "",
        "Transform speed-up: the pandas baseline's time over dbt's (wall clock, and CPU time summed over",
        "threads). Memory: dbt's peak over the baseline's.",
        "",
        "| events | transform speed-up vs pandas | same, CPU time | transform memory vs pandas "
        "| pipeline seconds | pipeline peak RSS (MiB) | pipeline vs scan | gate share of pipeline |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for result in results["sizes"]:
        dbt, pandas_ = result["pipeline"]["transform"], result["baseline"]["transform"]
        total, floor = pipeline_total(result), result["floor"]["scan"]
        gate_share = (
            "n/a" if "failed" in total else f"{result['pipeline']['gate']['seconds'] / total['seconds']:.1%}"
        )
        seconds = "failed" if "failed" in total else f"{total['seconds']:.1f}"
        lines.append(
            f"| {result['events']:,} | {ratio(pandas_, dbt, 'seconds')} "
            f"| {ratio(pandas_, dbt, 'cpu_seconds')} | {ratio(dbt, pandas_, 'peak_rss_bytes')} "
            f"| {seconds} | {mib(total)} "
            f"| {ratio(total, floor, 'seconds')} | {gate_share} |"
        )
    lines += [
        "",
        "## Inside the transform",
        "",
        "From dbt's run results: the seconds dbt spent running nodes (the rest of the stage is starting dbt",
        "and parsing the project), and each kind of node's seconds added up (dbt runs nodes side by side).",
        "Beside them, two floors timed as whole stages in fresh processes: the plain copy of the log into a",
        "table, to compare with stg_events, which also deduplicates and types the events; and the same four",
        "models' SQL run by DuckDB alone, with no dbt and no tests: what the transform costs the engine.",
        "",
        "| events | transform seconds | dbt running nodes | models (n) | tests (n) | slowest model "
        "| copy of the log (floor) | models without dbt (floor) |",
        "|---:|---:|---:|---:|---:|---|---:|---:|",
    ]
    for result in results["sizes"]:
        transform_ = result["pipeline"]["transform"]
        if "dbt" not in transform_:
            continue
        dbt = transform_["dbt"]
        slowest = max(dbt["model_seconds"], key=dbt["model_seconds"].get)
        lines.append(
            f"| {result['events']:,} | {transform_['seconds']:.2f} | {dbt['dbt_run_seconds']:.2f} "
            f"| {sum(dbt['model_seconds'].values()):.2f} ({len(dbt['model_seconds'])}) "
            f"| {dbt['test_seconds']:.2f} ({dbt['tests']}) "
            f"| {slowest} {dbt['model_seconds'][slowest]:.2f} s "
            f"| {seconds_or_na(result['floor']['copy'])} | {seconds_or_na(result['floor']['models'])} |"
        )
    sizes = results["sizes"]
    if len(sizes) > 1:
        lines += [
            "",
            "## Growth",
            "",
            "| from | to | events x | pipeline time x | same, CPU time | transform time x | same, CPU time |",
            "|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for small, large in itertools.pairwise(sizes):
            growth = large["events"] / small["events"]
            cells = [f"{small['events']:,}", f"{large['events']:,}", f"{growth:.1f}"]
            for pick in (pipeline_total, lambda r: r["pipeline"]["transform"]):
                cells += [ratio(pick(large), pick(small), key) for key in ("seconds", "cpu_seconds")]
            lines.append(f"| {' | '.join(cells)} |")
    return "\n".join(lines) + "\n"


def plot(results: dict[str, Any], path: Path) -> None:
    """Time and peak memory against events, log-log: the pipeline, its transform, the baseline, the floors."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    series: dict[str, Callable[[dict[str, Any]], Measurement]] = {
        "pipeline (all stages)": pipeline_total,
        "pipeline transform (dbt + DuckDB)": lambda r: r["pipeline"]["transform"],
        "baseline transform (pandas)": lambda r: r["baseline"]["transform"],
        "floor (one DuckDB scan)": lambda r: r["floor"]["scan"],
        "floor (one copy into a DuckDB table)": lambda r: r["floor"]["copy"],
        "floor (the models' SQL in DuckDB, no dbt)": lambda r: r["floor"]["models"],
    }
    figure, axes = plt.subplots(1, 2, figsize=(11, 4.5))
    for ax, key, label in zip(
        axes, ("seconds", "peak_rss_bytes"), ("seconds", "peak RSS (MiB)"), strict=True
    ):
        for name, pick in series.items():
            points = [(r["events"], pick(r)) for r in results["sizes"]]
            done = [
                (events, m[key] / (2**20 if key == "peak_rss_bytes" else 1))
                for events, m in points
                if "failed" not in m
            ]
            failed = [events for events, m in points if "failed" in m]
            name = name + (f" (failed at {', '.join(f'{e:,}' for e in failed)})" if failed else "")
            ax.plot(*zip(*done, strict=True), marker="o", label=name) if done else None
        ax.set(xscale="log", yscale="log", xlabel="events in the log", ylabel=label)
        ax.grid(True, which="both", alpha=0.3)
    axes[0].legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(DEFAULT_SIZES), help="events per log")
    parser.add_argument("--workspace", type=Path, default=BENCH_DIR / "workspace", help="where logs go")
    parser.add_argument("--out", type=Path, default=BENCH_DIR, help="where results.{json,md,png} go")
    parser.add_argument(
        "--baseline-memory-gb",
        type=float,
        default=os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") * 0.75 / 2**30,
        help="address-space cap of the pandas baseline (default: 3/4 of this machine's memory)",
    )
    # The child side of measure_in_child.
    parser.add_argument("--measure", choices=["generate", *STAGES], help=argparse.SUPPRESS)
    parser.add_argument("--events", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--memory-cap", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure:
        measure(args.measure, Settings(workspace=args.workspace), args.events, args.result, args.memory_cap)
        return
    too_small = [size for size in args.sizes if size < 10_000]
    if too_small:
        parser.error(
            f"--sizes {too_small[0]} is too small: use at least 10000 events so every split can learn"
        )

    args.out.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {"machine": machine(Settings(workspace=args.workspace)), "sizes": []}
    for size in sorted(args.sizes):
        results["sizes"].append(
            bench_size(size, args.workspace.resolve() / f"n{size}", int(args.baseline_memory_gb * 2**30))
        )
        (args.out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
        (args.out / "results.md").write_text(markdown(results))
        plot(results, args.out / "results.png")
    print(f"\n{markdown(results)}\nwritten: {args.out / 'results.json'}, results.md, results.png")


if __name__ == "__main__":
    main()
