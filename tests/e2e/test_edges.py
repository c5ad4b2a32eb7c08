"""The auth edges: SigV4 for the function's role, Cognito tokens at the REST and GraphQL doors."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import botocore.auth
import jwt
import pytest
import requests
from botocore.credentials import Credentials
from cryptography.hazmat.primitives.asymmetric import rsa
from e2e_support import (
    TODO_FIELDS,
    RunningStack,
    User,
    after_index_delay,
    eventually,
    graphql,
    role_credentials,
    sigv4_headers,
)

GET_TODO = f"query($id: ID!) {{ getTodo(id: $id) {{ {TODO_FIELDS} }} }}"
LIST = "query { listTodos(limit: 1) { items { id } } }"
CREATE = 'mutation($o: String!) { createTodo(input: {owner: $o, title: "signed"}) { id owner } }'


def body_of(query: str, variables: dict[str, Any] | None = None) -> str:
    return json.dumps({"query": query, "variables": variables or {}})


def assert_request_refused(response: requests.Response) -> None:
    """AppSync's request-level refusal: HTTP 401 with UnauthorizedException."""
    assert response.status_code == 401, response.text
    assert response.json()["errors"][0]["errorType"] == "UnauthorizedException"


def post_signed(stack: RunningStack, body: str, headers: dict[str, str]) -> requests.Response:
    return requests.post(stack.outputs["GraphQLUrl"], data=body, headers=headers, timeout=10)


# -- the function's role, signed with botocore (independent of the handler's signer) --------


def test_function_role_can_call_its_granted_fields(
    stack: RunningStack, alice: User, function_role: Credentials
):
    # WHEN the role creates a todo for alice and reads it back, signed with SigV4
    body = body_of(CREATE, {"o": alice.sub})
    created = post_signed(stack, body, sigv4_headers(stack, function_role, body)).json()
    todo_id = created["data"]["createTodo"]["id"]
    read_body = body_of(GET_TODO, {"id": todo_id})
    read = post_signed(stack, read_body, sigv4_headers(stack, function_role, read_body)).json()
    # THEN both succeed and alice sees the todo through REST
    assert created["data"]["createTodo"]["owner"] == alice.sub
    assert read["data"]["getTodo"]["id"] == todo_id
    eventually(lambda: _assert_listed(alice, todo_id))


def test_unsigned_request_is_refused(stack: RunningStack):
    assert_request_refused(graphql(stack, LIST))


def test_wrong_secret_is_refused(stack: RunningStack, function_role: Credentials):
    forged = Credentials(function_role.access_key, "not-the-secret", function_role.token)
    body = body_of(LIST)
    assert_request_refused(post_signed(stack, body, sigv4_headers(stack, forged, body)))


def test_tampered_body_is_refused(stack: RunningStack, alice: User, function_role: Credentials):
    signed = body_of(CREATE, {"o": alice.sub})
    headers = sigv4_headers(stack, function_role, signed)
    tampered = signed.replace("signed", "hacked")
    assert_request_refused(post_signed(stack, tampered, headers))


def test_stale_date_is_refused(
    stack: RunningStack, function_role: Credentials, monkeypatch: pytest.MonkeyPatch
):
    # GIVEN a request botocore signed ten minutes ago (AppSync allows five minutes of skew)
    body = body_of(LIST)
    ten_minutes_ago = datetime.now(UTC).replace(tzinfo=None) - timedelta(minutes=10)
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: ten_minutes_ago)
    headers = sigv4_headers(stack, function_role, body)
    monkeypatch.undo()
    # THEN it is refused
    assert headers["X-Amz-Date"] == ten_minutes_ago.strftime("%Y%m%dT%H%M%SZ")
    assert_request_refused(post_signed(stack, body, headers))


def test_missing_session_token_is_refused(stack: RunningStack, function_role: Credentials):
    without_token = Credentials(function_role.access_key, function_role.secret_key)
    body = body_of(LIST)
    assert_request_refused(post_signed(stack, body, sigv4_headers(stack, without_token, body)))


def test_role_without_the_grant_gets_unauthorized_field_errors(stack: RunningStack, alice: User):
    # GIVEN another role in the account, which anyone may assume but which has no grant
    iam = stack.aws("iam")
    trust = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}],
    }
    role = iam.create_role(RoleName="no-grant", AssumeRolePolicyDocument=json.dumps(trust))
    credentials = role_credentials(stack, role["Role"]["Arn"])
    # WHEN it calls the fields the function's role may call
    body = body_of(CREATE, {"o": alice.sub})
    response = post_signed(stack, body, sigv4_headers(stack, credentials, body))
    # THEN the signature is accepted but every field is refused with AppSync's shape
    assert response.status_code == 200
    payload = response.json()
    assert payload["data"] == {"createTodo": None}
    assert payload["errors"][0]["errorType"] == "Unauthorized"
    after_index_delay()
    assert alice.list_all() == []


# -- Cognito tokens at both doors ------------------------------------------------------------


def _forge(claims: dict[str, Any], key: Any, kid: str) -> str:
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid})


def _claims(token: str) -> dict[str, Any]:
    return jwt.decode(token, options={"verify_signature": False})


def _rest_status(user: User, token: str) -> int:
    return requests.get(
        user.url("/items"), headers={"Authorization": token}, timeout=10
    ).status_code


def test_expired_token_is_refused_at_both_doors(stack: RunningStack, alice: User):
    # GIVEN alice's ID token re-signed with the run's real key but expired a minute ago
    key = stack.signing_key
    claims = {**_claims(alice.id_token), "exp": int(time.time()) - 60}
    expired = _forge(claims, key.key.as_pem(private=True), key.kid)
    # THEN both the REST authorizer and AppSync refuse it
    assert _rest_status(alice, expired) == 401
    assert_request_refused(graphql(stack, LIST, headers={"Authorization": expired}))


def test_same_claims_signed_with_another_key_are_refused(stack: RunningStack, alice: User):
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = _forge(_claims(alice.id_token), other_key, stack.signing_key.kid)
    assert _rest_status(alice, forged) == 401
    assert_request_refused(graphql(stack, LIST, headers={"Authorization": forged}))


def test_token_from_another_user_pool_is_refused(stack: RunningStack, alice: User):
    # GIVEN a second user pool on the same local Cognito, and a user signed in there
    cognito = stack.aws("cognito-idp")
    pool = cognito.create_user_pool(PoolName="elsewhere")["UserPool"]["Id"]
    client = cognito.create_user_pool_client(
        UserPoolId=pool, ClientName="c", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"]
    )["UserPoolClient"]["ClientId"]
    cognito.admin_create_user(UserPoolId=pool, Username="eve", MessageAction="SUPPRESS")
    cognito.admin_set_user_password(
        UserPoolId=pool, Username="eve", Password="Corr3ct-Horse-Battery!", Permanent=True
    )
    tokens = cognito.initiate_auth(
        ClientId=client,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "eve", "PASSWORD": "Corr3ct-Horse-Battery!"},
    )["AuthenticationResult"]
    # THEN its tokens open neither door of this stack
    assert _rest_status(alice, tokens["IdToken"]) == 401
    assert_request_refused(graphql(stack, LIST, headers={"Authorization": tokens["IdToken"]}))


def test_access_token_is_refused_where_an_id_token_is_required(alice: User):
    # API Gateway's Cognito authorizer (no OAuth scopes) takes ID tokens only.
    assert _rest_status(alice, alice.access_token) == 401
    # AppSync's user-pool mode accepts access tokens too, as AWS does.
    assert alice.graphql(LIST).status_code == 200


def test_garbage_token_is_refused_at_both_doors(stack: RunningStack, alice: User):
    assert _rest_status(alice, "not-a-jwt") == 401
    assert_request_refused(graphql(stack, LIST, headers={"Authorization": "not-a-jwt"}))


def test_a_bearer_prefixed_token_is_refused_as_appsync_refuses_it(stack: RunningStack, alice: User):
    # AppSync takes the bare ID token in Authorization; "Bearer <token>" gets 401
    # UnauthorizedException "Unable to parse JWT token." (aws/aws-appsync-community#198).
    headers = {"Authorization": f"Bearer {alice.id_token}"}
    assert_request_refused(graphql(stack, LIST, headers=headers))
    assert graphql(stack, LIST, headers={"Authorization": alice.id_token}).status_code == 200


# -- optimistic locking under concurrency ------------------------------------------------------


def test_concurrent_updates_with_the_same_version_have_exactly_one_winner(alice: User):
    # GIVEN a todo at version 1
    todo = alice.create("contended")
    item = alice.url(f"/items/{todo['id']}")

    def update(n: int) -> requests.Response:
        session = requests.Session()
        session.headers["Authorization"] = alice.id_token
        return session.patch(item, json={"title": f"writer {n}", "version": 1}, timeout=30)

    # WHEN eight clients update it at once, all expecting version 1
    with ThreadPoolExecutor(max_workers=8) as pool:
        responses = list(pool.map(update, range(8)))
    # THEN exactly one wins, the others get 409, and the stored todo is the winner's
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] + [409] * 7
    winner = next(r.json() for r in responses if r.status_code == 200)
    final = alice.rest.get(item, timeout=10).json()
    assert final["version"] == 2
    assert final["title"] == winner["title"]


def _assert_listed(user: User, todo_id: str) -> None:
    assert todo_id in {t["id"] for t in user.list_all()}


def test_racing_deletes_of_one_todo_answer_204_once_and_404_otherwise(alice: User):
    # GIVEN one todo
    todo = alice.create("contested")
    url = alice.url(f"/items/{todo['id']}")

    def delete(_: int) -> int:
        return requests.delete(
            url, params={"version": 1}, headers={"Authorization": alice.id_token}, timeout=10
        ).status_code

    # WHEN eight clients delete it at once
    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = sorted(pool.map(delete, range(8)))
    # THEN one delete wins and every other one is told it is gone; none is an upstream error
    assert statuses == [204] + [404] * 7


NESTED = "[" * 1000 + "]" * 1000


def test_deeply_nested_json_on_the_rest_api_is_a_bad_request(alice: User):
    # On AWS the method's request model (completed: boolean) refuses this body before the
    # function runs: a body that fails validation is answered 400 by API Gateway itself (API
    # Gateway developer guide, "Request validation for REST APIs in API Gateway",
    # https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-method-request-validation.html).
    # WHEN a body nests 1,000 levels deep
    response = alice.rest.post(
        alice.url("/items"),
        data=f'{{"title": "x", "completed": {NESTED}}}',
        headers={"Content-Type": "application/json"},
        timeout=10,
    )
    # THEN it is answered 400 in the usual error shape, not with a server error
    assert response.status_code == 400
    assert set(response.json()) >= {"code", "message"}


def test_deeply_nested_json_on_the_graphql_endpoint_is_a_bad_request(alice: User):
    response = requests.post(
        alice.stack.outputs["GraphQLUrl"],
        data=f'{{"query": "{{ __typename }}", "variables": {{"v": {NESTED}}}}}',
        headers={"Authorization": alice.id_token, "Content-Type": "application/json"},
        timeout=10,
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["message"]


def test_hundreds_of_aliased_fields_all_resolve(alice: User):
    # No alias limit is documented for AppSync; every aliased field gets its own answer. The
    # one bound is the resolvers per request, 10,000 unless the API sets less (GraphqlApi
    # resolverCountLimit, https://docs.aws.amazon.com/appsync/latest/APIReference/API_GraphqlApi.html).
    # (How long 300 take is a `make bench` figure, not asserted here.)
    created = alice.create("aliased")
    selection = " ".join(f"a{n}: getTodo(id: $id) {{ id }}" for n in range(300))
    response = alice.graphql(f"query ($id: ID!) {{ {selection} }}", {"id": created["id"]})
    assert response.status_code == 200
    body = response.json()
    assert "errors" not in body
    assert body["data"] == {f"a{n}": {"id": created["id"]} for n in range(300)}


TRUST_ANYONE = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}],
    }
)


def _role_allowed_list_todos_if(stack: RunningStack, name: str, condition: dict[str, Any]) -> str:
    """A role allowed Query.listTodos under `condition`; returns its ARN."""
    iam = stack.aws("iam")
    role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=TRUST_ANYONE)["Role"]
    statement = {
        "Effect": "Allow",
        "Action": "appsync:GraphQL",
        "Resource": "arn:aws:appsync:*:*:apis/*/types/Query/fields/listTodos",
        "Condition": condition,
    }
    iam.put_role_policy(
        RoleName=name,
        PolicyName="conditional",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [statement]}),
    )
    return str(role["Arn"])


@pytest.mark.parametrize(("network", "allowed"), [("127.0.0.0/8", True), ("10.0.0.0/8", False)])
def test_an_iam_condition_on_the_source_ip_is_evaluated(
    stack: RunningStack, network: str, allowed: bool
):
    """IAM User Guide, "IAM JSON policy elements: Condition operators" (IpAddress, aws:SourceIp):
    a statement applies only when its condition holds; otherwise nothing allows the field."""
    role_arn = _role_allowed_list_todos_if(
        stack, f"from-{network.split('.')[0]}", {"IpAddress": {"aws:SourceIp": network}}
    )
    credentials = role_credentials(stack, role_arn)
    body = body_of(LIST)
    payload = post_signed(stack, body, sigv4_headers(stack, credentials, body)).json()
    if allowed:
        assert "errors" not in payload, payload
    else:
        assert payload["data"] == {"listTodos": None}
        assert payload["errors"][0]["errorType"] == "Unauthorized"


def test_a_signer_whose_role_is_gone_gets_unauthorized(stack: RunningStack):
    """IAM User Guide, "Disabling permissions for temporary security credentials"
    (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp_control-access_disable-perms.html):
    the permissions of temporary credentials are evaluated each time they are used, and once
    none remain the requests fail; policy updates can take a while to take effect."""
    # GIVEN credentials of a role that is deleted afterwards
    role_arn = _role_allowed_list_todos_if(
        stack, "short-lived", {"Bool": {"aws:SecureTransport": "false"}}
    )
    credentials = role_credentials(stack, role_arn)
    iam = stack.aws("iam")
    iam.delete_role_policy(RoleName="short-lived", PolicyName="conditional")
    iam.delete_role(RoleName="short-lived")
    time.sleep(2.1)  # the local AppSync keeps policies for 2 s, as IAM is eventually consistent
    # WHEN it signs a request
    body = body_of(LIST)
    payload = post_signed(stack, body, sigv4_headers(stack, credentials, body)).json()
    # THEN the field is refused in AppSync's shape, not failed by the emulation
    assert payload["data"] == {"listTodos": None}
    assert payload["errors"][0]["errorType"] == "Unauthorized"
