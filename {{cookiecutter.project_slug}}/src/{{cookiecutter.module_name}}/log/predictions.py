"""Recorded predictions into the event log: each batch a serving target wrote, appended once.

Serving targets write batches of prediction events where ``PREDICTIONS_URI`` says (``serving/recording.py``):
an S3 prefix, a mounted bucket, a Modal volume. Copy them into a folder (``aws s3 sync``, ``gcloud storage
rsync``, ``modal volume get``), then

    python -m <package>.log.predictions ingest <folder>

appends each batch under its own id: the log checks every event against the contract like any other, and a
batch ingested twice is appended once. ``make serve-local`` needs none of this: it appends to the local log
as it serves (``log_writer``).
"""

import argparse
import json
from pathlib import Path

from ..serving.recording import Event, Writer
from ..settings import Settings
from .events import AppendResult, LogError, append_batch

# The log's source for recorded predictions, whichever serving target wrote them.
SOURCE = "serving"


def log_writer(settings: Settings | None = None) -> Writer:
    """Write each batch of prediction events straight into the event log."""
    settings = settings or Settings()

    def write(batch_id: str, events: list[Event]) -> None:
        append_batch(events, batch_id=batch_id, source=SOURCE, settings=settings)

    return write


def ingest(folder: Path, settings: Settings | None = None) -> list[AppendResult]:
    """Append every batch file in ``folder`` (``<batch id>.jsonl``, any depth) that the log does not hold."""
    settings = settings or Settings()
    if not folder.is_dir():
        raise LogError(f"there is no folder {folder}: copy the recorded predictions there first")
    results = []
    for path in sorted(folder.rglob("*.jsonl")):
        if path.name.startswith("."):
            continue  # a batch still being written
        try:
            events = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
        except json.JSONDecodeError as error:
            raise LogError(f"{path} is not a batch of recorded predictions (JSON lines): {error}") from None
        results.append(append_batch(events, batch_id=path.stem, source=SOURCE, settings=settings))
    return results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    take = commands.add_parser("ingest", help="append the recorded batches in a folder to the log")
    take.add_argument("folder", type=Path)
    args = parser.parse_args(argv)
    try:
        results = ingest(args.folder)
    except LogError as error:
        raise SystemExit(f"ingest: {error}") from error
    new = [result for result in results if not result.already_present]
    for result in new:
        print(result)
    print(f"{len(new)} new batches of predictions appended, {len(results) - len(new)} already in the log")


if __name__ == "__main__":
    main()
