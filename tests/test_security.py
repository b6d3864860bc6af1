"""Least privilege in what the template generates, and the generated checks that keep secrets out of git.

Every IAM policy names the actions and resources it needs, never ``*``; CI tokens can only read and every
action or image is pinned; dbt reads credentials only from the environment; ``.env`` is ignored; and the
generated pre-commit configuration and ruff rules catch planted credentials and an insecure pattern.
"""

import hashlib
import json
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from .conftest import TEMPLATE, attempt, bake, made_once, run

TOOLS = Path(sys.executable).parent
PROJECT = TEMPLATE / "{{cookiecutter.project_slug}}"
# Tools of the generated projects that the template's own environment lacks, and the file declaring each one's
# range for them: they are installed from there, so the tests check what a project gets.
PROJECT_TOOLS = {
    "detect-secrets": PROJECT / "pyproject.toml",
    "zizmor": PROJECT / "_stack" / "ci" / "github" / "_places" / "pyproject-dev",
}
FAKE_AWS_KEY_ID = (
    "AKIA" + "IOSFODNN7EXAMPLE"
)  # AWS's documented example, split so no scanner trips on this file
FAKE_AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/" + "bPxRfiCYEXAMPLEKEY"
FAKE_PRIVATE_KEY = "-----BEGIN RSA " + "PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY-----\n"


def template_with_values(text: str) -> Any:
    """CloudFormation YAML, keeping what a short tag (!Sub, !GetAtt, !Ref) holds as plain values."""

    class Loader(yaml.SafeLoader):
        pass

    def construct(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
        if isinstance(node, yaml.ScalarNode):
            return loader.construct_scalar(node)
        if isinstance(node, yaml.SequenceNode):
            return loader.construct_sequence(node, deep=True)
        return loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]

    Loader.add_multi_constructor("!", construct)
    return yaml.load(text, Loader=Loader)


def iam_statements(template: Any) -> list[dict[str, Any]]:
    return [
        statement
        for resource in template["Resources"].values()
        for policy in resource.get("Properties", {}).get("Policies", [])
        for statement in policy["PolicyDocument"]["Statement"]
    ]


# Where a serving target on AWS records its predictions: keys under one prefix of a bucket of its own.
PREDICTIONS_KEYS = "${PredictionsBucket.Arn}/predictions/*"


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


@pytest.mark.parametrize("serving", ["aws_lambda", "sagemaker_serverless"])
def test_every_iam_statement_names_its_actions_and_resources(cookies, serving: str) -> None:
    project = bake(cookies, serving=serving)
    template = template_with_values((project / "deploy" / "template.yaml").read_text())

    statements = iam_statements(template)
    assert statements
    for statement in statements:
        assert (
            statement["Effect"] == "Allow" and "NotAction" not in statement and "NotResource" not in statement
        )
        for action in as_list(statement["Action"]):
            assert "*" not in action, statement
        for resource in as_list(statement["Resource"]):
            # One wildcard only: the keys under the predictions prefix, to which the service may only add.
            if "*" in str(resource):
                assert as_list(statement["Action"]) == ["s3:PutObject"], statement
                assert resource == PREDICTIONS_KEYS, statement
    # No managed policy (AWS's are broad) and no role other than the one defined here.
    assert "ManagedPolicyArns" not in str(template) and "AdministratorAccess" not in str(template)


@pytest.mark.parametrize("serving", ["aws_lambda", "sagemaker_serverless"])
def test_predictions_go_to_a_private_bucket_the_service_may_only_add_to(cookies, serving: str) -> None:
    project = bake(cookies, serving=serving)
    template = template_with_values((project / "deploy" / "template.yaml").read_text())

    bucket = template["Resources"]["PredictionsBucket"]
    assert bucket["DeletionPolicy"] == "Retain"  # recorded predictions are log data: kept when the stack goes
    assert all(bucket["Properties"]["PublicAccessBlockConfiguration"].values())
    writes = [s for s in iam_statements(template) if "s3:PutObject" in as_list(s["Action"])]
    assert [s["Resource"] for s in writes] == [PREDICTIONS_KEYS]
    assert "s3://${PredictionsBucket}/predictions" in str(template)  # PREDICTIONS_URI, under the same prefix


def test_cloud_run_runs_as_its_own_identity_and_only_for_callers_iam_allows(cookies) -> None:
    project = bake(cookies, serving="gcp_cloud_run")
    service = yaml.safe_load((project / "deploy" / "service.yaml").read_text())
    spec = service["spec"]["template"]["spec"]

    assert spec["serviceAccountName"].startswith("purchase-intent-scoring@")
    assert "compute@developer" not in spec["serviceAccountName"]
    assert "allUsers" not in yaml.safe_dump(service)  # the comments say why it must never be
    # Its one role: creating objects in the predictions bucket, mounted where it records them.
    [container] = spec["containers"]
    [mount] = container["volumeMounts"]
    assert {"name": "PREDICTIONS_URI", "value": mount["mountPath"]} in container["env"]
    assert "--role roles/storage.objectCreator" in (project / "deploy" / "service.yaml").read_text()
    assert re.search(r"^USER 10001$", (project / "deploy" / "Dockerfile").read_text(), re.MULTILINE)


def test_the_modal_function_has_no_network_no_modal_access_no_secrets_and_needs_a_token(cookies) -> None:
    project = bake(cookies, serving="modal")
    app = (project / "src" / "purchase_intent" / "serving" / "modal_app.py").read_text()

    for setting in ("block_network=True", "restrict_modal_access=True", "requires_proxy_auth=True"):
        assert setting in app
    assert "secrets=" not in app
    assert "volumes={PREDICTIONS_DIR: predictions}," in app  # its one volume: where it records predictions


def test_github_ci_can_only_read_and_pins_every_action_to_a_commit(cookies) -> None:
    project = bake(cookies, ci="github")
    workflow = yaml.safe_load((project / ".github" / "workflows" / "ci.yml").read_text())

    assert workflow["permissions"] == {"contents": "read"}
    steps = [step for job in workflow["jobs"].values() for step in job["steps"]]
    assert all("permissions" not in job for job in workflow["jobs"].values())
    actions = [step["uses"] for step in steps if "uses" in step]
    assert actions and all(re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", action) for action in actions), (
        actions
    )
    checkouts = [step for step in steps if step.get("uses", "").startswith("actions/checkout@")]
    assert all(step["with"]["persist-credentials"] is False for step in checkouts)
    assert any("pre-commit run --all-files" in step.get("run", "") for step in steps)


def test_gitlab_ci_pins_its_image_and_tools_and_reads_no_secrets(cookies) -> None:
    project = bake(cookies, ci="gitlab", python_version="3.12")
    text = (project / ".gitlab-ci.yml").read_text()
    pipeline = yaml.safe_load(text)

    images = [job["image"] for job in pipeline.values() if isinstance(job, dict) and "image" in job]
    # A Python minor version and Debian release: not a digest, which cannot be looked up offline.
    assert images == ["python:3.12-bookworm"]
    assert re.fullmatch(r"\d+\.\d+\.\d+", pipeline["variables"]["UV_VERSION"])
    assert "secrets:" not in text and "CI_JOB_TOKEN" not in text
    assert "pre-commit run --all-files" in " ".join(pipeline["lint"]["script"])


def test_the_retrain_workflow_reads_its_webhook_from_a_secret_with_a_read_only_token(cookies) -> None:
    project = bake(cookies, ci="github")
    workflow = yaml.safe_load((project / ".github" / "workflows" / "retrain.yml").read_text())

    assert workflow["permissions"] == {}
    [job] = workflow["jobs"].values()
    assert job["permissions"] == {"contents": "read"} and job["timeout-minutes"] <= 60
    actions = [step["uses"] for step in job["steps"] if "uses" in step]
    assert all(re.fullmatch(r"[\w./-]+@[0-9a-f]{40}", action) for action in actions), actions
    assert all(
        step["with"]["persist-credentials"] is False
        for step in job["steps"]
        if "checkout@" in step.get("uses", "")
    )
    [retrain] = [step for step in job["steps"] if "make retrain" in step.get("run", "")]
    assert retrain["env"]["PURCHASE_INTENT_ALERT_WEBHOOK_URL"] == "${{ secrets.ALERT_WEBHOOK_URL }}"
    assert workflow[True]["schedule"] == [{"cron": "17 6 * * *"}]  # YAML 1.1 reads the key `on` as true


def test_each_gitlab_schedule_runs_only_its_own_job(cookies) -> None:
    project = bake(cookies, ci="gitlab")
    pipeline = yaml.safe_load((project / ".gitlab-ci.yml").read_text())

    on_schedule = {
        name: job["rules"]
        for name, job in pipeline.items()
        if name != "workflow"
        and isinstance(job, dict)
        and any("schedule" in rule.get("if", "") for rule in job.get("rules", []))
    }

    assert on_schedule == {
        ".checks": [{"if": '$CI_PIPELINE_SOURCE != "schedule"'}],
        "retrain": [{"if": '$CI_PIPELINE_SOURCE == "schedule" && $SCHEDULED_JOB == "retrain"'}],
        # A schedule made before retrain existed, without the variable, still runs the template update.
        "template-update": [{"if": '$CI_PIPELINE_SOURCE == "schedule" && $SCHEDULED_JOB != "retrain"'}],
    }
    assert "make retrain" in pipeline["retrain"]["script"]
    assert pipeline["retrain"]["variables"]["PURCHASE_INTENT_ALERT_WEBHOOK_URL"] == "$ALERT_WEBHOOK_URL"


# Profile keys that carry a credential or say where one is.
CREDENTIALS = {
    "user",
    "password",
    "private_key_path",
    "private_key_passphrase",
    "account",
    "keyfile",
    "token",
}


@pytest.mark.parametrize("warehouse", ["duckdb", "postgres", "snowflake", "bigquery"])
def test_dbt_profiles_read_every_credential_from_the_environment(cookies, warehouse: str) -> None:
    project = bake(cookies, warehouse=warehouse)
    [profile] = yaml.safe_load((project / "dbt" / "profiles.yml").read_text()).values()

    prod = profile["outputs"]["prod"]
    for key, value in prod.items():
        if key in CREDENTIALS or key in {"host", "path", "project", "dbname", "database"}:
            assert re.fullmatch(r"\{\{ env_var\('[A-Z_]+'(, '[^']*')?\) \}\}", str(value)), (key, value)
    assert not {"keyfile_json", "private_key", "password"} & {
        k for k, v in prod.items() if "env_var" not in str(v)
    }


def test_env_is_ignored_and_its_example_is_committed(cookies) -> None:
    project = bake(cookies)
    run("git init -q", cwd=project)
    (project / ".env").write_text("PGPASSWORD=hunter2\n")

    ignored = subprocess.run(
        ["git", "check-ignore", ".env", ".env.example"], cwd=project, capture_output=True, text=True
    )

    assert ignored.stdout.split() == [".env"]
    assert (project / ".env.example").exists()


def test_ruff_security_rules_flag_an_insecure_pattern(cookies) -> None:
    project = bake(cookies)
    planted = project / "src" / "purchase_intent" / "shell.py"
    planted.write_text(
        '"""Runs a command."""\n\nimport subprocess\n\n\n'
        "def go(x: str) -> None:\n    subprocess.call(x, shell=True)\n"
    )

    result = subprocess.run(
        [TOOLS / "ruff", "check", "--no-cache", "--output-format", "concise", str(planted)],
        cwd=project,
        capture_output=True,
        text=True,
    )

    assert result.returncode == 1
    assert "S602" in result.stdout  # subprocess call with shell=True


def requirement(name: str, declared_in: Path) -> str:
    """The requirement on ``name`` that a generated project declares, e.g. ``detect-secrets>=1.5``."""
    [found] = re.findall(rf'"({re.escape(name)}[<>=!~][^"]*)"', declared_in.read_text())
    return found


def project_tools_made_once(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A virtualenv with the generated projects' detect-secrets and zizmor, made once per run: its bin/."""

    def install(folder: Path) -> Path:
        venv = folder / ".venv"
        requirements = [requirement(name, path) for name, path in PROJECT_TOOLS.items()]
        uv = shutil.which("uv") or TEMPLATE / ".tools" / "bin" / "uv"
        if Path(uv).exists():
            run([str(uv), "venv", "--quiet", "--python", sys.executable, str(venv)], cwd=folder)
            run([str(uv), "pip", "install", "--quiet", "--python", str(venv), *requirements], cwd=folder)
        else:
            run([sys.executable, "-m", "venv", str(venv)], cwd=folder)
            run([str(venv / "bin" / "pip"), "install", "--quiet", *requirements], cwd=folder)
        return venv / "bin"

    return made_once(tmp_path_factory, "project-tools", install)


@pytest.fixture(scope="session")
def project_tools(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return project_tools_made_once(tmp_path_factory)


def hook_command(project: Path, hook_id: str) -> list[str]:
    """The command a local pre-commit hook of ``project`` runs, its arguments split."""
    config = yaml.safe_load((project / ".pre-commit-config.yaml").read_text())
    [entry] = [hook["entry"] for repo in config["repos"] for hook in repo["hooks"] if hook["id"] == hook_id]
    return shlex.split(entry)


def planted_credentials() -> dict[str, str]:
    """A file of credentials for each stack, made up (and split) here so no scanner trips on this file."""
    token = hashlib.sha1(b"planted").hexdigest()  # a W&B API key is 40 hex digits
    password = "Zq8vN2" + "xL5wR7kT"
    service_account = {
        "type": "service_account",
        "project_id": "acme-ml",
        "private_key": FAKE_PRIVATE_KEY.replace("RSA ", ""),
    }
    return {
        "settings_backup.py": (
            f'AWS_ACCESS_KEY_ID = "{FAKE_AWS_KEY_ID}"\nAWS_SECRET_ACCESS_KEY = "{FAKE_AWS_SECRET}"\n'
        ),
        "deploy/prod.env": (
            f"WANDB_API_KEY={token}\n"
            f"MODAL_TOKEN_SECRET=as-{token[:22]}\n"
            f"SNOWFLAKE_PRIVATE_KEY_PASSPHRASE={password}\n"
        ),
        "deploy/service-account.json": json.dumps(service_account) + "\n",
        "scripts/load.py": f'DSN = "postgresql://loader:{password}@db.example.com:5432/analytics"\n',
    }


def test_the_secrets_hook_passes_a_fresh_bake_and_refuses_each_stacks_credentials(
    cookies, project_tools: Path
) -> None:
    """The generated detect-secrets hook, run by pre-commit: nothing in the project's own files, then an AWS
    key, a GCP service account's key, W&B's and Modal's tokens, a Snowflake key's passphrase and a password
    in a Postgres URL, each on the line where it was planted."""
    project = bake(cookies, warehouse="snowflake", tracking="wandb", serving="modal", ci="github")
    run("git init -q && git add -A", cwd=project)
    (project / ".venv").symlink_to(project_tools.parent)  # after `git add`: the hooks' tools, not a file
    pre_commit = [str(TOOLS / "pre-commit"), "run", "detect-secrets"]

    fresh = attempt([*pre_commit, "--all-files"], cwd=project)
    planted = planted_credentials()
    for name, text in planted.items():
        (project / name).parent.mkdir(exist_ok=True)
        (project / name).write_text(text)
    run(["git", "add", *planted], cwd=project)
    refused = attempt([*pre_commit, "--files", *planted], cwd=project)

    assert fresh.returncode == 0 and "Passed" in fresh.stdout, fresh.stdout
    assert refused.returncode == 1, refused.stdout
    found = set(re.findall(r"Location:\s+(\S+)", refused.stdout))
    planted_lines = {f"{name}:{n}" for name, text in planted.items() for n in range(1, text.count("\n") + 1)}
    assert planted_lines <= found, refused.stdout
