"""`todo watch` against a scripted AppSync real-time server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from todo_cli.config import StackConfig
from todo_cli.main import main
from todo_cli.session import Session, save_session
from todo_cli.watch import Endpoint

ROOT = Path(__file__).resolve().parents[3]
SUB = "alice-sub"
CLAIMS = base64.urlsafe_b64encode(json.dumps({"sub": SUB}).encode()).decode().rstrip("=")
ID_TOKEN = f"eyJhbGciOiJSUzI1NiJ9.{CLAIMS}.signature"
TODO = {
    "id": "t-1",
    "owner": SUB,
    "title": "milk",
    "completed": False,
    "version": 1,
    "createdAt": "2026-01-01T00:00:00.000Z",
    "updatedAt": "2026-01-01T00:00:00.000Z",
}


@dataclass
class FakeRealtime:
    """Acks the connection and every start, sends `events`, then closes unless `stay_open`."""

    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    stay_open: bool = False
    refuse_connection: bool = False
    refuse_start: dict[str, Any] | None = None
    received: list[dict[str, Any]] = field(default_factory=list)
    header: dict[str, Any] = field(default_factory=dict)
    protocol: str | None = None
    port: int = 0

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(protocols=("graphql-ws",))
        await ws.prepare(request)
        self.protocol = ws.ws_protocol
        self.header = json.loads(base64.b64decode(request.query["header"]))
        ids: dict[str, str] = {}
        async for message in ws:
            data = json.loads(message.data)
            self.received.append(data)
            if data["type"] == "connection_init":
                if self.refuse_connection:
                    error = {"errorType": "UnauthorizedException", "message": "Token expired."}
                    await ws.send_json({"type": "connection_error", "payload": {"errors": [error]}})
                    break
                await ws.send_json(
                    {"type": "connection_ack", "payload": {"connectionTimeoutMs": 300000}}
                )
                await ws.send_json({"type": "ka"})
            elif data["type"] == "start":
                if self.refuse_start:
                    await ws.send_json(
                        {"type": "error", "id": data["id"], "payload": self.refuse_start}
                    )
                    continue
                field_name = (
                    json.loads(data["payload"]["data"])["query"].split("{ ")[1].split("(")[0]
                )
                ids[field_name] = data["id"]
                await ws.send_json({"type": "start_ack", "id": data["id"]})
                if len(ids) == 3:
                    for name, todo in self.events:
                        await ws.send_json(
                            {"type": "data", "id": ids[name], "payload": {"data": {name: todo}}}
                        )
                    if not self.stay_open:
                        break
        await ws.close()
        return ws


@pytest.fixture
def serve() -> Iterator[Any]:
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    runners: list[web.AppRunner] = []

    def start(fake: FakeRealtime) -> FakeRealtime:
        async def up() -> int:
            app = web.Application()
            app.router.add_get("/graphql", fake.handle)
            runner = web.AppRunner(app)
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            runners.append(runner)
            return int(runner.addresses[0][1])

        fake.port = asyncio.run_coroutine_threadsafe(up(), loop).result(5)
        return fake

    yield start
    for runner in runners:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(5)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(5)


def stack_files(tmp_path: Path, port: int, **overrides: str) -> list[str]:
    outputs = {
        "RestApiUrl": "http://127.0.0.1:9/dev/",
        "UserPoolId": "us-east-1_pool",
        "UserPoolClientId": "client",
        "Region": "us-east-1",
        "GraphQLUrl": f"http://127.0.0.1:{port}/graphql",
        "GraphQLRealtimeUrl": f"ws://127.0.0.1:{port}/graphql",
        **overrides,
    }
    (tmp_path / "outputs.json").write_text(json.dumps({"TodoApp-dev": outputs}))
    session = Session("alice@example.com", ID_TOKEN, "access", "refresh", time.time() + 3600)
    save_session(tmp_path / "session.json", session)
    return [
        "--outputs",
        str(tmp_path / "outputs.json"),
        "--session",
        str(tmp_path / "session.json"),
    ]


def test_prints_one_line_per_event(serve, tmp_path, capsys):
    updated = {**TODO, "completed": True, "version": 2}
    fake = serve(
        FakeRealtime(
            events=[("onCreateTodo", TODO), ("onUpdateTodo", updated), ("onDeleteTodo", updated)]
        )
    )
    main(["watch", *stack_files(tmp_path, fake.port)])
    lines = capsys.readouterr().out.splitlines()
    assert lines == [
        "created [ ] milk  (t-1, v1)",
        "updated [x] milk  (t-1, v2)",
        "deleted [x] milk  (t-1, v2)",
    ]


def test_json_prints_one_object_per_line(serve, tmp_path, capsys):
    fake = serve(FakeRealtime(events=[("onCreateTodo", TODO)]))
    main(["watch", "--json", *stack_files(tmp_path, fake.port)])
    lines = capsys.readouterr().out.splitlines()
    assert [json.loads(line) for line in lines] == [{"event": "created", "todo": TODO}]


def test_subscribes_to_the_three_events_for_the_signed_in_users_sub(serve, tmp_path):
    fake = serve(FakeRealtime())
    main(["watch", *stack_files(tmp_path, fake.port)])
    starts = [m for m in fake.received if m["type"] == "start"]
    queries = [json.loads(s["payload"]["data"]) for s in starts]
    assert sorted(q["query"].split("{ ")[1].split("(")[0] for q in queries) == [
        "onCreateTodo",
        "onDeleteTodo",
        "onUpdateTodo",
    ]
    assert all(q["variables"] == {"owner": SUB} for q in queries)
    assert all(
        s["payload"]["extensions"]["authorization"]["Authorization"] == ID_TOKEN for s in starts
    )


def test_connects_with_graphql_ws_and_a_header_naming_the_graphql_host(serve, tmp_path):
    fake = serve(FakeRealtime())
    main(["watch", *stack_files(tmp_path, fake.port)])
    assert fake.protocol == "graphql-ws"
    assert fake.header == {"host": f"127.0.0.1:{fake.port}", "Authorization": ID_TOKEN}


def test_deployed_stack_connects_to_the_realtime_host_but_names_the_api_host():
    config = StackConfig(
        stack_name="TodoApp-prod",
        rest_api_url="https://r.execute-api.eu-west-1.amazonaws.com/prod/",
        user_pool_id="eu-west-1_x",
        user_pool_client_id="c",
        region="eu-west-1",
        graphql_url="https://abc.appsync-api.eu-west-1.amazonaws.com/graphql",
        graphql_realtime_url="wss://abc.appsync-realtime-api.eu-west-1.amazonaws.com/graphql",
    )
    endpoint = Endpoint.from_config(config)
    assert endpoint.connect_url(ID_TOKEN).startswith(
        "wss://abc.appsync-realtime-api.eu-west-1.amazonaws.com/graphql?header="
    )
    assert endpoint.host == "abc.appsync-api.eu-west-1.amazonaws.com"


def test_refused_subscription_is_reported_with_appsyncs_error(serve, tmp_path, capsys):
    refusal = {
        "errors": [
            {
                "errorType": "Unauthorized",
                "message": "Not Authorized to access onCreateTodo on type Subscription",
            }
        ]
    }
    fake = serve(FakeRealtime(refuse_start=refusal))
    code = main(["watch", *stack_files(tmp_path, fake.port)])
    assert code == 1
    assert capsys.readouterr().err.strip() == (
        "error: subscription refused: Unauthorized: "
        "Not Authorized to access onCreateTodo on type Subscription"
    )


def test_refused_connection_is_reported(serve, tmp_path, capsys):
    fake = serve(FakeRealtime(refuse_connection=True))
    code = main(["watch", *stack_files(tmp_path, fake.port)])
    assert code == 1
    assert (
        "refused the connection: UnauthorizedException: Token expired." in capsys.readouterr().err
    )


def test_stack_without_realtime_url_is_an_error(tmp_path, capsys):
    code = main(["watch", *stack_files(tmp_path, 9, GraphQLRealtimeUrl="")])
    assert code == 1
    assert "no GraphQLRealtimeUrl" in capsys.readouterr().err


def test_ctrl_c_unsubscribes_and_exits_with_zero(serve, tmp_path):
    fake = serve(FakeRealtime(events=[("onCreateTodo", TODO)], stay_open=True))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        [sys.executable, "-m", "todo_cli.main", "watch", *stack_files(tmp_path, fake.port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert process.stdout is not None
    first = process.stdout.readline()
    process.send_signal(signal.SIGINT)
    _out, err = process.communicate(timeout=10)
    assert first.startswith("created [ ] milk")
    assert process.returncode == 0, err
    stops = {m["id"] for m in fake.received if m["type"] == "stop"}
    assert stops == {m["id"] for m in fake.received if m["type"] == "start"}
