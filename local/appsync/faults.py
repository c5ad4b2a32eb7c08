"""Fault injection for the local AppSync endpoint: the failures a client must survive in AWS.

Local only; nothing like it exists in AWS. A run takes a plan (`python -m local
--appsync-faults "5xx=0.2,hang=0.01"`), tests may swap it at any time (`LocalStack.faults`),
and a request may force one fault with the header `x-local-fault: <kind>`, which only this
endpoint reads. Every request is recorded (its X-Amz-Date, operation and fault), so a test can
see what reached the endpoint: how many attempts, whether each was signed anew.

| kind        | what the client sees                                  | did the operation run? |
|-------------|-------------------------------------------------------|------------------------|
| `5xx`       | HTTP 500, 502, 503 or 504 in AppSync's error shape    | no                     |
| `503`       | HTTP 503 (an outage, as one status)                   | no                     |
| `5xx-after` | HTTP 500, after the operation ran                     | yes (outcome unknown)  |
| `429`       | HTTP 429, errorType TooManyRequestsException          | no                     |
| `throttle`  | HTTP 200, data null, errorType                        | no                     |
|             | DynamoDB:ProvisionedThroughputExceededException       |                        |
| `drop`      | the connection closes without an answer               | no                     |
| `hang`      | no answer until the client gives up (at most          | no                     |
|             | `hang_seconds`, then 504)                             |                        |
| `slow`      | the normal answer, `delay` seconds late               | yes                    |

`delay=SECONDS` in a plan holds every injected fault that long before it is answered (so
that a retry falls into a later second, and a replayed X-Amz-Date would show).
"""

from __future__ import annotations

import asyncio
import json
import random
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from local.appsync.errors import request_error_body

FAULT_HEADER = "x-local-fault"
KINDS = ("5xx", "503", "5xx-after", "429", "throttle", "drop", "hang", "slow")
SERVER_ERRORS = (500, 502, 503, 504)
THROTTLE_ERROR_TYPE = "DynamoDB:ProvisionedThroughputExceededException"
HANG_SECONDS = 30.0
_HANG_POLL_SECONDS = 0.05


class FaultPlanError(ValueError):
    """A fault plan or header that names an unknown kind or an impossible share."""


@dataclass(frozen=True)
class FaultPlan:
    """Which share of requests gets which fault; `operations` limits it to those names."""

    shares: Mapping[str, float] = field(default_factory=dict)
    operations: frozenset[str] | None = None
    seed: int | None = None
    delay_seconds: float = 0.0

    @classmethod
    def parse(cls, text: str, seed: int | None = None) -> FaultPlan:
        """Read "5xx=0.2,hang=0.01[,only=OpA+OpB][,delay=1.1]" (shares of requests)."""
        shares: dict[str, float] = {}
        operations: frozenset[str] | None = None
        delay = 0.0
        for part in filter(None, (p.strip() for p in text.split(","))):
            name, sep, value = part.partition("=")
            if not sep:
                raise FaultPlanError(f"{part!r}: expected kind=share, e.g. 5xx=0.2")
            if name == "only":
                operations = frozenset(filter(None, value.split("+")))
                continue
            if name == "delay":
                delay = _share(name, value, upper=60)
                continue
            shares[_kind(name)] = _share(name, value)
        if sum(shares.values()) > 1:
            raise FaultPlanError("the shares add up to more than 1")
        return cls(shares, operations, seed, delay)


@dataclass(frozen=True)
class Seen:
    """One request as it reached the endpoint."""

    at: float  # time.monotonic()
    amz_date: str | None
    operation: str | None
    fault: str | None


def _kind(name: str) -> str:
    if name not in KINDS:
        raise FaultPlanError(f"unknown fault {name!r}; known: {', '.join(KINDS)}")
    return name


def _share(name: str, value: str, upper: float = 1) -> float:
    try:
        share = float(value)
    except ValueError:
        raise FaultPlanError(f"{name}={value!r}: expected a number") from None
    if not 0 <= share <= upper:
        raise FaultPlanError(f"{name}={value}: expected a number from 0 to {upper:g}")
    return share


class FaultInjector:
    """Decides each request's fault from the plan (or its header) and records the request."""

    def __init__(self, plan: FaultPlan | None = None, hang_seconds: float = HANG_SECONDS) -> None:
        self.hang_seconds = hang_seconds
        self._lock = threading.Lock()
        self._seen: list[Seen] = []
        self.configure(plan or FaultPlan())

    def configure(self, plan: FaultPlan) -> None:
        with self._lock:
            self._plan = plan
            self._random = random.Random(plan.seed)  # noqa: S311 - a test tool, not security

    @property
    def plan(self) -> FaultPlan:
        return self._plan

    def seen(self) -> list[Seen]:
        with self._lock:
            return list(self._seen)

    def clear(self) -> None:
        with self._lock:
            self._seen.clear()

    def decide(self, headers: Mapping[str, str], body: bytes) -> str | None:
        operation = _operation_name(body)
        forced = headers.get(FAULT_HEADER)
        with self._lock:
            fault = _kind(forced.strip()) if forced else self._draw(operation)
            self._seen.append(Seen(time.monotonic(), headers.get("x-amz-date"), operation, fault))
        return fault

    def _draw(self, operation: str | None) -> str | None:
        plan = self._plan
        if not plan.shares or (plan.operations is not None and operation not in plan.operations):
            return None
        roll, threshold = self._random.random(), 0.0
        for kind, share in plan.shares.items():
            threshold += share
            if roll < threshold:
                return kind
        return None

    def status_for_5xx(self) -> int:
        with self._lock:
            return self._random.choice(SERVER_ERRORS)


def _operation_name(body: bytes) -> str | None:
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):  # the endpoint answers bad JSON itself
        return None
    name = payload.get("operationName") if isinstance(payload, dict) else None
    return name if isinstance(name, str) else None


def _error(status: int, error_type: str, message: str) -> web.Response:
    body = request_error_body(error_type, message)
    return web.json_response(body, status=status, headers={"x-amzn-ErrorType": error_type})


async def answer_before(
    fault: str, request: web.Request, injector: FaultInjector
) -> web.StreamResponse | None:
    """The response for a fault that strikes before the operation runs (None: run it)."""
    if injector.plan.delay_seconds:
        await asyncio.sleep(injector.plan.delay_seconds)
    if fault in ("5xx-after", "slow"):
        return None
    if fault == "503":
        return _error(503, "ServiceUnavailableException", "Injected fault: HTTP 503.")
    if fault == "5xx":
        status = injector.status_for_5xx()
        return _error(status, "InternalFailureException", f"Injected fault: HTTP {status}.")
    if fault == "429":
        return _error(429, "TooManyRequestsException", "Injected fault: too many requests.")
    if fault == "throttle":
        body: dict[str, Any] = {
            "data": None,
            "errors": [{"errorType": THROTTLE_ERROR_TYPE, "message": "Injected fault."}],
        }
        return web.json_response(body)
    if fault == "drop":
        if request.transport is not None:
            request.transport.abort()
        raise asyncio.CancelledError  # nothing more to write on a closed connection
    return await _hang(request, injector.hang_seconds)


def answer_after() -> web.Response:
    """The 5xx answered after the operation ran: the caller cannot know it succeeded."""
    return _error(500, "InternalFailureException", "Injected fault after the operation ran.")


async def _hang(request: web.Request, limit: float) -> web.Response:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        transport = request.transport
        if transport is None or transport.is_closing():
            break
        await asyncio.sleep(_HANG_POLL_SECONDS)
    return _error(504, "InternalFailureException", "Injected fault: no answer in time.")
