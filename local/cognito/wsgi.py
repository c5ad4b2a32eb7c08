"""Put the Cognito operations of service.py in front of moto's server, on the same endpoint.

A request whose `X-Amz-Target` names one of those operations is answered here, in Cognito's
wire format (JSON 1.1, errors as `__type` + `message` with HTTP 400 and `x-amzn-ErrorType`);
every other request goes to moto unchanged. Browsers call Cognito directly (Amplify JS), so
answers carry the CORS headers moto's own answers have.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from moto.cognitoidp.models import CognitoIdpUserPool, cognitoidp_backends
from moto.moto_server.threaded_moto_server import ThreadedMotoServer
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import make_server

from local.cognito.errors import CognitoError
from local.cognito.service import CognitoService

log = logging.getLogger("local.cognito")

TARGET_PREFIX = "AWSCognitoIdentityProviderService."
CONTENT_TYPE = "application/x-amz-json-1.1"
EXPOSED_HEADERS = "x-amzn-RequestId, x-amzn-ErrorType, x-amzn-ErrorMessage, Date"

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


class CognitoFront:
    """WSGI middleware: the shimmed operations here, everything else to `app`."""

    def __init__(self, app: WsgiApp, service: CognitoService) -> None:
        self.app = app
        self.service = service

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        operation = self.service.operations.get(target.removeprefix(TARGET_PREFIX))
        if not target.startswith(TARGET_PREFIX) or operation is None:
            return self.app(environ, start_response)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(length) if length else b""
        headers = [
            ("Content-Type", CONTENT_TYPE),
            ("x-amzn-RequestId", str(uuid.uuid4())),
            ("Access-Control-Allow-Origin", "*"),
            ("Access-Control-Expose-Headers", EXPOSED_HEADERS),
        ]
        try:
            request = json.loads(raw or b"{}")
            if not isinstance(request, dict):
                raise ValueError("not an object")
        except ValueError:
            request = None
        try:
            if request is None:
                raise CognitoError("SerializationException", "Request body is not a JSON object.")
            body: dict[str, Any] = operation(request)
            status = "200 OK"
        except CognitoError as error:
            log.info("cognito-idp %s: %s %s", target, error.error_type, error.message)
            body = {"__type": error.error_type, "message": error.message}
            headers.append(("x-amzn-ErrorType", f"{error.error_type}:"))
            headers.append(("x-amzn-ErrorMessage", error.message))
            status = f"{error.status} Bad Request"
        data = json.dumps(body).encode()
        headers.append(("Content-Length", str(len(data))))
        start_response(status, headers)
        return [data]


class ShimmedMotoServer(ThreadedMotoServer):
    """moto's threaded server with `CognitoFront` in front of it."""

    def __init__(self, region: str, account_id: str, ip_address: str, port: int) -> None:
        super().__init__(ip_address=ip_address, port=port, verbose=False)
        self.service = CognitoService(lambda: _pools(account_id, region))

    def _server_entry(self) -> None:
        app = CognitoFront(DomainDispatcherApplication(create_backend_app), self.service)
        self._server = make_server(
            self._ip_address, self._port, app, True, request_handler=MotoRequestHandler
        )
        self._server_ready_event.set()
        self._server.serve_forever()


def _pools(account_id: str, region: str) -> Iterator[CognitoIdpUserPool]:
    yield from list(cognitoidp_backends[account_id][region].user_pools.values())
