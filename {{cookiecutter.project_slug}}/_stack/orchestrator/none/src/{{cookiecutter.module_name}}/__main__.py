"""Run the pipeline from the command line, without an orchestrator.

``python -m {{ cookiecutter.module_name }} <command>``, where the command is one of:

    run [--sample-events N]       every stage in order, as `make run` does
    retrain [--sample-events N]   the monitoring gate, then run, alerting when the outcome calls for it
                                  (`make retrain`, what a schedule runs: retraining.py)
    transform                     rebuild the warehouse from the log (dbt build, with its tests)
    check                         the quality gate on the warehouse's current training set

Train, evaluate and package only run together, in ``run``: the model passes between them in memory, and only a
model that passed the model gate is written out. A failed gate prints its report and exits 1.

To scale up, run the same command on a bigger machine (a scheduled job on a larger VM, a CI runner, a cloud
batch job); training uses at most the ``cpu`` and ``memory_mb`` in settings.py, capped by what it offers.
"""

import argparse
import sys
from datetime import UTC, datetime

from . import pipeline
from .settings import Settings


def run(settings: Settings, sample_events: int) -> None:
    outcome = pipeline.run(settings, sample_events)
    bundle, headline = outcome.bundle, outcome.evaluation.headline()
    print(pipeline.summary(outcome.run, bundle.version, bundle.archive, headline, settings))


def retrain(settings: Settings, sample_events: int) -> int:
    from . import retraining

    return retraining.retrain(settings, lambda: run(settings, sample_events), datetime.now(UTC))


def transform(settings: Settings) -> None:
    from .runs import exclusive

    with exclusive(settings, "transform"):
        pipeline.build_tables(settings)  # which says what it built


def check(settings: Settings) -> None:
    from .runs import conclude, exclusive

    with exclusive(settings, "quality check"):
        run = pipeline.begin_run(settings)
        with pipeline.recording(run, "quality gate"):
            report = pipeline.check_quality(settings, run)
        conclude(run, "checked", f"quality gate passed on {report.rows:,} rows")  # as the stage said


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog=f"python -m {__package__}", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True, metavar="command")
    run_parser = commands.add_parser("run", help="every stage in order, as `make run` does")
    retrain_parser = commands.add_parser("retrain", help="the monitoring gate, then run; alerts on failure")
    for pipeline_parser in (run_parser, retrain_parser):
        pipeline_parser.add_argument(
            "--sample-events",
            type=int,
            default=pipeline.DEFAULT_SAMPLE_EVENTS,
            help="size of the sample log created when the log is empty",
        )
    commands.add_parser("transform", help="rebuild the warehouse from the log (dbt build)")
    commands.add_parser("check", help="the quality gate on the warehouse's training set")
    args = parser.parse_args(argv)
    try:
        settings = Settings()
        if args.command == "run":
            run(settings, args.sample_events)
        elif args.command == "retrain":
            sys.exit(retrain(settings, args.sample_events))
        elif args.command == "transform":
            transform(settings)
        else:
            check(settings)
    except pipeline.STOPS as error:
        # Failures that stop the run on purpose: the message says what failed and what to do.
        sys.exit(f"\n{error}")


if __name__ == "__main__":
    main()
