"""The template benchmark's plot, drawn by the baked project's own ``plot`` (its ``benchmarks/pipeline.py``):
the whole pipeline, its transform and the pandas baseline, beside the floors; time and memory against events.

``run.py`` runs this file with the project's Python, which has matplotlib.

    <project>/.venv/bin/python benchmarks/plot.py --project <project> --results results.json \
        --out pipeline.png
"""

import argparse
import json
from pathlib import Path

from baseline import project_bench


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project", type=Path, required=True, help="the baked, set-up project")
    parser.add_argument("--results", type=Path, required=True, help="run.py's results.json")
    parser.add_argument("--out", type=Path, required=True, help="the PNG to write")
    args = parser.parse_args(argv)
    results = json.loads(args.results.read_text())
    lines = {
        "sizes": [
            {
                "events": size["events"],
                "stages": {
                    "pipeline (all stages)": size["pipeline"],
                    "pipeline transform (dbt + DuckDB)": size["stages"]["transform"],
                    "baseline transform (pandas)": size["baseline"],
                },
                "floors": {
                    "one DuckDB scan": size["floors"]["scan"],
                    "one copy of the log into a DuckDB table": size["floors"]["copy"],
                    "the models' SQL run by DuckDB alone, no dbt": size["floors"]["models"],
                },
            }
            for size in results["sizes"]
        ]
    }
    project_bench(args.project).plot(lines, args.out)


if __name__ == "__main__":
    main()
