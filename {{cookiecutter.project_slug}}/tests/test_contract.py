"""One contract, every door: contract.toml is read strictly, and dbt's tests are exactly the contract's rules.

The log's door is tested in log/test_events.py, the quality gate's in quality/ and serving's in the API
tests, each with cases derived from the contract (contract_cases.py).
"""

import re
import shutil
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml
from dbt.adapters.duckdb.connections import DuckDBConnectionManager
from dbt.artifacts.schemas.run import RunExecutionResult
from dbt.cli.main import dbtRunner
from hypothesis import HealthCheck, assume, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from {{ cookiecutter.module_name }}.contract import CONTRACT_PATH, ContractError, load
from {{ cookiecutter.module_name }}.log.events import LOG_SCHEMA, append_batch, log_files, retract
from {{ cookiecutter.module_name }}.log.sample import EVENT_TYPES
from {{ cookiecutter.module_name }}.quality import checks, gate
from {{ cookiecutter.module_name }}.runs import begin
from {{ cookiecutter.module_name }}.settings import Settings
from {{ cookiecutter.module_name }}.warehouse import dbt_tests
from {{ cookiecutter.module_name }}.warehouse.read import load_training_set
from {{ cookiecutter.module_name }}.warehouse.transform import (
    TransformError,
    broken_rules,
    build,
    dbt_arguments,
    dbt_environment,
    environment,
    read_locally,
)

from .contract_cases import (
    CONTRACT,
    INGEST,
    Violation,
    breaking,
    event_violations,
    training_set_violations,
)

# The contract's line naming the prediction, which two cases below break.
PREDICTION = f'prediction = "{CONTRACT.training_set.prediction}"'

# Which of dbt's tests each kind of broken rule fails (dbt does not look for control characters: engines
# disagree on how to match them, and the log refuses them at its door).
DBT_TESTS = {
    "missing": "not_null",
    "blank": "valid_text",
    "too long": "valid_text",
    "not allowed": "accepted_values",
    "below its minimum": "in_range",
    "above its maximum": "in_range",
    "too early": "time_bounds",
    "after its arrival": "time_bounds",
}


def test_dbt_tests_are_written_from_the_contract() -> None:
    assert dbt_tests.stale(load()) == [], "run `make contract`"


def test_a_build_refuses_dbt_tests_that_drift_from_the_contract(
    tiny_log: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dbt_tests, "stale", lambda contract: [Path("models/ml/_training_set.yml")])

    with pytest.raises(TransformError, match=r"differ from contract.toml: run `make contract`"):
        build(tiny_log)


def test_make_contract_writes_what_the_check_expects(tmp_path: Path) -> None:
    dbt_dir = tmp_path / "dbt"
    for path in dbt_tests.properties(CONTRACT):
        (dbt_dir / path).parent.mkdir(parents=True, exist_ok=True)
        (dbt_dir / path).write_text("stale\n")

    written = dbt_tests.write(CONTRACT, dbt_dir)

    assert len(written) == 2 and dbt_tests.stale(CONTRACT, dbt_dir) == []
    assert dbt_tests.write(CONTRACT, dbt_dir) == []


def declared(tmp_path: Path, old: str, new: str) -> Path:
    """A copy of contract.toml with ``old`` replaced by ``new``."""
    text = CONTRACT_PATH.read_text()
    assert old in text
    path = tmp_path / "contract.toml"
    path.write_text(text.replace(old, new, 1))
    return path


@pytest.mark.parametrize(
    ("old", "new", "words"),
    [
        (
            'type = "number"',
            'type = "decimal"',
            "type 'decimal' is not one of text, timestamp, integer, number",
        ),
        ("max_length = 128", "max_lenght = 128", "unknown keys ['max_lenght']"),
        ("min = 0", 'min = "zero"', "min is a number, for integer and number fields only"),
        (
            'check = "max_price_viewed',
            'check = "max_price_viewed.real',
            "is not a rule the contract can read",
        ),
        ('check = "max_price_viewed', 'check = "unknown_column', "reads ['unknown_column']"),
        ('key = "session_id"', 'key = "session"', "training_set.key must name one of its columns"),
        (
            PREDICTION,
            'prediction = "Add to cart"',
            "training_set.prediction names what the model predicts in lowercase letters, digits and _",
        ),
        (f"{PREDICTION}\n", "", "training_set.prediction names what the model predicts"),
        (
            "allowed = [0, 1]",
            'allowed = ["no", "yes"]',
            "allowed values ['no', 'yes'] are not integer values",
        ),
        ("[events]\ndescription", "[event]\ndescription", "contract.toml has unknown keys ['event']"),
        (
            'started before this one."\ngrows_with_log_age = true',
            'started before this one."\ngrows_with_log_age = "yes"',
            "grows_with_log_age = 'yes' is not the kind of value grows_with_log_age takes",
        ),
        (
            "max_length = 128",
            "max_length = 128\ngrows_with_log_age = true",
            "say grows_with_log_age, which only training_set.features take",
        ),
    ],
)
def test_a_broken_contract_is_refused_in_one_line_naming_the_entry(
    tmp_path: Path, old: str, new: str, words: str
) -> None:
    with pytest.raises(ContractError) as refused:
        load(declared(tmp_path, old, new))

    assert words in str(refused.value) and "\n" not in str(refused.value)


def test_a_rule_added_to_the_contract_becomes_a_dbt_test(tmp_path: Path) -> None:
    feature = '[training_set.features.n_pageviews]\ntype = "integer"\nmin = 0'
    contract = load(declared(tmp_path, feature, f"{feature}\nmax = 500"))

    text = dbt_tests.properties(contract)[Path("models/ml/_training_set.yml")]

    assert (
        "max_value: 500" in text
        and "max_value: 500" not in dbt_tests.properties(CONTRACT)[Path("models/ml/_training_set.yml")]
    )


def row_of(**changes: Any) -> dict[str, Any]:
    """A logged event that keeps the contract, with ``changes``."""
    event = {
        "event_id": "x",
        "event_time": INGEST.replace(tzinfo=None),
        "ingest_time": INGEST.replace(tzinfo=None),
        "source": "a careless job",
        "batch_id": "written-around-the-log",
        "session_id": "x-s1",
        "user_id": "x-u1",
        "event_type": "detail",
        "product_id": "x-p1",
        "category": "books",
        "price": 10.0,
        "extras": None,
    }
    return event | changes


def storable(violation: Violation) -> bool:
    """Whether the log's file types can hold the value: a writer going around the log could put it there."""
    return violation.rule in DBT_TESTS


def test_every_rule_on_events_fails_its_dbt_test_and_a_retraction_clears_the_log(tiny_log: Settings) -> None:
    """A file written around append_batch (which would have quarantined these events) breaks each rule once:
    dbt finds every rule broken, naming its rows, and retracting that batch is how the log is corrected."""
    cases = [violation for violation in event_violations() if storable(violation)]
    rows = [
        row_of(event_id=f"x{n}", **{case.field.name: as_logged(case)})
        if case.field.name != "event_id"
        else row_of(event_id=as_logged(case))
        for n, case in enumerate(cases)
    ]
    partition = tiny_log.log_dir / "ingest_date=2025-03-10"
    partition.mkdir(parents=True)
    pq.write_table(
        pa.Table.from_pylist(rows, schema=LOG_SCHEMA), partition / "written-around-the-log.parquet"
    )

    with pytest.raises(TransformError) as failed:
        build(tiny_log)

    report = str(failed.value)
    for case in cases:
        assert f"fail test {DBT_TESTS[case.rule]}_stg_events_{case.field.name}: " in report, case.id
    # No rule fails that no case breaks, and every rule dbt checks on a field of the contract has a case.
    named = {f"{DBT_TESTS[case.rule]}_stg_events_{case.field.name}" for case in cases}
    assert set(re.findall(r"fail test (\w+): ", report)) == named
    fields = {field.name for field in CONTRACT.events.fields}
    assert {rule["name"] for rule in rules_of("stg_events") if rule["column"] in fields} == named
    assert "retract their batch" in report and "found: " in report
    assert (tiny_log.data_dir / "failed_build" / "warehouse.duckdb").exists()

    retract("written-around-the-log", reason="written around the log by a careless job", settings=tiny_log)

    assert build(tiny_log).tests > 0


def as_logged(violation: Violation) -> Any:
    """A violating value as the log's file would hold it (times as naive UTC datetimes)."""
    value = violation.value
    if violation.field.type == "timestamp" and isinstance(value, str):
        return datetime.fromisoformat(value).replace(tzinfo=None)
    return value


def test_every_rule_on_the_training_set_fails_its_dbt_test(built: Settings) -> None:
    """The training set broken once per rule, by hand in the warehouse: `dbt test` finds each rule broken."""
    training_set, key = CONTRACT.training_set, CONTRACT.training_set.key
    cases = [v for v in training_set_violations() if v.rule in DBT_TESTS and v.field.name != key]
    with duckdb.connect(str(built.warehouse_path)) as warehouse:
        frame = warehouse.sql("select * from training_set order by session_id").df()
        sessions = iter(frame[training_set.key])
        for case in cases:
            change(warehouse, next(sessions), {case.field.name: case.value})
        for rule in training_set.rules:
            session = next(sessions)
            row = frame.set_index(training_set.key).loc[session]
            change(warehouse, session, breaking(rule, {name: float(row[name]) for name in rule.columns}))

    with environment(dbt_environment(built, built.warehouse_path)):
        outcome = dbtRunner().invoke([*dbt_arguments(built, "test"), "--select", "training_set"])
    DuckDBConnectionManager.close_all_connections()  # type: ignore[no-untyped-call]

    assert isinstance(outcome.result, RunExecutionResult), outcome.exception
    read = read_locally(built.warehouse_path)
    failed = {rule.name for result in outcome.result.results for rule in broken_rules(result, read)}
    named = {f"{DBT_TESTS[case.rule]}_training_set_{case.field.name}" for case in cases}
    for name in named:
        assert name in failed, name
    assert sum(name.startswith("satisfies_training_set_") for name in failed) == len(training_set.rules)
    # No other rule fails, and every rule on a column but the key (its rows are not changed here) has a case.
    assert {name for name in failed if not name.startswith("satisfies_")} == named
    on_columns = {rule["name"] for rule in rules_of("training_set") if rule.get("column", key) != key}
    assert on_columns == named


def rules_of(model: str) -> list[dict[str, Any]]:
    """The rules dbt checks on ``model``, as the properties file written from the contract lists them."""
    [text] = [text for path, text in dbt_tests.properties(CONTRACT).items() if path.stem == f"_{model}"]
    [properties] = yaml.safe_load(text)["models"]
    [test] = properties["data_tests"]
    rules: list[dict[str, Any]] = test["rules"]["arguments"]["rules"]
    return rules


def change(warehouse: duckdb.DuckDBPyConnection, session: str, values: dict[str, Any]) -> None:
    """Set columns of one session's row in the training set table."""
    for column, value in values.items():
        statement = f"update training_set set {column} = ? where session_id = ?"  # noqa: S608 (the contract's names)
        warehouse.execute(statement, [value, session])


def test_a_retracted_batch_is_left_out_of_the_next_build(tiny_log: Settings) -> None:
    batch = next(path.stem for path in sorted(tiny_log.log_dir.glob("*/*.parquet")))
    before = build(tiny_log)
    [(sessions,)] = duckdb.execute(
        "select count(distinct session_id) from read_parquet(?)", [f"{tiny_log.log_dir}/*/{batch}.parquet"]
    ).fetchall()

    retract(batch, reason="a day exported twice", settings=tiny_log)
    build(tiny_log)

    with duckdb.connect(str(tiny_log.warehouse_path), read_only=True) as warehouse:
        left = warehouse.execute("select count(*) from stg_events where batch_id = ?", [batch]).fetchone()
    assert left == (0,) and sessions > 0
    assert before.tests > 0


# Text of any Unicode but what the contract refuses in text (control characters, lone surrogates).
TEXT = st.text(st.characters(codec="utf-8", exclude_categories=["Cc"]), min_size=1, max_size=20)
TIMES = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2025, 3, 11, 12))


@st.composite
def hostile_events(draw: st.DrawFn, known: dict[str, list[str]]) -> dict[str, Any]:
    """An event at the edges of what the contract allows: odd text, extreme prices and times, event types in
    any case, ids, sessions and users reused from the log (a retry, a session with two users), extra fields;
    or, now and then, something the log must quarantine."""
    event: dict[str, Any] = {
        "event_id": draw(st.sampled_from(known["event_id"]) | TEXT),
        "event_time": draw(TIMES).isoformat() + draw(st.sampled_from(["", "Z", "+05:30", "-11:00"])),
        "session_id": draw(st.sampled_from(known["session_id"]) | TEXT),
        "user_id": draw(st.sampled_from(known["user_id"]) | TEXT),
        "event_type": draw(st.sampled_from(EVENT_TYPES).map(str.upper) | st.sampled_from(EVENT_TYPES)),
        # Mostly there: a product event without one is quarantined, and that is tried often enough below.
        "product_id": draw(st.none() if draw(st.integers(0, 4)) == 0 else TEXT),
        "category": draw(st.none() | TEXT),
        "price": draw(
            st.none()
            | st.sampled_from([0.0, 1e-300, 5e-324, 0.005, 999_999.99, 1_000_000.0])
            | st.floats(min_value=0, max_value=1_000_000)
        ),
    }
    if draw(st.booleans()):
        event[draw(st.sampled_from(["referrer", "ab_test", "n"]))] = draw(TEXT | st.integers())
    if draw(st.integers(0, 9)) == 0:
        event[draw(st.sampled_from(list(event)))] = draw(st.floats() | st.lists(st.integers(), max_size=2))
    return event


@pytest.fixture(scope="module")
def hostile_workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("hostile")


def emptied(workspace: Path) -> Settings:
    """The workspace's settings, with everything but dbt's own folder removed: dbt keeps its parse of the
    project there and reuses it while the project and its --vars (which name the workspace) stay the same."""
    settings = Settings(workspace=workspace)
    dbt_folder = settings.dbt_target_dir.parent  # its target and its log
    for path in [*workspace.iterdir(), *settings.data_dir.glob("*")]:
        if path in (settings.data_dir, dbt_folder):
            continue
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink()
    return settings


@pytest.mark.slow
@hypothesis_settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_anything_the_log_accepts_builds_and_passes_the_gate(
    _tiny_log: Path, hostile_workspace: Path, data: st.DataObject
) -> None:
    """Batches of hostile events on top of a good log: whatever the log accepts, dbt builds and the gate
    passes, so no event can block later runs; and every event sent is either in the log or in quarantine."""
    settings = emptied(hostile_workspace)
    shutil.copytree(_tiny_log, settings.data_dir / "log")
    logged = pq.read_table(log_files(settings)[0]).to_pandas()
    known = {name: logged[name].head(50).tolist() for name in ("event_id", "session_id", "user_id")}
    batches = data.draw(
        st.lists(st.lists(hostile_events(known), min_size=1, max_size=25), min_size=1, max_size=3)
    )

    appended = 0
    for number, batch in enumerate(batches):
        result = append_batch(
            batch, batch_id=f"hostile-{number}", source="fuzz", settings=settings, now=INGEST
        )
        assert result.received == result.appended + result.quarantined == len(batch)
        appended += result.appended
    assume(appended > 0)  # something new must reach the build
    transform = build(settings)

    frame = load_training_set(settings)
    run = begin(settings)
    failures = checks.check(frame, settings, run.quality_dir) + gate.table_failures(frame, settings)
    assert failures == [], failures
    assert transform.tests > 0


def test_a_time_bound_with_an_offset_is_the_same_instant_at_every_door(tmp_path: Path) -> None:
    contract = load(
        declared(tmp_path, "not_before = 2000-01-01T00:00:00Z", "not_before = 2000-01-01T00:00:00+02:00")
    )
    field = contract.events.field("event_time")

    assert field.problem("1999-12-31T22:30:00Z") is None
    assert field.problem("1999-12-31T21:30:00Z") is not None
    assert (
        "not_before: '1999-12-31 22:00:00'"
        in dbt_tests.properties(contract)[Path("models/staging/_stg_events.yml")]
    )
