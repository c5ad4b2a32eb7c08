"""The clients people use, unmodified, against `python -m local --tls` as `make up` runs it.

Each client is configured only from the outputs file the runner writes, and trusts the stack's
local CA the way the README says (NODE_EXTRA_CA_CERTS; the browser, by the server key):
- Amplify JS v6 in Node (clients/node/amplify-check.mjs);
- Apollo Client with aws-appsync-auth-link and aws-appsync-subscription-link
  (clients/node/apollo-check.mjs);
- the web page and the runner's GraphQL explorer in Debian's headless Chromium
  (clients/browser/page-check.mjs, explorer-check.mjs), which leave screenshots in
  tests/artifacts/.
Both Amplify (api-graphql AWSWebSocketProvider/appsyncUrl.ts) and the subscription link
(realtime-subscription-handshake-link.ts) connect to `<GraphQLUrl>/realtime` on a custom
domain, Amplify always over wss://. The scripts check what the client sees; this module makes
the users, runs them and checks what only the server side can tell. Latencies are printed, not
asserted (`make bench` measures speed).
"""

from __future__ import annotations

import base64
import json
import secrets
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from e2e_support import CDK_OUT, DUMMY, PASSWORD, REGION, ROOT

from local.aws.credentials import assume_role_credentials
from tests.node_clients import run_node_check

CLIENTS = ROOT / "clients"
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = "/usr/bin/chromium"


@dataclass
class TlsStack:
    outputs: dict[str, str]
    outputs_file: Path
    ca_file: Path
    web_url: str

    def cognito(self) -> Any:
        return boto3.client(
            "cognito-idp", endpoint_url=self.outputs["AwsEndpoint"], region_name=REGION, **DUMMY
        )

    def make_user(self, *, temporary: str | None = None) -> str:
        email = f"client-{secrets.token_hex(4)}@example.com"
        pool = self.outputs["UserPoolId"]
        self.cognito().admin_create_user(
            UserPoolId=pool,
            Username=email,
            UserAttributes=[
                {"Name": "email", "Value": email},
                {"Name": "email_verified", "Value": "true"},
            ],
            TemporaryPassword=temporary or "Temp-Passw0rd-123!",
            MessageAction="SUPPRESS",
        )
        if temporary is None:
            self.cognito().admin_set_user_password(
                UserPoolId=pool, Username=email, Password=PASSWORD, Permanent=True
            )
        return email

    def id_token(self, email: str) -> str:
        result = self.cognito().initiate_auth(
            ClientId=self.outputs["UserPoolClientId"],
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": email, "PASSWORD": PASSWORD},
        )
        return str(result["AuthenticationResult"]["IdToken"])

    def role_environment(self) -> dict[str, str]:
        key, secret, token = assume_role_credentials(
            self.outputs["AwsEndpoint"],
            self.outputs["TodoFunctionRoleArn"],
            REGION,
            session_name="clients",
        )
        return {
            "ROLE_ACCESS_KEY_ID": key,
            "ROLE_SECRET_ACCESS_KEY": secret,
            "ROLE_SESSION_TOKEN": token,
        }

    def node(self, script: str, **env: str) -> dict[str, Any]:
        """Run a client script; its last `RESULT {...}` line is what it saw."""
        return run_node_check(script, self.outputs_file, self.ca_file, **env)


@pytest.fixture(scope="module")
def tls_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TlsStack]:
    if not (CLIENTS / "node_modules" / ".installed").exists():
        pytest.fail("the client packages are not installed: run `make clients` (make test does)")
    if not (CLIENTS / "web" / "dist" / "app.js").exists():
        pytest.fail("the web client is not built: run `make clients` (make test does)")
    state = tmp_path_factory.mktemp("tls-stack")
    outputs_file = state / "local-outputs.json"
    command = [
        sys.executable, "-m", "local", "--cdk-out", str(CDK_OUT), "--outputs", str(outputs_file),
        "--aws-port", "0", "--graphql-port", "0", "--rest-port", "0",
        "--tls", "--tls-dir", str(state / "tls"),
        "--web-dir", str(CLIENTS / "web"), "--web-port", "0",
    ]  # fmt: skip
    log = (state / "runner.log").open("w")  # the runner's log, for a failing test's report
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=log, text=True)
    try:
        assert process.stdout is not None
        ready = process.stdout.readline()
        assert ready.startswith("Local stack ready"), ready
        web_line = process.stdout.readline()
        assert web_line.startswith("Web client: "), web_line
        outputs = next(iter(json.loads(outputs_file.read_text()).values()))
        yield TlsStack(
            outputs, outputs_file, state / "tls" / "ca.pem", web_line.split(": ", 1)[1].strip()
        )
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=30)
        log.close()


@pytest.fixture
def chromium() -> None:
    """Debian's Chromium is there for the browser checks, and so is their screenshot folder."""
    if not Path(CHROMIUM).exists() and shutil.which("chromium") is None:
        pytest.fail("Debian's chromium is not installed: run `make chromium` (make test does)")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)


def test_outputs_name_tls_endpoints(tls_stack: TlsStack):
    assert tls_stack.outputs["GraphQLUrl"].startswith("https://127.0.0.1:")
    assert tls_stack.outputs["RestApiUrl"].startswith("https://127.0.0.1:")
    assert tls_stack.outputs["GraphQLRealtimeUrl"].startswith("wss://127.0.0.1:")


def test_amplify_js_v6_signs_in_queries_subscribes_refreshes_and_signs_out(tls_stack: TlsStack):
    email = tls_stack.make_user()
    result = tls_stack.node(
        "node/amplify-check.mjs", EMAIL=email, PASSWORD=PASSWORD, **tls_stack.role_environment()
    )
    print(f"\nAmplify JS {result['version']}: subscription latency ms {result['latencyMs']}")
    assert result["checks"] == [
        "wrong password refused",
        "SRP sign-in",
        "userPool query",
        "iam mutation",
        "userPool mutation refused per field",
        "request-level 401 named Unauthorized",
        "subscription receives REST-created todos",
        "token refresh",
        "sign-out",
    ]
    # THEN sign-out revoked the session at Cognito: its access token is refused there
    with pytest.raises(ClientError) as refused:
        tls_stack.cognito().get_user(AccessToken=result["accessTokenBeforeSignOut"])
    assert refused.value.response["Error"]["Code"] == "NotAuthorizedException"


def test_apollo_client_with_appsync_links_queries_mutates_and_subscribes(tls_stack: TlsStack):
    email = tls_stack.make_user()
    result = tls_stack.node(
        "node/apollo-check.mjs", ID_TOKEN=tls_stack.id_token(email), **tls_stack.role_environment()
    )
    print(f"\nApollo {result['versions']}: subscription latency ms {result['latencyMs']}")
    assert result["checks"] == [
        "userPool query",
        "iam mutation",
        "iam body changed after signing refused",
        "subscription receives REST-created todos",
    ]


def test_web_page_in_headless_chromium_signs_in_and_shows_server_writes_live(
    tls_stack: TlsStack, chromium: None
):
    temporary = "Temp-Passw0rd-789!"
    email = tls_stack.make_user(temporary=temporary)
    result = tls_stack.node(
        "browser/page-check.mjs",
        WEB_URL=tls_stack.web_url,
        SERVER_CERT_FILE=str(tls_stack.ca_file.with_name("server.pem")),
        EMAIL=email,
        TEMPORARY_PASSWORD=temporary,
        NEW_PASSWORD=PASSWORD,
        SCREENSHOT=str(ARTIFACTS / "web-client.png"),
    )
    print(f"\nChromium {result['browser']}: live update latency ms {result['latencyMs']}")
    assert (ARTIFACTS / "web-client.png").stat().st_size > 0
    assert result["checks"] == [
        "new password required and set",
        "signed in",
        "added",
        "server write shown live",
        "completed",
        "deleted",
    ]


def test_explorer_in_headless_chromium_queries_reads_the_schema_and_subscribes(
    tls_stack: TlsStack, chromium: None
):
    id_token = tls_stack.id_token(tls_stack.make_user())
    claims = json.loads(base64.urlsafe_b64decode(id_token.split(".")[1] + "=="))
    result = tls_stack.node(
        "browser/explorer-check.mjs",
        SERVER_CERT_FILE=str(tls_stack.ca_file.with_name("server.pem")),
        ID_TOKEN=id_token,
        OWNER=claims["sub"],
        SCREENSHOT=str(ARTIFACTS / "explorer.png"),
    )
    assert result["checks"] == [
        "starting query",
        "schema read",
        "subscription event shown",
        "subscription stopped",
    ]
