"""The runner serves a stack with several REST APIs (and, in the notebook stack, none).

The notebook assembly is copied and given two REST APIs, each with a MOCK method, and their
URLs as outputs, as `RestApi.url` renders them. Both must answer on their own local address.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import requests
from notebook_support import REGION, STACK_NAME, synthesized

from local.background import BackgroundStack
from local.stack import Settings


def rest_api(name: str) -> dict[str, dict[str, Any]]:
    api = f"{name}Api"
    return {
        api: {"Type": "AWS::ApiGateway::RestApi", "Properties": {"Name": name}},
        f"{name}Ping": {
            "Type": "AWS::ApiGateway::Resource",
            "Properties": {
                "RestApiId": {"Ref": api},
                "ParentId": {"Fn::GetAtt": [api, "RootResourceId"]},
                "PathPart": "ping",
            },
        },
        f"{name}PingOptions": {
            "Type": "AWS::ApiGateway::Method",
            "Properties": {
                "RestApiId": {"Ref": api},
                "ResourceId": {"Ref": f"{name}Ping"},
                "HttpMethod": "OPTIONS",
                "AuthorizationType": "NONE",
                "Integration": {
                    "Type": "MOCK",
                    "RequestTemplates": {"application/json": "{ statusCode: 200 }"},
                    "IntegrationResponses": [
                        {
                            "StatusCode": "204",
                            "ResponseParameters": {
                                "method.response.header.X-Api": f"'{name}'",
                            },
                        }
                    ],
                },
            },
        },
        f"{name}Deployment": {
            "Type": "AWS::ApiGateway::Deployment",
            "Properties": {"RestApiId": {"Ref": api}},
        },
        f"{name}Stage": {
            "Type": "AWS::ApiGateway::Stage",
            "Properties": {
                "RestApiId": {"Ref": api},
                "DeploymentId": {"Ref": f"{name}Deployment"},
                "StageName": "v1",
            },
        },
    }


def url_output(name: str) -> dict[str, Any]:
    parts = ["https://", {"Ref": f"{name}Api"}, ".execute-api.", {"Ref": "AWS::Region"}]
    parts += [".", {"Ref": "AWS::URLSuffix"}, "/", {"Ref": f"{name}Stage"}, "/"]
    return {"Value": {"Fn::Join": ["", parts]}}


def test_each_rest_api_is_served_on_its_own_address(tmp_path: Path):
    cdk_out = tmp_path / "cdk.out"
    shutil.copytree(synthesized(), cdk_out)
    template_file = cdk_out / f"{STACK_NAME}.template.json"
    template = json.loads(template_file.read_text())
    for name in ("Orders", "Billing"):
        template["Resources"].update(rest_api(name))
        template["Outputs"][f"{name}Url"] = url_output(name)
    template_file.write_text(json.dumps(template))

    stack = BackgroundStack(Settings(cdk_out=cdk_out, stack_name=STACK_NAME, region=REGION))
    try:
        urls = [stack.outputs["OrdersUrl"], stack.outputs["BillingUrl"]]
        answers = [requests.options(url + "ping", timeout=10) for url in urls]
    finally:
        stack.close()

    assert all(url.startswith("http://127.0.0.1:") for url in urls), urls
    assert urls[0].split("/")[2] != urls[1].split("/")[2]
    assert [(a.status_code, a.headers.get("X-Api")) for a in answers] == [
        (204, "Orders"),
        (204, "Billing"),
    ]
