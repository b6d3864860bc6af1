"""dbt's tests of the log's events and of the training set, written from the data contract.

``make contract`` (``python -m <package>.warehouse.dbt_tests``) writes one properties file per model the
contract describes: ``stg_events`` (every event the log holds, as staging reads it) and ``training_set``. Each
field's rules become dbt tests: not_null (or not_null where another field allows a missing value),
accepted_values, in_range, valid_text and time_bounds; the training set's rules across columns become
``satisfies`` tests and its split rules a ``splits_are_usable`` test. The transform stage refuses to build
when these files are not what the contract says, and ``--check`` exits 1 then, so they never drift apart.
"""

import argparse
import sys
from pathlib import Path
from typing import Any

import yaml

from ..contract import CONTRACT_PATH, Contract, ContractError, Field, load

DBT_DIR = CONTRACT_PATH.parent / "dbt"
HEADER = (
    "# Written from contract.toml by `make contract`: edit the contract, then run it; never edit this file.\n"
    "# The transform stage refuses to build while this file and the contract disagree.\n"
)
# Columns the log adds to every event (event_log.ENVELOPE): always there, whatever the contract declares.
ENVELOPE = {
    "ingest_time": "When the log received the event's batch (UTC).",
    "source": "The system that sent the batch.",
    "batch_id": "The batch the event arrived in.",
}


def properties(contract: Contract) -> dict[Path, str]:
    """Each generated properties file's path (under ``dbt/``) and its text."""
    events = contract.events
    stg_events = {
        "name": "stg_events",
        "description": "Every event in the log once (the first copy to arrive), typed, normalized as the "
        "contract says, without retracted batches and events. " + events.description,
        "columns": [_column(field) for field in events.fields]
        + [
            {"name": name, "description": description, "data_tests": ["not_null"]}
            for name, description in ENVELOPE.items()
        ],
    }
    training = contract.training_set
    training_set = {
        "name": "training_set",
        "description": training.description,
        "data_tests": [
            {
                "satisfies": {
                    "arguments": {"expression": rule.sql},
                    "config": {"meta": {"rule": rule.description}},
                }
            }
            for rule in training.rules
        ]
        + [
            {
                "splits_are_usable": {
                    "arguments": {
                        "split_column": training.split,
                        "label_column": training.label,
                        "splits": list(training.splits),
                        "min_label_rate": training.label_rate[0],
                        "max_label_rate": training.label_rate[1],
                    }
                }
            }
        ],
        "columns": [_column(field, unique=field.name == training.key) for field in training.all_columns],
    }
    return {
        Path("models/staging/_stg_events.yml"): _render(stg_events),
        Path("models/ml/_training_set.yml"): _render(training_set),
    }


def stale(contract: Contract, dbt_dir: Path = DBT_DIR) -> list[Path]:
    """The generated files that are missing or differ from what the contract gives."""
    return [
        dbt_dir / path
        for path, text in properties(contract).items()
        if not (dbt_dir / path).exists() or (dbt_dir / path).read_text() != text
    ]


def write(contract: Contract, dbt_dir: Path = DBT_DIR) -> list[Path]:
    """Write the files that changed; returns them."""
    changed = stale(contract, dbt_dir)
    texts = properties(contract)
    for path in changed:
        path.write_text(texts[path.relative_to(dbt_dir)])
    return changed


def _column(field: Field, *, unique: bool = False) -> dict[str, Any]:
    tests: list[Any] = []
    if field.required:
        tests.append("not_null")
    elif field.required_unless is not None:
        other, values = field.required_unless
        listed = ", ".join(f"'{value}'" for value in values)
        tests.append({"not_null": {"config": {"where": f"{other} not in ({listed})"}}})
    if unique:
        tests.append("unique")
    if field.type == "text":
        limit = {"max_length": field.max_length} if field.max_length is not None else {}
        tests.append({"valid_text": {"arguments": limit}} if limit else "valid_text")
    if field.allowed is not None:
        quote = {} if field.type == "text" else {"quote": False}
        tests.append({"accepted_values": {"arguments": {"values": list(field.allowed), **quote}}})
    if field.min is not None or field.max is not None:
        bounds = {
            name: value
            for name, value in (("min_value", field.min), ("max_value", field.max))
            if value is not None
        }
        tests.append({"in_range": {"arguments": bounds}})
    if field.not_before is not None or field.max_hours_after_ingest is not None:
        window: dict[str, Any] = {}
        if field.not_before is not None:
            window["not_before"] = field.not_before.strftime("%Y-%m-%d %H:%M:%S")
        if field.max_hours_after_ingest is not None:
            window |= {"reference_column": "ingest_time", "max_hours_after": field.max_hours_after_ingest}
        tests.append({"time_bounds": {"arguments": window}})
    column: dict[str, Any] = {"name": field.name}
    if field.description:
        column["description"] = field.description
    return column | {"data_tests": tests}


def _render(model: dict[str, Any]) -> str:
    body = str(
        yaml.safe_dump({"version": 2, "models": [model]}, sort_keys=False, width=110, allow_unicode=True)
    )
    return HEADER + "\n" + body


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when the files differ from the contract")
    args = parser.parse_args(argv)
    try:
        contract = load()
    except ContractError as error:
        sys.exit(f"error: {error}")
    if args.check:
        outdated = stale(contract)
        if outdated:
            names = ", ".join(str(path.relative_to(DBT_DIR.parent)) for path in outdated)
            sys.exit(f"{names} differ from contract.toml: run `make contract`")
        return
    changed = write(contract)
    names = ", ".join(str(path.relative_to(DBT_DIR.parent)) for path in changed)
    print(f"wrote {names}" if changed else "dbt's tests already follow contract.toml")


if __name__ == "__main__":
    main()
