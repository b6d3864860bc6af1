"""The covering matrix: every value of every prompt, and every pair of values, baked and checked statically.

Each combination must bake the exact files its answers imply, fully rendered, with every config parsing,
lint-clean, its CI file and CloudFormation valid, and a dbt project that parses for development and for its
production warehouse. What these combinations do at run time is the runtime tier's job (test_runtime.py).
"""

import json
import os
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from .combinations import Combination, covering, label, prompts
from .conftest import TEMPLATE, bake, run
from .test_bake import COOKIECUTTER_VARIABLE, TEMPLATE_SYNTAX, cloudformation_loader, files_of

TOOLS = Path(sys.executable).parent
COMBINATIONS = covering(prompts())
# Credentials dbt needs to read the production profile; parsing never connects.
DUMMY_WAREHOUSE_ENV = {
    "DBT_DUCKDB_PROD_PATH": "/nonexistent/prod.duckdb",
    "PGHOST": "localhost",
    "PGUSER": "nobody",
    "PGPASSWORD": "not-a-secret",
    "PGDATABASE": "analytics",
    "SNOWFLAKE_ACCOUNT": "example-account",
    "SNOWFLAKE_USER": "nobody",
    "SNOWFLAKE_PRIVATE_KEY_PATH": "/nonexistent/key.p8",
    "SNOWFLAKE_ROLE": "transformer",
    "SNOWFLAKE_DATABASE": "analytics",
    "SNOWFLAKE_WAREHOUSE": "transforming",
    "GOOGLE_CLOUD_PROJECT": "example-project",
}


def expected_files(combination: Combination, module: str = "purchase_intent") -> set[str]:
    """The shared files plus each chosen value's files, as the template tree lays them out.

    A value's files are in ``_stack/<choice>/<value>/`` and in the folders it shares with other values,
    named by the values joined with "+" (``_stack/serving/gcp_cloud_run+modal/``).
    """
    root = TEMPLATE / "{{cookiecutter.project_slug}}"
    files = set()
    for path in root.rglob("*"):
        if not path.is_file():
            continue
        parts = path.relative_to(root).parts
        if parts[0] == "_stack":
            choice, values, *parts = parts[1:]
            if combination[choice] not in values.split("+"):
                continue
        files.add("/".join(parts).replace("{{cookiecutter.module_name}}", module))
    return files


@pytest.fixture(scope="session")
def baked(cookies_session) -> dict[str, Path]:
    """Each combination baked once per test process, on first use."""
    return {}


def project_for(combination: Combination, baked: dict[str, Path], cookies_session) -> Path:
    key = label(combination)
    if key not in baked:
        baked[key] = bake(cookies_session, **combination)
    return baked[key]


matrix = pytest.mark.parametrize("combination", COMBINATIONS, ids=label)


@matrix
def test_bakes_exactly_the_files_its_answers_imply(combination: Combination, baked, cookies_session) -> None:
    project = project_for(combination, baked, cookies_session)

    assert files_of(project) == expected_files(combination)


@matrix
def test_is_fully_rendered_and_every_config_parses(combination: Combination, baked, cookies_session) -> None:
    project = project_for(combination, baked, cookies_session)

    for name in files_of(project):
        path = project / name
        text = path.read_text()
        assert not COOKIECUTTER_VARIABLE.search(text), f"{name} still refers to a cookiecutter variable"
        if not name.startswith("dbt/"):
            assert not TEMPLATE_SYNTAX.search(text), f"{name} has unrendered template syntax"
        if path.suffix == ".toml":
            tomllib.loads(text)
        elif path.suffix == ".json":
            json.loads(text)
        elif path.suffix in {".yml", ".yaml"}:
            yaml.load(text, Loader=cloudformation_loader())


@matrix
def test_passes_ruff_untouched(combination: Combination, baked, cookies_session) -> None:
    project = project_for(combination, baked, cookies_session)

    run([str(TOOLS / "ruff"), "check", "--no-cache", "."], cwd=project)
    run([str(TOOLS / "ruff"), "format", "--check", "--no-cache", "."], cwd=project)


@matrix
def test_ci_and_deployment_files_validate(combination: Combination, baked, cookies_session) -> None:
    project = project_for(combination, baked, cookies_session)
    schema = {"github": "vendor.github-workflows", "gitlab": "vendor.gitlab-ci"}.get(combination["ci"])
    ci_files = sorted({*project.glob(".github/workflows/*.yml"), *project.glob(".gitlab-ci.yml")})

    if schema is None:
        assert ci_files == []
    else:
        assert ci_files
        run([str(TOOLS / "check-jsonschema"), "--builtin-schema", schema, *map(str, ci_files)], cwd=project)
    cloudformation = project / "deploy" / "template.yaml"
    if cloudformation.exists():
        run([str(TOOLS / "cfn-lint"), str(cloudformation)], cwd=project)


@matrix
def test_dbt_project_parses_for_development_and_production(
    combination: Combination, baked, cookies_session, tmp_path: Path
) -> None:
    project = project_for(combination, baked, cookies_session)
    cutoffs = {"train_cutoff": "2025-02-17", "validation_cutoff": "2025-02-24"}
    dbt_vars = json.dumps(cutoffs | {"log_path": "data/log"})
    env = {
        **DUMMY_WAREHOUSE_ENV,
        "DBT_DUCKDB_PATH": str(tmp_path / "warehouse.duckdb"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    for target in ("dev", "prod"):
        run(
            [
                str(TOOLS / "dbt"),
                "parse",
                *("--project-dir", "dbt", "--profiles-dir", "dbt", "--target", target),
                *("--target-path", str(tmp_path / target), "--log-path", str(tmp_path / "logs")),
                *("--vars", dbt_vars),
            ],
            cwd=project,
            env=env | {"PATH": f"{TOOLS}{os.pathsep}{os.environ['PATH']}"},
        )
