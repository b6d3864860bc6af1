"""deploy/template.yaml: a serverless endpoint for the archive `make package` builds, with least privilege."""

from pathlib import Path
from typing import Any

import pytest
from cfnlint.decode import decode_str

from {{ cookiecutter.module_name }}.release.package import MEMBERS

TEMPLATE = Path(__file__).resolve().parents[2] / "deploy" / "template.yaml"


@pytest.fixture(scope="module")
def resources() -> dict[str, Any]:
    """The template's resources, parsed as CloudFormation reads them (``!Sub x`` is ``{"Fn::Sub": x}``)."""
    template, problems = decode_str(TEMPLATE.read_text())
    assert not problems
    declared: dict[str, Any] = template["Resources"]
    return declared


def of_type(resources: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [resource["Properties"] for resource in resources.values() if resource["Type"] == kind]


def test_the_endpoint_is_serverless(resources: dict[str, Any]) -> None:
    [config] = of_type(resources, "AWS::SageMaker::EndpointConfig")
    [variant] = config["ProductionVariants"]

    assert set(variant["ServerlessConfig"]) == {"MemorySizeInMB", "MaxConcurrency"}
    assert "InstanceType" not in variant


def test_the_container_runs_the_archives_inference_functions(resources: dict[str, Any]) -> None:
    [model] = of_type(resources, "AWS::SageMaker::Model")
    environment = model["PrimaryContainer"]["Environment"]

    assert f"code/{environment['SAGEMAKER_PROGRAM']}" in MEMBERS
    assert environment["SAGEMAKER_SUBMIT_DIRECTORY"] == "/opt/ml/model/code"
    assert environment["OPT_OUT_TRACKING"] == "true"  # no usage report when the container starts


def test_the_role_names_every_action_and_resource(resources: dict[str, Any]) -> None:
    [role] = of_type(resources, "AWS::IAM::Role")
    statements = [s for policy in role["Policies"] for s in policy["PolicyDocument"]["Statement"]]

    # The one wildcard: keys under the predictions prefix, to which the endpoint may only add.
    predictions = {"Fn::Sub": "${PredictionsBucket.Arn}/predictions/*"}
    for statement in statements:
        assert statement["Effect"] == "Allow" and set(statement) <= {"Sid", "Effect", "Action", "Resource"}
        assert "*" not in str(statement["Action"])
        assert "*" not in str(statement["Resource"]) or statement["Resource"] == predictions
    reads = [s["Resource"] for s in statements if "s3:GetObject" in s["Action"]]
    assert reads == [{"Fn::Sub": "arn:${AWS::Partition}:s3:::${ModelBucket}/${ModelKey}"}]
    writes = [s["Resource"] for s in statements if "s3:PutObject" in s["Action"]]
    assert writes == [predictions]


def test_the_endpoint_records_its_predictions_where_it_may_write(resources: dict[str, Any]) -> None:
    [model] = of_type(resources, "AWS::SageMaker::Model")

    uri = model["PrimaryContainer"]["Environment"]["PREDICTIONS_URI"]
    assert uri == {"Fn::Sub": "s3://${PredictionsBucket}/predictions"}
