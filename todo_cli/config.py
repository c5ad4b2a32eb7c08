"""Which stack to talk to: the outputs file of `cdk deploy` or of the local runner."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from todo_cli.errors import CliError

LOCAL_OUTPUTS = Path("local-outputs.json")
DEPLOYED_OUTPUTS = Path("cdk-outputs.json")
REQUIRED_KEYS = ("RestApiUrl", "UserPoolId", "UserPoolClientId", "Region")


@dataclass(frozen=True)
class StackConfig:
    stack_name: str
    rest_api_url: str
    user_pool_id: str
    user_pool_client_id: str
    region: str
    aws_endpoint: str | None = None  # local mode: cognito-idp (and sts, dynamodb) endpoint
    graphql_url: str | None = None
    graphql_realtime_url: str | None = None
    outputs: Mapping[str, str] = field(default_factory=dict)  # every output, as written

    @classmethod
    def from_outputs(cls, name: str, values: dict, where: str = "the outputs") -> StackConfig:
        """One stack's outputs ({OutputKey: value}) as the client's configuration."""
        missing = [key for key in REQUIRED_KEYS if not values.get(key)]
        if missing:
            raise CliError(f"stack {name} in {where} lacks outputs {', '.join(missing)}")
        return cls(
            stack_name=name,
            rest_api_url=values["RestApiUrl"],
            user_pool_id=values["UserPoolId"],
            user_pool_client_id=values["UserPoolClientId"],
            region=values["Region"],
            aws_endpoint=values.get("AwsEndpoint"),
            graphql_url=values.get("GraphQLUrl"),
            graphql_realtime_url=values.get("GraphQLRealtimeUrl"),
            outputs={str(k): str(v) for k, v in values.items()},
        )

    def url(self, path: str) -> str:
        return self.rest_api_url.rstrip("/") + "/" + path.lstrip("/")


def default_outputs_path() -> Path:
    """local-outputs.json when the local stack wrote one, else cdk-outputs.json."""
    return LOCAL_OUTPUTS if LOCAL_OUTPUTS.exists() else DEPLOYED_OUTPUTS


def load_config(path: Path | None = None, stack: str | None = None) -> StackConfig:
    """Read `{StackName: {OutputKey: value}}` and pick the stack that has the REST API."""
    path = path or default_outputs_path()
    try:
        outputs = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CliError(
            f"no outputs file {path}: run `make up` (local) or `make deploy`, or pass --outputs"
        ) from None
    except json.JSONDecodeError as error:
        raise CliError(f"{path} is not valid JSON: {error}") from None
    except (OSError, UnicodeDecodeError) as error:  # a directory, no permission, binary junk
        raise CliError(f"cannot read the outputs file {path}: {_reason(error)}") from None
    if not isinstance(outputs, dict):
        raise CliError(f"{path} is not a JSON object of stacks")
    name, values = _pick_stack(outputs, stack, path)
    config = StackConfig.from_outputs(name, values, where=str(path))
    trust_local_ca(config, path)
    return config


# Where `make up` (python -m local --tls) keeps the certificate authority of its endpoints.
LOCAL_CA = Path(".local") / "tls" / "ca.pem"
_LOOPBACK_PREFIXES = ("https://127.0.0.1", "https://localhost")


def trust_local_ca(config: StackConfig, outputs_path: Path) -> None:
    """Trust the local stack's CA when its outputs name HTTPS loopback endpoints.

    The CA sits in .local/tls/ next to the outputs file. requests, boto3 and the WebSocket
    client read the bundle from these variables, so they are set even when the machine sets
    them for its own bundle (requests prefers them to anything set in code): this process
    talks to the local stack only.
    """
    if not any(str(v).startswith(_LOOPBACK_PREFIXES) for v in config.outputs.values()):
        return
    ca = outputs_path.resolve().parent / LOCAL_CA
    if not ca.is_file():
        return
    for variable in ("REQUESTS_CA_BUNDLE", "AWS_CA_BUNDLE", "SSL_CERT_FILE"):
        os.environ[variable] = str(ca)


def _pick_stack(outputs: dict[str, object], stack: str | None, path: Path) -> tuple[str, dict]:
    candidates = {
        name: values
        for name, values in outputs.items()
        if isinstance(values, dict) and "RestApiUrl" in values
    }
    if stack is not None:
        if stack not in candidates:
            raise CliError(f"no stack {stack!r} with a RestApiUrl in {path}")
        return stack, candidates[stack]
    if len(candidates) != 1:
        names = ", ".join(sorted(candidates)) or "none"
        raise CliError(
            f"{path} has {len(candidates)} stacks with a RestApiUrl ({names}); "
            "choose one with --stack"
        )
    return next(iter(candidates.items()))


def _reason(error: Exception) -> str:
    return error.strerror if isinstance(error, OSError) and error.strerror else str(error)
