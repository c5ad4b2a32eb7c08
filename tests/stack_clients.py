"""What both end-to-end suites (tests/e2e, tests/e2e_notebook) do as clients of a local stack.

Everything here talks to the stack only through its outputs (endpoints, ids), as a client of the
deployed stack would.
"""

from __future__ import annotations

import json
from typing import Any

import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from local.aws.credentials import assume_role_credentials

PASSWORD = "Corr3ct-Horse-Battery!"
DUMMY = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


def sign_in_new_user(
    cognito: Any,
    outputs: dict[str, str],
    email: str,
    attributes: dict[str, str],
    group: str | None = None,
) -> tuple[str, dict[str, str]]:
    """Create a confirmed user with PASSWORD in the stack's pool, optionally in `group`, and sign
    it in with USER_PASSWORD_AUTH: its `sub` and its tokens (the AuthenticationResult)."""
    pool = outputs["UserPoolId"]
    cognito.admin_create_user(
        UserPoolId=pool,
        Username=email,
        UserAttributes=[{"Name": name, "Value": value} for name, value in attributes.items()],
        MessageAction="SUPPRESS",
    )
    cognito.admin_set_user_password(
        UserPoolId=pool, Username=email, Password=PASSWORD, Permanent=True
    )
    if group is not None:
        cognito.admin_add_user_to_group(UserPoolId=pool, Username=email, GroupName=group)
    tokens = cognito.initiate_auth(
        ClientId=outputs["UserPoolClientId"],
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": email, "PASSWORD": PASSWORD},
    )["AuthenticationResult"]
    user = cognito.get_user(AccessToken=tokens["AccessToken"])
    sub = next(a["Value"] for a in user["UserAttributes"] if a["Name"] == "sub")
    return sub, tokens


def post_graphql(
    url: str,
    query: str,
    variables: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> requests.Response:
    body = json.dumps({"query": query, "variables": variables or {}})
    return requests.post(
        url,
        data=body,
        headers={"Content-Type": "application/json", **(headers or {})},
        timeout=10,
    )


def sigv4_headers(
    url: str, credentials: Credentials, body: str, region: str, service: str = "appsync"
) -> dict[str, str]:
    """Headers botocore's signer (independent of the runner's) puts on a GraphQL POST."""
    request = AWSRequest(
        method="POST", url=url, data=body.encode(), headers={"Content-Type": "application/json"}
    )
    SigV4Auth(credentials, service, region).add_auth(request)
    return dict(request.headers.items())


def role_credentials(
    outputs: dict[str, str], role_arn: str, region: str, session_name: str
) -> Credentials:
    """Credentials for `role_arn` from the stack's local STS, for botocore's signer."""
    return Credentials(
        *assume_role_credentials(outputs["AwsEndpoint"], role_arn, region, session_name)
    )
