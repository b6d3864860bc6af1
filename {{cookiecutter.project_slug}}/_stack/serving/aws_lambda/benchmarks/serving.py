"""``make bench``, serving half: the Lambda bundle's size, cold start and warm latency.

Sizes are checked against Lambda's limits for a zip deployment. A cold start is a fresh interpreter that sees
only the bundle and the standard library (as on Lambda), imports the handler, loads the model and answers one
request; the figure is the median over several such processes. Warm latency is the handler answering one
session at a time, many times over, in one such process: once as is, once recording every prediction (into a
temporary folder, as PREDICTIONS_URI would have it on a mounted bucket), to show what recording costs.

    python benchmarks/serving.py                       # the bundle the largest pipeline benchmark built
    python benchmarks/serving.py --bundle dist/lambda  # the one `make run` built
"""

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
PACKAGE = "{{ cookiecutter.module_name }}"
# Lambda's limits for a zip deployment: uploaded directly, and unpacked (with layers).
ZIPPED_LIMIT_BYTES = 50 * 2**20
UNZIPPED_LIMIT_BYTES = 250 * 2**20
# getrusage's peak memory is in kilobytes on Linux, bytes on macOS.
RSS_UNIT = 1 if sys.platform == "darwin" else 1024

# Runs in the bundle-only interpreter (argv: bundle, package, warm requests, the folder to record predictions
# in or "") and prints its timings as JSON.
PROBE = """
import importlib, json, os, resource, sys, time
started = time.perf_counter()
if sys.argv[4]:
    os.environ["PREDICTIONS_URI"] = sys.argv[4]
sys.path.insert(0, sys.argv[1])
handler_module = importlib.import_module(sys.argv[2] + ".serving.handler")
features = handler_module.load_scorer().features
# A session with no activity: every count, flag and price 0, which the data contract's rules accept.
event = {
    "version": "2.0",
    "rawPath": "/predict",
    "requestContext": {"http": {"method": "POST"}},
    "body": json.dumps({"sessions": [dict.fromkeys(features, 0) | {"session_id": "s1"}]}),
}
assert handler_module.handler(event)["statusCode"] == 200
first_answer = time.perf_counter() - started
latencies = []
for _ in range(int(sys.argv[3])):
    start = time.perf_counter_ns()
    handler_module.handler(event)
    latencies.append(time.perf_counter_ns() - start)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
recorder = handler_module.load_recorder()
if recorder is not None:
    recorder.close()
print(json.dumps({"first_answer": first_answer, "latencies_ns": latencies, "peak_rss": peak}))
"""


def probe(bundle: Path, requests: int, record_in: Path | None = None) -> dict[str, Any]:
    """A fresh bundle-only interpreter answering its first request, then ``requests`` warm ones, recording
    each prediction in ``record_in`` when given."""
    start = time.perf_counter()
    # -I ignores the environment, the user site and the current folder; -S drops site-packages; -B writes no
    # bytecode, as on Lambda, whose code folder is read-only: every cold start compiles the handler.
    done = subprocess.run(
        [
            *(sys.executable, "-I", "-S", "-B", "-c", PROBE),
            *(str(bundle), PACKAGE, str(requests), str(record_in or "")),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"the bundle at {bundle} failed to answer:\n{done.stderr.strip()}")
    result: dict[str, Any] = json.loads(done.stdout)
    return result | {"wall": wall}


def bench(bundle: Path, cold_starts: int, requests: int) -> dict[str, Any]:
    archive = bundle.with_suffix(".zip")
    with zipfile.ZipFile(archive) as zipped:
        unzipped = sum(member.file_size for member in zipped.infolist())
    # Cold: the process from launch to its first answer, with no warm requests after it.
    cold = [probe(bundle, 0) for _ in range(cold_starts)]
    warm = sorted(probe(bundle, requests)["latencies_ns"])
    with tempfile.TemporaryDirectory() as recorded:
        recording = sorted(probe(bundle, requests, Path(recorded))["latencies_ns"])
    return {
        "bundle": archive.name,
        "zipped_bytes": archive.stat().st_size,
        "unzipped_bytes": unzipped,
        "zipped_limit_bytes": ZIPPED_LIMIT_BYTES,
        "unzipped_limit_bytes": UNZIPPED_LIMIT_BYTES,
        "cold_start_seconds": statistics.median(run["wall"] for run in cold),
        "cold_start_in_process_seconds": statistics.median(run["first_answer"] for run in cold),
        "cold_start_peak_rss_bytes": max(run["peak_rss"] for run in cold) * RSS_UNIT,
        "cold_starts": cold_starts,
        "warm_requests": requests,
        "warm_p50_ms": warm[len(warm) // 2] / 1e6,
        "warm_p99_ms": warm[int(len(warm) * 0.99)] / 1e6,
        "recording_warm_p50_ms": recording[len(recording) // 2] / 1e6,
        "recording_warm_p99_ms": recording[int(len(recording) * 0.99)] / 1e6,
    }


def _size(size: int) -> str:
    return f"{size / 2**20:.1f} MB" if size >= 2**20 else f"{size / 2**10:.1f} KB"


def markdown(figures: dict[str, Any]) -> str:
    return "\n".join(
        [
            "",
            "## Serving (AWS Lambda bundle)",
            "",
            "| figure | value | limit or target |",
            "|---|---:|---:|",
            f"| zipped | {_size(figures['zipped_bytes'])} | {_size(figures['zipped_limit_bytes'])} |",
            f"| unzipped | {_size(figures['unzipped_bytes'])} | {_size(figures['unzipped_limit_bytes'])} |",
            f"| cold start: fresh process to first answer (median of {figures['cold_starts']}) "
            f"| {figures['cold_start_seconds'] * 1000:.0f} ms | 1000 ms |",
            f"| of which import, model load and first answer | "
            f"{figures['cold_start_in_process_seconds'] * 1000:.1f} ms | |",
            f"| cold process peak RSS | {_size(figures['cold_start_peak_rss_bytes'])} | |",
            f"| warm p50 over {figures['warm_requests']:,} requests "
            f"| {figures['warm_p50_ms']:.3f} ms | 2 ms |",
            f"| warm p99 | {figures['warm_p99_ms']:.3f} ms | |",
            f"| warm p50, recording each prediction | {figures['recording_warm_p50_ms']:.3f} ms | |",
            f"| warm p99, recording each prediction | {figures['recording_warm_p99_ms']:.3f} ms | |",
            "",
        ]
    )


def _largest_benchmarked_bundle(results: dict[str, Any]) -> Path | None:
    """The bundle the pipeline benchmark's largest log built (its sizes run smallest first)."""
    sizes = results.get("sizes") or [{}]
    workspace = sizes[-1].get("workspace")
    return Path(workspace) / "dist" / "lambda" if workspace else None


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bundle", type=Path, help="the unzipped bundle, next to its .zip")
    parser.add_argument("--cold-starts", type=int, default=15, help="fresh processes to take the median of")
    parser.add_argument("--requests", type=int, default=10_000, help="warm requests for p50 and p99")
    parser.add_argument("--out", type=Path, default=BENCH_DIR, help="where results.json and results.md are")
    args = parser.parse_args(argv)
    results_path, table_path = args.out / "results.json", args.out / "results.md"
    results = json.loads(results_path.read_text()) if results_path.exists() else {}
    bundle = args.bundle or _largest_benchmarked_bundle(results)
    if bundle is None or not (bundle / PACKAGE).is_dir() or not bundle.with_suffix(".zip").is_file():
        parser.error(f"there is no Lambda bundle at {bundle}: run `make bench`, or `make run` and --bundle")

    figures = bench(bundle, args.cold_starts, args.requests)
    table = markdown(figures)
    print(table)
    # Added to what the pipeline benchmark wrote.
    results_path.write_text(json.dumps(results | {"serving": figures}, indent=2) + "\n")
    previous = table_path.read_text().split("\n## Serving")[0].rstrip("\n") if table_path.exists() else ""
    table_path.write_text(previous + "\n" + table)


if __name__ == "__main__":
    main()
