"""Least privilege in what the template generates, and the generated checks that keep secrets out of git.

Every IAM policy names the actions and resources it needs, never ``*``; CI tokens can only read and every
action or image is pinned; dbt reads credentials only from the environment; ``.env`` is ignored; and the
generated pre-commit configuration and ruff rules catch a planted key and an insecure pattern.
"""

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from .conftest import bake, run

TOOLS = Path(sys.executable).parent
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
            assert "*" not in str(resource), statement
    # No managed policy (AWS's are broad) and no role other than the one defined here.
    assert "ManagedPolicyArns" not in str(template) and "AdministratorAccess" not in str(template)


def test_cloud_run_runs_as_its_own_roleless_identity_and_only_for_callers_iam_allows(cookies) -> None:
    project = bake(cookies, serving="gcp_cloud_run")
    service = yaml.safe_load((project / "deploy" / "service.yaml").read_text())
    spec = service["spec"]["template"]["spec"]

    assert spec["serviceAccountName"].startswith("purchase-intent-scoring@")
    assert "compute@developer" not in spec["serviceAccountName"]
    assert "allUsers" not in yaml.safe_dump(service)  # the comments say why it must never be
    assert re.search(r"^USER 10001$", (project / "deploy" / "Dockerfile").read_text(), re.MULTILINE)


def test_the_modal_function_has_no_network_no_modal_access_and_needs_a_token(cookies) -> None:
    project = bake(cookies, serving="modal")
    app = (project / "src" / "purchase_intent" / "serving" / "modal_app.py").read_text()

    for setting in ("block_network=True", "restrict_modal_access=True", "requires_proxy_auth=True"):
        assert setting in app
    assert "secrets=" not in app and "volumes=" not in app


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


def test_pre_commit_refuses_a_planted_aws_key_without_any_tool_installed(cookies) -> None:
    """The AWS key hook is a pattern pre-commit runs itself: it works before `make setup`, in any CI."""
    project = bake(cookies)
    (project / "settings_backup.py").write_text(
        f'AWS_ACCESS_KEY_ID = "{FAKE_AWS_KEY_ID}"\nAWS_SECRET_ACCESS_KEY = "{FAKE_AWS_SECRET}"\n'
    )
    (project / "notes.md").write_text(f"aws_secret_access_key = {FAKE_AWS_SECRET}\n")
    run("git init -q && git add -A", cwd=project)

    result = subprocess.run(
        [TOOLS / "pre-commit", "run", "aws-access-keys", "--all-files"],
        cwd=project,
        capture_output=True,
        text=True,
    )

    assert result.returncode == 1
    assert "settings_backup.py:1:" in result.stdout and "settings_backup.py:2:" in result.stdout
    assert "notes.md:1:" in result.stdout
