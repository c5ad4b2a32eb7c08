"""The local stack's own figures: start-up after synth, REST and GraphQL latency, throughput.

Runs the dev stack from cdk.out in this process (BackgroundStack) and drives it over HTTP on
127.0.0.1 with a bounded number of requests:
- start-up: LocalStack.start(), from reading cdk.out to every endpoint listening;
- REST POST /items and GET /items/{id}: sequential latency (p50, p99) through the gateway,
  the warm worker, SigV4 to the local AppSync, QuickJS resolvers and moto;
- AppSync getTodo with a user token: sequential latency, without the REST hop;
- REST throughput: GETs from 8 client threads.
"""

from __future__ import annotations

import argparse
import resource
import secrets
import statistics
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import boto3
import requests

from local.background import BackgroundStack
from local.stack import Settings

CDK_OUT = Path(__file__).resolve().parents[1] / "cdk.out"
PASSWORD = "Bench-Mark-Passw0rd!"
REQUESTS = 200
THREADS = 8


def run(args: argparse.Namespace) -> int:
    if not (CDK_OUT / "TodoApp-dev.template.json").exists():
        print("cdk.out has no TodoApp-dev template: run `make synth` first")
        return 1
    stack = BackgroundStack(Settings(cdk_out=CDK_OUT, stack_name="TodoApp-dev"))
    try:
        print(f"start-up after synth: {stack.start_seconds * 1000:.0f} ms")
        token = _sign_in(stack.outputs)
        rest = requests.Session()
        rest.headers["Authorization"] = token
        base = stack.outputs["RestApiUrl"].rstrip("/")

        created: list[str] = []

        def create() -> None:
            response = rest.post(f"{base}/items", json={"title": "bench"}, timeout=10)
            response.raise_for_status()
            created.append(response.json()["id"])

        _report("REST POST /items", _timed(create, REQUESTS))
        ids = iter(created * 2)
        _report(
            "REST GET /items/{id}",
            _timed(
                lambda: rest.get(f"{base}/items/{next(ids)}", timeout=10).raise_for_status(),
                REQUESTS,
            ),
        )
        query = {"query": "query($id: ID!) { getTodo(id: $id) { id title version } }"}
        graphql = requests.Session()
        graphql.headers["Authorization"] = token

        def get_direct() -> None:
            body = {**query, "variables": {"id": created[0]}}
            graphql.post(stack.outputs["GraphQLUrl"], json=body, timeout=10).raise_for_status()

        _report("AppSync getTodo (user token)", _timed(get_direct, REQUESTS))
        _throughput(base, token, created[0])
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"runner peak RSS (moto, AppSync, gateway; workers excluded): {peak:.0f} MiB")
    finally:
        stack.close()
    return 0


def _sign_in(outputs: dict[str, str]) -> str:
    cognito = boto3.client(
        "cognito-idp",
        endpoint_url=outputs["AwsEndpoint"],
        region_name=outputs["Region"],
        aws_access_key_id="bench",
        aws_secret_access_key="bench",
    )
    email = f"bench-{secrets.token_hex(3)}@example.com"
    pool = outputs["UserPoolId"]
    cognito.admin_create_user(UserPoolId=pool, Username=email, MessageAction="SUPPRESS")
    cognito.admin_set_user_password(
        UserPoolId=pool, Username=email, Password=PASSWORD, Permanent=True
    )
    result = cognito.initiate_auth(
        ClientId=outputs["UserPoolClientId"],
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": email, "PASSWORD": PASSWORD},
    )
    return str(result["AuthenticationResult"]["IdToken"])


def _timed(call: Callable[[], object], count: int) -> list[float]:
    call()  # warm: the first request may start a worker
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def _report(name: str, samples: list[float]) -> None:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * len(ordered)))]
    print(
        f"{name}: p50 {statistics.median(ordered):.1f} ms, p99 {p99:.1f} ms "
        f"({len(ordered)} sequential requests)"
    )


def _throughput(base: str, token: str, todo_id: str) -> None:
    def worker(_: int) -> int:
        session = requests.Session()
        session.headers["Authorization"] = token
        for _ in range(REQUESTS // THREADS):
            session.get(f"{base}/items/{todo_id}", timeout=10).raise_for_status()
        return REQUESTS // THREADS

    started = time.perf_counter()
    with ThreadPoolExecutor(THREADS) as pool:
        total = sum(pool.map(worker, range(THREADS)))
    elapsed = time.perf_counter() - started
    print(f"REST GET throughput: {total / elapsed:.0f} requests/s ({THREADS} client threads)")
