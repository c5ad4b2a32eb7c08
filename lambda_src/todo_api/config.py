"""The function's configuration, read once from the environment at start-up.

A missing or malformed variable stops the function while it initialises, with a message that
names the variable: a misconfigured deploy fails loudly instead of answering requests wrongly.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

_TRUTHY = {"1", "true", "yes", "on"}


class ConfigError(RuntimeError):
    """The environment does not describe a runnable function."""


@dataclass(frozen=True)
class Timeouts:
    connect: float = 3.05
    read: float = 8.0

    def as_requests(self) -> tuple[float, float]:
        return (self.connect, self.read)


@dataclass(frozen=True)
class Config:
    graphql_url: str
    region: str
    service_name: str
    metrics_namespace: str
    tracing_enabled: bool
    idempotency_table: str
    cors_allow_origin: str
    timeouts: Timeouts = Timeouts()
    max_attempts: int = 3
    idempotency_window_seconds: int = 3600  # a retry with the same key within an hour replays


def load_config(environ: Mapping[str, str] | None = None) -> Config:
    env = os.environ if environ is None else environ
    return Config(
        graphql_url=_graphql_url(env),
        region=_required(
            env, "AWS_REGION", "the Lambda platform sets it; set it when run elsewhere"
        ),
        service_name=_required(env, "POWERTOOLS_SERVICE_NAME", "the service name in logs/metrics"),
        metrics_namespace=_required(
            env, "POWERTOOLS_METRICS_NAMESPACE", "the CloudWatch namespace of the metrics"
        ),
        tracing_enabled=tracing_enabled(env),
        idempotency_table=_required(
            env, "IDEMPOTENCY_TABLE_NAME", "the DynamoDB table of idempotency records"
        ),
        cors_allow_origin=_required(
            env, "CORS_ALLOW_ORIGIN", "the origin browsers may call from, or * (dev only)"
        ),
    )


def tracing_enabled(env: Mapping[str, str]) -> bool:
    """Whether X-Ray tracing should run: in Lambda, unless POWERTOOLS_TRACE_DISABLED says no.

    Mirrors Powertools' own rule, so that the X-Ray SDK (which, outside Lambda, builds a
    botocore client when imported) is never loaded where no X-Ray daemon listens.
    """
    if env.get("POWERTOOLS_TRACE_DISABLED", "").strip().lower() in _TRUTHY:
        return False
    in_lambda = bool(env.get("LAMBDA_TASK_ROOT"))
    emulated = bool(env.get("AWS_SAM_LOCAL") or env.get("AWS_CHALICE_CLI_MODE"))
    return in_lambda and not emulated


def _graphql_url(env: Mapping[str, str]) -> str:
    url = _required(env, "GRAPHQL_URL", "the AppSync API's https://.../graphql endpoint")
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ConfigError(f"GRAPHQL_URL must be an http(s) URL with a host, got {url!r}.")
    if parts.scheme == "http" and parts.hostname not in ("127.0.0.1", "localhost", "::1"):
        raise ConfigError("GRAPHQL_URL may use plain http only for a loopback (local) endpoint.")
    return url


def _required(env: Mapping[str, str], name: str, what: str) -> str:
    value = env.get(name, "").strip()
    if not value:
        raise ConfigError(f"Environment variable {name} is missing or empty ({what}).")
    return value
