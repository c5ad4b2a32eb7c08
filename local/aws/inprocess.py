"""boto3 clients that reach the moto running in this process without opening a socket.

moto's server (werkzeug) answers every request with `Connection: close`, so each call from
the local AppSync's resolvers to DynamoDB, or from its IAM check to IAM, opened a TCP
connection and started a server thread: measured here at ~3.8 ms per GetItem, most of the
per-field cost of a query. The local AppSync runs in the process that serves moto, so these
clients hand each signed request to moto's WSGI application directly: the same application
class the server runs, over the same backends, so the answers (errors included) are the ones
the HTTP endpoint gives. Only the transport is skipped; boto3 still signs, serialises and
parses as it does against AWS.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

import boto3
from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from flask import Flask
from moto.server import create_backend_app
from werkzeug.test import EnvironBuilder, run_wsgi_app

from local.aws.server import DUMMY_CREDENTIALS

_apps: dict[str, Flask] = {}
_apps_lock = threading.Lock()
# endpoint -> what to call with each request's X-Amz-Target action after moto answered it
_observers: dict[str, Callable[[str], None]] = {}
_observers_lock = threading.Lock()


def observe(endpoint: str, observer: Callable[[str], None]) -> Callable[[], None]:
    """Call `observer(action)` after every in-process request to `endpoint`, as
    LocalAws.observe_writes does for requests over HTTP, so saved state also follows the local
    AppSync's own writes. Returns what stops it (LocalAws.stop calls it)."""
    with _observers_lock:
        _observers[endpoint] = observer

    def stop() -> None:
        with _observers_lock:
            if _observers.get(endpoint) is observer:
                del _observers[endpoint]

    return stop


def client(service: str, endpoint: str, region: str) -> Any:
    """A boto3 client for `endpoint` (this process's moto) that never leaves the process."""
    created = boto3.client(service, endpoint_url=endpoint, region_name=region, **DUMMY_CREDENTIALS)
    created.meta.events.register("before-send", partial(_send, _moto_app(service)))
    return created


def _moto_app(service: str) -> Flask:
    """moto's WSGI application for one service, as its server builds it for that service.

    The server's dispatcher first works out the service from the host and headers of each
    request, scanning moto's package directory for 127.0.0.1 (a third of a GetItem's time);
    a client already knows its service.
    """
    with _apps_lock:
        if service not in _apps:
            app = create_backend_app(service)  # type: ignore[arg-type]
            # moto turns Flask's debug mode on, which wraps every request's form data in a
            # freshly made class and lets exceptions escape; off, an unexpected error becomes
            # a 500 response, as the HTTP server would send.
            app.debug = False
            _apps[service] = app
        return _apps[service]


def _send(app: Flask, request: AWSPreparedRequest, **_: Any) -> AWSResponse:
    """botocore's before-send hook: a response here replaces the HTTP round trip."""
    body = request.body
    if hasattr(body, "read"):
        body = body.read()
    if isinstance(body, str):
        body = body.encode()
    environ = EnvironBuilder(
        method=request.method,
        base_url=request.url,
        headers={k: v.decode() if isinstance(v, bytes) else v for k, v in request.headers.items()},
        data=body or b"",
    ).get_environ()
    environ["REMOTE_ADDR"] = "127.0.0.1"
    app_iter, status, headers = run_wsgi_app(app, environ, buffered=True)
    content = b"".join(app_iter)
    status_code = int(status.split(" ", 1)[0])
    observer = _observer_for(request.url)
    if observer is not None:
        target = request.headers.get("X-Amz-Target") or b""
        text = target.decode() if isinstance(target, bytes) else str(target)
        observer(text.rpartition(".")[2])
    return AWSResponse(request.url, status_code, dict(headers.items()), _Body(content))


def _observer_for(url: str) -> Callable[[str], None] | None:
    with _observers_lock:
        for endpoint, observer in _observers.items():
            if url.startswith(endpoint):
                return observer
    return None


class _Body(io.BytesIO):
    """The raw body botocore reads a response from."""

    def stream(self, **_: Any) -> Iterator[bytes]:
        chunk = self.read()
        while chunk:
            yield chunk
            chunk = self.read()
