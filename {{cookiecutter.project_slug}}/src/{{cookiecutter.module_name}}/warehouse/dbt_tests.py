"""dbt's tests of the log's events and of the training set, written from the data contract.

``make contract`` (``python -m <package>.warehouse.dbt_tests``) writes one properties file per model the
contract describes: ``stg_events`` (every event the log holds, as staging reads it) and ``training_set``. Each
model gets one dbt test, ``rules`` (dbt/tests/generic/rules.sql), that checks every rule of the contract on it
in one scan and returns a row per broken rule, named as dbt names a test of its own: each field's rules are
not_null (or not_null where another field allows a missing value), unique, valid_text, accepted_values,
in_range and time_bounds, the training set's rules across columns are ``satisfies`` rules and its split rules
``splits_are_usable``. One test per model, not one per rule: each dbt test is a query and a node of its own,
and their overhead, not the data, was most of a build's time. The transform stage refuses to build when these
files are not what the contract says, and ``--check`` exits 1 then, so they never drift apart.
"""

import argparse
import re
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
        "data_tests": [
            _rules_test(
                "stg_events",
                [rule for field in events.fields for rule in _rules("stg_events", field)]
                + [
                    {"name": f"not_null_stg_events_{name}", "test": "not_null", "column": name}
                    for name in ENVELOPE
                ],
                examples=["event_id", "batch_id"],
            )
        ],
        "columns": [_column(field) for field in events.fields]
        + [{"name": name, "description": description} for name, description in ENVELOPE.items()],
    }
    training = contract.training_set
    rules = [
        rule
        for field in training.all_columns
        for rule in _rules("training_set", field, unique=field.name == training.key)
    ]
    rules += [
        {
            "name": f"satisfies_training_set_{_slug(rule.sql)}",
            "test": "satisfies",
            "expression": rule.sql,
            "description": rule.description,
        }
        for rule in training.rules
    ]
    rules.append(
        {
            "name": "splits_are_usable_training_set",
            "test": "splits_are_usable",
            "split_column": training.split,
            "label_column": training.label,
            "splits": list(training.splits),
            "min_label_rate": training.label_rate[0],
            "max_label_rate": training.label_rate[1],
        }
    )
    training_set = {
        "name": "training_set",
        "description": training.description,
        "data_tests": [_rules_test("training_set", rules, examples=[training.key])],
        "columns": [_column(field) for field in training.all_columns],
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


def _rules_test(model: str, rules: list[dict[str, Any]], *, examples: list[str]) -> dict[str, Any]:
    """The one test of ``model``: every rule, checked in one scan (dbt/tests/generic/rules.sql)."""
    return {"rules": {"name": f"rules_{model}", "arguments": {"examples": examples, "rules": rules}}}


def _rules(model: str, field: Field, *, unique: bool = False) -> list[dict[str, Any]]:
    """A field's rules, each named as dbt would name its own test (``not_null_stg_events_price``)."""
    rules: list[dict[str, Any]] = []

    def rule(test: str, **arguments: Any) -> None:
        rules.append(
            {"name": f"{test}_{model}_{field.name}", "test": test, "column": field.name, **arguments}
        )

    if field.required:
        rule("not_null")
    elif field.required_unless is not None:
        other, values = field.required_unless
        listed = ", ".join(f"'{value}'" for value in values)
        rule("not_null", where=f"{other} not in ({listed})")
    if unique:
        rule("unique")
    if field.type == "text":
        rule("valid_text", **({"max_length": field.max_length} if field.max_length is not None else {}))
    if field.allowed is not None:
        rule(
            "accepted_values",
            values=list(field.allowed),
            **({} if field.type == "text" else {"quote": False}),
        )
    if field.min is not None or field.max is not None:
        bounds = (("min_value", field.min), ("max_value", field.max))
        rule("in_range", **{name: value for name, value in bounds if value is not None})
    if field.not_before is not None or field.max_hours_after_ingest is not None:
        window: dict[str, Any] = {}
        if field.not_before is not None:
            window["not_before"] = field.not_before.strftime("%Y-%m-%d %H:%M:%S")
        if field.max_hours_after_ingest is not None:
            window |= {"reference_column": "ingest_time", "max_hours_after": field.max_hours_after_ingest}
        rule("time_bounds", **window)
    return rules


def _column(field: Field) -> dict[str, Any]:
    """A column as dbt documents it: its name and description (its rules are in the model's rules test)."""
    return {"name": field.name} | ({"description": field.description} if field.description else {})


def _slug(text: str) -> str:
    """Text as dbt puts it into a test's name: each run of other characters one underscore."""
    return re.sub(r"[^0-9a-zA-Z_]+", "_", text).strip("_")


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
