"""The transform stage: dbt builds the training set from the log, and its tests stop a bad log."""

import hashlib
import json
import re
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import duckdb
import pandas as pd
import pytest
from dbt.adapters.duckdb.connections import DuckDBConnectionManager
from dbt.artifacts.schemas.run import RunExecutionResult
from dbt.cli.main import dbtRunner, dbtRunnerResult

from {{ cookiecutter.module_name }} import story
from {{ cookiecutter.module_name }}.log.events import append_batch
from {{ cookiecutter.module_name }}.settings import Settings
from {{ cookiecutter.module_name }}.story import Ticker
from {{ cookiecutter.module_name }}.training_set import COLUMNS, FEATURES, SPLITS
from {{ cookiecutter.module_name }}.warehouse.read import load_training_set
from {{ cookiecutter.module_name }}.warehouse.targets import WarehouseError
from {{ cookiecutter.module_name }}.warehouse.transform import (
    NodesTold,
    TransformError,
    broken_rules,
    build,
    dbt_arguments,
    dbt_environment,
    environment,
    read_locally,
)

from ..conftest import Built, progress_lines, ticker_readings
from ..documented import documented_path

# Hand-written events arrive after the sample log's last day, like a late batch would.
ARRIVAL = datetime(2025, 3, 10, 12, tzinfo=UTC)


def shopper_events() -> list[dict[str, Any]]:
    """One shopper, two sessions, each ending in a purchase; the second keeps browsing after it."""
    starts = {"hand-s1": datetime(2025, 1, 13, 19), "hand-s2": datetime(2025, 1, 18, 10)}  # Monday, Saturday
    garden = {"product_id": "hand-p1", "category": "garden", "price": 20.0}
    books = {"product_id": "hand-p2", "category": "books", "price": 10.0}
    toys = {"product_id": "hand-p3", "category": "toys", "price": 99.0}
    steps: list[tuple[str, int, str, dict[str, Any]]] = [
        ("hand-s1", 0, "pageview", {}),
        ("hand-s1", 1, "detail", garden),
        ("hand-s1", 2, "add_to_cart", garden),
        ("hand-s1", 3, "purchase", garden),
        ("hand-s2", 0, "pageview", {}),
        ("hand-s2", 1, "detail", books),
        # Producers are sloppy with case and spaces; staging normalizes event types.
        ("hand-s2", 2, " Add_To_Cart", books),
        ("hand-s2", 3, "purchase", books),
        # After the purchase: none of this may reach the features.
        ("hand-s2", 4, "detail", toys),
        ("hand-s2", 5, "add_to_cart", toys),
        ("hand-s2", 6, "pageview", {}),
    ]
    return [
        {
            "event_id": f"hand-e{n}",
            "event_time": starts[session] + timedelta(minutes=minute),
            "session_id": session,
            "user_id": "hand-u1",
            "event_type": event_type,
            **product,
        }
        for n, (session, minute, event_type, product) in enumerate(steps)
    ]


# What hand-s2 looks like from before its purchase, and with the shopper's earlier session as history.
HAND_S2_FEATURES = {
    "label": 1,
    "split": "train",
    "n_pageviews": 1,
    "n_detail_views": 1,
    "n_cart_adds": 1,
    "n_cart_removes": 0,
    "net_cart_items": 1,
    "n_distinct_products": 1,
    "n_distinct_categories": 1,
    "session_seconds": 120,
    "mean_price_viewed": 10.0,
    "max_price_viewed": 10.0,
    "is_evening": 0,
    "is_weekend": 1,
    "prior_sessions": 1,
    "prior_purchases": 1,
}


def row_of(frame: pd.DataFrame, session_id: str) -> dict[str, Any]:
    row = frame.loc[frame["session_id"] == session_id]
    assert len(row) == 1, f"{session_id} is in the training set {len(row)} times"
    return {column: row.iloc[0][column] for column in HAND_S2_FEATURES}


def test_build_produces_the_training_set_contract(tiny_build: Built, training_frame: pd.DataFrame) -> None:
    result, frame = tiny_build.result, training_frame

    assert result.models >= 4
    assert result.tests > 0
    assert sorted(frame.columns) == sorted(COLUMNS)
    assert frame["session_id"].is_unique
    assert set(frame["split"]) == set(SPLITS)
    assert set(frame["label"]) == {0, 1}
    features = frame[list(FEATURES)]
    assert features.notna().all().all()
    assert all(pd.api.types.is_numeric_dtype(dtype) for dtype in features.dtypes)


def test_splits_follow_the_cutoffs(training_frame: pd.DataFrame, settings: Settings) -> None:
    start = training_frame.groupby("split")["session_start"]

    assert start.max()["train"] < pd.Timestamp(settings.train_cutoff)
    assert start.min()["validation"] >= pd.Timestamp(settings.train_cutoff)
    assert start.max()["validation"] < pd.Timestamp(settings.validation_cutoff)
    assert start.min()["test"] >= pd.Timestamp(settings.validation_cutoff)


def test_features_only_see_events_before_the_first_purchase(tiny_log: Settings) -> None:
    append_batch(shopper_events(), batch_id="hand-1", source="test", settings=tiny_log, now=ARRIVAL)

    build(tiny_log)

    assert row_of(load_training_set(tiny_log), "hand-s2") == HAND_S2_FEATURES


def test_an_event_logged_twice_counts_once_and_the_copy_that_arrived_first_wins(tiny_log: Settings) -> None:
    # A producer retry: the same events again in a later batch, with prices a later repricing gave.
    append_batch(shopper_events(), batch_id="hand-1", source="test", settings=tiny_log, now=ARRIVAL)
    repriced = [
        dict(event, price=event["price"] * 3) if "price" in event else event for event in shopper_events()
    ]
    retry = ARRIVAL + timedelta(hours=1)
    append_batch(repriced, batch_id="hand-1-retry", source="test", settings=tiny_log, now=retry)

    build(tiny_log)

    assert row_of(load_training_set(tiny_log), "hand-s2") == HAND_S2_FEATURES
    with duckdb.connect(str(tiny_log.warehouse_path), read_only=True) as warehouse:
        staged = warehouse.sql("select event_id, batch_id from stg_events where event_id like 'hand-%'").df()
        left_out = warehouse.sql("select event_id, batch_id from stg_later_copies").df()
    assert sorted(staged["event_id"]) == sorted(event["event_id"] for event in shopper_events())
    assert set(staged["batch_id"]) == {"hand-1"}
    # The copies staging leaves out are listed once, in a table of their own, and are only the retry's.
    assert sorted(left_out["event_id"]) == sorted(staged["event_id"])
    assert set(left_out["batch_id"]) == {"hand-1-retry"}


def test_an_event_the_contract_refuses_never_reaches_the_build(tiny_log: Settings) -> None:
    [refund] = [dict(e, event_id="hand-bad", event_type="refund") for e in shopper_events()[:1]]
    result = append_batch([refund], batch_id="hand-bad", source="test", settings=tiny_log, now=ARRIVAL)

    assert result.quarantined == 1
    assert build(tiny_log).tests > 0


@pytest.mark.usefixtures("progress_clock")
def test_a_long_build_tells_which_models_and_tests_dbt_has_finished(
    tiny_log: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    """With a clock a second per node, the build is a long one: its lines, a few, name nodes dbt ran, the
    last finished and those still running."""
    result = build(tiny_log)

    told = progress_lines(capsys.readouterr().out, "models and tests done")
    ran = json.loads((tiny_log.dbt_target_dir / "run_results.json").read_text())["results"]
    # A node's id is <kind>.<project>.<name>, and a test's has a hash after.
    nodes = {f"{kind} {name}" for kind, _, name, *_ in (node["unique_id"].split(".") for node in ran)}
    line = re.compile(
        r"transform {7}(\d+) of (\d+) models and tests done; the last, (\w+ \w+): \w+(?:; running: (.+))? \("
    )
    parsed = [line.match(each) for each in told]
    assert len(ran) >= result.models + result.tests >= 10
    # A line after 5, 10, 20... finished nodes: twice the nodes, one more line, never one per node.
    assert [int(found[1]) for found in parsed if found] == ticker_readings(len(ran)), told
    for found in parsed:
        assert found is not None and int(found[2]) == len(ran), told
        running = found[4].split(", ") if found[4] else []
        assert {found[3], *running} <= nodes, told


@pytest.mark.usefixtures("progress_clock")
def test_a_line_of_the_build_names_the_models_still_running(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """dbt's events as its worker threads send them: two models start, one finishes while the other runs."""
    monkeypatch.setattr(story, "PROGRESS_EVERY", 0.0)
    told = NodesTold(Ticker("transform"))

    def event(name: str, **data: Any) -> Any:
        return SimpleNamespace(info=SimpleNamespace(name=name), data=SimpleNamespace(**data))

    def node(name: str) -> SimpleNamespace:
        return SimpleNamespace(resource_type="model", node_name=name)

    told(event("ConcurrencyLine", node_count=3))
    told(event("NodeStart", node_info=node("stg_events")))
    told(event("NodeStart", node_info=node("sessions")))
    told(event("NodeFinished", node_info=node("stg_events"), run_result=SimpleNamespace(status="success")))

    assert capsys.readouterr().out == (
        "transform       1 of 3 models and tests done; the last, model stg_events: success; "
        "running: model sessions (1.0 s)\n"
    )


def test_a_failed_build_leaves_the_last_good_warehouse_and_keeps_itself_where_the_readme_says(
    built: Settings,
) -> None:
    before = load_training_set(built)
    # Cutoffs that leave the test split empty: the splits' test fails, naming the split it found empty.
    late = built.model_copy(update={"validation_cutoff": date(2025, 6, 1)})

    with pytest.raises(TransformError) as failed:
        build(late)

    assert "fail test splits_are_usable_training_set" in str(failed.value)
    assert 'found: split="test", n_rows=0' in str(failed.value)
    assert "append more events" in str(failed.value)
    pd.testing.assert_frame_equal(load_training_set(built), before)
    assert (built.workspace / documented_path("failed_build") / built.warehouse_path.name).exists()


def test_a_training_set_that_loses_a_session_or_leaks_one_fails_each_rule_by_name(built: Settings) -> None:
    """The training set changed by hand: one train session moved to the test split, another removed. `dbt
    test` finds both rules broken, each with its own name and an example."""
    with duckdb.connect(str(built.warehouse_path)) as warehouse:
        train = "select session_id from training_set where split = 'train' order by session_id"
        moved, removed = (row[0] for row in warehouse.execute(train).fetchmany(2))
        warehouse.execute("update training_set set split = 'test' where session_id = ?", [moved])
        warehouse.execute("delete from training_set where session_id = ?", [removed])

    with environment(dbt_environment(built, built.warehouse_path)):
        outcome = dbtRunner().invoke([*dbt_arguments(built, "test"), "--select", "training_set"])
    DuckDBConnectionManager.close_all_connections()  # type: ignore[no-untyped-call]

    assert isinstance(outcome.result, RunExecutionResult), outcome.exception
    read = read_locally(built.warehouse_path)
    broken = {str(rule) for result in outcome.result.results for rule in broken_rules(result, read)}
    sessions = len(load_training_set(built)) + 1
    assert broken == {
        f"training_set_covers_every_session: 1 row; found: sessions={sessions}, training_set={sessions - 1}",
        f'training_set_split_follows_cutoffs: 1 row; found: session_id="{moved}", split="test", '
        f'session_start="{session_start(built, moved)}"',
    }


def session_start(settings: Settings, session_id: str) -> str:
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as warehouse:
        query = "select cast(session_start as varchar) from training_set where session_id = ?"
        [(start,)] = warehouse.execute(query, [session_id]).fetchall()
    return str(start)


def content_hash(frame: pd.DataFrame) -> str:
    """A digest of the training set's columns, types and every value, row by row in order."""
    digest = hashlib.sha256(json.dumps([[name, str(kind)] for name, kind in frame.dtypes.items()]).encode())
    digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return digest.hexdigest()


def test_dropping_everything_but_the_log_and_rebuilding_gives_identical_training_data(
    tiny_log: Settings, training_frame: pd.DataFrame
) -> None:
    """The log is the source of truth: the warehouse and dbt's files are derived, and rebuilt the same."""
    # The training frame was built from this log in another workspace; this one holds nothing but the log: no
    # warehouse, none of dbt's compiled SQL or state.
    assert [path.name for path in tiny_log.data_dir.iterdir()] == ["log"]

    build(tiny_log)

    assert content_hash(load_training_set(tiny_log)) == content_hash(training_frame)
    pd.testing.assert_frame_equal(load_training_set(tiny_log), training_frame, check_exact=True)


def test_a_missing_count_reads_back_as_a_missing_whole_number(built: Settings) -> None:
    with duckdb.connect(str(built.warehouse_path)) as warehouse:
        warehouse.execute(
            "update training_set set n_pageviews = null"
            " where session_id = (select min(session_id) from training_set)"
        )

    frame = load_training_set(built)

    assert frame["n_pageviews"].dtype == "Int64"
    assert frame["n_pageviews"].isna().sum() == 1
    assert frame["n_cart_adds"].dtype == "int64"


def test_an_empty_log_is_explained(settings: Settings) -> None:
    with pytest.raises(TransformError, match=r"event log .* is empty"):
        build(settings)


def test_reading_before_any_build_is_explained(settings: Settings) -> None:
    with pytest.raises(WarehouseError, match="run the transform stage first"):
        load_training_set(settings)


def test_a_reader_during_a_build_reads_the_last_good_warehouse(
    built: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """dbt builds a new file beside the warehouse: a stage reading while it runs (the next run's gate, `make
    package`) sees the last good training set, whole, never a build in progress."""
    before = load_training_set(built)
    during: list[pd.DataFrame] = []
    invoke = dbtRunner.invoke

    def build_then_read(runner: dbtRunner, args: list[str]) -> dbtRunnerResult:
        result = invoke(runner, args)  # dbt still holds its new file open here
        during.append(load_training_set(built))
        return result

    monkeypatch.setattr(dbtRunner, "invoke", build_then_read)
    build(built)

    pd.testing.assert_frame_equal(during[0], before)
