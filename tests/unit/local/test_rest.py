"""The local API Gateway REST endpoint, from a small hand-written template."""

from __future__ import annotations

import asyncio
import copy
import json
import time
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from typing import Any

import jwt
import pytest
from aiohttp.test_utils import TestClient, TestServer
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from local.cognito.tokens import CognitoTokenVerifier
from local.rest import (
    CognitoAuthorizer,
    RestRoutes,
    cognito_authorize,
    create_rest_app,
    read_all_rest_routes,
)
from local.template import Assembly, Resolver, TemplateError

POOL_ARN = "arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_Local"
CORS = {"gatewayresponse.header.Access-Control-Allow-Origin": "'*'"}


def error_response(kind: str, code: str, status: str | None = None) -> dict[str, Any]:
    props: dict[str, Any] = {
        "RestApiId": {"Ref": "Api"},
        "ResponseType": kind,
        "ResponseParameters": CORS,
        "ResponseTemplates": {
            "application/json": '{"code":"' + code + '","message":$context.error.messageString,'
            '"type":"$context.error.responseType"}'
        },
    }
    if status:
        props["StatusCode"] = status
    return {"Type": "AWS::ApiGateway::GatewayResponse", "Properties": props}


def proxy_method(resource: Any, http_method: str, **extra: Any) -> dict[str, Any]:
    uri = {
        "Fn::Join": [
            "",
            [
                "arn:",
                {"Ref": "AWS::Partition"},
                ":apigateway:us-east-1:lambda:path/2015-03-31/functions/",
                {"Fn::GetAtt": ["Fn", "Arn"]},
                "/invocations",
            ],
        ]
    }
    integration = {"Type": "AWS_PROXY", "IntegrationHttpMethod": "POST", "Uri": uri}
    integration.update(extra.pop("integration", {}))
    return {
        "Type": "AWS::ApiGateway::Method",
        "Properties": {
            "RestApiId": {"Ref": "Api"},
            "ResourceId": resource,
            "HttpMethod": http_method,
            "AuthorizationType": "COGNITO_USER_POOLS",
            "AuthorizerId": {"Ref": "Authorizer"},
            "RequestValidatorId": {"Ref": "Validator"},
            "Integration": integration,
            **extra,
        },
    }


TEMPLATE: dict[str, Any] = {
    "Resources": {
        "Fn": {"Type": "AWS::Lambda::Function", "Properties": {}},
        "Pool": {"Type": "AWS::Cognito::UserPool", "Properties": {}},
        "Api": {"Type": "AWS::ApiGateway::RestApi", "Properties": {"Name": "todo"}},
        "Items": {
            "Type": "AWS::ApiGateway::Resource",
            "Properties": {
                "RestApiId": {"Ref": "Api"},
                "ParentId": {"Fn::GetAtt": ["Api", "RootResourceId"]},
                "PathPart": "items",
            },
        },
        "Item": {
            "Type": "AWS::ApiGateway::Resource",
            "Properties": {
                "RestApiId": {"Ref": "Api"},
                "ParentId": {"Ref": "Items"},
                "PathPart": "{id}",
            },
        },
        "Authorizer": {
            "Type": "AWS::ApiGateway::Authorizer",
            "Properties": {
                "RestApiId": {"Ref": "Api"},
                "Name": "cognito",
                "Type": "COGNITO_USER_POOLS",
                "IdentitySource": "method.request.header.Authorization",
                "ProviderARNs": [{"Fn::GetAtt": ["Pool", "Arn"]}],
            },
        },
        "Validator": {
            "Type": "AWS::ApiGateway::RequestValidator",
            "Properties": {
                "RestApiId": {"Ref": "Api"},
                "ValidateRequestBody": True,
                "ValidateRequestParameters": True,
            },
        },
        "CreateModel": {
            "Type": "AWS::ApiGateway::Model",
            "Properties": {
                "RestApiId": {"Ref": "Api"},
                "ContentType": "application/json",
                "Schema": {
                    "$schema": "http://json-schema.org/draft-04/schema#",
                    "type": "object",
                    "properties": {"title": {"type": "string", "minLength": 1}},
                    "required": ["title"],
                    "additionalProperties": False,
                },
            },
        },
        "ItemsGet": proxy_method(
            {"Ref": "Items"},
            "GET",
            RequestParameters={"method.request.querystring.limit": False},
        ),
        "ItemsPost": proxy_method(
            {"Ref": "Items"}, "POST", RequestModels={"application/json": {"Ref": "CreateModel"}}
        ),
        "ItemGet": proxy_method(
            {"Ref": "Item"},
            "GET",
            RequestParameters={"method.request.path.id": True},
            integration={"TimeoutInMillis": 300},
        ),
        "ItemDelete": proxy_method(
            {"Ref": "Item"},
            "DELETE",
            RequestParameters={"method.request.querystring.version": True},
        ),
        "ItemsOptions": {
            "Type": "AWS::ApiGateway::Method",
            "Properties": {
                "RestApiId": {"Ref": "Api"},
                "ResourceId": {"Ref": "Items"},
                "HttpMethod": "OPTIONS",
                "AuthorizationType": "NONE",
                "Integration": {
                    "Type": "MOCK",
                    "RequestTemplates": {"application/json": "{ statusCode: 200 }"},
                    "IntegrationResponses": [
                        {
                            "StatusCode": "204",
                            "ResponseParameters": {
                                "method.response.header.Access-Control-Allow-Origin": "'*'",
                                "method.response.header.Access-Control-Allow-Methods": (
                                    "'GET,POST,OPTIONS'"
                                ),
                            },
                        }
                    ],
                },
            },
        },
        "Deployment": {
            "Type": "AWS::ApiGateway::Deployment",
            "Properties": {"RestApiId": {"Ref": "Api"}},
        },
        "Stage": {
            "Type": "AWS::ApiGateway::Stage",
            "Properties": {
                "RestApiId": {"Ref": "Api"},
                "DeploymentId": {"Ref": "Deployment"},
                "StageName": "dev",
                "MethodSettings": [{"ThrottlingRateLimit": 50}],
            },
        },
        "BadBody": error_response("BAD_REQUEST_BODY", "ValidationError"),
        "BadParameters": error_response("BAD_REQUEST_PARAMETERS", "ValidationError"),
        "Unauthorized": error_response("UNAUTHORIZED", "Unauthorized"),
        "UnknownRoute": error_response("MISSING_AUTHENTICATION_TOKEN", "NotFound", "404"),
        "Default5xx": error_response("DEFAULT_5XX", "InternalError"),
    }
}

ALICE_CLAIMS = {
    "sub": "alice-sub",
    "token_use": "id",
    "cognito:groups": ["admins", "users"],
    "email": "alice@example.com",
    "email_verified": True,
    "auth_time": 1680629979,
    "iat": 1680629979,
    "exp": 1680633579,
}
ID_TOKEN = "id-token-of-alice"
ACCESS_TOKEN = "access-token-of-alice"
EXPIRED_TOKEN = "expired-token"


def stub_authorizer(token: str, authorizer: CognitoAuthorizer) -> dict[str, Any]:
    assert authorizer.user_pool_ids == ("us-east-1_Local",)
    if token == ID_TOKEN:
        return dict(ALICE_CLAIMS)
    if token == ACCESS_TOKEN:
        return {**ALICE_CLAIMS, "token_use": "access", "scope": "aws.cognito.signin.user.admin"}
    if token == EXPIRED_TOKEN:
        raise ValueError("token expired at 2023-04-04T18:39:39Z")
    raise ValueError("signature verification failed")


def routes_from(template: dict[str, Any]) -> RestRoutes:
    assembly = Assembly(cdk_out=Path("."), stack_name="TodoStack", template=template)
    physical = {"Api": "abc123defg", "Pool": {"Ref": "us-east-1_Local", "Arn": POOL_ARN}}
    (routes,) = read_all_rest_routes(
        assembly, Resolver(assembly, physical, {"AWS::Region": "us-east-1"})
    )
    return routes


def test_a_stack_without_a_rest_api_has_no_routes_to_serve() -> None:
    resources = {k: v for k, v in TEMPLATE["Resources"].items() if "ApiGateway" not in v["Type"]}
    assembly = Assembly(cdk_out=Path("."), stack_name="S", template={"Resources": resources})
    resolver = Resolver(assembly, {}, {"AWS::Region": "us-east-1"})
    assert read_all_rest_routes(assembly, resolver) == []


class StubFunction:
    """Records events; answers with `reply(event)`."""

    def __init__(self, reply: Callable[[dict[str, Any]], Awaitable[Any]] | None = None) -> None:
        self.events: list[dict[str, Any]] = []
        self.reply = reply

    async def __call__(self, event: dict[str, Any]) -> Any:
        self.events.append(event)
        if self.reply is not None:
            return await self.reply(event)
        return {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": "{}"}


Scenario = Callable[[TestClient], Coroutine[Any, Any, None]]


def serve(
    scenario: Scenario,
    function: StubFunction,
    template: dict[str, Any] = TEMPLATE,
    **options: Any,
) -> None:
    async def main() -> None:
        app = create_rest_app(routes_from(template), stub_authorizer, function, **options)
        async with TestClient(TestServer(app, host="127.0.0.1")) as client:
            await scenario(client)

    asyncio.run(main())


def auth(token: str = ID_TOKEN) -> dict[str, str]:
    return {"Authorization": token}


# -- route matching -------------------------------------------------------------------------


def test_a_path_parameter_route_reaches_the_function_with_its_parameters() -> None:
    function = StubFunction()

    async def scenario(client: TestClient) -> None:
        response = await client.get("/dev/items/a%20b", headers=auth())
        assert response.status == 200

    serve(scenario, function)
    (event,) = function.events
    assert event["resource"] == "/items/{id}"
    assert event["pathParameters"] == {"id": "a b"}
    assert event["httpMethod"] == "GET"


def test_an_unknown_route_renders_the_missing_authentication_token_response() -> None:
    function = StubFunction()

    async def scenario(client: TestClient) -> None:
        response = await client.get("/dev/nothing/here", headers=auth())
        assert response.status == 404  # the template overrides 403
        assert response.headers["Access-Control-Allow-Origin"] == "*"
        assert await response.json() == {
            "code": "NotFound",
            "message": "Missing Authentication Token",
            "type": "MISSING_AUTHENTICATION_TOKEN",
        }

    serve(scenario, function)
    assert function.events == []


def test_without_gateway_responses_an_unknown_route_is_apigateway_default_403() -> None:
    template = copy.deepcopy(TEMPLATE)
    for name in ("BadBody", "BadParameters", "Unauthorized", "UnknownRoute", "Default5xx"):
        del template["Resources"][name]

    async def scenario(client: TestClient) -> None:
        response = await client.delete("/dev/items")  # a resource without that method
        assert response.status == 403
        assert response.headers["x-amzn-ErrorType"] == "MissingAuthenticationTokenException"
        assert await response.json() == {"message": "Missing Authentication Token"}

    serve(scenario, StubFunction(), template)


def test_an_unknown_stage_is_forbidden() -> None:
    async def scenario(client: TestClient) -> None:
        response = await client.get("/prod/items", headers=auth())
        assert response.status == 403
        assert await response.json() == {"message": "Forbidden"}

    serve(scenario, StubFunction())


def test_cors_preflight_is_answered_by_the_mock_integration_without_a_token() -> None:
    function = StubFunction()

    async def scenario(client: TestClient) -> None:
        response = await client.options("/dev/items")
        assert response.status == 204
        assert response.headers["Access-Control-Allow-Origin"] == "*"
        assert response.headers["Access-Control-Allow-Methods"] == "GET,POST,OPTIONS"

    serve(scenario, function)
    assert function.events == []


# -- the Cognito authorizer -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({}, "Unauthorized"),
        (auth("not-a-valid-token"), "Unauthorized"),
        (auth(ACCESS_TOKEN), "Unauthorized"),
        (auth(EXPIRED_TOKEN), "The incoming token has expired"),
    ],
    ids=["no token", "bad token", "access token", "expired token"],
)
def test_requests_without_a_valid_id_token_get_the_401_gateway_response(
    headers: dict[str, str], message: str
) -> None:
    function = StubFunction()

    async def scenario(client: TestClient) -> None:
        response = await client.get("/dev/items", headers=headers)
        assert response.status == 401
        assert response.headers["Access-Control-Allow-Origin"] == "*"
        assert await response.json() == {
            "code": "Unauthorized",
            "message": message,
            "type": "UNAUTHORIZED",
        }

    serve(scenario, function)
    assert function.events == []


# -- request validation ---------------------------------------------------------------------


def test_a_body_violating_the_model_gets_the_400_gateway_response() -> None:
    function = StubFunction()

    async def scenario(client: TestClient) -> None:
        response = await client.post("/dev/items", headers=auth(), json={"owner": "mallory"})
        assert response.status == 400
        assert await response.json() == {
            "code": "ValidationError",
            "message": "Invalid request body",
            "type": "BAD_REQUEST_BODY",
        }

    serve(scenario, function)
    assert function.events == []


def test_a_body_matching_the_model_reaches_the_function() -> None:
    function = StubFunction()

    async def scenario(client: TestClient) -> None:
        response = await client.post("/dev/items", headers=auth(), json={"title": "milk"})
        assert response.status == 200

    serve(scenario, function)
    assert json.loads(function.events[0]["body"]) == {"title": "milk"}


def test_a_missing_required_query_parameter_gets_the_400_gateway_response() -> None:
    async def scenario(client: TestClient) -> None:
        response = await client.delete("/dev/items/42", headers=auth())
        assert response.status == 400
        body = await response.json()
        assert body["message"] == "Missing required request parameters: [version]"

    serve(scenario, StubFunction())


def test_a_body_over_the_payload_limit_gets_413() -> None:
    function = StubFunction()

    async def scenario(client: TestClient) -> None:
        response = await client.post("/dev/items", headers=auth(), data=b"x" * 2048)
        assert response.status == 413
        assert (await response.json())["message"] == "Request Too Long"

    serve(scenario, function, payload_limit=1024)
    assert function.events == []


# -- the proxy event ------------------------------------------------------------------------


def test_the_event_carries_claims_as_api_gateway_renders_them() -> None:
    function = StubFunction()

    async def scenario(client: TestClient) -> None:
        await client.get("/dev/items", headers=auth())

    serve(scenario, function)
    claims = function.events[0]["requestContext"]["authorizer"]["claims"]
    assert claims == {
        "sub": "alice-sub",
        "token_use": "id",
        "cognito:groups": "admins,users",
        "email": "alice@example.com",
        "email_verified": "true",
        "auth_time": "1680629979",
        "iat": "Tue Apr 04 17:39:39 UTC 2023",
        "exp": "Tue Apr 04 18:39:39 UTC 2023",
    }


def test_the_event_carries_query_parameters_single_and_multi_valued() -> None:
    function = StubFunction()

    async def scenario(client: TestClient) -> None:
        await client.get("/dev/items?limit=5&tag=a&tag=b", headers=auth())

    serve(scenario, function)
    event = function.events[0]
    assert event["queryStringParameters"] == {"limit": "5", "tag": "b"}
    assert event["multiValueQueryStringParameters"] == {"limit": ["5"], "tag": ["a", "b"]}
    assert event["pathParameters"] is None
    assert event["body"] is None
    assert event["isBase64Encoded"] is False


def test_the_event_request_context_describes_the_request() -> None:
    function = StubFunction()
    seen: dict[str, str] = {}

    async def scenario(client: TestClient) -> None:
        response = await client.get(
            "/dev/items/7", headers={**auth(), "User-Agent": "todo-cli/1", "X-Trace": "t1"}
        )
        seen["request_id"] = response.headers["x-amzn-RequestId"]

    serve(scenario, function)
    event = function.events[0]
    context = event["requestContext"]
    assert event["path"] == "/items/7"
    assert event["headers"]["X-Trace"] == "t1"
    assert event["multiValueHeaders"]["X-Trace"] == ["t1"]
    assert event["stageVariables"] is None
    assert context["accountId"] == "123456789012"
    assert context["apiId"] == "abc123defg"
    assert context["stage"] == "dev"
    assert context["resourcePath"] == "/items/{id}"
    assert context["httpMethod"] == "GET"
    assert context["path"] == "/dev/items/7"
    assert context["requestId"] == seen["request_id"]
    assert isinstance(context["requestTimeEpoch"], int)
    assert context["identity"]["sourceIp"] == "127.0.0.1"
    assert context["identity"]["userAgent"] == "todo-cli/1"


# -- the proxy result -----------------------------------------------------------------------


def test_the_proxy_result_becomes_the_http_response() -> None:
    async def reply(event: dict[str, Any]) -> dict[str, Any]:
        return {
            "statusCode": 201,
            "headers": {"X-Version": "3"},
            "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"]},
            "body": '{"id": "42"}',
            "isBase64Encoded": False,
        }

    async def scenario(client: TestClient) -> None:
        response = await client.post("/dev/items", headers=auth(), json={"title": "milk"})
        assert response.status == 201
        assert response.headers["X-Version"] == "3"
        assert response.headers.getall("Set-Cookie") == ["a=1", "b=2"]
        assert response.headers["Content-Type"] == "application/json"  # API Gateway's default
        assert await response.json() == {"id": "42"}

    serve(scenario, StubFunction(reply))


def test_a_base64_result_is_returned_as_text_when_no_binary_media_type_matches() -> None:
    async def reply(event: dict[str, Any]) -> dict[str, Any]:
        return {"statusCode": 200, "body": "aGk=", "isBase64Encoded": True}

    async def scenario(client: TestClient) -> None:
        response = await client.get("/dev/items", headers=auth())
        assert await response.text() == "aGk="

    serve(scenario, StubFunction(reply))


@pytest.mark.parametrize(
    "result",
    [
        {"statusCode": 200, "body": {"not": "a string"}},
        {"body": "{}", "statusCode": "two hundred"},
        {"statusCode": 200, "body": "{}", "extra": True},
        ["not", "an", "object"],
    ],
    ids=["body object", "bad status", "unknown field", "not an object"],
)
def test_a_malformed_result_gets_502_internal_server_error(result: Any) -> None:
    async def reply(event: dict[str, Any]) -> Any:
        return result

    async def scenario(client: TestClient) -> None:
        response = await client.get("/dev/items", headers=auth())
        assert response.status == 502
        assert await response.json() == {
            "code": "InternalError",
            "message": "Internal server error",
            "type": "DEFAULT_5XX",
        }

    serve(scenario, StubFunction(reply))


def test_a_function_error_gets_502() -> None:
    async def reply(event: dict[str, Any]) -> Any:
        raise RuntimeError("Unhandled: KeyError 'x'")

    async def scenario(client: TestClient) -> None:
        response = await client.get("/dev/items", headers=auth())
        assert response.status == 502
        assert (await response.json())["message"] == "Internal server error"

    serve(scenario, StubFunction(reply))


def test_an_integration_timeout_gets_504() -> None:
    async def reply(event: dict[str, Any]) -> Any:
        await asyncio.sleep(5)

    async def scenario(client: TestClient) -> None:
        response = await client.get("/dev/items/1", headers=auth())  # TimeoutInMillis 300
        assert response.status == 504
        assert (await response.json())["message"] == "Endpoint request timed out"

    serve(scenario, StubFunction(reply))


# -- what the emulation refuses -------------------------------------------------------------


def with_method_property(path: tuple[str, ...], value: Any) -> dict[str, Any]:
    template = copy.deepcopy(TEMPLATE)
    target = template["Resources"]["ItemsGet"]["Properties"]
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return template


@pytest.mark.parametrize(
    ("path", "value", "named"),
    [
        (("AuthorizationType",), "AWS_IAM", "ItemsGet.AuthorizationType"),
        (("Integration", "Type"), "HTTP_PROXY", "ItemsGet.Integration.Type"),
        (("ApiKeyRequired",), True, "ItemsGet.ApiKeyRequired"),
    ],
)
def test_what_cannot_be_emulated_fails_loudly_naming_the_property(
    path: tuple[str, ...], value: Any, named: str
) -> None:
    with pytest.raises(TemplateError, match=named.replace(".", r"\.")):
        routes_from(with_method_property(path, value))


def test_a_non_json_model_fails_loudly() -> None:
    template = copy.deepcopy(TEMPLATE)
    template["Resources"]["CreateModel"]["Properties"]["ContentType"] = "application/xml"
    with pytest.raises(TemplateError, match=r"CreateModel\.ContentType"):
        routes_from(template)


def test_the_routes_list_what_is_not_emulated() -> None:
    routes = routes_from(TEMPLATE)
    assert "Stage.MethodSettings" in routes.not_emulated
    assert "throttling and usage plans" in routes.not_emulated


# -- the authorizer backed by real Cognito-style JWTs ---------------------------------------


def rsa_key() -> Any:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


POOL_KEY = rsa_key()
ISSUER = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Local"


def signed_token(key: Any = POOL_KEY, **claims: Any) -> str:
    now = int(time.time())
    payload = {"sub": "alice-sub", "iss": ISSUER, "token_use": "id", "iat": now, "exp": now + 600}
    return jwt.encode({**payload, **claims}, key, algorithm="RS256", headers={"kid": "k1"})


def jwt_serve(scenario: Scenario, function: StubFunction) -> None:
    jwk = json.loads(RSAAlgorithm.to_jwk(POOL_KEY.public_key()))
    verifier = CognitoTokenVerifier(
        "us-east-1", "us-east-1_Local", jwks={"keys": [{**jwk, "kid": "k1"}]}
    )

    async def main() -> None:
        authorize = cognito_authorize({"us-east-1_Local": verifier})
        app = create_rest_app(routes_from(TEMPLATE), authorize, function)
        async with TestClient(TestServer(app, host="127.0.0.1")) as client:
            await scenario(client)

    asyncio.run(main())


def test_a_valid_id_token_of_the_pool_is_accepted() -> None:
    function = StubFunction()

    async def scenario(client: TestClient) -> None:
        response = await client.get("/dev/items", headers=auth(signed_token()))
        assert response.status == 200

    jwt_serve(scenario, function)
    assert function.events[0]["requestContext"]["authorizer"]["claims"]["sub"] == "alice-sub"


@pytest.mark.parametrize(
    ("token", "message"),
    [
        (signed_token(exp=int(time.time()) - 5), "The incoming token has expired"),
        (signed_token(key=rsa_key()), "Unauthorized"),
        (signed_token(token_use="access"), "Unauthorized"),
        (signed_token(iss="https://cognito-idp.us-east-1.amazonaws.com/other"), "Unauthorized"),
        ("not-a-jwt", "Unauthorized"),
    ],
    ids=["expired", "foreign key", "access token", "other pool", "garbage"],
)
def test_tokens_the_pool_did_not_issue_validly_get_401(token: str, message: str) -> None:
    function = StubFunction()

    async def scenario(client: TestClient) -> None:
        response = await client.get("/dev/items", headers=auth(token))
        assert response.status == 401
        assert (await response.json())["message"] == message

    jwt_serve(scenario, function)
    assert function.events == []
