"""Values that break each rule of the data contract, derived from ``contract.toml`` itself.

Every door's tests (the log, dbt, the quality gate) take their cases from here, so a rule added to the
contract is tried at every door where its field exists without anyone writing a test for it.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from {{ cookiecutter.module_name }}.contract import Field, Rule, load

CONTRACT = load()
# When the events of these cases reach the log; their times are judged against it.
INGEST = datetime(2025, 3, 10, 12, tzinfo=UTC)


@dataclass(frozen=True)
class Violation:
    """A value that breaks one rule of a field; ``rule`` names which, for test ids."""

    field: Field
    rule: str
    value: Any

    @property
    def id(self) -> str:
        return f"{self.field.name} {self.rule}"


def violations(field: Field) -> list[Violation]:
    """One value per rule of ``field`` that breaks that rule (and, where it can, only that one)."""
    found: list[tuple[str, Any]] = []
    if field.required or field.required_unless is not None:
        found.append(("missing", None))
    if field.type == "text":
        found += [("not text", 5), ("blank", "  "), ("control character", "a\x00b")]
        if field.max_length is not None:
            found.append(("too long", "x" * (field.max_length + 1)))
    elif field.type == "timestamp":
        found.append(("not a time", "yesterday"))
        if field.not_before is not None:
            found.append(("too early", (field.not_before - timedelta(days=1)).isoformat()))
        if field.max_hours_after_ingest is not None:
            ahead = INGEST + timedelta(hours=field.max_hours_after_ingest + 1)
            found.append(("after its arrival", ahead.isoformat()))
    else:
        found.append(("not a number", "12"))
        if field.type == "integer":
            found.append(("fractional", (field.min or 0) + 0.5))
        if field.min is not None:
            found.append(("below its minimum", field.min - 1))
        if field.max is not None:
            found.append(("above its maximum", field.max + 1))
    if field.allowed is not None:
        outside = "unheard-of" if field.type == "text" else max(field.allowed) + 1
        found.append(("not allowed", outside))
    return [Violation(field, rule, value) for rule, value in found]


def event_violations() -> list[Violation]:
    return [violation for field in CONTRACT.events.fields for violation in violations(field)]


def training_set_violations() -> list[Violation]:
    return [violation for field in CONTRACT.training_set.all_columns for violation in violations(field)]


def breaking(rule: Rule, row: dict[str, float]) -> dict[str, float]:
    """``row`` (which keeps ``rule``) changed in one column by a small amount so that it breaks it."""
    for column in rule.columns:
        for delta in (1, -1, 2, -2, 10):
            changed = row | {column: row[column] + delta}
            if not rule.holds(changed) and all(
                CONTRACT.training_set.column(name).problem(value) is None for name, value in changed.items()
            ):
                return changed
    raise AssertionError(f"no small change of {rule.check} breaks it: give the test a case by hand")
