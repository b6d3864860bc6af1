"""The data contract (``contract.toml``) as rules every door applies the same way.

The event log checks each event against ``Contract.events``, the quality gate and dbt's tests check the
training set against ``Contract.training_set``, and a serving target checks each request against the
``Inputs`` the exported model carries (the training set's key, the model's features and the rules across
them). Standard library only: the serving bundles ship this module, and nothing here reads the contract file
until ``load`` is called.

A rule's words follow the field's name in every message, so the log's quarantine, the gate's report and a
422 read alike: "price must be a number from 0 to 1000000, not -5".
"""

import ast
import math
import operator
import re
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any, Self

CONTRACT_PATH = Path(__file__).resolve().parents[2] / "contract.toml"
TYPES = ("text", "timestamp", "integer", "number")
NORMALIZATIONS = ("trim", "lower")
# C0 and C1 control characters (NUL, tab, newline...): no warehouse takes NUL in text, and the rest break CSV
# exports and logs. Lone surrogates cannot be written as UTF-8 at all.
CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
SURROGATE = re.compile("[\ud800-\udfff]")
# Whole numbers are stored as 64-bit integers in the log and in every warehouse.
INT64 = 2**63
ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
# The keys each kind of declaration may hold; anything else is a typo the contract refuses.
FIELD_KEYS = {
    "type",
    "description",
    "required",
    "required_unless",
    "min",
    "max",
    "allowed",
    "max_length",
    "normalize",
    "not_before",
    "max_hours_after_ingest",
    "grows_with_log_age",
}
# The log's own columns (event_log.ENVELOPE): no event field may take their names.
ENVELOPE = {"ingest_time", "source", "batch_id", "extras"}
TRAINING_SET_KEYS = {
    "description",
    "key",
    "label",
    "prediction",
    "split",
    "splits",
    "label_rate",
    "min_sessions_per_split",
    "min_holdout_days",
    "columns",
    "features",
    "rules",
}


class ContractError(ValueError):
    """``contract.toml`` itself is wrong: the message names the entry and what to write instead."""


@dataclass(frozen=True)
class Field:
    """One column's rules. ``problem`` says what is wrong with a value, or returns None."""

    name: str
    type: str
    description: str = ""
    required: bool = True
    # (other field, its values): this one may be missing when the other holds one of those values.
    required_unless: tuple[str, tuple[Any, ...]] | None = None
    min: float | None = None
    max: float | None = None
    allowed: tuple[Any, ...] | None = None
    max_length: int | None = None
    normalize: tuple[str, ...] = ()
    not_before: datetime | None = None
    max_hours_after_ingest: float | None = None
    # A feature that counts from the log's first event (a shopper's prior sessions): its values rise as the
    # log ages, so the monitoring gate judges its drift against recent predictions, not the training split.
    grows_with_log_age: bool = False

    def normalized(self, text: str) -> str:
        """The value as the staging model reads it: SQL's trim (spaces only) and ASCII lowercasing."""
        if "trim" in self.normalize:
            text = text.strip(" ")
        if "lower" in self.normalize:
            text = text.translate(ASCII_LOWER)
        return text

    def expectation(self) -> str:
        """What a value must be, in words that follow the field's name: "must be a number of at least 0"."""
        if self.allowed is not None:
            return f"must be one of {', '.join(map(str, self.allowed))}"
        kind = {
            "text": "text",
            "timestamp": "an ISO 8601 time",
            "integer": "a whole number",
            "number": "a number",
        }
        bounds = []
        if self.type in ("integer", "number") and (self.min is not None or self.max is not None):
            bounds.append(_range(self.min, self.max))
        if self.max_length is not None:
            bounds.append(f"of at most {self.max_length} characters")
        if self.not_before is not None:
            bounds.append(f"no earlier than {_iso(self.not_before)}")
        if self.max_hours_after_ingest is not None:
            bounds.append(f"at most {self.max_hours_after_ingest:g} hours after it reaches the log")
        return f"must be {kind[self.type]}" + (f" {' and '.join(bounds)}" if bounds else "")

    def problem(self, value: Any, *, ingest: datetime | None = None) -> str | None:
        """What is wrong with a present value, in words that follow the field's name; None when nothing is.

        ``ingest`` is when the log received the value, for a timestamp's ``max_hours_after_ingest``.
        """
        if value is None:
            return "is missing" if self.required else None
        if self.type == "text":
            return self._text_problem(value)
        if self.type == "timestamp":
            return self._time_problem(value, ingest)
        return self._number_problem(value)

    def parse_time(self, value: Any) -> datetime | None:
        """A timestamp (ISO 8601 text or a datetime) as an aware UTC datetime; None when it is not one."""
        if isinstance(value, datetime):
            moment = value
        elif isinstance(value, str) and len(value) <= 64:
            try:
                moment = datetime.fromisoformat(value)
            except ValueError:
                return None
        else:
            return None
        try:
            return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
        except OverflowError:  # an offset that takes it past year 1 or 9999
            return None

    def _text_problem(self, value: Any) -> str | None:
        if not isinstance(value, str):
            return f"must be text, not {_describe(value)}"
        if SURROGATE.search(value):
            return "holds a lone surrogate, which is not Unicode text"
        if CONTROL.search(value):
            return "holds a control character (a line break, a tab or NUL)"
        text = self.normalized(value)
        # Blank by Unicode's whitespace, not only spaces: some engines' trim() removes every space separator.
        if not text.strip():
            return "is blank"
        if self.max_length is not None and len(value) > self.max_length:
            return f"is {len(value):,} characters long; the limit is {self.max_length}"
        if self.allowed is not None and text not in self.allowed:
            return f"{self.expectation()}, not {_describe(value)}"
        return None

    def _time_problem(self, value: Any, ingest: datetime | None) -> str | None:
        moment = self.parse_time(value)
        if moment is None:
            return f"must be an ISO 8601 time, not {_describe(value)}"
        if self.not_before is not None and moment < self.not_before:
            return f"must be no earlier than {_iso(self.not_before)}, not {_iso(moment)}"
        limit = self.max_hours_after_ingest
        if limit is not None and ingest is not None and moment > ingest + timedelta(hours=limit):
            return (
                f"must be at most {limit:g} hours after it reaches the log ({_iso(ingest)}), "
                f"not {_iso(moment)}"
            )
        return None

    def _number_problem(self, value: Any) -> str | None:
        if isinstance(value, bool) or not isinstance(value, int | float):
            kind = "a whole number" if self.type == "integer" else "a number"
            return f"must be {kind}, not {_describe(value)}"
        try:
            number = float(value)
        except OverflowError:
            number = math.inf
        if not math.isfinite(number):
            return f"{self.expectation()}, not {_describe(value)}"
        if abs(value) >= INT64:
            return f"is {_describe(value)}: too large to store (numbers are 64-bit)"
        outside = (self.min is not None and value < self.min) or (self.max is not None and value > self.max)
        if (self.type == "integer" and not number.is_integer()) or outside:
            return f"{self.expectation()}, not {_describe(value)}"
        if self.allowed is not None and value not in self.allowed:
            return f"{self.expectation()}, not {_describe(value)}"
        return None

    def to_json(self) -> dict[str, Any]:
        """The rules a serving bundle needs, as JSON the exported model carries (numbers and text only)."""
        rules = {"name": self.name, "type": self.type, "required": self.required}
        optional = {
            "min": self.min,
            "max": self.max,
            "allowed": list(self.allowed) if self.allowed is not None else None,
            "max_length": self.max_length,
            "normalize": list(self.normalize) or None,
        }
        return rules | {key: value for key, value in optional.items() if value is not None}

    @classmethod
    def from_json(cls, rules: Mapping[str, Any]) -> Self:
        allowed = rules.get("allowed")
        return cls(
            name=rules["name"],
            type=rules["type"],
            required=rules.get("required", True),
            min=rules.get("min"),
            max=rules.get("max"),
            allowed=tuple(allowed) if allowed is not None else None,
            max_length=rules.get("max_length"),
            normalize=tuple(rules.get("normalize") or ()),
        )


@dataclass(frozen=True)
class Rule:
    """A rule across a row's columns, e.g. ``net_cart_items == n_cart_adds - n_cart_removes``."""

    check: str
    description: str = ""

    @property
    def columns(self) -> tuple[str, ...]:
        """The columns the rule reads, in order of appearance."""
        names = [
            node.id for node in ast.walk(ast.parse(self.check, mode="eval")) if isinstance(node, ast.Name)
        ]
        return tuple(dict.fromkeys(names))

    @property
    def sql(self) -> str:
        """The rule as a SQL condition (SQL writes equality ``=`` and inequality ``<>``)."""
        return self.check.replace("==", "=").replace("!=", "<>")

    def holds(self, row: Mapping[str, float]) -> bool:
        """Whether ``row`` (every column the rule reads) satisfies it."""
        return bool(_evaluate(ast.parse(self.check, mode="eval").body, row))


@dataclass(frozen=True)
class Inputs:
    """What a request's session must be to be scored (the key, the model's features, the rules across them),
    and the field its prediction is answered in."""

    key: Field
    features: tuple[Field, ...]
    rules: tuple[Rule, ...]
    output: str

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key.to_json(),
            "features": [feature.to_json() for feature in self.features],
            "rules": [{"check": rule.check, "description": rule.description} for rule in self.rules],
            "output": self.output,
        }

    @classmethod
    def from_json(cls, inputs: Mapping[str, Any]) -> Self:
        return cls(
            key=Field.from_json(inputs["key"]),
            features=tuple(Field.from_json(feature) for feature in inputs["features"]),
            rules=tuple(Rule(rule["check"], rule.get("description", "")) for rule in inputs["rules"]),
            output=inputs["output"],
        )

    @classmethod
    def of_export(cls, exported: Mapping[str, Any]) -> Self:
        """The inputs an exported model was trained on; a clear error for a model exported without them."""
        if "output" not in exported.get("inputs", {}):
            raise ValueError(
                "the exported model does not carry the rules for its inputs and the field it answers in (it "
                "predates the data contract): train and accept a new one with `make run`"
            )
        return cls.from_json(exported["inputs"])


@dataclass(frozen=True)
class Events:
    """The fields a producer sends, in the log's order."""

    fields: tuple[Field, ...]
    description: str = ""

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(field.name for field in self.fields)

    def field(self, name: str) -> Field:
        return next(field for field in self.fields if field.name == name)

    def problem(self, event: Mapping[str, Any], *, ingest: datetime) -> str | None:
        """The first rule ``event`` breaks, naming the field ("price is missing"); None when it keeps all."""
        for field in self.fields:
            value = event.get(field.name)
            if value is None and field.required_unless is not None:
                other, values = field.required_unless
                present = event.get(other)
                if isinstance(present, str) and self.field(other).normalized(present) in values:
                    continue
                return f"{field.name} is missing (it may only be when {other} is {' or '.join(values)})"
            problem = field.problem(value, ingest=ingest)
            if problem:
                return f"{field.name} {problem}"
        return None


@dataclass(frozen=True)
class TrainingSet:
    """The training set's columns (identifiers, split and label, then the features) and its rules."""

    key: str
    label: str
    prediction: str
    split: str
    splits: tuple[str, ...]
    label_rate: tuple[float, float]
    min_sessions_per_split: int
    min_holdout_days: int
    columns: tuple[Field, ...]
    features: tuple[Field, ...]
    rules: tuple[Rule, ...]
    description: str = ""

    @property
    def all_columns(self) -> tuple[Field, ...]:
        return (*self.columns, *self.features)

    @property
    def feature_names(self) -> tuple[str, ...]:
        return tuple(feature.name for feature in self.features)

    @property
    def output(self) -> str:
        """The field a prediction is answered in: "purchase_probability" for the prediction "purchase"."""
        return f"{self.prediction}_probability"

    @property
    def prediction_words(self) -> str:
        """The prediction as plots and reports say it: "add to cart" for "add_to_cart"."""
        return self.prediction.replace("_", " ")

    def column(self, name: str) -> Field:
        found = [column for column in self.all_columns if column.name == name]
        if not found:
            raise ContractError(
                f"column {name!r} is not in contract.toml's [training_set]: declare it, or stop reading it"
            )
        return found[0]

    def inputs(self, features: Sequence[str]) -> Inputs:
        """What a model reading ``features`` must refuse: rules on other columns do not concern it."""
        chosen = tuple(self.column(name) for name in features)
        rules = tuple(rule for rule in self.rules if set(rule.columns) <= set(features))
        return Inputs(self.column(self.key), chosen, rules, self.output)


@dataclass(frozen=True)
class Contract:
    events: Events
    training_set: TrainingSet


@cache
def load(path: Path = CONTRACT_PATH) -> Contract:
    """Read and check ``contract.toml``; a ContractError names the entry that is wrong and the fix."""
    try:
        declared = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as error:
        raise ContractError(f"{path.name} is not valid TOML: {error}") from None
    _no_unknown(declared, {"events", "training_set"}, path.name)
    events = _table(declared, "events", path)
    training = _table(declared, "training_set", path)
    _no_unknown(events, {"description", "fields"}, "events")
    _no_unknown(training, TRAINING_SET_KEYS, "training_set")
    event_fields = _fields(_table(events, "fields", path, "events"), "events.fields")
    columns = _fields(_table(training, "columns", path, "training_set"), "training_set.columns")
    features = _fields(_table(training, "features", path, "training_set"), "training_set.features")
    names = {field.name for field in (*columns, *features)}
    rules = tuple(_rule(rule, names, f"training_set.rules[{n}]") for n, rule in enumerate(training["rules"]))
    for role in ("key", "label", "split"):
        if training.get(role) not in names:
            raise ContractError(
                f"training_set.{role} must name one of its columns, not {training.get(role)!r}"
            )
    _check_training_set(training, columns)
    # Only a feature is monitored for drift: the flag anywhere else would change nothing, so it is a mistake.
    misplaced = [field.name for field in (*event_fields, *columns) if field.grows_with_log_age]
    if misplaced:
        raise ContractError(
            f"{misplaced} say grows_with_log_age, which only training_set.features take: move or remove it"
        )
    reserved = sorted({field.name for field in event_fields} & ENVELOPE)
    if reserved:
        raise ContractError(f"events.fields: {reserved} are the log's own columns: name the fields otherwise")
    low, high = training["label_rate"]
    return Contract(
        events=Events(event_fields, " ".join(str(events.get("description", "")).split())),
        training_set=TrainingSet(
            key=training["key"],
            label=training["label"],
            prediction=training["prediction"],
            split=training["split"],
            splits=tuple(training["splits"]),
            label_rate=(float(low), float(high)),
            min_sessions_per_split=int(training["min_sessions_per_split"]),
            min_holdout_days=int(training["min_holdout_days"]),
            columns=columns,
            features=features,
            rules=rules,
            description=" ".join(str(training.get("description", "")).split()),
        ),
    )


def _check_training_set(training: Mapping[str, Any], columns: tuple[Field, ...]) -> None:
    """The split, label and prediction settings have the types they need, and the splits are the split
    column's."""
    prediction = training.get("prediction")
    if not (isinstance(prediction, str) and re.fullmatch(r"[a-z][a-z0-9_]*", prediction)):
        raise ContractError(
            f"training_set.prediction names what the model predicts in lowercase letters, digits and _, "
            f'starting with a letter (e.g. "purchase", which serving answers as purchase_probability), '
            f"not {prediction!r}"
        )
    rate = training.get("label_rate")
    if not (isinstance(rate, list) and len(rate) == 2 and all(isinstance(r, int | float) for r in rate)):
        raise ContractError(
            "training_set.label_rate is two numbers, the lowest and highest, e.g. [0.005, 0.8]"
        )
    for key in ("min_sessions_per_split", "min_holdout_days"):
        if not isinstance(training.get(key), int) or isinstance(training.get(key), bool):
            raise ContractError(f"training_set.{key} is a whole number")
    split = next((column for column in columns if column.name == training.get("split")), None)
    splits = training.get("splits")
    if split is not None and (not isinstance(splits, list) or tuple(splits) != split.allowed):
        raise ContractError(
            f"training_set.splits {splits} must be the split column's allowed values, in order: "
            f"{list(split.allowed or ())}"
        )


def _table(parent: Mapping[str, Any], key: str, path: Path, where: str = "") -> dict[str, Any]:
    table = parent.get(key)
    if not isinstance(table, dict):
        raise ContractError(f"{path.name} has no [{f'{where}.' if where else ''}{key}] table: add it")
    return table


def _no_unknown(table: Mapping[str, Any], known: set[str], where: str) -> None:
    unknown = sorted(set(table) - known)
    if unknown:
        raise ContractError(f"{where} has unknown keys {unknown}: use only {sorted(known)}")


def _fields(declared: Mapping[str, Any], where: str) -> tuple[Field, ...]:
    fields = tuple(_field(name, rules, f"{where}.{name}") for name, rules in declared.items())
    names = {field.name for field in fields}
    for field in fields:
        if field.required_unless is not None and field.required_unless[0] not in names:
            raise ContractError(
                f"{where}.{field.name}: required_unless names {field.required_unless[0]!r}, "
                f"which is not a field here"
            )
    return fields


def _field(name: str, rules: Any, where: str) -> Field:
    if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
        raise ContractError(
            f"{where}: a field name is lowercase letters, digits and _, starting with a letter"
        )
    if not isinstance(rules, dict):
        raise ContractError(f'{where} must be a table of rules, e.g. type = "text"')
    _no_unknown(rules, FIELD_KEYS, where)
    kind = rules.get("type")
    if kind not in TYPES:
        raise ContractError(f"{where}: type {kind!r} is not one of {', '.join(TYPES)}")
    for key in ("min", "max"):
        bound = rules.get(key)
        if key in rules and (
            kind not in ("integer", "number") or not isinstance(bound, int | float) or isinstance(bound, bool)
        ):
            raise ContractError(f"{where}: {key} is a number, for integer and number fields only")
    for key in ("max_length", "normalize"):
        if key in rules and kind != "text":
            raise ContractError(f"{where}: {key} is for text fields only")
    for key in ("not_before", "max_hours_after_ingest"):
        if key in rules and kind != "timestamp":
            raise ContractError(f"{where}: {key} is for timestamp fields only")
    unknown = set(rules.get("normalize", ())) - set(NORMALIZATIONS)
    if unknown:
        raise ContractError(f"{where}: normalize takes {list(NORMALIZATIONS)}, not {sorted(unknown)}")
    not_before = rules.get("not_before")
    if not_before is not None and not isinstance(not_before, datetime):
        raise ContractError(f"{where}: not_before is a TOML date-time, e.g. 2000-01-01T00:00:00Z")
    unless = rules.get("required_unless")
    if unless is not None and not (
        isinstance(unless, dict) and len(unless) == 1 and all(isinstance(v, list) for v in unless.values())
    ):
        example = 'required_unless = { event_type = ["pageview"] }'
        raise ContractError(f"{where}: required_unless is one field and its values, e.g. {example}")
    allowed = rules.get("allowed")
    expected_types = {
        "required": bool,
        "grows_with_log_age": bool,
        "max_length": int,
        "max_hours_after_ingest": int | float,
        "allowed": list,
        "normalize": list,
        "description": str,
    }
    for key, expected in expected_types.items():
        value = rules.get(key)
        if key in rules and (
            not isinstance(value, expected) or isinstance(value, bool) != (expected is bool)
        ):
            raise ContractError(f"{where}: {key} = {value!r} is not the kind of value {key} takes")
    # The values land in SQL as quoted literals (dbt's tests): a quote or a backslash would break out of them.
    texts = [*(allowed or ()), *(value for values in (unless or {}).values() for value in values)]
    if any(isinstance(text, str) and ("'" in text or "\\" in text) for text in texts):
        raise ContractError(f"{where}: allowed values hold no quote or backslash")
    field = Field(
        name=name,
        type=kind,
        description=" ".join(str(rules.get("description", "")).split()),
        required=bool(rules.get("required", True)) and unless is None,
        required_unless=next(((other, tuple(values)) for other, values in unless.items()), None)
        if unless
        else None,
        min=rules.get("min"),
        max=rules.get("max"),
        allowed=tuple(allowed) if allowed is not None else None,
        max_length=rules.get("max_length"),
        normalize=tuple(rules.get("normalize", ())),
        not_before=(
            not_before.replace(tzinfo=not_before.tzinfo or UTC).astimezone(UTC) if not_before else None
        ),
        max_hours_after_ingest=rules.get("max_hours_after_ingest"),
        grows_with_log_age=bool(rules.get("grows_with_log_age", False)),
    )
    if field.allowed is not None:
        wrong = [value for value in field.allowed if field.problem(value) is not None]
        if wrong:
            raise ContractError(f"{where}: allowed values {wrong} are not {field.type} values")
    return field


def _rule(declared: Any, columns: set[str], where: str) -> Rule:
    if not isinstance(declared, dict) or not isinstance(declared.get("check"), str):
        raise ContractError(f'{where} must be a table with check = "<expression>"')
    rule = Rule(declared["check"], " ".join(str(declared.get("description", "")).split()))
    try:
        tree = ast.parse(rule.check, mode="eval").body
        _evaluate(tree, dict.fromkeys(rule.columns, 1.0))
    except (SyntaxError, ValueError) as error:
        raise ContractError(f"{where}: {rule.check!r} is not a rule the contract can read: {error}") from None
    if not isinstance(tree, ast.Compare):
        raise ContractError(f"{where}: {rule.check!r} must compare two sides, e.g. a >= b")
    unknown = [name for name in rule.columns if name not in columns]
    if unknown:
        raise ContractError(f"{where}: {rule.check!r} reads {unknown}, which are not training set columns")
    return rule


def _evaluate(node: ast.expr, row: Mapping[str, float]) -> Any:
    """Column names, numbers, + - * and one comparison: what pandas, SQL and this function all read alike."""
    if isinstance(node, ast.Name):
        return row[node.id]
    if (
        isinstance(node, ast.Constant)
        and isinstance(node.value, int | float)
        and not isinstance(node.value, bool)
    ):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -_evaluate(node.operand, row)
    if isinstance(node, ast.BinOp) and type(node.op) in _ARITHMETIC:
        return _ARITHMETIC[type(node.op)](_evaluate(node.left, row), _evaluate(node.right, row))
    if isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in _COMPARISONS:
        compare = _COMPARISONS[type(node.ops[0])]
        return compare(_evaluate(node.left, row), _evaluate(node.comparators[0], row))
    raise ValueError(f"{ast.unparse(node)!r} is not a column, a number, + - * or a comparison")


_ARITHMETIC: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
}
# Equal, or ordered the way the rule asks, within the rounding of doubles: a client computing a mean in
# floating point may land one unit in the last place above its maximum (the SQL clamps its own).
_COMPARISONS: dict[type[ast.cmpop], Callable[[Any, Any], Any]] = {
    ast.Eq: lambda a, b: math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12),
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: lambda a, b: a <= b or math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12),
    ast.Gt: operator.gt,
    ast.GtE: lambda a, b: a >= b or math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12),
}


def _range(low: float | None, high: float | None) -> str:
    if low is not None and high is not None:
        return f"from {_number(low)} to {_number(high)}"
    return f"of at least {_number(low)}" if low is not None else f"of at most {_number(high)}"


def _number(value: float | None) -> str:
    """1000000 as "1,000,000", 0.5 as "0.5"."""
    if value is None:
        return ""
    return f"{int(value):,}" if float(value).is_integer() else f"{value:g}"


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _describe(value: Any) -> str:
    """A value as a message quotes it: short, on one line, whatever it is (a huge one is never printed)."""
    if isinstance(value, str):
        text = repr(value[:40])
        return text if len(value) <= 40 else f"{text[:37]}...'"
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 128:
        return f"a whole number of {value.bit_length()} bits"
    if isinstance(value, int | float | bool):
        return repr(value)
    return f"a {type(value).__name__}"
