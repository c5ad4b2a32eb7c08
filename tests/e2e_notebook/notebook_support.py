"""The notebook example stack (examples/notebook), synthesized once and run locally.

The synth is cached in .build/notebook-cdk.out/<hash of the example's files>, so an unchanged
example is synthesized once per clone; `cdk synth` runs with the example's own cdk.json.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from local.aws.credentials import assume_role_credentials
from local.background import BackgroundStack
from local.stack import Settings

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "notebook"
CACHE = ROOT / ".build" / "notebook-cdk.out"
STACK_NAME = "NotebookApp"
REGION = "us-east-1"
PASSWORD = "Corr3ct-Horse-Battery!"
DUMMY = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
NOTE_FIELDS = "notebookId id text author createdAt"


def synthesized() -> Path:
    """The example's cloud assembly, synthesized now unless this exact content already was."""
    digest = hashlib.sha256()
    for path in sorted(EXAMPLE.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(EXAMPLE)).encode() + b"\0" + path.read_bytes())
    outdir = CACHE / digest.hexdigest()[:16]
    if (outdir / f"{STACK_NAME}.template.json").exists():
        return outdir
    shutil.rmtree(CACHE, ignore_errors=True)
    partial = outdir.with_suffix(".partial")
    subprocess.run(
        [str(ROOT / "node_modules" / ".bin" / "cdk"), "synth", "-o", str(partial), "--quiet"],
        cwd=EXAMPLE,
        check=True,
        capture_output=True,
        env={**os.environ, "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20"},
        timeout=600,
    )
    partial.rename(outdir)
    return outdir


class NotebookStack(BackgroundStack):
    def __init__(self) -> None:
        super().__init__(Settings(cdk_out=synthesized(), stack_name=STACK_NAME, region=REGION))

    def aws(self, service: str) -> Any:
        return boto3.client(
            service, endpoint_url=self.outputs["AwsEndpoint"], region_name=REGION, **DUMMY
        )

    def post(self, query: str, variables: dict[str, Any] | None, headers: dict[str, str]) -> Any:
        body = json.dumps({"query": query, "variables": variables or {}})
        return requests.post(
            self.outputs["GraphQLUrl"],
            data=body,
            headers={"Content-Type": "application/json", **headers},
            timeout=10,
        )

    def with_key(self, query: str, variables: dict[str, Any] | None = None) -> Any:
        return self.post(query, variables, {"x-api-key": self.outputs["ApiKey"]})

    def with_token(self, token: str, query: str, variables: dict[str, Any] | None = None) -> Any:
        """A request the API's Lambda authorizer judges: the token as the Authorization header."""
        return self.post(query, variables, {"Authorization": token})

    def publisher_credentials(self) -> Credentials:
        return Credentials(
            *assume_role_credentials(
                self.outputs["AwsEndpoint"],
                self.outputs["PublisherRoleArn"],
                REGION,
                session_name="e2e-notebook",
            )
        )

    def signed(self, query: str, variables: dict[str, Any] | None = None) -> Any:
        """A SigV4-signed POST (botocore's signer) as the publisher role."""
        body = json.dumps({"query": query, "variables": variables or {}})
        request = AWSRequest(
            method="POST",
            url=self.outputs["GraphQLUrl"],
            data=body.encode(),
            headers={"Content-Type": "application/json"},
        )
        SigV4Auth(self.publisher_credentials(), "appsync", REGION).add_auth(request)
        return requests.post(
            self.outputs["GraphQLUrl"], data=body, headers=dict(request.headers), timeout=10
        )


@dataclass
class Writer:
    """A signed-in Cognito user of the notebook pool."""

    stack: NotebookStack
    sub: str
    id_token: str

    def graphql(self, query: str, variables: dict[str, Any] | None = None) -> Any:
        return self.stack.post(query, variables, {"Authorization": self.id_token})


def sign_up(stack: NotebookStack, email: str) -> Writer:
    cognito = stack.aws("cognito-idp")
    pool, client_id = stack.outputs["UserPoolId"], stack.outputs["UserPoolClientId"]
    cognito.admin_create_user(
        UserPoolId=pool,
        Username=email,
        UserAttributes=[{"Name": "email", "Value": email}],
        MessageAction="SUPPRESS",
    )
    cognito.admin_set_user_password(
        UserPoolId=pool, Username=email, Password=PASSWORD, Permanent=True
    )
    tokens = cognito.initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": email, "PASSWORD": PASSWORD},
    )["AuthenticationResult"]
    user = cognito.get_user(AccessToken=tokens["AccessToken"])
    sub = next(a["Value"] for a in user["UserAttributes"] if a["Name"] == "sub")
    return Writer(stack, sub, tokens["IdToken"])
