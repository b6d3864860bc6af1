"""The training set's data-quality checks, as a Great Expectations suite.

dbt tests already guard keys and accepted values inside the warehouse; this suite looks at the frame the
model will actually be trained on, including what SQL tests express badly (per-split label rates, rules across
columns). The suite is code, reviewed like code: GX runs headless in an ephemeral context, nothing is read
from or written to a ``gx/`` folder, and the full validation result goes next to the gate's report.
"""

import os
from typing import Any, cast

import pandas as pd

# Nothing phones home: the Great Expectations releases that send usage statistics read this first.
os.environ["GX_ANALYTICS_ENABLED"] = "false"

import great_expectations as gx
import great_expectations.expectations as gxe
from great_expectations.core import ExpectationSuiteValidationResult
from great_expectations.data_context.types.base import ProgressBarsConfig
from great_expectations.execution_engine import PandasExecutionEngine
from great_expectations.expectations.expectation import Expectation, MulticolumnMapExpectation
from great_expectations.expectations.metrics.map_metric_provider import (
    MulticolumnMapMetricProvider,
    multicolumn_condition_partial,
)
from great_expectations.expectations.row_conditions import Column

from .gate import Failure
from .settings import Settings
from .training_set import AMOUNTS, COLUMNS, COUNTS, FLAGS, KEY, LABEL, SIGNED, SPLIT, SPLITS

# A label rate outside these bounds in any split means the log or a join broke, not that customers changed.
LABEL_RATE_BOUNDS = (0.005, 0.8)
# Dtypes as warehouse drivers hand columns to pandas: numpy's, or pandas' nullable ones.
INTEGERS = ["int8", "int16", "int32", "int64", "Int8", "Int16", "Int32", "Int64"]
NUMBERS = [*INTEGERS, "float32", "float64", "Float32", "Float64"]
TIMESTAMPS = ["datetime64[s]", "datetime64[ms]", "datetime64[us]", "datetime64[ns]"]
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


def suite() -> gx.ExpectationSuite:
    """The checks, one expectation each: columns, types, nulls, keys, accepted values, ranges, rules."""
    integers = (LABEL, *COUNTS, *FLAGS, *SIGNED)
    expectations: list[Expectation] = [
        gxe.ExpectTableColumnsToMatchSet(column_set=list(COLUMNS), exact_match=True),
        *(gxe.ExpectColumnValuesToNotBeNull(column=name) for name in COLUMNS),
        gxe.ExpectColumnValuesToBeUnique(column=KEY),
        # Text columns are judged by their values (unique, accepted), not by which of pandas' string dtypes
        # the warehouse driver picked.
        gxe.ExpectColumnValuesToBeInTypeList(column="session_start", type_list=TIMESTAMPS),
        *(gxe.ExpectColumnValuesToBeInTypeList(column=name, type_list=INTEGERS) for name in integers),
        *(gxe.ExpectColumnValuesToBeInTypeList(column=name, type_list=NUMBERS) for name in AMOUNTS),
        gxe.ExpectColumnValuesToBeInSet(column=SPLIT, value_set=list(SPLITS)),
        *(gxe.ExpectColumnValuesToBeInSet(column=name, value_set=[0, 1]) for name in (LABEL, *FLAGS)),
        *(gxe.ExpectColumnValuesToBeBetween(column=name, min_value=0) for name in (*COUNTS, *AMOUNTS)),
        gxe.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="max_price_viewed", column_B="mean_price_viewed", or_equal=True
        ),
        gxe.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="n_distinct_products", column_B="n_distinct_categories", or_equal=True
        ),
        ExpectRowsToSatisfyRule(
            column_list=["net_cart_items", "n_cart_adds", "n_cart_removes"],
            rule="net_cart_items == n_cart_adds - n_cart_removes",
        ),
        gxe.ExpectColumnDistinctValuesToContainSet(column=SPLIT, value_set=list(SPLITS)),
        *(
            gxe.ExpectColumnMeanToBeBetween(
                column=LABEL,
                min_value=LABEL_RATE_BOUNDS[0],
                max_value=LABEL_RATE_BOUNDS[1],
                row_condition=Column(SPLIT) == split,
            )
            for split in SPLITS
        ),
    ]
    return gx.ExpectationSuite(name="training_set", expectations=expectations)


def check(frame: pd.DataFrame, settings: Settings) -> list[Failure]:
    """Every failed expectation, with how many rows fail it (0 for expectations on the whole frame).

    The full validation result, passing or not, is written to ``artifacts/quality/great_expectations.json``.
    Expectations that could not run because their column is missing are left to the column-set failure,
    which names the column; the report file still lists them.
    """
    result = validate(frame)
    path = settings.artifacts_dir / "quality" / "great_expectations.json"
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
