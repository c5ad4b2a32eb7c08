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
from botocore.credentials import Credentials

from local.background import BackgroundStack
from local.stack import Settings
from tests.stack_clients import (
    DUMMY,
    post_graphql,
    role_credentials,
    sign_in_new_user,
    sigv4_headers,
)

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "notebook"
CACHE = ROOT / ".build" / "notebook-cdk.out"
STACK_NAME = "NotebookApp"
REGION = "us-east-1"
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
        return post_graphql(self.outputs["GraphQLUrl"], query, variables, headers)

    def with_key(self, query: str, variables: dict[str, Any] | None = None) -> Any:
        return self.post(query, variables, {"x-api-key": self.outputs["ApiKey"]})

    def with_token(self, token: str, query: str, variables: dict[str, Any] | None = None) -> Any:
        """A request the API's Lambda authorizer judges: the token as the Authorization header."""
        return self.post(query, variables, {"Authorization": token})

    def publisher_credentials(self) -> Credentials:
        role = self.outputs["PublisherRoleArn"]
        return role_credentials(self.outputs, role, REGION, session_name="e2e-notebook")

    def signed(self, query: str, variables: dict[str, Any] | None = None) -> Any:
        """A SigV4-signed POST (botocore's signer) as the publisher role."""
        body = json.dumps({"query": query, "variables": variables or {}})
        url = self.outputs["GraphQLUrl"]
        headers = sigv4_headers(url, self.publisher_credentials(), body, REGION)
        return requests.post(url, data=body, headers=headers, timeout=10)


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
    sub, tokens = sign_in_new_user(cognito, stack.outputs, email, {"email": email})
    return Writer(stack, sub, tokens["IdToken"])
