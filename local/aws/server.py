"""moto on 127.0.0.1 for cognito-idp, dynamodb, iam and sts, and boto3 clients for it.

moto runs in this process (`ThreadedMotoServer`, with the sign-in operations of local/cognito in
front of it), so its backends can be read directly, for example to look up the credentials a
SigV4 signature claims (credentials.py). Cognito tokens are signed with an RSA key generated for
the run (local/cognito/signing_key.py); the pool's `/.well-known/jwks.json` serves it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import boto3
from moto.core.config import default_user_config
from moto.iam.models import iam_backends

from local.cognito.signing_key import SigningKey, install_signing_key
from local.cognito.wsgi import ShimmedMotoServer
from local.template import DEFAULT_ACCOUNT

PARTITION = "aws"
# Any non-empty values do: moto accepts every signature unless told otherwise.
DUMMY_CREDENTIALS = {"aws_access_key_id": "local", "aws_secret_access_key": "local"}
# Actions (the end of X-Amz-Target) that only read: no request of these changes moto's state.
READ_ACTIONS = ("Get", "Describe", "List", "Query", "Scan", "BatchGet")


class LocalAws:
    """moto on 127.0.0.1 for cognito-idp, dynamodb, iam and sts, with a fresh signing key."""

    def __init__(
        self,
        region: str,
        port: int = 0,
        quiet: bool = True,
        signing_key: SigningKey | None = None,  # a saved one keeps earlier tokens valid
    ) -> None:
        self.region = region
        self.signing_key = signing_key or SigningKey.generate()
        self._server = ShimmedMotoServer(region, DEFAULT_ACCOUNT, ip_address="127.0.0.1", port=port)
        self._quiet = quiet
        self.endpoint = ""
        self._stop_observing: Callable[[], None] = lambda: None
        self._restore_policy_setting: Callable[[], None] = lambda: None

    def start(self) -> LocalAws:
        install_signing_key(self.signing_key)
        self._restore_policy_setting = _load_aws_managed_policies()
        if self._quiet:
            logging.getLogger("werkzeug").setLevel(logging.WARNING)
        self._server.start()
        host, port = self._server.get_host_and_port()
        self.endpoint = f"http://{host}:{port}"
        return self

    def stop(self) -> None:
        self._stop_observing()
        self._server.stop()
        self._restore_policy_setting()

    def __enter__(self) -> LocalAws:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    def client(self, service: str) -> Any:
        return client(service, self.endpoint, self.region)

    def observe_writes(self, on_write: Callable[[], None]) -> None:
        """Call `on_write` after every request that may have changed state (local/state.py)."""
        server = self._server._server  # moto's werkzeug server, which looks `app` up per request
        assert server is not None, "start() first"
        app = server.app

        def handled(action: str) -> None:
            if not action.startswith(READ_ACTIONS):
                on_write()

        def observed(environ: dict[str, Any], start_response: Any) -> Any:
            response = app(environ, start_response)  # moto has handled the request by now
            handled(str(environ.get("HTTP_X_AMZ_TARGET", "")).rpartition(".")[2])
            return response

        server.app = observed
        # The local AppSync calls moto in process, without the server (inprocess.py).
        from local.aws import inprocess

        self._stop_observing = inprocess.observe(self.endpoint, handled)


def _load_aws_managed_policies() -> Callable[[], None]:
    """Let roles attach AWS managed policies (AWSLambdaBasicExecutionRole...), as in AWS.

    Returns what puts moto's setting back: while it is on, every IAM backend moto creates or
    resets (each `mock_aws()` in the same process) loads about a thousand policies, ~1 s.
    """
    iam_config = default_user_config.setdefault("iam", {})
    before = bool(iam_config.get("load_aws_managed_policies", False))
    iam_config["load_aws_managed_policies"] = True
    backend = iam_backends[DEFAULT_ACCOUNT][PARTITION]
    if not backend.aws_managed_policies:  # the backend was created before this run
        backend.aws_managed_policies = backend._init_aws_policies()
        backend.managed_policies.update(backend._init_managed_policies())

    def restore() -> None:
        iam_config["load_aws_managed_policies"] = before

    return restore


def client(service: str, endpoint: str, region: str) -> Any:
    """A boto3 client for the local endpoint, with dummy credentials."""
    return boto3.client(service, endpoint_url=endpoint, region_name=region, **DUMMY_CREDENTIALS)
