"""What a service module declares to have its resource types provisioned (see provision.py).

A `Kind` is one CloudFormation resource type the runner creates in moto: the function that
creates it, the properties it reproduces, and the properties it leaves out on purpose, each
with the reason. A template property in neither set stops the runner at start-up.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from local.aws.server import client
from local.template import Assembly, CannotEmulate, Resolver

UNUSED_LOCALLY = "has no effect on a local run"


class ProvisionError(CannotEmulate):
    """The template holds something the local runner cannot reproduce faithfully."""


@dataclass
class LocalResources:
    """What provisioning created: ids for `template.Resolver` and handles for the runner."""

    physical_ids: dict[str, str | dict[str, Any]] = field(default_factory=dict)
    user_pools: dict[str, str] = field(default_factory=dict)  # logical id -> pool id
    user_pool_clients: dict[str, str] = field(default_factory=dict)  # logical id -> client id
    tables: dict[str, str] = field(default_factory=dict)  # logical id -> table name
    roles: dict[str, str] = field(default_factory=dict)  # logical id -> role ARN
    function_roles: dict[str, str] = field(default_factory=dict)  # function id -> role ARN
    handled_elsewhere: dict[str, str] = field(default_factory=dict)  # logical id -> type
    ignored: dict[str, str] = field(default_factory=dict)  # logical id -> reason

    @property
    def user_pool_id(self) -> str:
        return _only(self.user_pools, "user pool")

    @property
    def user_pool_client_id(self) -> str:
        return _only(self.user_pool_clients, "user pool client")


def _only(values: Mapping[str, str], what: str) -> str:
    if len(values) != 1:
        raise ProvisionError(f"expected exactly one {what}, found {sorted(values)}")
    return next(iter(values.values()))


class Context:
    """What a create function gets: the run's region, clients, names and results so far."""

    def __init__(self, assembly: Assembly, endpoint: str, region: str, resolver: Resolver) -> None:
        self.assembly = assembly
        self.endpoint = endpoint
        self.region = region
        self.resolver = resolver
        self.result = LocalResources()

    @cache  # noqa: B019 - one client per service for the context's short life
    def client(self, service: str) -> Any:
        return client(service, self.endpoint, self.region)

    def generated_name(self, logical_id: str, limit: int) -> str:
        """A physical name shaped like CloudFormation's: stack-logicalId-RANDOMSUFFIX."""
        suffix = secrets.token_hex(6).upper()
        return f"{self.assembly.stack_name}-{logical_id}"[: limit - len(suffix) - 1] + "-" + suffix


# (context, logical id, resolved properties) -> the resource's Ref and attributes
Create = Callable[[Context, str, dict[str, Any]], dict[str, Any]]
# (context, logical id, the raw resource) -> its Ref and attributes, without creating anything
Name = Callable[[Context, str, dict[str, Any]], dict[str, Any]]


@dataclass(frozen=True)
class Kind:
    create: Create
    applied: frozenset[str]  # properties reproduced locally
    ignored: Mapping[str, str] = field(default_factory=dict)  # property -> why it does not matter
    # where a resource restored from saved state is recorded, as `create` records a new one
    recorded_in: Callable[[LocalResources], dict[str, str]] | None = None
