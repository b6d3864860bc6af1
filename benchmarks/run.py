"""``make bench`` at the template root: the evidence behind the benchmark figures in the template's README.

1. Bakes the default project into a scratch folder (``cookiecutter --no-input``) and sets it up
   (``make setup``); or takes a project already baked and set up (``--project``).
2. Runs the project's own ``make bench`` for the sizes asked: each stage of the pipeline, and three floors,
   on a synthetic log per size, each in a fresh process.
3. On each of those logs, runs the pandas baseline (``baseline.py``: the training set of the dbt models, in
   pandas) in a fresh process of the project's Python, measured the way the project's benchmark measures its
   stages, and checks that it computed the same training set as dbt: the same rows, and the same fingerprint
   for every column.
4. Writes the report against the template's targets: ``results.md`` (every table, with ratios),
   ``readme-figures.md`` (the table and the list of targets for the README), ``results.json`` (every figure)
   and ``pipeline.png`` (time and memory against events), into ``docs/benchmarks/`` unless told otherwise.

It exits with status 1 when a training set differs, after writing the report, which says where.

    python benchmarks/run.py                                    # 10^5, 10^6 and 10^7 events
    python benchmarks/run.py --sizes 100000 --out /tmp/bench    # a quick check that leaves docs/ alone
    python benchmarks/run.py --project build/bench/purchase-intent --sizes 100000000   # reuse the bake
"""

import argparse
import itertools
import json
import math
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
TEMPLATE = BENCH_DIR.parent
SIZES = (100_000, 1_000_000, 10_000_000)
# The targets are set for a log of this many events, on a 2-core machine with 24 GB of memory.
TARGET_SIZE = 10_000_000
Measurement = dict[str, Any]


# The steps.


def bake(scratch: Path) -> Path:
    """A fresh default project in ``scratch``, set up: the project's folder."""
    from cookiecutter.main import cookiecutter

    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    # Cookiecutter's replay and clone folders go into the scratch folder, never into the home directory.
    config = scratch / "cookiecutter.yaml"
    config.write_text(
        f"cookiecutters_dir: {json.dumps(str(scratch / 'cookiecutters'))}\n"
        f"replay_dir: {json.dumps(str(scratch / 'replay'))}\n"
    )
    project = Path(
        cookiecutter(str(TEMPLATE), no_input=True, output_dir=str(scratch), config_file=str(config))
    )
    # A repository of its own, so that `make setup` installs the pre-commit hook there and nowhere else.
    subprocess.run(["git", "init", "-q"], cwd=project, check=True)
    make(project, "setup")
    return project


def make(project: Path, *arguments: str) -> None:
    """``make`` in the project, as its user runs it: with uv from the PATH, else the template's own."""
    uv = shutil.which("uv") or TEMPLATE / ".tools" / "bin" / "uv"
    variables = [f"UV={uv}"] if Path(uv).exists() else []
    # The template's environment must not leak into the project's tools.
    environment = {key: value for key, value in os.environ.items() if key != "VIRTUAL_ENV"}
    if subprocess.run(["make", *arguments, *variables], cwd=project, env=environment).returncode != 0:
        raise SystemExit(f"`make {' '.join(arguments)}` failed in {project}: its output above says why")


def in_project(project: Path, script: str, *arguments: str) -> str:
    """One of this folder's scripts, run by the project's Python in a fresh process: its last output line."""
    command = [str(project / ".venv" / "bin" / "python"), str(BENCH_DIR / script), "--project", str(project)]
    done = subprocess.run([*command, *arguments], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{script} failed:\n{done.stderr.strip()}")
    return (done.stdout.strip().splitlines() or [""])[-1]


def add_baseline(project: Path, size: dict[str, Any], memory_cap: int) -> None:
    """The pandas baseline on the size's log, the training sets' fingerprints and dbt's breakdown, added."""
    workspace = ["--workspace", size["workspace"], "--memory-cap", str(memory_cap)]
    size |= json.loads(in_project(project, "baseline.py", *workspace))
    size["pipeline"] = pipeline_total(size)
    sets = size.get("training_sets")
    size["differences"] = differences(sets["pandas"], sets["dbt"]) if sets else None


def pipeline_total(size: dict[str, Any]) -> Measurement:
    """The whole pipeline: its stages' seconds added up, the highest of their peaks."""
    stages = size["stages"].values()
    if any("failed" in stage for stage in stages):
        return {"failed": "a stage failed"}
    return {
        "seconds": sum(stage["seconds"] for stage in stages),
        "cpu_seconds": sum(stage["cpu_seconds"] for stage in stages),
        "peak_rss_bytes": max(stage["peak_rss_bytes"] for stage in stages),
    }


def differences(ours: dict[str, Any], theirs: dict[str, Any]) -> list[str]:
    """Where two training sets' fingerprints differ: the row count, and the columns, by name."""
    found = [] if ours["rows"] == theirs["rows"] else [f"rows ({ours['rows']:,} against {theirs['rows']:,})"]
    for name in sorted(ours["columns"].keys() | theirs["columns"].keys()):
        mine, other = ours["columns"].get(name, {}), theirs["columns"].get(name, {})
        if mine.keys() != other.keys() or not all(_same(mine[key], other[key]) for key in mine):
            found.append(name)
    return found


def _same(mine: Any, other: Any) -> bool:
    """Equal; for decimal numbers, equal but for the order an engine added them in."""
    if isinstance(mine, float) and isinstance(other, float):
        both_missing = math.isnan(mine) and math.isnan(other)
        return both_missing or math.isclose(mine, other, rel_tol=1e-9, abs_tol=1e-9)
    return bool(mine == other)


def machine() -> dict[str, Any]:
    """What the project's benchmark does not say: the processor, and the template's commit."""
    cpuinfo = Path("/proc/cpuinfo")
    models = [
        line.split(":", 1)[1].strip() for line in cpuinfo.read_text().splitlines() if "model name" in line
    ]
    commit = subprocess.run(
        ["git", "describe", "--always", "--dirty"], cwd=TEMPLATE, capture_output=True, text=True, check=False
    )
    return {"cpu_model": next(iter(models), "unknown"), "template_commit": commit.stdout.strip() or "unknown"}


# The targets.


@dataclass(frozen=True)
class Target:
    """One of the template's targets, as judged on the figures."""

    what: str
    goal: str
    measured: str
    met: bool


def target_size(results: dict[str, Any]) -> dict[str, Any]:
    """The size the targets are set for, else the largest measured."""
    sizes = results["sizes"]
    return next((size for size in sizes if size["size"] == TARGET_SIZE), sizes[-1])


def targets(results: dict[str, Any]) -> list[Target]:
    """Each target the figures can judge: what, the goal, what was measured, and whether it was met."""
    size = target_size(results)
    total, gate, transform = size["pipeline"], size["stages"]["gate"], size["stages"]["transform"]
    pandas = size["baseline"]
    found = []
    if ok(total):
        gate_share = gate["seconds"] / total["seconds"]
        found += [
            Target(
                "the whole pipeline's time",
                "at most 3 minutes",
                f"{total['seconds']:.0f} s",
                total["seconds"] <= 180,
            ),
            Target(
                "the whole pipeline's peak memory",
                "at most 4 GB",
                memory(total),
                total["peak_rss_bytes"] <= 4e9,
            ),
            Target(
                "the quality gate's share of the pipeline's time",
                "at most 10%",
                share(gate, total),
                gate_share <= 0.1,
            ),
        ]
    if ok(transform, pandas):
        found += [
            Target(
                "the transform's speed-up over pandas",
                "at least 5x",
                ratio(pandas, transform),
                pandas["seconds"] >= 5 * transform["seconds"],
            ),
            Target(
                "the transform's peak memory against pandas'",
                "at most 1/3",
                ratio(transform, pandas, "peak_rss_bytes"),
                3 * transform["peak_rss_bytes"] <= pandas["peak_rss_bytes"],
            ),
        ]
    index = results["sizes"].index(size)
    smaller = results["sizes"][index - 1] if index else None
    if smaller and ok(total, smaller["pipeline"]):
        growth = size["events"] / smaller["events"]
        found.append(
            Target(
                f"the pipeline's time for {growth:.0f}x the events",
                f"less than {growth:.0f}x (sub-linear)",
                ratio(total, smaller["pipeline"]),
                total["seconds"] < growth * smaller["pipeline"]["seconds"],
            )
        )
    failed = [f"{s['events']:,}" for s in results["sizes"] if not ok(s["pipeline"])]
    count = len(results["sizes"])
    completes = f"failed at {', '.join(failed)} events" if failed else f"yes, {count} of {count}"
    found.append(Target("the pipeline completes at every size measured", "every size", completes, not failed))
    serving = results.get("serving")
    if serving:
        cold, p50 = serving["cold_start_seconds"], serving["warm_p50_ms"]
        found += [
            Target(
                "the Lambda bundle, zipped",
                "at most 50 MB, Lambda's limit",
                f"{serving['zipped_bytes'] / 2**10:.1f} KB",
                serving["zipped_bytes"] <= serving["zipped_limit_bytes"],
            ),
            Target(
                "a cold start, a fresh process to its first answer",
                "at most 1 s",
                f"{cold * 1000:.0f} ms",
                cold <= 1,
            ),
            Target("a warm answer at p50", "under 2 ms", f"{p50:.3f} ms", p50 < 2),
        ]
    return found


def ok(*measurements: Measurement) -> bool:
    return not any("failed" in measurement for measurement in measurements)


# The report.


def seconds(measurement: Measurement, digits: int = 2) -> str:
    return "n/a" if "failed" in measurement else f"{measurement['seconds']:.{digits}f}"


def mib(measurement: Measurement) -> str:
    return "n/a" if "failed" in measurement else f"{measurement['peak_rss_bytes'] / 2**20:,.0f}"


def memory(measurement: Measurement) -> str:
    """A peak as the README writes it: MiB under a GiB, GiB with one decimal above."""
    if "failed" in measurement:
        return "n/a"
    peak = measurement["peak_rss_bytes"]
    return f"{peak / 2**30:.1f} GiB" if peak >= 2**30 else f"{peak / 2**20:,.0f} MiB"


def share(part: Measurement, whole: Measurement) -> str:
    return "n/a" if "failed" in part or "failed" in whole else f"{part['seconds'] / whole['seconds']:.1%}"


def ratio(numerator: Measurement, denominator: Measurement, key: str = "seconds") -> str:
    if "failed" in numerator or "failed" in denominator:
        return "n/a"
    return f"{numerator[key] / denominator[key]:.2f}x"


def events_name(size: dict[str, Any]) -> str:
    """A size as the README names it, e.g. 10^7 events (10,141,070)."""
    exponent = round(math.log10(size["size"]))
    name = f"10^{exponent}" if 10**exponent == size["size"] else f"{size['size']:,}"
    return f"{name} events ({size['events']:,})"


def same_training_set(size: dict[str, Any]) -> str:
    if size["differences"] is None:
        return "n/a (no baseline)"
    if size["differences"]:
        return f"**no**: {', '.join(size['differences'])}"
    return f"yes ({size['training_sets']['dbt']['rows']:,} rows)"


def rows_of(size: dict[str, Any]) -> list[tuple[str, str, Measurement]]:
    """Every measurement of one size, as (variant, stage, figures), in the order the tables show them."""
    return [
        *(("pipeline", stage, figures) for stage, figures in size["stages"].items()),
        ("pipeline", "**total**", size["pipeline"]),
        *(("floor", floor, figures) for floor, figures in size["floors"].items()),
        ("baseline", "transform (pandas)", size["baseline"]),
    ]


def markdown(results: dict[str, Any], found: list[Target]) -> str:
    host = results["machine"]
    lines = [
        "# Benchmarks of a default bake",
        "",
        f"Written by `make bench` at the template root (benchmarks/run.py), at {host['template_commit']}:",
        "the default project's own `make bench`, then the pandas baseline on the same logs.",
        "",
        f"{host['cpus']} CPUs ({host['cpu_model']}), {host['memory_bytes'] / 2**30:.0f} GiB memory, "
        f"{host['system']}; Python {host['python']}, DuckDB {host['duckdb']}, dbt-core {host['dbt-core']}, "
        f"pandas {results['sizes'][0]['pandas']}; load average {host['load_average_1min']:.1f} at the start. "
        f"Each figure is from a fresh process. The steps declare {host['step_memory_mb']:,} MB "
        f"(Settings.memory_mb), so DuckDB's memory limit is {host['duckdb_memory_limit_mb']:,} MB.",
        "",
        "## Stages",
        "",
        "| events | variant | stage | seconds | CPU seconds | events/s | peak RSS (MiB) | time vs scan |",
        "|---:|---|---|---:|---:|---:|---:|---:|",
    ]
    for size in results["sizes"]:
        events, scan = size["events"], size["floors"]["scan"]
        for variant, stage, m in rows_of(size):
            if "failed" in m:
                lines.append(f"| {events:,} | {variant} | {stage} | {m['failed']} | | | | |")
            else:
                lines.append(
                    f"| {events:,} | {variant} | {stage} | {m['seconds']:.2f} | {m['cpu_seconds']:.1f} "
                    f"| {events / m['seconds']:,.0f} | {mib(m)} | {ratio(m, scan)} |"
                )
    lines += [
        "",
        "## Ratios",
        "",
        "Transform speed-up: the pandas baseline's time over dbt's (wall clock, and CPU time summed over",
        "threads); the same for the models' SQL run by DuckDB alone (the floor without dbt). Memory: dbt's",
        "peak over pandas'.",
        "",
        "| events | transform speed-up vs pandas | same, CPU time | transform memory vs pandas "
        "| models without dbt, speed-up vs pandas | pipeline vs scan | gate share of pipeline "
        "| same training set |",
        "|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for size in results["sizes"]:
        dbt, pandas, total = size["stages"]["transform"], size["baseline"], size["pipeline"]
        gate = size["stages"]["gate"]
        lines.append(
            f"| {size['events']:,} | {ratio(pandas, dbt)} | {ratio(pandas, dbt, 'cpu_seconds')} "
            f"| {ratio(dbt, pandas, 'peak_rss_bytes')} | {ratio(pandas, size['floors']['models'])} "
            f"| {ratio(total, size['floors']['scan'])} | {share(gate, total)} | {same_training_set(size)} |"
        )
    lines += [
        "",
        "## Inside the transform",
        "",
        "From dbt's run results: the seconds dbt spent running nodes (the rest of the stage is starting dbt",
        "and parsing the project), and each kind of node's seconds added up (dbt runs nodes side by side).",
        "Beside them, two floors: the plain copy of the log into a table, to compare with stg_events, which",
        "also deduplicates and types the events; and the models' SQL run by DuckDB alone, what the transform",
        "costs the engine.",
        "",
        "| events | transform seconds | dbt running nodes | models (n) | tests (n) | slowest model "
        "| copy of the log (floor) | models without dbt (floor) |",
        "|---:|---:|---:|---:|---:|---|---:|---:|",
    ]
    for size in results["sizes"]:
        transform, dbt = size["stages"]["transform"], size["dbt"]
        if not dbt:  # the transform failed
            continue
        slowest = max(dbt["model_seconds"], key=dbt["model_seconds"].get)
        lines.append(
            f"| {size['events']:,} | {seconds(transform)} | {dbt['run_seconds']:.2f} "
            f"| {sum(dbt['model_seconds'].values()):.2f} ({len(dbt['model_seconds'])}) "
            f"| {dbt['test_seconds']:.2f} ({dbt['tests']}) | {slowest} {dbt['model_seconds'][slowest]:.2f} s "
            f"| {seconds(size['floors']['copy'])} | {seconds(size['floors']['models'])} |"
        )
    if len(results["sizes"]) > 1:
        lines += [
            "",
            "## Growth",
            "",
            "| from | to | events x | pipeline time x | same, CPU time | transform time x | same, CPU time |",
            "|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for small, large in itertools.pairwise(results["sizes"]):
            cells = [
                f"{small['events']:,}",
                f"{large['events']:,}",
                f"{large['events'] / small['events']:.1f}",
            ]
            for pick in (lambda s: s["pipeline"], lambda s: s["stages"]["transform"]):
                cells += [ratio(pick(large), pick(small), key) for key in ("seconds", "cpu_seconds")]
            lines.append(f"| {' | '.join(cells)} |")
    serving = results.get("serving")
    if serving:
        lines += [
            "",
            "## Serving (AWS Lambda bundle)",
            "",
            "From the project's `benchmarks/serving.py`, on the bundle the largest log's run built.",
            "",
            "| zipped | unzipped | cold start: a fresh process to its first answer | warm p50 | warm p99 |",
            "|---:|---:|---:|---:|---:|",
            f"| {serving['zipped_bytes'] / 2**10:.1f} KB | {serving['unzipped_bytes'] / 2**10:.1f} KB "
            f"| {serving['cold_start_seconds'] * 1000:.0f} ms (median of {serving['cold_starts']}) "
            f"| {serving['warm_p50_ms']:.3f} ms | {serving['warm_p99_ms']:.3f} ms |",
        ]
    lines += ["", "## Against the targets", "", *target_lines(results, found)]
    return "\n".join(lines) + "\n"


def target_lines(results: dict[str, Any], found: list[Target]) -> list[str]:
    size = target_size(results)
    return [
        f"Set for 10^7 events on a 2-core, 24 GB machine; judged at {events_name(size)}.",
        "",
        "| target | goal | measured | met |",
        "|---|---|---:|---|",
        *(f"| {t.what} | {t.goal} | {t.measured} | {'yes' if t.met else '**no**'} |" for t in found),
    ]


def readme_figures(results: dict[str, Any], found: list[Target]) -> str:
    """The table and the list of targets under "### Benchmarks" in the template's README."""
    size = target_size(results)
    dbt = size["dbt"]
    nodes = f", {len(dbt['model_seconds'])} models and {dbt['tests']} tests" if dbt else ""
    transform = f"transform: `dbt build` on DuckDB{nodes}"
    rows = {
        "floor: one DuckDB scan": size["floors"]["scan"],
        "floor: one copy of the log into a DuckDB table": size["floors"]["copy"],
        "floor: the models' SQL run by DuckDB alone, without dbt": size["floors"]["models"],
        transform: size["stages"]["transform"],
        "baseline: the same training set in pandas": size["baseline"],
        "whole pipeline: transform, gate, train, evaluate, package": size["pipeline"],
    }
    lines = [
        f"<!-- Written by `make bench` at the template root, {results['machine']['template_commit']}. -->",
        "",
        f"| {events_name(size)} | wall s | CPU s | peak RSS |",
        "|---|---:|---:|---:|",
    ]
    for name, m in rows.items():
        cpu = "n/a" if "failed" in m else f"{m['cpu_seconds']:.1f}"
        lines.append(f"| {name} | {seconds(m, 1)} | {cpu} | {memory(m)} |")
    lines += ["", *target_lines(results, found)[:1], ""]
    lines += [
        f"- {'Met' if t.met else '**Not met**'}: {t.what}: {t.measured} (target: {t.goal})." for t in found
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES), help="events per log")
    parser.add_argument(
        "--out", type=Path, default=TEMPLATE / "docs" / "benchmarks", help="where the report goes"
    )
    parser.add_argument("--scratch", type=Path, default=TEMPLATE / "build" / "bench", help="where to bake")
    parser.add_argument("--project", type=Path, help="a project already baked and set up: no new bake")
    parser.add_argument(
        "--baseline-memory-gb",
        type=float,
        default=os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") * 0.75 / 2**30,
        help="the pandas baseline's address-space cap (default: 3/4 of this machine's memory)",
    )
    args = parser.parse_args(argv)

    project = args.project.resolve() if args.project else bake(args.scratch.resolve())
    make(project, "bench", f"SIZES={' '.join(str(size) for size in sorted(args.sizes))}")
    results = json.loads((project / "benchmarks" / "results.json").read_text())
    results["machine"] |= machine()
    for size in results["sizes"]:
        add_baseline(project, size, int(args.baseline_memory_gb * 2**30))
        print(f"{size['events']:>13,} events  baseline (pandas) {seconds(size['baseline'])} s", flush=True)
        print(
            f"{size['events']:>13,} events  same training set as dbt: {same_training_set(size)}", flush=True
        )

    found = targets(results)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    (args.out / "results.md").write_text(markdown(results, found))
    (args.out / "readme-figures.md").write_text(readme_figures(results, found))
    plot = ["--results", str(args.out / "results.json"), "--out", str(args.out / "pipeline.png")]
    in_project(project, "plot.py", *plot)
    print(f"written into {args.out}: results.md, readme-figures.md, results.json, pipeline.png")
    if any(size["differences"] for size in results["sizes"]):
        raise SystemExit("the pandas baseline and dbt built different training sets: see results.md")


if __name__ == "__main__":
    main()
