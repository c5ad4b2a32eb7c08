"""The notebook example with an unmodified client people use: Amplify JS v6, over TLS.

`python -m local --tls` runs the notebook stack in its own process, as a user would run it;
clients/node/amplify-notebook-check.mjs is configured from its outputs file only and uses the
API key, Lambda authorizer (`authMode: 'lambda'`, `authToken`) and IAM modes, then a
subscription authorized by the Lambda authorizer with an enhanced filter. Amplify sends the
token as the `Authorization` header, and as the `Authorization` entry of the real-time header
object (AppSync developer guide, "AWS_LAMBDA authorization"; "Building a real-time WebSocket
client").
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from notebook_support import REGION, ROOT, STACK_NAME, synthesized

from local.aws.credentials import assume_role_credentials
from tests.node_clients import CLIENTS, run_node_check


def test_amplify_uses_api_key_lambda_and_iam_modes_and_a_lambda_authorized_subscription(
    tmp_path: Path,
):
    if not (CLIENTS / "node_modules" / ".installed").exists():
        pytest.fail("the client packages are not installed: run `make clients` (make test does)")
    outputs_file = tmp_path / "notebook-outputs.json"
    command = [
        sys.executable, "-m", "local", "--cdk-out", str(synthesized()), "--stack", STACK_NAME,
        "--outputs", str(outputs_file), "--ephemeral", "--tls", "--tls-dir", str(tmp_path / "tls"),
        "--aws-port", "0", "--graphql-port", "0", "--rest-port", "0",
    ]  # fmt: skip
    log = (tmp_path / "runner.log").open("w")
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=log, text=True)
    try:
        assert process.stdout is not None
        ready = process.stdout.readline()
        assert ready.startswith("Local stack ready"), ready
        (outputs,) = json.loads(outputs_file.read_text()).values()
        key, secret, token = assume_role_credentials(
            outputs["AwsEndpoint"], outputs["PublisherRoleArn"], REGION, session_name="amplify"
        )
        result = run_node_check(
            "node/amplify-notebook-check.mjs",
            outputs_file,
            tmp_path / "tls" / "ca.pem",
            ROLE_ACCESS_KEY_ID=key,
            ROLE_SECRET_ACCESS_KEY=secret,
            ROLE_SESSION_TOKEN=token,
        )
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=30)
    print(f"\nAmplify JS {result['version']} against the notebook example")
    assert result["checks"] == [
        "apiKey query",
        "lambda query",
        "lambda deniedFields",
        "lambda refusal",
        "iam mutation",
        "lambda subscription, filtered",
    ]
