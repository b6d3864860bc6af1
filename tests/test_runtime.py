"""The runtime tier: each value of each stack choice set up, tested and run for real at least once.

The covering matrix checks every pair of values statically; here a few combinations, generated so that every
orchestrator, warehouse, data-quality tool, tracker, model family and serving target appears, go through what
a user does first: `make setup`, the project's own tests, and `make run`. The default combination is not
among them: `test_generated_project.py` does all of that and more with it, every test of its suite included.
A combination then runs the tests that exercise one of its values the default bake does not have
(``EXERCISES``): the log's tests, which no value touches, ran once already. Every production warehouse's bake
keeps its log on a local S3 server and `make run`s the production path, on a throwaway PostgreSQL server, an
emulated Snowflake or an emulated BigQuery. Minutes each: marked slow.
"""

import json
import os
import re
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from .combinations import STACK, Combination, covering, label
from .conftest import PROJECT_TESTS, TEMPLATE, assert_hook_refuses_environment, bake, run
from .test_docs import assert_docs_hold_after_run
from .test_generated_project import assert_the_run_told_its_story
from .test_postgres import free_port, postgres_server

pytestmark = pytest.mark.slow

RUNTIME_CHOICES = {choice: values for choice, values in STACK.items() if choice != "ci"}
# The stack questions' defaults derive from the scale answers: the default bake's values come first.
DEFAULT_STACK = {choice: values[0] for choice, values in RUNTIME_CHOICES.items()}
RUNTIME = covering(RUNTIME_CHOICES, strength=1, covered=DEFAULT_STACK)
# Which choices' values change what a baked project's tests exercise, by folder or file; tests mirror the
# package. The pipeline's own tests call its stages directly, so they exercise no orchestrator; the flow's
# tests exercise the orchestrator, whose stages `make run` runs here anyway. Tests run the pipeline on the dev
# target, where dbt builds on DuckDB whatever the warehouse: the warehouse's own code (its production build,
# loading the raw tables) is what tests/warehouse/ exercises.
PIPELINE = {"data_quality", "tracking", "model", "serving"}
EXERCISES = {
    "tests/log/": set(),  # the event log: the same in every project
    "tests/test_resources.py": set(),
    "tests/test_story.py": set(),  # how a run tells what it did: the same in every project
    "tests/monitoring/test_monitor.py": set(),  # make monitor: the same in every project
    "tests/monitoring/test_alerts.py": set(),  # the alert to the webhook: the same in every project
    # A week scored the serving target's way (its local server over HTTP, or the nightly batch predictions),
    # monitored, then retrained through both gates.
    "tests/monitoring/test_week_in_production.py": PIPELINE,
    "tests/warehouse/": {"warehouse"},
    "tests/test_contract.py": {"data_quality"},  # the log's rules at dbt (on DuckDB) and at the gate
    "tests/quality/": {"data_quality"},
    "tests/model/": {"model", "tracking"},
    "tests/release/": {"model", "serving"},
    "tests/serving/": {"model", "serving"},
    "tests/test_pipeline.py": PIPELINE,
    "tests/test_bad_data_stops_the_run.py": PIPELINE,
    "tests/test_benchmarks.py": PIPELINE,
    "tests/test_flow.py": {"orchestrator"},
    "tests/test_retraining.py": {"orchestrator"},  # make retrain runs the orchestrator's flow, monitoring on
    "tests/test_cli.py": {"orchestrator"},
    "tests/test_image.py": {"orchestrator"},  # the image starts the orchestrator's entry point
}


# The orchestrator's end-to-end test runs the flow as `make run` does, on the same sample; `make run` below
# runs it once more and checks what it checks (the bundle published, the accepted model and its evaluation,
# the run's history where the README says), so here it would only run the same minute twice.
RUN_BY_MAKE_RUN = {
    "metaflow": "tests/test_flow.py::test_the_metaflow_flow_runs_end_to_end",
    "prefect": "tests/test_flow.py::test_the_prefect_flow_runs_end_to_end",
}


# sqlfluff lints dbt's models and tests, compiled on the `lint` target with .sqlfluff's settings: files no
# stack value touches (checked below; profiles.yml differs only in the prod target, which lint never reads),
# so every combination would lint what the default bake's `make lint` already linted, byte for byte.
SAME_IN_EVERY_STACK = {
    "sqlfluff": ("dbt/models", "dbt/tests", "dbt/macros", "dbt/dbt_project.yml", ".sqlfluff"),
}


def assert_same_in_every_stack(paths: tuple[str, ...]) -> None:
    """Fail if a stack value's folder, or a Jinja choice on a stack answer, could change ``paths``."""
    source = TEMPLATE / "{{cookiecutter.project_slug}}"
    assert not [path for path in paths if list(source.glob(f"_stack/*/*/{path}"))], paths
    files = [file for path in paths for file in [source / path, *(source / path).rglob("*")]]
    texts = [file.read_text() for file in files if file.is_file()]
    # A named place that stack values fill, or a Jinja expression on a stack answer.
    marks = ["place: ", *(f"cookiecutter.{choice}" for choice in STACK)]
    assert not [mark for mark in marks for text in texts if mark in text], paths


# Every combination with a production warehouse runs `make run` as a team at its scale would: its event log on
# object storage, in a bucket of a real S3 API on localhost (moto's server, from the project's own
# environment), and the production path (below). The embedded default keeps its log on the local disk and
# builds on DuckDB (test_generated_project.py runs that).
def in_production(combination: Combination) -> bool:
    return combination["warehouse"] != DEFAULT_STACK["warehouse"]


# The bucket, made once the server answers.
MAKE_BUCKET = """
import time, boto3, botocore.exceptions
for _ in range(100):
    try:
        boto3.client("s3").create_bucket(Bucket="runtime-log")
        break
    except botocore.exceptions.EndpointConnectionError:
        time.sleep(0.2)
else:
    raise SystemExit("the S3 server never answered")
"""


@contextmanager
def log_on_object_storage(project: Path) -> Iterator[dict[str, str]]:
    """A local S3 server with an empty bucket, and the environment that puts the project's log in it."""
    port = free_port()
    environment = {
        "AWS_ENDPOINT_URL_S3": f"http://127.0.0.1:{port}",
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    server = subprocess.Popen(
        [project / ".venv/bin/python", "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        run([".venv/bin/python", "-c", MAKE_BUCKET], cwd=project, env=environment)
        [package] = [path.name for path in (project / "src").iterdir() if path.is_dir()]
        yield environment | {f"{package.upper()}_LOG_URL": "s3://runtime-log/events"}
    finally:
        server.terminate()
        server.wait(timeout=30)


# The production path: the log loaded into the raw tables, the warehouse's prod build, and every stage after
# it reading the training set back from the warehouse. Against a throwaway PostgreSQL server (as in
# test_postgres.py), fakesnow's server (a Snowflake emulator, from the project's own environment) and
# bqemulator (a BigQuery emulator, below), reached through the variables a team's .env, a private link or a
# proxy would set: nothing in the project is patched.


# The dev target's warehouse file, which the README says `make run` makes; on prod, dbt builds elsewhere.
DEV_WAREHOUSE = "data/warehouse.duckdb"

# dbt-snowflake and the connector sign in with a key pair, as the prod profile says: a throwaway key, which
# the emulator never checks.
MAKE_KEY = """
import sys
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
with open(sys.argv[1], "wb") as file:
    file.write(key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()))
"""

# What the warehouse holds after the run, read through the project's own connection: a DB-API one (PostgreSQL,
# Snowflake) or BigQuery's client.
COUNT_ROWS = """
import sys
from contextlib import closing
from {package}.warehouse.production import connect
with closing(connect()) as database:
    for table in sys.argv[1:]:
        query = f"select count(*) from {{table}}"
        if hasattr(database, "cursor"):
            with closing(database.cursor()) as cursor:
                cursor.execute(query)
                print(table, cursor.fetchone()[0])
        else:
            print(table, next(iter(database.query(query).result()))[0])
"""


def wait_for(port: int, server: subprocess.Popen[bytes], log: Path, name: str, timeout: float = 120) -> None:
    """Return once ``server`` answers on ``port``; fail with the end of its log if it never does."""
    deadline = time.monotonic() + timeout
    while server.poll() is None and time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"{name} never answered:\n{log.read_text()[-3000:]}")


@contextmanager
def emulated_snowflake(project: Path, scratch: Path) -> Iterator[dict[str, str]]:
    """fakesnow's server on localhost, and the environment that makes it the project's prod warehouse."""
    port = free_port()
    key = scratch / "snowflake-key.p8"
    run([".venv/bin/python", "-c", MAKE_KEY, str(key)], cwd=project)
    with (scratch / "fakesnow.log").open("wb") as log:
        server = subprocess.Popen(
            [project / ".venv/bin/fakesnow", "--host", "127.0.0.1", "-p", str(port), "-s"],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for(port, server, scratch / "fakesnow.log", "fakesnow's server")
        yield {
            "DBT_TARGET": "prod",
            "SNOWFLAKE_ACCOUNT": "runtime",
            "SNOWFLAKE_USER": "pipeline",
            "SNOWFLAKE_PRIVATE_KEY_PATH": str(key),
            "SNOWFLAKE_ROLE": "transformer",
            "SNOWFLAKE_WAREHOUSE": "transforming",
            "SNOWFLAKE_DATABASE": "analytics_db",
            "SNOWFLAKE_HOST": "127.0.0.1",
            "SNOWFLAKE_PORT": str(port),
            "SNOWFLAKE_PROTOCOL": "http",
        }
    finally:
        server.terminate()
        server.wait(timeout=30)


# bqemulator (PyPI: BigQuery's REST API over DuckDB, its SQL translated by SQLGlot), in an environment of its
# own made by the project's uv, pinned: it needs DuckDB's spatial extension, which DuckDB would download from
# its own host at start (blocked here, as on many corporate networks); the PyPI package of that extension
# for DuckDB 1.5.5 installs it instead, into a scratch HOME.
BIGQUERY_EMULATOR = [
    "bqemulator==1.4.0",
    "duckdb==1.5.5",
    "duckdb-extensions==1.5.5",
    "duckdb-extension-spatial==1.5.5",
    "numpy==2.4.6",
]
START_BIGQUERY_EMULATOR = """
import sys
from duckdb_extensions import import_extension
from bqemulator.cli import main
import_extension("spatial")
sys.argv = ["bqemulator", "start", "--rest-port", sys.argv[1], "--grpc-port", "0", "--project", "runtime"]
main()
"""


class TokenEndpoint(BaseHTTPRequestHandler):
    """Google's OAuth token endpoint as far as the client libraries need it: any grant gets a token."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        body = json.dumps({"access_token": "emulated", "expires_in": 3600, "token_type": "Bearer"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def emulated_bigquery(project: Path, scratch: Path) -> Iterator[dict[str, str]]:
    """bqemulator on localhost, and the environment that makes it the project's prod warehouse.

    The client library and dbt-bigquery send the REST API to ``BIGQUERY_EMULATOR_HOST``; both sign in with
    Application Default Credentials, here a throwaway service account whose token endpoint is a local one
    (a service-account file may name its own, as for a private Google endpoint)."""
    port, key = free_port(), scratch / "bigquery-key.pem"
    run([".venv/bin/python", "-c", MAKE_KEY, str(key)], cwd=project)
    tokens = HTTPServer(("127.0.0.1", 0), TokenEndpoint)
    threading.Thread(target=tokens.serve_forever, daemon=True).start()
    account = {
        "type": "service_account",
        "project_id": "runtime",
        "private_key_id": "emulated",
        "private_key": key.read_text(),
        "client_email": "pipeline@runtime.iam.gserviceaccount.com",
        "client_id": "1",
        "token_uri": f"http://127.0.0.1:{tokens.server_port}/token",
    }
    credentials = scratch / "bigquery-service-account.json"
    credentials.write_text(json.dumps(account))
    uv = project / ".tools/bin/uv"
    cache = run([uv, "cache", "dir"], cwd=project).strip()
    home = scratch / "bigquery-emulator-home"
    home.mkdir()
    with (scratch / "bqemulator.log").open("wb") as log:
        with_packages = [f"--with={package}" for package in BIGQUERY_EMULATOR]
        server = subprocess.Popen(
            [
                uv,
                "run",
                "--no-project",
                "--quiet",
                *with_packages,
                "python",
                "-c",
                START_BIGQUERY_EMULATOR,
                str(port),
            ],
            cwd=scratch,
            env={**os.environ, "HOME": str(home), "UV_CACHE_DIR": cache},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_for(port, server, scratch / "bqemulator.log", "bqemulator")
        yield {
            "DBT_TARGET": "prod",
            "GOOGLE_CLOUD_PROJECT": "runtime",
            "GOOGLE_APPLICATION_CREDENTIALS": str(credentials),
            "BIGQUERY_EMULATOR_HOST": f"http://127.0.0.1:{port}",
        }
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        tokens.shutdown()


@contextmanager
def production_warehouse(warehouse: str, project: Path, scratch: Path) -> Iterator[dict[str, str]]:
    """The warehouse's server on localhost, and the environment that makes it the project's prod target."""
    if warehouse == "snowflake":
        with emulated_snowflake(project, scratch) as environment:
            yield environment
    elif warehouse == "bigquery":
        with emulated_bigquery(project, scratch) as environment:
            yield environment
    else:
        with postgres_server() as server:
            yield server.env | {"DBT_TARGET": "prod"}


STORY = r"(?m)(?:^|\] )"


def assert_the_training_set_came_from_the_warehouse(
    project: Path, pipeline: str, environment: dict[str, str]
) -> None:
    """The log's events are in the warehouse's raw table, the quality gate judged the training set dbt built
    there, row for row, and no local warehouse was built."""
    [package] = [path.name for path in (project / "src").iterdir() if path.is_dir()]
    script = COUNT_ROWS.format(package=package)
    counted = run(
        [".venv/bin/python", "-c", script, "raw.events", "analytics.training_set"],
        cwd=project,
        env=environment,
    )
    held = dict(line.split() for line in counted.splitlines() if line.startswith(("raw.", "analytics.")))
    # A story line starts the line, or follows the orchestrator's prefix (Metaflow's "[run/step (pid)] ").
    assert re.search(rf"{STORY}transform\s+loaded [1-9][\d,]* batch", pipeline), pipeline[-3000:]
    appended = re.search(rf"{STORY}log\s+([\d,]+) events appended", pipeline)
    judged = re.search(r"passed on ([\d,]+) rows of the training set", pipeline)
    assert appended and judged, pipeline[-3000:]
    assert int(held["raw.events"]) == int(appended[1].replace(",", "")), (held, pipeline[-3000:])
    assert int(held["analytics.training_set"]) == int(judged[1].replace(",", "")), (held, pipeline[-3000:])
    assert not (project / DEV_WAREHOUSE).exists(), "the prod run built the dev warehouse file"


def selection(project: Path, combination: Combination) -> list[str]:
    """pytest's arguments for the project's test files that exercise one of ``combination``'s values the
    default bake lacks, less the end-to-end run `make run` repeats."""
    # Listed from the folder rather than collected by pytest, which imports every stack's libraries (20 s).
    files = sorted(str(path.relative_to(project)) for path in project.glob("tests/**/test_*.py"))
    exercises = {file: [key for key in EXERCISES if file.startswith(key)] for file in files}
    unknown = [file for file, keys in exercises.items() if not keys]
    assert not unknown, f"say in EXERCISES which choices these tests exercise: {unknown}"
    changed = {choice for choice, value in DEFAULT_STACK.items() if combination[choice] != value}
    selected = [file for file, [key] in exercises.items() if EXERCISES[key] & changed]
    end_to_end = RUN_BY_MAKE_RUN.get(combination["orchestrator"])
    if end_to_end is None:
        return selected
    file, test = end_to_end.split("::")
    assert f"def {test}(" in (project / file).read_text(), f"{end_to_end} is gone: update RUN_BY_MAKE_RUN"
    return [*selected, f"--deselect={end_to_end}"]


@pytest.mark.parametrize("combination", RUNTIME, ids=label)
def test_sets_up_passes_its_own_tests_and_runs(
    combination: Combination, cookies_session, project_env: dict[str, str], tmp_path: Path
) -> None:
    project = bake(cookies_session, **combination)
    run("git init -q && git add -A", cwd=project)

    run("make setup", cwd=project, env=project_env)
    assert_hook_refuses_environment(project)
    if combination["model"] == "pytorch":
        cuda = run([".venv/bin/python", "-c", "import torch; print(torch.version.cuda)"], cwd=project)
        assert cuda.strip() == "None", f"compute=cpu installed a CUDA build of PyTorch (CUDA {cuda.strip()})"
    for paths in SAME_IN_EVERY_STACK.values():
        assert_same_in_every_stack(paths)
    skip = {"SKIP": ",".join(SAME_IN_EVERY_STACK)}
    run([".venv/bin/pre-commit", "run", "--all-files"], cwd=project, env={**project_env, **skip})
    selected = selection(project, combination)
    tests = run([*PROJECT_TESTS, *selected], cwd=project, env=project_env)
    if in_production(combination):
        with ExitStack() as services:
            environment = project_env | services.enter_context(log_on_object_storage(project))
            warehouse = production_warehouse(combination["warehouse"], project, tmp_path)
            environment |= services.enter_context(warehouse)
            pipeline = run("make run EVENTS=30000", cwd=project, env=environment)
            status = run("make log-status", cwd=project, env=environment)
            assert_the_training_set_came_from_the_warehouse(project, pipeline, environment)
        assert "files of the log on object storage copied to" in pipeline, pipeline[-3000:]
        assert re.search(r"^[1-9][\d,]* batches: ", status, re.MULTILINE), status
    else:
        pipeline = run("make run EVENTS=30000", cwd=project, env=project_env)

    assert " passed" in tests and " failed" not in tests and " skipped" not in tests
    if combination["model"] == "pytorch":  # compute=cpu: the CPU build, and the log says why the CPU
        assert "training on the CPU: the step asks for no GPU" in pipeline, pipeline[-3000:]
    assert_the_run_told_its_story(pipeline)
    published = [line.split("published: ", 1)[1] for line in pipeline.splitlines() if "published: " in line]
    assert published and (project / published[-1].strip()).exists(), pipeline[-3000:]
    assert (project / "artifacts" / "accepted" / "model" / "model.json").exists()
    assert (project / "artifacts" / "accepted" / "evaluation" / "metrics.json").exists()
    if combination["orchestrator"] == "prefect":
        assert (project / ".prefect" / "prefect.db").exists(), "run history should stay in PREFECT_HOME"
    assert_docs_hold_after_run(
        project, pipeline, not_made={DEV_WAREHOUSE} if in_production(combination) else ()
    )
