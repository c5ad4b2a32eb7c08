"""The local API Gateway REST endpoint, built from the template's ApiGateway resources.

`read_all_rest_routes(assembly, resolver)` reads what the template declares; `create_rest_app`
serves it as an aiohttp application.
"""

from local.rest.authorizer import cognito_authorize
from local.rest.events import MalformedResult, render_claims
from local.rest.gateway import PAYLOAD_LIMIT, Authorize, Invoke, create_rest_app
from local.rest.routes import (
    CognitoAuthorizer,
    GatewayResponse,
    Method,
    MockResponse,
    Model,
    RestRoutes,
    read_all_rest_routes,
)

__all__ = [
    "PAYLOAD_LIMIT",
    "Authorize",
    "CognitoAuthorizer",
    "GatewayResponse",
    "Invoke",
    "MalformedResult",
    "Method",
    "MockResponse",
    "Model",
    "RestRoutes",
    "cognito_authorize",
    "create_rest_app",
    "read_all_rest_routes",
    "render_claims",
]
