"""Baking: the file set the answers imply, fully rendered, every config parsing, lint-clean as generated."""

import json
import re
import sys
import tomllib
from pathlib import Path

import pytest
import yaml
from cookiecutter.exceptions import FailedHookException
from cookiecutter.main import cookiecutter

from .conftest import TEMPLATE, bake, run
from .test_runtime import DEFAULT_STACK

TOOLS = Path(sys.executable).parent  # the template's own environment: ruff, cfn-lint, check-jsonschema

DEFAULT_FILES = {
    ".dockerignore",
    ".env.example",
    ".github/dependabot.yml",
    ".github/workflows/ci.yml",
    ".github/workflows/retrain.yml",
    ".github/workflows/template-update.yml",
    ".gitignore",
    ".pre-commit-config.yaml",
    ".python-version",
    ".sqlfluff",
    ".template-answers.json",
    "Dockerfile",
    "LICENSE",
    "Makefile",
    "README.md",
    "benchmarks/pipeline.py",
    "benchmarks/serving.py",
    "contract.toml",
    "dbt/dbt_project.yml",
    "dbt/macros/cutoff.sql",
    "dbt/macros/dedup_key.sql",
    "dbt/macros/json_text.sql",
    "dbt/macros/log_without_retractions.sql",
    "dbt/macros/normalized.sql",
    "dbt/macros/not_materialized.sql",
    "dbt/macros/rules.sql",
    "dbt/macros/time_parts.sql",
    "dbt/macros/type_double.sql",
    "dbt/macros/type_price.sql",
    "dbt/models/marts/_marts.yml",
    "dbt/models/marts/session_features.sql",
    "dbt/models/marts/sessions.sql",
    "dbt/models/monitoring/_monitoring.yml",
    "dbt/models/monitoring/daily_predictions.sql",
    "dbt/models/monitoring/feature_bins.sql",
    "dbt/models/monitoring/feature_drift.sql",
    "dbt/models/monitoring/predictions.sql",
    "dbt/models/monitoring/realised_performance.sql",
    "dbt/models/ml/_training_set.yml",
    "dbt/models/ml/training_set.sql",
    "dbt/models/staging/_sources.yml",
    "dbt/models/staging/_stg_events.yml",
    "dbt/models/staging/stg_events.sql",
    "dbt/models/staging/stg_later_copies.sql",
    "dbt/profiles.yml",
    "dbt/tests/generic/rules.sql",
    "dbt/tests/monitoring/feature_drift_within_threshold.sql",
    "dbt/tests/repeated_event_ids_agree.sql",
    "dbt/tests/sessions_have_one_user.sql",
    "dbt/tests/training_set_follows_sessions_and_cutoffs.sql",
    "deploy/template.yaml",
    "docs/decisions/0001-reasonable-scale-stack.md",
    "docs/your-own-model.md",
    "flows/training_flow.py",
    "pyproject.toml",
    "scripts/template.py",
    "src/purchase_intent/__init__.py",
    "src/purchase_intent/atomic.py",
    "src/purchase_intent/contract.py",
    "src/purchase_intent/errors.py",
    "src/purchase_intent/log/__init__.py",
    "src/purchase_intent/log/events.py",
    "src/purchase_intent/log/predictions.py",
    "src/purchase_intent/log/sample.py",
    "src/purchase_intent/log/store.py",
    "src/purchase_intent/model/__init__.py",
    "src/purchase_intent/model/evaluate.py",
    "src/purchase_intent/model/tracking.py",
    "src/purchase_intent/model/train.py",
    "src/purchase_intent/monitoring/__init__.py",
    "src/purchase_intent/monitoring/alerts.py",
    "src/purchase_intent/monitoring/gate.py",
    "src/purchase_intent/monitoring/performance.py",
    "src/purchase_intent/monitoring/report.py",
    "src/purchase_intent/pipeline.py",
    "src/purchase_intent/quality/__init__.py",
    "src/purchase_intent/quality/checks.py",
    "src/purchase_intent/quality/gate.py",
    "src/purchase_intent/release/__init__.py",
    "src/purchase_intent/release/package.py",
    "src/purchase_intent/release/promotion.py",
    "src/purchase_intent/resources.py",
    "src/purchase_intent/retraining.py",
    "src/purchase_intent/runs.py",
    "src/purchase_intent/serving/__init__.py",
    "src/purchase_intent/serving/api.py",
    "src/purchase_intent/serving/handler.py",
    "src/purchase_intent/serving/local_server.py",
    "src/purchase_intent/serving/recording.py",
    "src/purchase_intent/serving/scoring.py",
    "src/purchase_intent/serving/serve_local.py",
    "src/purchase_intent/settings.py",
    "src/purchase_intent/story.py",
    "src/purchase_intent/training_set.py",
    "src/purchase_intent/warehouse/__init__.py",
    "src/purchase_intent/warehouse/dbt_tests.py",
    "src/purchase_intent/warehouse/load_raw.py",
    "src/purchase_intent/warehouse/production.py",
    "src/purchase_intent/warehouse/read.py",
    "src/purchase_intent/warehouse/targets.py",
    "src/purchase_intent/warehouse/transform.py",
    "tests/__init__.py",
    "tests/api_cases.py",
    "tests/conftest.py",
    "tests/contract_cases.py",
    "tests/documented.py",
    "tests/fixtures_serving.py",
    "tests/fixtures_local_server.py",
    "tests/log/__init__.py",
    "tests/log/appender.py",
    "tests/log/corruptions.py",
    "tests/log/test_events.py",
    "tests/log/test_faults.py",
    "tests/log/test_object_store.py",
    "tests/log/test_sample.py",
    "tests/model/__init__.py",
    "tests/model/test_model.py",
    "tests/model/test_tracking.py",
    "tests/model/test_train_evaluate.py",
    "tests/monitoring/__init__.py",
    "tests/monitoring/test_alerts.py",
    "tests/monitoring/over_http.py",
    "tests/monitoring/test_monitor.py",
    "tests/monitoring/test_week_in_production.py",
    "tests/monitoring/week.py",
    "tests/quality/__init__.py",
    "tests/quality/test_checks.py",
    "tests/quality/test_gate.py",
    "tests/release/__init__.py",
    "tests/release/conftest.py",
    "tests/release/layout.py",
    "tests/release/test_bundle.py",
    "tests/release/test_promotion.py",
    "tests/serving/__init__.py",
    "tests/serving/test_api.py",
    "tests/serving/test_fuzz.py",
    "tests/serving/test_handler.py",
    "tests/serving/test_recording.py",
    "tests/serving/test_serve_local.py",
    "tests/serving/test_serve_local_fuzz.py",
    "tests/serving/test_serving_benchmark.py",
    "tests/retraining_cases.py",
    "tests/stops.py",
    "tests/test_bad_data_stops_the_run.py",
    "tests/test_benchmarks.py",
    "tests/test_contract.py",
    "tests/test_image.py",
    "tests/test_flow.py",
    "tests/test_pipeline.py",
    "tests/test_resources.py",
    "tests/test_retraining.py",
    "tests/test_story.py",
    "tests/warehouse/__init__.py",
    "tests/warehouse/test_transform.py",
    "tests/warehouse/test_warehouse.py",
    "tests/webhook.py",
}
# GitHub Actions expressions look like Jinja: ${{ github.ref }}.
TEMPLATE_SYNTAX = re.compile(r"(?<!\$)\{\{|\{%|\{#")
# (The template's cookiecutter.json, which the update script reads, is a file name.)
COOKIECUTTER_VARIABLE = re.compile(r"cookiecutter\.(?!json)[a-z_]")


def files_of(project: Path) -> set[str]:
    return {p.relative_to(project).as_posix() for p in project.rglob("*") if p.is_file()}


def cloudformation_loader() -> type[yaml.SafeLoader]:
    """A YAML loader that accepts CloudFormation's short tags (!Ref, !Sub, !GetAtt)."""

    class Loader(yaml.SafeLoader):
        pass

    Loader.add_multi_constructor("!", lambda loader, suffix, node: None)
    return Loader


@pytest.fixture(scope="module")
def default_project(cookies_session) -> Path:
    return bake(cookies_session)


def test_default_bake_has_exactly_the_expected_files(default_project: Path) -> None:
    assert files_of(default_project) == DEFAULT_FILES


def test_the_runtime_tier_leaves_out_exactly_the_default_stack(default_project: Path) -> None:
    """test_runtime.py runs every stack value but the default bake's; test_generated_project.py runs those."""
    answers = json.loads((default_project / ".template-answers.json").read_text())["answers"]

    assert {choice: answers[choice] for choice in DEFAULT_STACK} == DEFAULT_STACK


def test_nothing_is_left_unrendered(default_project: Path) -> None:
    """No template variable anywhere, and no Jinja outside the dbt project (whose Jinja is dbt's own)."""
    for name in files_of(default_project):
        text = (default_project / name).read_text()
        assert not COOKIECUTTER_VARIABLE.search(text), f"{name} still refers to a cookiecutter variable"
        if not name.startswith("dbt/"):
            assert not TEMPLATE_SYNTAX.search(text), f"{name} has unrendered template syntax"


def test_every_config_file_parses(default_project: Path) -> None:
    for path in default_project.rglob("*"):
        if path.suffix == ".toml":
            tomllib.loads(path.read_text())
        elif path.suffix == ".json":
            json.loads(path.read_text())
        elif path.suffix in {".yml", ".yaml"}:
            yaml.load(path.read_text(), Loader=cloudformation_loader())


def test_pyproject_carries_the_answers(cookies) -> None:
    project = bake(
        cookies,
        project_name="Churn Radar",
        description='Flags accounts likely to churn, "early".',
        author_name="Zoë O'Brien",
        author_email="zoe@example.org",
        license="Apache-2.0",
        python_version="3.13",
    )
    metadata = tomllib.loads((project / "pyproject.toml").read_text())

    assert project.name == "churn-radar"
    assert metadata["project"]["name"] == "churn-radar"
    assert metadata["project"]["description"] == 'Flags accounts likely to churn, "early".'
    assert metadata["project"]["authors"] == [{"name": "Zoë O'Brien", "email": "zoe@example.org"}]
    assert metadata["project"]["license"] == "Apache-2.0"
    assert metadata["project"]["requires-python"] == ">=3.13"
    assert metadata["tool"]["ruff"]["target-version"] == "py313"
    assert (project / ".python-version").read_text().strip() == "3.13"
    assert (project / "LICENSE").read_text().startswith("                                 Apache License")
    assert "Zoë O'Brien" in (project / "LICENSE").read_text()
    assert (project / "src" / "churn_radar" / "pipeline.py").exists()


@pytest.mark.parametrize(
    ("license_id", "first_line"),
    [("MIT", "MIT License"), ("BSD-3-Clause", "BSD 3-Clause License"), ("proprietary", "Copyright (c)")],
)
def test_license_text_follows_the_choice(cookies, license_id: str, first_line: str) -> None:
    project = bake(cookies, license=license_id)

    assert (project / "LICENSE").read_text().startswith(first_line)


def test_the_scale_answers_size_the_training_step_and_the_decision_record_says_why(cookies) -> None:
    project = bake(cookies, compute="one_gpu", data_volume="1tb_to_10tb")

    settings = (project / "src" / "purchase_intent" / "settings.py").read_text()
    assert "cpu: int = Field(default=16" in settings
    assert "memory_mb: int = Field(default=128000" in settings
    assert "gpu: int = Field(default=1" in settings
    record = project / "docs" / "decisions" / "0001-reasonable-scale-stack.md"
    decisions = " ".join(record.read_text().split())
    assert "asks for 16 cores and 128 GB of memory and one GPU" in decisions
    sizing = "a memory-optimised node (8 GB a core) sized from the training set, not from the raw log"
    assert sizing in decisions


BOX = ("cpu", "memory_mb", "gpu")
SIZES = re.compile(r"(?P<cpu>\d+) cores, (?P<memory>\d+) GB(?:, (?P<gpu>\d) GPU)?")


def test_the_readme_table_of_training_boxes_is_what_the_answers_give() -> None:
    """Every cell of the template README's table, against cookiecutter.json's expressions for its answers."""
    from jinja2 import Environment

    variables = json.loads((TEMPLATE / "cookiecutter.json").read_text())
    readme = (TEMPLATE / "README.md").read_text()
    header = next(line for line in readme.splitlines() if line.startswith("| `compute` \\ `data_volume`"))
    rows = readme.split(header, 1)[1].split("\n\n", 1)[0].splitlines()[2:]
    computes, volumes = variables["compute"], variables["data_volume"]
    boxes = {name: Environment().from_string(variables[f"__train_{name}"]) for name in BOX}
    assert len(rows) == len(computes)
    for compute, row in zip(computes, rows, strict=True):
        for volume, cell in zip(volumes, row.strip("|").split("|")[1:], strict=True):
            answers = {"compute": compute, "data_volume": volume}
            box = {name: int(expression.render(cookiecutter=answers)) for name, expression in boxes.items()}
            shown = SIZES.fullmatch(cell.strip())
            assert shown, cell
            assert (int(shown["cpu"]), int(shown["memory"]) * 1000, int(shown["gpu"] or 0)) == (
                box["cpu"],
                box["memory_mb"],
                box["gpu"],
            ), (compute, volume)


def test_make_clean_removes_what_the_pipeline_derives_and_keeps_the_log(cookies) -> None:
    project = bake(cookies)
    derived = [
        "data/warehouse.duckdb",
        "data/dbt/target/partial_parse.msgpack",
        "data/dbt/logs/dbt.log",
        "artifacts/model.pickle",
        "dist/lambda.zip",
        ".metaflow/TrainingFlow/1",
        "benchmarks/workspace/n100000/data/warehouse.duckdb",
    ]
    kept = ["data/log/events/ingest_date=2026-01-01/batch.parquet", "data/log/quarantine/batch.jsonl"]
    for name in derived + kept:
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        (project / name).write_text("x")

    run("make clean", cwd=project)

    assert [name for name in derived if (project / name).exists()] == []
    assert [name for name in kept if not (project / name).exists()] == []


@pytest.mark.parametrize(
    "answers",
    [
        {},
        {"project_name": "Élan Vital 🚀", "python_version": "3.12"},
        # The longest and a very short module name: formatting must not depend on the name's length.
        {"project_slug": "a" * 64, "module_name": "m" * 40},
        {"project_slug": "ml", "module_name": "ml"},
    ],
    ids=["default", "unicode-name", "longest-names", "short-names"],
)
def test_generated_code_passes_ruff_untouched(cookies, answers: dict[str, str]) -> None:
    project = bake(cookies, **answers)

    run([str(TOOLS / "ruff"), "check", "--no-cache", "."], cwd=project)
    run([str(TOOLS / "ruff"), "format", "--check", "--no-cache", "."], cwd=project)


def test_github_workflow_matches_its_schema(default_project: Path) -> None:
    workflows = sorted(str(p) for p in (default_project / ".github" / "workflows").glob("*.yml"))
    run(
        [str(TOOLS / "check-jsonschema"), "--builtin-schema", "vendor.github-workflows", *workflows],
        cwd=default_project,
    )


def test_sam_template_passes_cfn_lint(default_project: Path) -> None:
    run([str(TOOLS / "cfn-lint"), "deploy/template.yaml"], cwd=default_project)


def test_deployment_role_grants_no_wildcards(default_project: Path) -> None:
    text = (default_project / "deploy" / "template.yaml").read_text()
    template = yaml.load(text, Loader=cloudformation_loader())

    statements = [
        statement
        for resource in template["Resources"].values()
        for policy in resource.get("Properties", {}).get("Policies", [])
        for statement in policy["PolicyDocument"]["Statement"]
    ]
    assert statements
    for statement in statements:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        assert all("*" not in action for action in actions), statement
        assert statement.get("Resource") != "*", statement


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        ({"module_name": "dbt"}, "module_name 'dbt' shadows a dependency"),
        ({"author_email": "nobody"}, "author_email 'nobody' is not an email address"),
        (
            {"project_slug": "Not A Slug", "module_name": "fine"},
            "project_slug 'Not A Slug' is not a valid folder name",
        ),
        ({"author_email": "Jane Doe <jane@example.com>"}, "is a name and an address: give the address alone"),
    ],
)
def test_a_rejected_answer_says_why_and_leaves_nothing(
    tmp_path: Path, capfd: pytest.CaptureFixture[str], answers: dict[str, str], message: str
) -> None:
    with pytest.raises(FailedHookException):
        cookiecutter(str(TEMPLATE), no_input=True, extra_context=answers, output_dir=str(tmp_path))

    assert message in capfd.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_config_file_and_replay_reproduce_the_same_answers(tmp_path: Path) -> None:
    user_config = tmp_path / "config.yaml"
    user_config.write_text(
        yaml.safe_dump(
            {
                "cookiecutters_dir": str(tmp_path / "cookiecutters"),
                "replay_dir": str(tmp_path / "replay"),
                "default_context": {"project_name": "Basket Size", "compute": "one_gpu", "serving": "modal"},
            }
        )
    )
    config = str(user_config)
    first = Path(
        cookiecutter(str(TEMPLATE), no_input=True, config_file=config, output_dir=str(tmp_path / "a"))
    )
    replayed = Path(
        cookiecutter(str(TEMPLATE), replay=True, config_file=config, output_dir=str(tmp_path / "b"))
    )

    assert first.name == replayed.name == "basket-size"
    assert json.loads((first / ".template-answers.json").read_text())["answers"]["serving"] == "modal"
    for name in files_of(first):
        if name != "LICENSE":  # carries the year, which could change between the two bakes
            assert (first / name).read_bytes() == (replayed / name).read_bytes(), name


def test_no_template_file_is_hidden_from_git() -> None:
    """The generated project's .gitignore also applies inside the template: it must hide no template file."""
    if not (TEMPLATE / ".git").exists():
        pytest.skip("the template is not a git checkout here")
    listed = run(
        [
            "git",
            "ls-files",
            "--others",
            "--ignored",
            "--exclude-standard",
            "--",
            "{{cookiecutter.project_slug}}",
        ],
        cwd=TEMPLATE,
    )
    hidden = [path for path in listed.splitlines() if "__pycache__" not in path and "_cache/" not in path]
    assert hidden == []
