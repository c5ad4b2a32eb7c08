"""The local DynamoDB gateway: which ARNs it checks the caller's policies against, and how."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from local.aws.sigv4 import Identity
from local.dynamodb.gateway import create_dynamodb_gateway, resources_of
from local.iam.policy import Policy

REGION, ACCOUNT = "us-east-1", "123456789012"
TABLE = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table"


def test_an_item_call_names_its_table() -> None:
    assert resources_of({"TableName": "T", "Key": {}}, REGION, ACCOUNT) == [f"{TABLE}/T"]


def test_a_query_on_an_index_names_the_index() -> None:
    body = {"TableName": "T", "IndexName": "byOwner"}
    assert resources_of(body, REGION, ACCOUNT) == [f"{TABLE}/T/index/byOwner"]


def test_a_batch_names_every_table_once() -> None:
    body = {"RequestItems": {"A": {}, "B": {}}}
    assert resources_of(body, REGION, ACCOUNT) == [f"{TABLE}/A", f"{TABLE}/B"]


def test_a_transaction_names_every_table_once() -> None:
    body = {"TransactItems": [{"Put": {"TableName": "A"}}, {"Update": {"TableName": "A"}}]}
    assert resources_of(body, REGION, ACCOUNT) == [f"{TABLE}/A"]


def test_an_account_wide_call_names_every_table() -> None:
    assert resources_of({}, REGION, ACCOUNT) == [f"{TABLE}/*"]


# --- conditions: the gateway evaluates a policy's Condition with the request's context keys ----
# IAM User Guide, "AWS global condition context keys" (aws:SourceIp, aws:SecureTransport,
# aws:RequestedRegion, aws:PrincipalArn) and "IAM JSON policy elements: Condition".

ACCESS_KEY, SECRET = "ASIALOCALTESTKEY0001", "local-secret"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/FunctionRole"
SESSION_ARN = f"arn:aws:sts::{ACCOUNT}:assumed-role/FunctionRole/fn"


def _allow_get_item(condition: dict[str, Any]) -> list[Policy]:
    statement = {
        "Effect": "Allow",
        "Action": "dynamodb:GetItem",
        "Resource": f"{TABLE}/T",
        "Condition": condition,
    }
    return [Policy("role/FunctionRole/inline/Default", {"Statement": [statement]})]


def _get_item(condition: dict[str, Any]) -> tuple[int, dict[str, Any], list[str]]:
    """A signed GetItem through the gateway (in front of a stand-in for moto): status, body."""
    forwarded: list[str] = []

    async def moto(request: web.Request) -> web.Response:
        forwarded.append(request.headers["X-Amz-Target"])
        return web.json_response({"Item": {"id": {"S": "1"}}})

    def lookup(key: str) -> Identity | None:
        if key != ACCESS_KEY:
            return None
        return Identity(ACCESS_KEY, SECRET, None, SESSION_ARN, ACCOUNT, role_arn=ROLE_ARN)

    async def main() -> tuple[int, dict[str, Any]]:
        backend = web.Application()
        backend.router.add_post("/", moto)
        async with TestServer(backend, host="127.0.0.1") as moto_server:
            gateway = create_dynamodb_gateway(
                str(moto_server.make_url("")).rstrip("/"),
                region=REGION,
                account=ACCOUNT,
                lookup=lookup,
                policies=lambda principal: _allow_get_item(condition),
            )
            async with TestClient(TestServer(gateway, host="127.0.0.1")) as client:
                body = json.dumps({"TableName": "T", "Key": {"id": {"S": "1"}}})
                url = str(client.make_url("/"))
                signed = AWSRequest(
                    "POST",
                    url,
                    data=body,
                    headers={
                        "X-Amz-Target": "DynamoDB_20120810.GetItem",
                        "Content-Type": "application/x-amz-json-1.0",
                    },
                )
                SigV4Auth(Credentials(ACCESS_KEY, SECRET), "dynamodb", REGION).add_auth(signed)
                response = await client.post("/", data=body, headers=dict(signed.headers))
                return response.status, json.loads(await response.read())

    status, payload = asyncio.run(main())
    return status, payload, forwarded


def test_a_condition_that_holds_lets_the_request_through() -> None:
    status, payload, forwarded = _get_item(
        {
            "Bool": {"aws:SecureTransport": "true"},
            "StringEquals": {"aws:RequestedRegion": REGION, "aws:PrincipalArn": ROLE_ARN},
            "IpAddress": {"aws:SourceIp": "127.0.0.0/8"},
        }
    )
    assert (status, payload) == (200, {"Item": {"id": {"S": "1"}}})
    assert forwarded == ["DynamoDB_20120810.GetItem"]


def test_a_condition_that_fails_denies_with_dynamodbs_access_denied() -> None:
    status, payload, forwarded = _get_item({"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}})
    assert status == 400
    assert payload["__type"].endswith("#AccessDeniedException")
    assert (
        f"is not authorized to perform: dynamodb:GetItem on resource: {TABLE}/T"
        in (payload["Message"])
    )
    assert forwarded == []


def test_a_service_key_the_runner_cannot_supply_denies_instead_of_guessing() -> None:
    # dynamodb:LeadingKeys (DynamoDB developer guide, "Using IAM policy conditions for
    # fine-grained access control") would be set by AWS; locally it is not, so nothing passes.
    condition = {"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": ["1"]}}
    status, payload, forwarded = _get_item(condition)
    assert status == 400 and payload["__type"].endswith("#AccessDeniedException")
    assert forwarded == []
