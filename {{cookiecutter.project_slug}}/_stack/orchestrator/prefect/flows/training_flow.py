"""The training pipeline as a Prefect flow: a thin adapter over the stages in ``pipeline.py``.

Run locally:  python flows/training_flow.py [--sample-events N] [--monitor]
Prefect starts a temporary local server for the run and stops it afterwards. Each stage is a task run in this
process, in order; a failed gate fails its task and the flow, and the script exits 1 with the gate's report.
Run history stays in ``.prefect/`` (SQLite): ``PREFECT_HOME=.prefect prefect server start`` shows past runs.

Prefect has no per-step resource requests: a run gets the machine its worker runs on, so scaling up means a
bigger machine, not a cluster. On that machine, in a checkout of this repository, with ``PREFECT_API_URL``
pointing at a Prefect server:

    prefect work-pool create training --type process    # docker, kubernetes and ecs pools also set cpu/memory
    prefect deploy --no-prompt flows/training_flow.py:training --name training --pool training
    prefect worker start --pool training
    prefect deployment run training/training             # from anywhere that reaches the server

On a schedule: prefect.yaml declares the deployment ``retrain`` (daily, 06:17 UTC), which runs this flow with
``monitor`` on, as `make retrain` does (``retraining.py``): the monitoring gate first, then the stages through
their gates, and an alert to the ``alert_webhook_url`` setting when the outcome calls for one; a run that
alerted ends failed, so Prefect shows it red. On the machine above, with the worker's environment holding the
settings (the log's location, the warehouse's, the webhook):

    prefect deploy --no-prompt --name retrain

The stages use at most the ``cpu`` and ``memory_mb`` in settings.py, capped by what the machine offers.
Stage logic lives in the package, so changing orchestrator changes only this file.
"""

import argparse
import logging
import os
import sys
from pathlib import Path

# Prefect reads its settings when imported, so they are set first; a value already in the environment wins.
# Run history goes to the project, not the user's home.
os.environ.setdefault("PREFECT_HOME", str(Path(__file__).resolve().parents[1] / ".prefect"))
# No usage analytics, from the temporary server or from the client.
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
# The server's first start creates its database: on a busy machine, longer than the default 20 s.
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
# The stages tell the run's story; Prefect says only what goes wrong (its run history keeps the rest).
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from {{ cookiecutter.module_name }} import pipeline, retraining
from {{ cookiecutter.module_name }}.runs import exclusive
from {{ cookiecutter.module_name }}.settings import Settings


class StopsWithoutTraceback(logging.Filter):
    """Prefect logs a failed task or flow with its traceback; a stage that stopped the run on purpose has a
    message that says it all, which `main` prints last."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], pipeline.STOPS):
            record.exc_info = None
        return True


for logger in ("prefect.task_runs", "prefect.flow_runs"):
    logging.getLogger(logger).addFilter(StopsWithoutTraceback())

# Never cached: a stage's arguments say nothing about what the log and the warehouse hold, so a cached
# result could be stale. Never retried: a gate that failed fails again until the data or the code changes.
stage = task(cache_policy=NO_CACHE)
prepare_log = stage(pipeline.prepare_log)
begin_run = stage(pipeline.begin_run)
build_tables = stage(pipeline.build_tables)
check_quality = stage(pipeline.check_quality)
train_model = stage(pipeline.train_model)
evaluate_model = stage(pipeline.evaluate_model)
package_model = stage(pipeline.package_model)
monitor_model = stage(retraining.monitor)


@flow(name="training")
def training(sample_events: int = pipeline.DEFAULT_SAMPLE_EVENTS, monitor: bool = False) -> str:
    """Log -> dbt build -> quality gate -> train -> evaluate (model gate) -> package; returns the bundle.
    With ``monitor`` (`make retrain`, the scheduled deployment), the monitoring gate runs first, and the
    outcome alerts as ``retraining.decide`` says."""
    settings = Settings()
    verdict = monitor_model(settings) if monitor else None
    run = begin_run(settings)
    try:
        with pipeline.recording(run, "log"):
            prepare_log(settings, sample_events)
        with pipeline.recording(run, "transform"):
            build_tables(settings)
        with pipeline.recording(run, "quality gate"):
            check_quality(settings, run)
        with pipeline.recording(run, "train"):
            model = train_model(settings)
        with pipeline.recording(run, "evaluate"):
            evaluation = evaluate_model(model, settings, run)
        with pipeline.recording(run, "package"):
            bundle = package_model(model, evaluation.metrics, settings, run)
    except Exception:
        if verdict is not None:  # a stage stopped or crashed the run: alert, then fail as without monitoring
            retraining.conclude(verdict, retraining.outcome_of(run), settings)
        raise

    print(pipeline.summary(run, bundle.version, bundle.archive, evaluation.headline(), settings))
    if verdict is not None and retraining.conclude(verdict, retraining.outcome_of(run), settings):
        raise retraining.AlertedError("the retraining alerted: see the alert above")
    return str(bundle.archive)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sample-events",
        type=int,
        default=pipeline.DEFAULT_SAMPLE_EVENTS,
        help="size of the sample log created when the log is empty",
    )
    parser.add_argument(
        "--monitor",
        action="store_true",
        help="run the monitoring gate first and alert on failure, as `make retrain` does",
    )
    args = parser.parse_args(argv)
    try:
        with exclusive(Settings()):
            training(args.sample_events, args.monitor)
    except pipeline.STOPS as error:
        # Failures that stop the run on purpose: the last thing on the screen is their message.
        sys.exit(f"\n{error}")


if __name__ == "__main__":
    main()
