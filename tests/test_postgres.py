"""The production warehouses as far as this machine can take them: Postgres for real, the others to SQL.

Postgres: a throwaway server from the Debian package `postgresql` (which .ci/run installs; nothing here
installs anything) receives a baked project's sample log through `make load-raw`; the project builds its prod
target there, and the training set must be the one the dev target builds on DuckDB from the same log, before
and after a batch of it is retracted.
Snowflake and BigQuery have no server here: their adapter group must install, and the prod target must parse
and compile with dummy credentials into SQL their dialects accept.
"""

import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from .conftest import DBT_VARS, assert_hook_refuses_environment, attempt, bake, run

pytestmark = pytest.mark.slow
# The Postgres tests share one server and one project: keep them on one pytest-xdist worker.
on_the_server = pytest.mark.xdist_group("postgres-server")
# The transform stage on its own, building whichever target DBT_TARGET names.
TRANSFORM = [".venv/bin/python", "-m", "purchase_intent.warehouse.transform"]

SAMPLE_EVENTS = 30_000
# Run inside a baked project: its training set as the pipeline reads it, as a row count and a hash that do not
# depend on an engine's integer widths or on float digits past the ninth decimal.
FINGERPRINT = """
import hashlib, json
import pandas as pd
from purchase_intent.warehouse.read import load_training_set

frame = load_training_set().sort_values("session_id").reset_index(drop=True)
for name in frame.columns:
    if pd.api.types.is_float_dtype(frame[name]):
        frame[name] = frame[name].round(9)
    elif pd.api.types.is_integer_dtype(frame[name]):
        frame[name] = frame[name].astype("int64")
digest = hashlib.sha256(frame.to_csv(index=False).encode()).hexdigest()
print(json.dumps({"rows": len(frame), "columns": list(frame.columns), "sha256": digest}))
"""
# Run inside a baked project with a batch id: how many sessions that batch's events make, and how many of
# them the training set holds as the pipeline reads it.
SESSIONS_OF_BATCH = """
import json, sys
import pyarrow.parquet as pq
from purchase_intent.log.events import log_files
from purchase_intent.settings import Settings
from purchase_intent.warehouse.read import load_training_set

batch = next(path for path in log_files(Settings()) if path.stem == sys.argv[1])
sessions = set(pq.read_table(batch, columns=["session_id"])["session_id"].to_pylist())
held = sessions & set(load_training_set()["session_id"])
print(json.dumps({"sessions": len(sessions), "in_training_set": len(held)}))
"""
RETRACTION_REASON = "replayed by a faulty producer"


@dataclass(frozen=True)
class Postgres:
    """A running server and the libpq variables that reach it (what a project's .env would hold)."""

    env: dict[str, str]
    binaries: Path
    root: Path

    def query(self, sql: str) -> str:
        return run([str(self.binaries / "psql"), "-XtA", "-c", sql], cwd=self.root, env=self.env).strip()


def server_binaries() -> Path:
    """The newest PostgreSQL server the Debian packages installed."""
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda initdb: int(initdb.parts[-3]) if initdb.parts[-3].isdigit() else 0,
    )
    if not found:
        pytest.fail(
            "no PostgreSQL server in /usr/lib/postgresql/*/bin: install the Debian package "
            "(apt-get install postgresql), as .ci/run does"
        )
    return found[-1].parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def postgres_server() -> Iterator[Postgres]:
    """A throwaway cluster on a free localhost port, stopped and deleted whatever happens."""
    binaries = server_binaries()
    root = Path(tempfile.mkdtemp(prefix="rs-template-postgres-"))
    # initdb and postgres refuse to run as root: as root, the cluster belongs to an unprivileged user.
    as_owner = ["runuser", "-u", "nobody", "--"] if os.geteuid() == 0 else []
    data, password_file = root / "data", root / "password"
    pg_ctl = [*as_owner, str(binaries / "pg_ctl"), "--pgdata", str(data)]
    try:
        password = secrets.token_urlsafe(16)
        password_file.write_text(password)
        if as_owner:
            for path in (root, password_file):
                shutil.chown(path, "nobody")
        run(
            [
                *as_owner,
                str(binaries / "initdb"),
                *("--pgdata", str(data), "--username", "warehouse", f"--pwfile={password_file}"),
                *("--auth", "scram-sha-256", "--no-locale", "--encoding", "UTF8"),
            ],
            cwd=root,
        )
        port = str(free_port())
        options = f"-h 127.0.0.1 -p {port} -k {root}"
        run([*pg_ctl, "--log", str(root / "server.log"), "--options", options, "--wait", "start"], cwd=root)
        env = {"PGHOST": "127.0.0.1", "PGPORT": port, "PGUSER": "warehouse", "PGPASSWORD": password}
        yield Postgres(env | {"PGDATABASE": "postgres", "PGSSLMODE": "disable"}, binaries, root)
    finally:
        stop = [*pg_ctl, "--mode", "immediate", "--wait", "stop"]
        subprocess.run(stop, cwd=root, capture_output=True, check=False)
        shutil.rmtree(root, ignore_errors=True)


# Session-scoped, as are the two below: pytest-xdist may run other files' tests in between, which ends
# module-scoped fixtures and would start a second server and set up a second project.
@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    with postgres_server() as server:
        yield server


@pytest.fixture(scope="session")
def postgres_project(cookies_session) -> tuple[Path, int]:
    """A project baked for Postgres and set up, with a sample log; returns it and the log's event count."""
    project = bake(cookies_session, warehouse="postgres")
    run("make setup", cwd=project)
    sample = run(f"make sample EVENTS={SAMPLE_EVENTS}", cwd=project)
    appended = re.search(r"appended ([\d,]+) events", sample)
    assert appended, sample
    return project, int(appended[1].replace(",", ""))


@pytest.fixture(scope="session")
def loaded(postgres_project: tuple[Path, int], postgres: Postgres) -> str:
    """The first `make load-raw` into the empty server; returns what it printed."""
    project, _ = postgres_project
    return run("make load-raw", cwd=project, env=postgres.env)


@dataclass(frozen=True)
class Builds:
    """The first load built on both targets, before anything is retracted: what the prod build printed, each
    training set's fingerprint, and the rows of the table on the server."""

    printed: str
    on_postgres: dict[str, Any]
    on_duckdb: dict[str, Any]
    rows_on_the_server: str


@pytest.fixture(scope="session")
def built(postgres_project: tuple[Path, int], postgres: Postgres, loaded: str) -> Builds:
    project, _ = postgres_project
    prod = postgres.env | {"DBT_TARGET": "prod"}
    printed = run(TRANSFORM, cwd=project, env=prod)
    run(TRANSFORM, cwd=project, env={"DBT_TARGET": "dev"})
    return Builds(
        printed,
        fingerprint(project, prod),
        fingerprint(project, {"DBT_TARGET": "dev"}),
        postgres.query("select count(*) from analytics.training_set"),
    )


def fingerprint(project: Path, env: dict[str, str]) -> dict[str, Any]:
    return printed_json(run([".venv/bin/python", "-c", FINGERPRINT], cwd=project, env=env))


def sessions_of_batch(project: Path, batch: str, env: dict[str, str]) -> dict[str, int]:
    return printed_json(run([".venv/bin/python", "-c", SESSIONS_OF_BATCH, batch], cwd=project, env=env))


def printed_json(output: str) -> Any:
    """The last JSON line a script printed (dbt and the clients may print before it)."""
    return json.loads(next(line for line in reversed(output.splitlines()) if line.startswith("{")))


@on_the_server
def test_load_raw_appends_each_log_batch_once(
    postgres_project: tuple[Path, int], postgres: Postgres, loaded: str
) -> None:
    project, events = postgres_project
    batches = len(list((project / "data" / "log" / "events").glob("ingest_date=*/*.parquet")))
    raw = "select count(*) || ' ' || count(distinct batch_id) from raw.events"

    assert f"loaded {batches} batches ({events:,} events) into raw.events; 0 were already there" in loaded
    # The table dbt's staging reads is there before anything is retracted.
    assert "loaded 0 retractions into raw.retractions; 0 were already there" in loaded
    assert postgres.query(raw) == f"{events} {batches}"

    again = run("make load-raw", cwd=project, env=postgres.env)

    assert f"loaded 0 batches (0 events) into raw.events; {batches} were already there" in again
    assert "loaded 0 retractions into raw.retractions" in again
    assert postgres.query(raw) == f"{events} {batches}"


@on_the_server
def test_prod_on_postgres_builds_the_training_set_dev_builds_on_duckdb(built: Builds) -> None:
    assert "dbt build passed" in built.printed
    assert built.on_postgres == built.on_duckdb
    assert isinstance(built.on_postgres["rows"], int) and built.on_postgres["rows"] > 1000
    assert built.rows_on_the_server == str(built.on_postgres["rows"])


@on_the_server
def test_a_retracted_batch_leaves_both_targets_alike(
    postgres_project: tuple[Path, int], postgres: Postgres, built: Builds
) -> None:
    project, _ = postgres_project
    prod, dev = postgres.env | {"DBT_TARGET": "prod"}, {"DBT_TARGET": "dev"}
    batches = sorted(path.stem for path in (project / "data" / "log" / "events").glob("*/*.parquet"))
    batch = batches[len(batches) // 2]
    held = sessions_of_batch(project, batch, dev)["in_training_set"]
    assert held > 0, f"the training set has no session of {batch}: retract a batch it has sessions of"

    retract = [".venv/bin/python", "-m", "purchase_intent.log.events", "retract", batch]
    run([*retract, "--reason", RETRACTION_REASON], cwd=project)
    loaded = run("make load-raw", cwd=project, env=postgres.env)
    again = run("make load-raw", cwd=project, env=postgres.env)

    assert "loaded 1 retraction into raw.retractions; 0 were already there" in loaded
    assert "loaded 0 retractions into raw.retractions; 1 was already there" in again
    # One row, for the whole batch: no event id.
    retracted = (
        "select concat_ws(' ', count(*), min(batch_id), count(event_id), min(reason)) from raw.retractions"
    )
    assert postgres.query(retracted) == f"1 {batch} 0 {RETRACTION_REASON}"

    run(TRANSFORM, cwd=project, env=prod)
    run(TRANSFORM, cwd=project, env=dev)

    on_postgres, on_duckdb = fingerprint(project, prod), fingerprint(project, dev)
    assert on_postgres == on_duckdb
    # The batch's sessions are its own (the sample's session ids carry their day): all of them leave.
    assert on_postgres["rows"] == built.on_postgres["rows"] - held
    for target in (prod, dev):
        assert sessions_of_batch(project, batch, target)["in_training_set"] == 0


@on_the_server
def test_an_event_that_breaks_a_rule_on_the_server_is_named_by_its_rule(
    postgres_project: tuple[Path, int], postgres: Postgres, built: Builds
) -> None:
    project, _ = postgres_project
    # One event a producer wrote around append_batch, straight into the server's copy of the log.
    broken = (
        "create temp table broken as select * from raw.events"
        " where batch_id not in (select batch_id from raw.retractions) limit 1;"
        " update broken set event_id = 'broken-1', event_type = 'teleport';"
        " insert into raw.events select * from broken;"
    )
    postgres.query(broken)
    try:
        failed = attempt(TRANSFORM, project, postgres.env | {"DBT_TARGET": "prod"})
    finally:
        postgres.query("delete from raw.events where event_id = 'broken-1'")

    report = failed.stdout + failed.stderr
    assert failed.returncode == 1, report
    # The rule it breaks, by name, with the event: read back from Postgres, not from a local file.
    assert 'fail test accepted_values_stg_events_event_type: 1 row; found: event_id="broken-1"' in report
    assert 'event_type="teleport"' in report
    assert "retract their batch" in report


@on_the_server
def test_the_template_refuses_a_module_name_the_environment_can_import(
    postgres_project: tuple[Path, int],
) -> None:
    assert_hook_refuses_environment(postgres_project[0])


def fake_service_account(project: Path, path: Path) -> None:
    """A well-formed service-account key of no real account: dbt can open a client with it, never call."""
    key = path.with_suffix(".pem")
    run(["openssl", "genpkey", "-algorithm", "RSA", "-out", str(key)], cwd=project)
    account = {
        "type": "service_account",
        "project_id": "example-project",
        "private_key_id": "0",
        "private_key": key.read_text(),
        "client_email": "dbt@example-project.iam.gserviceaccount.com",
        "client_id": "0",
        "token_uri": "https://oauth2.googleapis.com/token",
    }
    path.write_text(json.dumps(account))


@pytest.mark.parametrize(
    ("warehouse", "credentials", "raw_table"),
    [
        (
            "snowflake",
            {
                "SNOWFLAKE_ACCOUNT": "example-account",
                "SNOWFLAKE_USER": "dbt",
                "SNOWFLAKE_PRIVATE_KEY_PATH": "/nonexistent/dbt.p8",
                "SNOWFLAKE_ROLE": "transformer",
                "SNOWFLAKE_WAREHOUSE": "transforming",
                "SNOWFLAKE_DATABASE": "example_db",
            },
            "example_db.raw.{}",
        ),
        ("bigquery", {"GOOGLE_CLOUD_PROJECT": "example-project"}, "`example-project`.`raw`.`{}`"),
    ],
)
def test_prod_parses_and_compiles_for_the_warehouse(
    cookies, tmp_path: Path, warehouse: str, credentials: dict[str, str], raw_table: str
) -> None:
    project = bake(cookies, warehouse=warehouse)
    run("make setup", cwd=project)
    assert_hook_refuses_environment(project)
    env = credentials | {"DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    if warehouse == "bigquery":
        fake_service_account(project, tmp_path / "service-account.json")
        env["GOOGLE_APPLICATION_CREDENTIALS"] = str(tmp_path / "service-account.json")
    dbt = [".venv/bin/dbt", "--no-use-colors"]
    project_args = ["--project-dir", "dbt", "--profiles-dir", "dbt", "--target", "prod", "--vars", DBT_VARS]

    run([*dbt, "parse", *project_args], cwd=project, env=env)

    manifest = json.loads((project / "dbt" / "target" / "manifest.json").read_text())
    assert manifest["metadata"]["adapter_type"] == warehouse
    # On a warehouse the log is the raw tables `make load-raw` fills, not the Parquet files.
    for table in ("events", "retractions"):
        source = manifest["sources"][f"source.purchase_intent.event_log.{table}"]
        assert source["relation_name"] == raw_table.format(table)

    # Compiling renders every model and test with the adapter's own macros; no query is sent.
    run([*dbt, "compile", "--no-populate-cache", *project_args], cwd=project, env=env)
    compiled = project / "dbt" / "target" / "compiled"
    # The models, the rules test of five (every rule in one query; the recorded predictions' too) and the
    # singular tests.
    assert len(list(compiled.rglob("*.sql"))) >= 12
    rules = {"rules_stg_events", "rules_sessions", "rules_session_features", "rules_training_set"}
    rules |= {"rules_predictions"}
    assert {path.stem for path in compiled.rglob("rules_*.sql")} == rules
    run(
        [".venv/bin/sqlfluff", "parse", str(compiled), "--dialect", warehouse, "--templater", "raw"],
        cwd=project,
    )
