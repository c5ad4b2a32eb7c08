"""Subscription latency on the local stack: REST `POST /items` (201) -> `onCreateTodo` event.

The synthesized stack (cdk.out, stage dev) runs in this process (BackgroundStack), as in the
end-to-end tests. One signed-in user subscribes to onCreateTodo(owner: own sub) over
the real-time WebSocket; todos are then created one after another through the REST endpoint
(API Gateway -> Lambda -> SigV4 -> AppSync createTodo), and for each one two intervals are
taken on one clock:
- 201 -> event: from the REST response's arrival to the event's arrival. It can be negative:
  AppSync fans the event out as soon as the mutation returns, while the 201 still has to travel
  back through the Lambda and API Gateway;
- request -> event: from sending the POST to the event's arrival, the whole path.
Figures are p50 / p99 / max over the events (at least 100; --runs raises it).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import math
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Subprotocol

from benchmarks.users import SignedIn, signed_in_user
from local.background import BackgroundStack
from local.stack import Settings

REPO = Path(__file__).resolve().parents[1]
CDK_OUT = REPO / "cdk.out"
STACK_NAME = "TodoApp-dev"
REGION = "us-east-1"
MIN_EVENTS = 100
DEFAULT_EVENTS = 200
WARMUP_EVENTS = 5
SUBSCRIPTION = (
    "subscription ($owner: String!) { onCreateTodo(owner: $owner) "
    "{ id owner title completed version createdAt updatedAt } }"
)


@dataclass(frozen=True)
class Sample:
    after_201_s: float
    after_request_s: float


def run(args: argparse.Namespace) -> int:
    if not (CDK_OUT / f"{STACK_NAME}.template.json").exists():
        print(f"cdk.out has no {STACK_NAME} template: run `make synth` first")
        return 1
    count = max(MIN_EVENTS, int(getattr(args, "runs", 0)) * 10, DEFAULT_EVENTS)
    # The function's log lines (the runner's console output) would bury the figures.
    with open(os.devnull, "w") as quiet, contextlib.redirect_stderr(quiet):
        stack = BackgroundStack(Settings(cdk_out=CDK_OUT, stack_name=STACK_NAME, region=REGION))
        try:
            user = signed_in_user(stack.outputs)
            samples = asyncio.run(measure(stack.outputs, user, count))
        finally:
            stack.close()
    report(samples)
    return 0


async def measure(outputs: dict[str, str], user: SignedIn, count: int) -> list[Sample]:
    header = {"host": urlsplit(outputs["GraphQLUrl"]).netloc, "Authorization": user.id_token}
    encoded = base64.b64encode(json.dumps(header).encode()).decode()
    url = f"{outputs['GraphQLRealtimeUrl']}?header={encoded}&payload=e30="
    http = requests.Session()
    http.headers["Authorization"] = user.id_token
    items = outputs["RestApiUrl"].rstrip("/") + "/items"
    async with connect(url, subprotocols=[Subprotocol("graphql-ws")]) as ws:
        await subscribe(ws, header, user.sub)
        arrivals: dict[str, float] = {}
        arrived = asyncio.Event()
        receiver = asyncio.create_task(receive(ws, arrivals, arrived))
        samples = []
        for n in range(WARMUP_EVENTS + count):
            sent = time.perf_counter()
            todo = await asyncio.to_thread(create, http, items, f"todo {n}")
            responded = time.perf_counter()
            while todo["id"] not in arrivals:
                arrived.clear()
                await asyncio.wait_for(arrived.wait(), 5)
            if n >= WARMUP_EVENTS:
                event_at = arrivals[todo["id"]]
                samples.append(Sample(event_at - responded, event_at - sent))
        receiver.cancel()
    return samples


async def subscribe(ws: ClientConnection, header: dict[str, str], owner: str) -> None:
    await ws.send(json.dumps({"type": "connection_init"}))
    await expect(ws, "connection_ack")
    data = json.dumps({"query": SUBSCRIPTION, "variables": {"owner": owner}})
    payload = {"data": data, "extensions": {"authorization": header}}
    await ws.send(json.dumps({"id": "bench", "type": "start", "payload": payload}))
    await expect(ws, "start_ack")


async def expect(ws: ClientConnection, kind: str) -> None:
    while True:
        message = json.loads(await asyncio.wait_for(ws.recv(), 10))
        if message["type"] == kind:
            return
        if message["type"] != "ka":
            raise RuntimeError(f"expected {kind}, got {message}")


async def receive(ws: ClientConnection, arrivals: dict[str, float], arrived: asyncio.Event) -> None:
    async for raw in ws:
        at = time.perf_counter()
        message = json.loads(raw)
        if message["type"] == "data":
            arrivals[message["payload"]["data"]["onCreateTodo"]["id"]] = at
            arrived.set()


def create(http: requests.Session, url: str, title: str) -> Any:
    response = http.post(url, json={"title": title}, timeout=10)
    response.raise_for_status()
    return response.json()


def report(samples: list[Sample]) -> None:
    print(f"subscription latency over {len(samples)} events (onCreateTodo, local stack)")
    for label, values in (
        ("201 -> event", [s.after_201_s for s in samples]),
        ("request -> event", [s.after_request_s for s in samples]),
    ):
        print(
            f"  {label:<17} p50 {percentile(values, 50):7.1f} ms   "
            f"p99 {percentile(values, 99):7.1f} ms   max {max(values) * 1000:7.1f} ms"
        )
    early = sum(1 for s in samples if s.after_201_s < 0)
    print(f"  events that arrived before their 201: {early} of {len(samples)}")


def percentile(values: list[float], pct: int) -> float:
    """Nearest-rank percentile, in milliseconds."""
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1] * 1000
