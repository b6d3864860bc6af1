"""The training set's data-quality checks, as a Great Expectations suite written from the data contract.

Every column's rules (type, nullability, uniqueness of the key, allowed values, ranges, text length), the
rules across columns and each split's label rate come from ``contract.toml``'s training_set, the declaration
dbt's tests and serving also follow; this suite checks them on the frame the model will read. The suite is
code, reviewed like code: GX runs headless in an ephemeral context, nothing is read from or written to a
``gx/`` folder, and the full validation result goes next to the gate's report. The gate (``gate.py``) checks
the table as a whole: split sizes, the holdout, the volume.
"""

import os
from pathlib import Path
from typing import Any, cast

import pandas as pd

# Nothing phones home: the Great Expectations releases that send usage statistics read this first.
os.environ["GX_ANALYTICS_ENABLED"] = "false"

import great_expectations as gx
import great_expectations.expectations as gxe
from great_expectations.core import ExpectationSuiteValidationResult
from great_expectations.data_context.types.base import ProgressBarsConfig
from great_expectations.execution_engine import PandasExecutionEngine
from great_expectations.expectations.expectation import (
    ColumnMapExpectation,
    Expectation,
    MulticolumnMapExpectation,
)
from great_expectations.expectations.metrics.map_metric_provider import (
    ColumnMapMetricProvider,
    MulticolumnMapMetricProvider,
    column_condition_partial,
    multicolumn_condition_partial,
)
from great_expectations.expectations.row_conditions import Column

from ..contract import CONTROL, Field
from ..settings import Settings
from ..training_set import COLUMNS, CONTRACT, KEY, LABEL, SPLIT, SPLITS
from .gate import Failure

# Dtypes as warehouse drivers hand columns to pandas: numpy's, or pandas' nullable ones. Text columns are
# judged by their values (text, accepted, not blank), not by which of pandas' string dtypes a driver picked.
INTEGERS = ["int8", "int16", "int32", "int64", "Int8", "Int16", "Int32", "Int64"]
TYPES = {
    "integer": INTEGERS,
    "number": [*INTEGERS, "float32", "float64", "Float32", "Float64"],
    "timestamp": [f"datetime64[{unit}{zone}]" for unit in ("s", "ms", "us", "ns") for zone in ("", ", UTC")],
}
# Failing values quoted in a failure's one-line detail; the report file has more.
EXAMPLES = 2


class RowsSatisfyRule(MulticolumnMapMetricProvider):
    """Whether each row satisfies a pandas expression over its columns (GX has no built-in for arithmetic)."""

    condition_metric_name = "multicolumn_values.satisfy_rule"
    condition_domain_keys = ("batch_id", "table", "column_list", "row_condition", "ignore_row_if")
    condition_value_keys = ("rule",)

    @multicolumn_condition_partial(engine=PandasExecutionEngine)  # type: ignore[untyped-decorator]
    def _pandas(cls, column_list: pd.DataFrame, rule: str, **kwargs: Any) -> pd.Series:  # noqa: N805
        return cast("pd.Series", column_list.eval(rule))


class ExpectRowsToSatisfyRule(MulticolumnMapExpectation):
    """Expect every row to satisfy ``rule``, a pandas expression over the columns in ``column_list``."""

    rule: str
    map_metric = "multicolumn_values.satisfy_rule"
    success_keys = ("mostly", "rule")


class ValuesAreText(ColumnMapMetricProvider):
    """Whether each value is text (GX's type expectations judge a column's dtype, not an object's values)."""

    condition_metric_name = "column_values.are_text"

    @column_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column: pd.Series, **kwargs: Any) -> pd.Series:  # noqa: N805
        return column.map(lambda value: isinstance(value, str))


class ExpectColumnValuesToBeText(ColumnMapExpectation):
    """Expect every value of the column to be text."""

    map_metric = "column_values.are_text"


def expectations(field: Field) -> list[Expectation]:
    """A field's rules as expectations on its column."""
    name = field.name
    found: list[Expectation] = []
    if field.required:
        found.append(gxe.ExpectColumnValuesToNotBeNull(column=name))
    if name == KEY:
        found.append(gxe.ExpectColumnValuesToBeUnique(column=name))
    if field.type in TYPES:
        found.append(gxe.ExpectColumnValuesToBeInTypeList(column=name, type_list=TYPES[field.type]))
    if field.allowed is not None:
        found.append(gxe.ExpectColumnValuesToBeInSet(column=name, value_set=list(field.allowed)))
    if field.min is not None or field.max is not None:
        found.append(gxe.ExpectColumnValuesToBeBetween(column=name, min_value=field.min, max_value=field.max))
    if field.type == "text":
        found.append(ExpectColumnValuesToBeText(column=name))
        found.append(gxe.ExpectColumnValuesToMatchRegex(column=name, regex=r"\S"))  # not blank
        found.append(gxe.ExpectColumnValuesToNotMatchRegex(column=name, regex=CONTROL.pattern))
        if field.max_length is not None:
            found.append(gxe.ExpectColumnValueLengthsToBeBetween(column=name, max_value=field.max_length))
    return found


def suite() -> gx.ExpectationSuite:
    """The checks, one expectation each: columns, then each column's rules, the rules across columns, the
    splits and their label rates."""
    low, high = CONTRACT.label_rate
    found: list[Expectation] = [
        gxe.ExpectTableColumnsToMatchSet(column_set=list(COLUMNS), exact_match=True),
        *(expectation for field in CONTRACT.all_columns for expectation in expectations(field)),
        *(
            ExpectRowsToSatisfyRule(column_list=list(rule.columns), rule=rule.check)
            for rule in CONTRACT.rules
        ),
        gxe.ExpectColumnDistinctValuesToContainSet(column=SPLIT, value_set=list(SPLITS)),
        *(
            gxe.ExpectColumnMeanToBeBetween(
                column=LABEL, min_value=low, max_value=high, row_condition=Column(SPLIT) == split
            )
            for split in SPLITS
        ),
    ]
    return gx.ExpectationSuite(name="training_set", expectations=found)


def check(frame: pd.DataFrame, settings: Settings, report_dir: Path) -> list[Failure]:
    """Every failed expectation, with how many rows fail it (0 for expectations on the whole frame).

    The full validation result, passing or not, is written to ``great_expectations.json`` in ``report_dir``.
    Expectations that could not run because their column is missing are left to the column-set failure,
    which names the column; the report file still lists them.
    """
    result = validate(frame)
    path = report_dir / "great_expectations.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"{result}\n")  # GX renders a validation result as its full JSON

    missing = set(COLUMNS) - set(frame.columns)
    failed = [outcome.to_json_dict() for outcome in result.results if not outcome.success]
    return [
        _failure(outcome)
        for outcome in failed
        if not (_exception(outcome) and missing.intersection(_columns(outcome)))
    ]


def validate(frame: pd.DataFrame) -> ExpectationSuiteValidationResult:
    """Run the suite on the frame in a throwaway context; failing rows are identified by their session id."""
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    batch = (
        context.data_sources.add_pandas("warehouse")
        .add_dataframe_asset("training_set")
        .add_batch_definition_whole_dataframe("whole")
        .get_batch(batch_parameters={"dataframe": frame})
    )
    result_format: dict[str, Any] = {"result_format": "SUMMARY"}
    if KEY in frame.columns:
        result_format["unexpected_index_column_names"] = [KEY]
    return batch.validate(suite(), result_format=result_format)


def _failure(outcome: dict[str, Any]) -> Failure:
    """One failed expectation as the gate reports it: expectation, column, failing rows, evidence."""
    config = outcome["expectation_config"]
    check = config["type"]
    condition = config["kwargs"].get("row_condition")
    if condition:
        check += f" where {condition['column']['name']} {condition['operator']} {condition['parameter']}"
    return Failure(
        check=check,
        column=", ".join(_columns(outcome)) or None,
        rows=int(outcome["result"].get("unexpected_count") or 0),
        detail=_evidence(outcome),
    )


def _columns(outcome: dict[str, Any]) -> list[str]:
    kwargs = outcome["expectation_config"]["kwargs"]
    return kwargs.get("column_list") or [kwargs[k] for k in ("column", "column_A", "column_B") if k in kwargs]


def _exception(outcome: dict[str, Any]) -> str:
    """Why an expectation could not run, or "" (GX nests the details per metric when a metric failed)."""
    info = outcome["exception_info"]
    raised = [info] if "raised_exception" in info else list(info.values())
    return "; ".join(" ".join(str(e["exception_message"]).split()) for e in raised if e["raised_exception"])


def _evidence(outcome: dict[str, Any]) -> str:
    """The failing values, with their session ids when the key column is there to name them."""
    exception = _exception(outcome)
    if exception:
        return f"could not run: {exception}"
    result = outcome["result"]
    rows = result.get("partial_unexpected_index_list") or result.get("partial_unexpected_list")
    if rows:
        return "e.g. " + "; ".join(_describe(row) for row in rows[:EXAMPLES])
    mismatched = result.get("details", {}).get("mismatched", {})
    found = {
        "missing": mismatched.get("missing") or result.get("partial_missing_list"),
        "unexpected": mismatched.get("unexpected"),
    }
    if any(found.values()):
        return "; ".join(f"{kind}: {', '.join(map(str, names))}" for kind, names in found.items() if names)
    kwargs = outcome["expectation_config"]["kwargs"]
    expected = f", expected {kwargs['min_value']} to {kwargs['max_value']}" if "max_value" in kwargs else ""
    return f"observed {result.get('observed_value')}{expected}"


def _describe(row: object) -> str:
    """A failing row as ``session_id='s1', n_pageviews=-1``."""
    if not isinstance(row, dict):
        return repr(row)
    return ", ".join(f"{name}={row[name]!r}" for name in sorted(row, key=lambda name: name != KEY))
