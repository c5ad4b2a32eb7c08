"""The AppSync client against a scripted HTTP server on 127.0.0.1 (no other network).

Checks what AppSync would see (signature headers, token, documents) and how each failure is
retried or not, and what it becomes.
"""

from __future__ import annotations

import datetime as real_datetime
import importlib
import json
import logging
import socket
import threading
import time
import types
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests
import requests_aws4auth
from requests.adapters import HTTPAdapter
from requests.structures import CaseInsensitiveDict
from todo_api import appsync
from todo_api.appsync import AppSyncClient, RetryPolicy, aws4auth_signer, invocation_deadline
from todo_api.errors import (
    Conflict,
    NotFound,
    UpstreamError,
    UpstreamThrottled,
    UpstreamTimeout,
    UpstreamUnavailable,
    Validation,
)
from todo_api.models import Todo

CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "ASIAEXAMPLEKEYID0001",
    "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "AWS_SESSION_TOKEN": "IQoJb3JpZ2luX2VjEXAMPLE//session-token==",
}
TODO = {
    "id": "t-1",
    "owner": "user-1",
    "title": "Buy milk",
    "completed": False,
    "version": 1,
    "createdAt": "2025-11-26T10:00:00.000Z",
    "updatedAt": "2025-11-26T10:00:00.000Z",
}


# ---------------------------------------------------------------- the scripted server


@dataclass
class Reply:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    drop: bool = False  # close the connection without answering


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    path: str

    @property
    def json(self) -> Any:
        return json.loads(self.body)


class FakeAppSync:
    """Answers each POST with the next scripted reply (the last one repeats)."""

    def __init__(self) -> None:
        self.replies: list[Reply] = [Reply(body={"data": {}})]
        self.received: list[Received] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                headers = CaseInsensitiveDict(dict(self.headers.items()))
                fake.received.append(Received(headers, body, self.path))
                reply = fake.replies.pop(0) if len(fake.replies) > 1 else fake.replies[0]
                if reply.delay:
                    threading.Event().wait(reply.delay)
                if reply.drop:
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                payload = reply.body if isinstance(reply.body, str) else json.dumps(reply.body)
                data = payload.encode()
                self.send_response(reply.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/graphql"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.01,), daemon=True)

    def script(self, *replies: Reply) -> None:
        self.replies = list(replies)


@pytest.fixture
def fake_appsync() -> Iterator[FakeAppSync]:
    server = FakeAppSync()
    server.thread.start()
    yield server
    server.server.shutdown()
    server.server.server_close()


@dataclass
class Harness:
    client: AppSyncClient
    server: FakeAppSync
    sleeps: list[float]
    environ: dict[str, str]
    signers_built: list[str]


def make_client(
    url: str,
    environ: dict[str, str],
    sleeps: list[float],
    signers_built: list[str],
    *,
    read_timeout: float = 2.0,
    session: requests.Session | None = None,
) -> AppSyncClient:
    def counting_factory(credentials, region):
        signers_built.append(credentials.access_key)
        return aws4auth_signer(credentials, region)

    plain_session = session or requests.Session()
    plain_session.trust_env = False  # never route loopback traffic through a proxy
    return AppSyncClient(
        url,
        "eu-west-1",
        timeouts=(1.0, read_timeout),
        retry=RetryPolicy(max_attempts=3, base_delay=0.01, max_delay=0.05),
        session=plain_session,
        signer_factory=counting_factory,
        environ=environ,
        sleep=sleeps.append,
        rng=lambda: 1.0,
    )


@pytest.fixture
def harness(fake_appsync: FakeAppSync) -> Harness:
    environ = dict(CREDENTIALS)
    sleeps: list[float] = []
    built: list[str] = []
    client = make_client(fake_appsync.url, environ, sleeps, built)
    return Harness(client, fake_appsync, sleeps, environ, built)


def ok(field_name: str, value: Any) -> Reply:
    return Reply(body={"data": {field_name: value}})


def graphql_error(field_name: str, error_type: str, message: str = "boom") -> Reply:
    return Reply(
        body={
            "data": {field_name: None},
            "errors": [{"message": message, "errorType": error_type, "path": [field_name]}],
        }
    )


@pytest.fixture
def ticking_clock(monkeypatch: pytest.MonkeyPatch) -> list[real_datetime.datetime]:
    """Make requests-aws4auth see a clock that moves 7 seconds per reading."""
    readings: list[real_datetime.datetime] = []
    start = real_datetime.datetime(2025, 11, 26, 10, 0, 0, tzinfo=real_datetime.UTC)

    class TickingDatetime(real_datetime.datetime):
        @classmethod
        def now(cls, tz=None):  # type: ignore[override]
            reading = start + real_datetime.timedelta(seconds=7 * len(readings))
            readings.append(reading)
            return reading

    shim = types.SimpleNamespace(datetime=TickingDatetime, timezone=real_datetime.timezone)
    signer_module = importlib.import_module("requests_aws4auth.aws4auth")
    monkeypatch.setattr(signer_module, "datetime", shim)
    return readings


# ---------------------------------------------------------------- what AppSync receives


def test_a_query_is_signed_for_appsync_with_the_session_token(harness: Harness):
    # GIVEN AppSync returns a todo
    harness.server.script(ok("getTodo", TODO))

    # WHEN the client gets it
    todo = harness.client.get_todo("t-1")

    # THEN the todo is parsed and the request was SigV4-signed for appsync with the token
    assert todo == Todo.from_graphql(TODO)
    [request] = harness.server.received
    authorization = request.headers["Authorization"]
    assert authorization.startswith(
        f"AWS4-HMAC-SHA256 Credential={CREDENTIALS['AWS_ACCESS_KEY_ID']}/"
    )
    assert "/eu-west-1/appsync/aws4_request" in authorization
    assert "x-amz-security-token" in authorization.split("SignedHeaders=")[1]
    assert request.headers["X-Amz-Security-Token"] == CREDENTIALS["AWS_SESSION_TOKEN"]
    assert request.headers["X-Amz-Date"]


def test_the_request_carries_the_document_and_variables(harness: Harness):
    harness.server.script(ok("getTodo", TODO))

    harness.client.get_todo("t-1")

    payload = harness.server.received[0].json
    assert payload["operationName"] == "GetTodo"
    assert payload["variables"] == {"id": "t-1"}
    assert "fragment TodoFields on Todo" in payload["query"]


def test_a_missing_todo_is_none(harness: Harness):
    harness.server.script(ok("getTodo", None))

    assert harness.client.get_todo("nope") is None


def test_list_parses_items_and_next_token(harness: Harness):
    harness.server.script(ok("listTodos", {"items": [TODO], "nextToken": "abc"}))

    page = harness.client.list_todos(owner="user-1", limit=5, next_token=None)

    assert page.items == (Todo.from_graphql(TODO),)
    assert page.next_token == "abc"
    assert harness.server.received[0].json["variables"] == {
        "owner": "user-1",
        "limit": 5,
        "nextToken": None,
    }


def test_update_sends_only_given_fields_and_the_expected_version(harness: Harness):
    harness.server.script(ok("updateTodo", {**TODO, "completed": True, "version": 2}))

    todo = harness.client.update_todo("t-1", expected_version=1, completed=True)

    assert todo.version == 2
    assert harness.server.received[0].json["variables"] == {
        "input": {"id": "t-1", "expectedVersion": 1, "completed": True}
    }


def test_delete_without_version_sends_no_expected_version(harness: Harness):
    harness.server.script(ok("deleteTodo", TODO))

    harness.client.delete_todo("t-1")

    assert harness.server.received[0].json["variables"] == {"input": {"id": "t-1"}}


def test_create_sends_the_owner_it_is_given(harness: Harness):
    harness.server.script(ok("createTodo", TODO))

    harness.client.create_todo(owner="user-1", title="Buy milk", completed=False)

    assert harness.server.received[0].json["variables"] == {
        "input": {"owner": "user-1", "title": "Buy milk", "completed": False}
    }


# ---------------------------------------------------------------- GraphQL errors on HTTP 200


@pytest.mark.parametrize(
    ("error_type", "expected"),
    [
        ("NotFound", NotFound),
        ("ConflictError", Conflict),
        ("DynamoDB:ConditionalCheckFailedException", Conflict),
        ("ValidationError", Validation),
        ("Unauthorized", UpstreamError),
        ("DynamoDB:AccessDeniedException", UpstreamError),
        ("SomethingNew", UpstreamError),
    ],
)
def test_graphql_errors_on_http_200_are_typed_failures(harness: Harness, error_type, expected):
    # GIVEN AppSync answers HTTP 200 with an error of this type
    harness.server.script(graphql_error("updateTodo", error_type))

    # WHEN the client updates a todo
    with pytest.raises(expected) as raised:
        harness.client.update_todo("t-1", expected_version=1, title="x")

    # THEN it fails with the mapped type, without retrying and without AppSync's message
    assert len(harness.server.received) == 1
    assert "boom" not in raised.value.message


def test_an_error_beside_data_is_still_a_failure(harness: Harness):
    # GIVEN a response with both a value and an error
    harness.server.script(
        Reply(body={"data": {"getTodo": TODO}, "errors": [{"errorType": "Unauthorized"}]})
    )

    # WHEN / THEN the errors win
    with pytest.raises(UpstreamError):
        harness.client.get_todo("t-1")


def test_unauthorized_is_logged_for_operators(harness: Harness, caplog: pytest.LogCaptureFixture):
    harness.server.script(graphql_error("getTodo", "Unauthorized", "Not Authorized to access"))

    with caplog.at_level(logging.ERROR, logger="todo_api.appsync"), pytest.raises(UpstreamError):
        harness.client.get_todo("t-1")

    assert "Unauthorized" in caplog.text


@pytest.mark.parametrize("body", ["<html>gateway</html>", "[]", '{"data": {}}'])
def test_a_malformed_answer_is_an_upstream_error(harness: Harness, body: str):
    harness.server.script(Reply(body=body))

    with pytest.raises(UpstreamError):
        harness.client.get_todo("t-1")


def test_a_todo_missing_fields_is_an_upstream_error(harness: Harness):
    incomplete = {key: value for key, value in TODO.items() if key != "version"}
    harness.server.script(ok("getTodo", incomplete))

    with pytest.raises(UpstreamError):
        harness.client.get_todo("t-1")


# ---------------------------------------------------------------- HTTP-level failures


@pytest.mark.parametrize("status", [401, 403])
def test_appsync_refusing_the_role_is_an_upstream_error_without_retry(
    harness: Harness, caplog: pytest.LogCaptureFixture, status: int
):
    # GIVEN AppSync refuses the function's IAM identity
    harness.server.script(
        Reply(
            status=status,
            body={"errors": [{"errorType": "UnauthorizedException", "message": "denied"}]},
            headers={"x-amzn-ErrorType": "UnauthorizedException"},
        )
    )

    # WHEN the client queries
    with (
        caplog.at_level(logging.ERROR, logger="todo_api.appsync"),
        pytest.raises(UpstreamError) as raised,
    ):
        harness.client.get_todo("t-1")

    # THEN one attempt, a log line for operators, a generic message for clients
    assert len(harness.server.received) == 1
    assert f"HTTP {status}" in caplog.text
    assert raised.value.message == UpstreamError.default_message


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (500, UpstreamError),
        (502, UpstreamUnavailable),
        (503, UpstreamUnavailable),
        (504, UpstreamTimeout),
    ],
)
def test_a_query_retries_5xx_then_reports_it(harness: Harness, status, expected):
    # GIVEN AppSync keeps failing with this status
    harness.server.script(Reply(status=status, body={"message": "oops"}))

    # WHEN the client queries
    with pytest.raises(expected):
        harness.client.get_todo("t-1")

    # THEN it tried three times, with growing backoff between
    assert len(harness.server.received) == 3
    assert harness.sleeps == [0.01, 0.02]


def test_a_query_succeeds_after_transient_failures(harness: Harness):
    harness.server.script(Reply(status=503), Reply(status=429), ok("getTodo", TODO))

    todo = harness.client.get_todo("t-1")

    assert todo is not None
    assert len(harness.server.received) == 3


@pytest.mark.parametrize("status", [500, 502, 503])
def test_a_mutation_is_not_retried_after_a_5xx(harness: Harness, status: int):
    # GIVEN AppSync fails the mutation with a server error: it may have run
    harness.server.script(Reply(status=status, body={"message": "oops"}))

    # WHEN the client creates a todo
    with pytest.raises((UpstreamError, UpstreamUnavailable)):
        harness.client.create_todo(owner="user-1", title="a", completed=False)

    # THEN it was sent once only
    assert len(harness.server.received) == 1
    assert harness.sleeps == []


def test_a_mutation_is_retried_after_429(harness: Harness):
    # GIVEN AppSync throttles the first attempt at the front door
    harness.server.script(Reply(status=429), ok("createTodo", TODO))

    # WHEN the client creates a todo
    todo = harness.client.create_todo(owner="user-1", title="a", completed=False)

    # THEN the second attempt succeeds
    assert todo.id == "t-1"
    assert len(harness.server.received) == 2


def test_persistent_throttling_becomes_503_with_retry_after(harness: Harness):
    harness.server.script(Reply(status=429, headers={"Retry-After": "4"}))

    with pytest.raises(UpstreamThrottled) as raised:
        harness.client.create_todo(owner="user-1", title="a", completed=False)

    assert len(harness.server.received) == 3
    assert raised.value.headers() == {"Retry-After": "4"}


def test_a_mutation_is_retried_after_a_throttling_error_type(harness: Harness):
    harness.server.script(
        graphql_error("updateTodo", "DynamoDB:ProvisionedThroughputExceededException"),
        ok("updateTodo", TODO),
    )

    todo = harness.client.update_todo("t-1", expected_version=1, title="a")

    assert todo.id == "t-1"
    assert len(harness.server.received) == 2


# ---------------------------------------------------------------- transport failures


def test_a_mutation_is_not_retried_after_a_read_timeout(fake_appsync: FakeAppSync):
    # GIVEN AppSync takes longer than the read timeout (the mutation may well have run)
    fake_appsync.script(Reply(delay=1.0, body={"data": {"createTodo": TODO}}))
    sleeps: list[float] = []
    client = make_client(fake_appsync.url, dict(CREDENTIALS), sleeps, [], read_timeout=0.2)

    # WHEN the client creates a todo
    with pytest.raises(UpstreamTimeout):
        client.create_todo(owner="user-1", title="a", completed=False)

    # THEN it was sent exactly once
    assert len(fake_appsync.received) == 1
    assert sleeps == []


def test_a_connection_lost_after_sending_is_retried_for_a_query(harness: Harness):
    harness.server.script(Reply(drop=True), ok("getTodo", TODO))

    todo = harness.client.get_todo("t-1")

    assert todo is not None
    assert len(harness.server.received) == 2


def test_a_connection_lost_after_sending_is_not_retried_for_a_mutation(harness: Harness):
    harness.server.script(Reply(drop=True), ok("deleteTodo", TODO))

    with pytest.raises(UpstreamUnavailable):
        harness.client.delete_todo("t-1", expected_version=1)

    assert len(harness.server.received) == 1


def _closed_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/graphql"  # nothing listens there any more


def test_a_refused_connection_is_retried_even_for_a_mutation():
    # GIVEN nothing listens at the endpoint: no attempt can reach AppSync
    sleeps: list[float] = []
    client = make_client(_closed_port_url(), dict(CREDENTIALS), sleeps, [])

    # WHEN the client creates a todo
    with pytest.raises(UpstreamUnavailable):
        client.create_todo(owner="user-1", title="a", completed=False)

    # THEN all three attempts were made, with backoff between
    assert len(sleeps) == 2


class FailingFirstAdapter(HTTPAdapter):
    """Raises the scripted transport errors first, then sends for real; records each attempt."""

    def __init__(self, failures: list[Exception]) -> None:
        super().__init__()
        self.failures = failures
        self.attempts: list[dict[str, str]] = []

    def send(self, request, *args, **kwargs):  # type: ignore[override]
        self.attempts.append(dict(request.headers))
        if self.failures:
            raise self.failures.pop(0)
        return super().send(request, *args, **kwargs)


def test_a_connect_timeout_is_retried_for_a_mutation(fake_appsync: FakeAppSync):
    # GIVEN the first connection attempt times out before connecting
    fake_appsync.script(ok("createTodo", TODO))
    adapter = FailingFirstAdapter([requests.ConnectTimeout("connect timed out")])
    session = requests.Session()
    session.mount("http://", adapter)
    client = make_client(fake_appsync.url, dict(CREDENTIALS), [], [], session=session)

    # WHEN the client creates a todo
    todo = client.create_todo(owner="user-1", title="a", completed=False)

    # THEN the second attempt went through
    assert todo.id == "t-1"
    assert len(adapter.attempts) == 2
    assert len(fake_appsync.received) == 1


def test_a_persistent_connect_timeout_becomes_504(fake_appsync: FakeAppSync):
    failures: list[Exception] = [requests.ConnectTimeout("connect timed out") for _ in range(3)]
    session = requests.Session()
    session.mount("http://", FailingFirstAdapter(failures))
    client = make_client(fake_appsync.url, dict(CREDENTIALS), [], [], session=session)

    with pytest.raises(UpstreamTimeout):
        client.get_todo("t-1")


# ---------------------------------------------------------------- signing per attempt


def test_every_attempt_is_signed_anew(harness: Harness, ticking_clock):
    # GIVEN AppSync fails twice before answering, and the clock moves between attempts
    harness.server.script(Reply(status=503), Reply(status=503), ok("getTodo", TODO))

    # WHEN the client queries
    harness.client.get_todo("t-1")

    # THEN each attempt carried its own date and its own signature
    dates = [request.headers["X-Amz-Date"] for request in harness.server.received]
    signatures = [request.headers["Authorization"] for request in harness.server.received]
    assert dates == ["20251126T100000Z", "20251126T100007Z", "20251126T100014Z"]
    assert len(set(signatures)) == 3


def test_the_signer_is_built_once_and_rebuilt_when_credentials_rotate(harness: Harness):
    # GIVEN two calls with the same credentials
    harness.server.script(ok("getTodo", TODO))
    harness.client.get_todo("t-1")
    harness.client.get_todo("t-1")
    assert harness.signers_built == [CREDENTIALS["AWS_ACCESS_KEY_ID"]]

    # WHEN the environment's credentials change (a new role session)
    harness.environ.update(
        AWS_ACCESS_KEY_ID="ASIAROTATEDKEY000002",
        AWS_SESSION_TOKEN="rotated-token",
    )
    harness.client.get_todo("t-1")

    # THEN the next request is signed with the new key and carries the new token
    assert harness.signers_built == [CREDENTIALS["AWS_ACCESS_KEY_ID"], "ASIAROTATEDKEY000002"]
    last = harness.server.received[-1]
    assert "Credential=ASIAROTATEDKEY000002/" in last.headers["Authorization"]
    assert last.headers["X-Amz-Security-Token"] == "rotated-token"


def test_without_credentials_nothing_is_sent(harness: Harness):
    harness.environ.clear()

    with pytest.raises(UpstreamError):
        harness.client.get_todo("t-1")

    assert harness.server.received == []


def test_the_default_signer_is_aws4auth_with_the_token():
    signer = aws4auth_signer(appsync.Credentials("AKIDEXAMPLE", "secret", "token-1"), "eu-west-1")

    assert isinstance(signer, requests_aws4auth.AWS4Auth)
    assert signer.service == "appsync"
    assert signer.region == "eu-west-1"
    assert signer.session_token == "token-1"


# ---------------------------------------------------------------- the invocation's deadline


def test_a_slow_answer_is_cut_at_the_invocations_deadline(fake_appsync: FakeAppSync):
    # GIVEN AppSync answers after 1 s, the read timeout allows 2 s, the invocation 0.4 s more
    fake_appsync.script(Reply(delay=1.0, body={"data": {"getTodo": TODO}}))
    client = make_client(fake_appsync.url, dict(CREDENTIALS), [], [], read_timeout=2.0)
    started = time.monotonic()
    # WHEN the function reads a todo within that deadline
    with pytest.raises(UpstreamTimeout), invocation_deadline(0.4):
        client.get_todo("t-1")
    # THEN it gives up at the deadline (504), long before the read timeout
    assert time.monotonic() - started < 0.9


def test_no_retry_starts_when_the_deadline_is_too_close(fake_appsync: FakeAppSync):
    # GIVEN AppSync fails with a retryable 503, retries wait 0.2 s, the invocation has 0.4 s
    fake_appsync.script(Reply(status=503, body={"errors": []}))
    sleeps: list[float] = []
    client = AppSyncClient(
        fake_appsync.url,
        "eu-west-1",
        retry=RetryPolicy(max_attempts=3, base_delay=0.2, max_delay=0.2),
        environ=dict(CREDENTIALS),
        sleep=sleeps.append,
        rng=lambda: 1.0,
    )
    # WHEN the function reads a todo
    with pytest.raises(UpstreamUnavailable), invocation_deadline(0.4):
        client.get_todo("t-1")
    # THEN it tried once: a retry (0.2 s wait + a minimal attempt) could not finish in time
    assert len(fake_appsync.received) == 1
    assert sleeps == []


def test_no_attempt_starts_once_the_deadline_has_passed(harness: Harness):
    with pytest.raises(UpstreamTimeout), invocation_deadline(0.0):
        harness.client.get_todo("t-1")
    assert harness.server.received == []
