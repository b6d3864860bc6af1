"""The covering matrix: every value of every prompt, and every pair of values, baked and checked statically.

Each combination must bake the exact files its answers imply, fully rendered, with every config parsing,
lint-clean, its CI file and CloudFormation valid, and a dbt project that parses for development and for its
production warehouse. Each combination is baked once per run, whichever worker asks first, and the tools that
take seconds to start run once over every combination's files. What these combinations do at run time is the
runtime tier's job (test_runtime.py).
"""

import hashlib
import json
import os
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from .combinations import Combination, covering, label, prompts
from .conftest import DBT_VARS, TEMPLATE, attempt, bake_into, made_once, run
from .test_bake import COOKIECUTTER_VARIABLE, TEMPLATE_SYNTAX, cloudformation_loader, files_of
from .test_security import hook_command, project_tools_made_once

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
            if combination[choice] not in values.split("+") or parts[0] == "_places":
                continue
        files.add("/".join(parts).replace("{{cookiecutter.module_name}}", module))
    return files


@pytest.fixture(scope="session")
def baked(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every combination baked once per test run, shared by the workers: its project folder, by label."""

    def bake_all(folder: Path) -> dict[str, Path]:
        return {label(c): bake_into(folder / label(c), **c) for c in COMBINATIONS}

    return made_once(tmp_path_factory, "matrix", bake_all)


@pytest.fixture(scope="session")
def project_tools(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The generated projects' tools the template's environment lacks (detect-secrets, zizmor): their bin/."""
    return project_tools_made_once(tmp_path_factory)


matrix = pytest.mark.parametrize("combination", COMBINATIONS, ids=label)


@matrix
def test_bakes_exactly_the_files_its_answers_imply(combination: Combination, baked: dict[str, Path]) -> None:
    project = baked[label(combination)]

    assert files_of(project) == expected_files(combination)


@matrix
def test_is_fully_rendered_and_every_config_parses(combination: Combination, baked: dict[str, Path]) -> None:
    project = baked[label(combination)]

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
def test_ci_files_follow_the_ci_answer(combination: Combination, baked: dict[str, Path]) -> None:
    project = baked[label(combination)]
    ci_files = {
        "github": [
            ".github/dependabot.yml",
            ".github/workflows/ci.yml",
            ".github/workflows/retrain.yml",
            ".github/workflows/template-update.yml",
        ],
        "gitlab": [".gitlab-ci.yml", "renovate.json"],
        "none": [],
    }[combination["ci"]]

    assert sorted(ci_file_names(project)) == ci_files


def ci_file_names(project: Path) -> list[str]:
    """The CI configuration and the dependency bot's, which comes with it."""
    found = [
        *project.glob(".github/workflows/*.yml"),
        *project.glob(".github/dependabot.yml"),
        *project.glob(".gitlab-ci.yml"),
        *project.glob("renovate.json"),
    ]
    return [path.relative_to(project).as_posix() for path in found]


# Ruff, the schema checker and cfn-lint each run once over every combination's files, not once per
# combination: starting the Python tools is most of their cost. A failure names the file, whose path names
# the combination.


def test_every_combination_passes_ruff_untouched(baked: dict[str, Path]) -> None:
    projects = [str(project) for project in baked.values()]

    run([str(TOOLS / "ruff"), "check", "--no-cache", *projects], cwd=TEMPLATE)
    run([str(TOOLS / "ruff"), "format", "--check", "--no-cache", *projects], cwd=TEMPLATE)


@pytest.mark.parametrize(
    ("pattern", "schema"),
    [
        (".github/workflows/*.yml", "vendor.github-workflows"),
        (".github/dependabot.yml", "vendor.dependabot"),
        (".gitlab-ci.yml", "vendor.gitlab-ci"),
        ("renovate.json", "vendor.renovate"),
    ],
    ids=["github", "dependabot", "gitlab", "renovate"],
)
def test_every_ci_file_matches_its_schema(baked: dict[str, Path], pattern: str, schema: str) -> None:
    ci_files = [str(path) for project in baked.values() for path in sorted(project.glob(pattern))]

    assert ci_files, f"no combination bakes {pattern}"
    run([str(TOOLS / "check-jsonschema"), "--builtin-schema", schema, *ci_files], cwd=TEMPLATE)


def test_every_github_workflow_passes_zizmor(baked: dict[str, Path], project_tools: Path) -> None:
    """The workflows and Dependabot's configuration, audited as the projects' `make lint` does, offline."""
    folders = [str(project / ".github") for project in baked.values() if (project / ".github").is_dir()]

    assert folders, "no combination bakes a .github folder"
    run([str(project_tools / "zizmor"), "--offline", "--no-progress", *folders], cwd=TEMPLATE)


def test_no_combination_trips_the_secrets_scanner(baked: dict[str, Path], project_tools: Path) -> None:
    """The projects' detect-secrets hook, with its arguments, finds nothing in any combination's own files.

    Most files are the same in many combinations: each path with given content is scanned once."""
    [tool, *arguments] = hook_command(next(iter(baked.values())), "detect-secrets")
    distinct: dict[tuple[str, str], str] = {}
    for project in baked.values():
        for name in files_of(project):
            digest = hashlib.sha256((project / name).read_bytes()).hexdigest()
            distinct.setdefault((name, digest), str(project / name))
    files = sorted(distinct.values())

    for start in range(0, len(files), 500):
        run([str(project_tools / Path(tool).name), *arguments, *files[start : start + 500]], cwd=TEMPLATE)


def test_every_cloudformation_template_passes_cfn_lint(baked: dict[str, Path]) -> None:
    templates = [str(project / "deploy" / "template.yaml") for project in baked.values()]
    templates = [path for path in templates if Path(path).exists()]

    assert templates, "no combination bakes a CloudFormation template"
    run([str(TOOLS / "cfn-lint"), *templates], cwd=TEMPLATE)


def dbt_folder_digest(project: Path) -> str:
    """What dbt parses: every file of the project's dbt folder, by name and content."""
    digest = hashlib.sha256()
    for path in sorted((project / "dbt").rglob("*")):
        if path.is_file():
            digest.update(path.relative_to(project).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


@pytest.fixture(scope="session")
def dbt_parses(baked: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Each distinct dbt folder among the combinations parsed for dev and prod, once per test run: what went
    wrong, by folder digest ("" when both parse). The dbt folder varies with the warehouse and the names
    only, so 29 combinations need a handful of parses, not 58."""

    def parse_all(folder: Path) -> dict[str, str]:
        outcomes: dict[str, str] = {}
        for project in baked.values():
            digest = dbt_folder_digest(project)
            if digest not in outcomes:
                outcomes[digest] = parse_problems(project, folder / digest[:12])
        return outcomes

    return made_once(tmp_path_factory, "dbt-parses", parse_all)


def parse_problems(project: Path, scratch: Path) -> str:
    """`dbt parse` of the project for dev and prod; the output of each that failed."""
    env = {
        **DUMMY_WAREHOUSE_ENV,
        "DBT_DUCKDB_PATH": str(scratch / "warehouse.duckdb"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "PATH": f"{TOOLS}{os.pathsep}{os.environ['PATH']}",
    }
    problems = []
    for target in ("dev", "prod"):
        result = attempt(
            [
                str(TOOLS / "dbt"),
                "parse",
                *("--project-dir", "dbt", "--profiles-dir", "dbt", "--target", target),
                *("--target-path", str(scratch / target), "--log-path", str(scratch / "logs")),
                *("--vars", DBT_VARS),
            ],
            cwd=project,
            env=env,
        )
        if result.returncode != 0:
            problems.append(f"dbt parse --target {target} failed:\n{(result.stdout + result.stderr)[-4000:]}")
    return "\n".join(problems)


@matrix
def test_dbt_project_parses_for_development_and_production(
    combination: Combination, baked: dict[str, Path], dbt_parses: dict[str, str]
) -> None:
    problems = dbt_parses[dbt_folder_digest(baked[label(combination)])]

    assert not problems, problems
