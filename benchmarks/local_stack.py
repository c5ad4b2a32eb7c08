"""The local stack's own figures: start-up after synth, REST and GraphQL latency, throughput.

Runs the dev stack from cdk.out as `make up` does (`python -m local`, its own process, so the
clients here do not share its interpreter) and drives it over HTTP on 127.0.0.1 with a bounded
number of requests:
- start-up: as the runner reports it, from reading cdk.out to every endpoint listening;
- REST POST /items and GET /items/{id}: sequential latency (p50, p99) through the gateway,
  the warm worker, SigV4 to the local AppSync, QuickJS resolvers and moto;
- AppSync getTodo with a user token: sequential latency, without the REST hop;
- per-field cost: one query of 200 aliased getTodo fields, less a one-field query, per field;
- REST throughput: GETs from 1, 4 and 16 client threads, each with its own connection.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import requests

from benchmarks.timing import p50_p99, timed
from benchmarks.users import signed_in_user

ROOT = Path(__file__).resolve().parents[1]
CDK_OUT = ROOT / "cdk.out"
REQUESTS = 200
CLIENTS = (1, 4, 16)
ALIASES = 200
FIELD_RUNS = 5


def run(args: argparse.Namespace) -> int:
    if not (CDK_OUT / "TodoApp-dev.template.json").exists():
        print("cdk.out has no TodoApp-dev template: run `make synth` first")
        return 1
    with _local_stack() as (outputs, pid):
        token = signed_in_user(outputs).id_token
        rest = requests.Session()
        rest.headers["Authorization"] = token
        base = outputs["RestApiUrl"].rstrip("/")

        created: list[str] = []

        def create() -> None:
            response = rest.post(f"{base}/items", json={"title": "bench"}, timeout=10)
            response.raise_for_status()
            created.append(response.json()["id"])

        _report("REST POST /items", timed(create, REQUESTS))
        ids = iter(created * 2)
        _report(
            "REST GET /items/{id}",
            timed(
                lambda: rest.get(f"{base}/items/{next(ids)}", timeout=10).raise_for_status(),
                REQUESTS,
            ),
        )
        query = {"query": "query($id: ID!) { getTodo(id: $id) { id title version } }"}
        graphql = requests.Session()
        graphql.headers["Authorization"] = token

        def get_direct() -> None:
            body = {**query, "variables": {"id": created[0]}}
            graphql.post(outputs["GraphQLUrl"], json=body, timeout=10).raise_for_status()

        _report("AppSync getTodo (user token)", timed(get_direct, REQUESTS))
        _per_field(graphql, outputs["GraphQLUrl"], created[0], pid)
        for clients in CLIENTS:
            _throughput(base, token, created[0], clients, pid)
        print(f"runner peak RSS (moto, AppSync, gateway; workers excluded): {_peak_mib(pid)}")
    return 0


@contextmanager
def _local_stack() -> Iterator[tuple[dict[str, str], int]]:
    with tempfile.TemporaryDirectory() as tmp:
        outputs_file = Path(tmp) / "outputs.json"
        command = [
            sys.executable, "-m", "local", "--cdk-out", str(CDK_OUT), "--outputs",
            str(outputs_file), "--aws-port", "0", "--graphql-port", "0", "--rest-port", "0",
            "--ephemeral",
        ]  # fmt: skip
        process = subprocess.Popen(
            command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
        )
        try:
            assert process.stdout is not None
            ready = process.stdout.readline()
            seconds = re.search(r"ready in ([0-9.]+)s", ready)
            if seconds is None:
                raise RuntimeError(f"the local stack did not start: {ready!r}")
            print(f"start-up after synth: {float(seconds.group(1)) * 1000:.0f} ms")
            (outputs,) = json.loads(outputs_file.read_text()).values()
            yield outputs, process.pid
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(30)


def _peak_mib(pid: int) -> str:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return f"{int(line.split()[1]) / 1024:.0f} MiB"
    return "unknown"


def _report(name: str, samples: list[float]) -> None:
    print(f"{name}: {p50_p99(samples)} ({len(samples)} sequential requests)")


def _per_field(graphql: requests.Session, url: str, todo_id: str, pid: int) -> None:
    """What one more resolved field costs: 200 aliased getTodo against one, sequentially."""

    def query(fields: int) -> tuple[float, float]:
        selection = " ".join(
            f"t{n}: getTodo(id: $id) {{ id title version }}" for n in range(fields)
        )
        body = {"query": f"query($id: ID!) {{ {selection} }}", "variables": {"id": todo_id}}
        cpu_before = _cpu_seconds(pid)
        started = time.perf_counter()
        response = graphql.post(url, json=body, timeout=60)
        response.raise_for_status()
        assert len(response.json()["data"]) == fields, response.text[:300]
        wall = (time.perf_counter() - started) * 1000
        return wall, (_cpu_seconds(pid) - cpu_before) * 1000

    query(ALIASES)  # warm
    many = [query(ALIASES) for _ in range(FIELD_RUNS)]
    one = [query(1) for _ in range(FIELD_RUNS)]
    wall_many, wall_one = (statistics.median(w for w, _ in runs) for runs in (many, one))
    cpu_many, cpu_one = (statistics.median(c for _, c in runs) for runs in (many, one))
    print(
        f"AppSync per-field cost: {(wall_many - wall_one) / (ALIASES - 1):.2f} ms per getTodo, "
        f"stack CPU {(cpu_many - cpu_one) / (ALIASES - 1):.2f} ms ({ALIASES} aliased fields "
        f"{wall_many:.0f} ms, one field {wall_one:.1f} ms; median of {FIELD_RUNS})"
    )


def _cpu_seconds(pid: int) -> float:
    """CPU time used so far by the stack's process and its live children (the Lambda workers)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended meanwhile
            continue
        own_pid, parent = int(stat.parent.name), int(fields[1])
        if pid in (own_pid, parent):
            total += (int(fields[11]) + int(fields[12])) / ticks  # utime + stime
    return total


def _throughput(base: str, token: str, todo_id: str, clients: int, pid: int) -> None:
    per_client = max(REQUESTS // clients, 10)

    def worker(_: int) -> list[float]:
        session = requests.Session()
        session.headers["Authorization"] = token
        session.get(f"{base}/items/{todo_id}", timeout=10).raise_for_status()  # connect, warm
        latencies = []
        for _ in range(per_client):
            started = time.perf_counter()
            session.get(f"{base}/items/{todo_id}", timeout=10).raise_for_status()
            latencies.append((time.perf_counter() - started) * 1000)
        return latencies

    cpu_before = _cpu_seconds(pid)
    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        samples = [ms for latencies in pool.map(worker, range(clients)) for ms in latencies]
    elapsed = time.perf_counter() - started
    cpu_ms = (_cpu_seconds(pid) - cpu_before) * 1000 / len(samples)
    print(
        f"REST GET /items/{{id}}, {clients:2} clients: {len(samples) / elapsed:4.0f} requests/s, "
        f"{p50_p99(samples)}, "
        f"stack CPU {cpu_ms:.1f} ms/request"
    )
