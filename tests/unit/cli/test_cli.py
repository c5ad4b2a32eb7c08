"""The `todo` CLI against a fake REST API on 127.0.0.1 and moto's in-process Cognito."""

from __future__ import annotations

import base64
import getpass
import io
import json
import stat
import sys
import threading
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
from moto import mock_aws

from todo_cli.api import check_title
from todo_cli.errors import CliError
from todo_cli.main import main
from todo_cli.session import Session, save_session

ID_TOKEN = "header.payload-of-the-id-token.signature"
TODO = {
    "id": "t-1",
    "owner": "alice-sub",
    "title": "milk",
    "completed": False,
    "version": 4,
    "createdAt": "2024-01-01T00:00:00Z",
    "updatedAt": "2024-01-01T00:00:00Z",
}


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any


@dataclass
class FakeApi:
    """Answers `(method, path, frozen query)` from `routes`; records every request."""

    url: str
    routes: dict[tuple[str, str], Any] = field(default_factory=dict)
    requests: list[Recorded] = field(default_factory=list)

    def answer(self, method: str, path: str, status: int, body: Any = None, **query: str) -> None:
        self.routes[(method, path + _query_key(query))] = (status, body)


def _query_key(query: dict[str, str]) -> str:
    return "?" + "&".join(f"{k}={v}" for k, v in sorted(query.items())) if query else ""


@pytest.fixture
def fake_api() -> Iterator[FakeApi]:
    api = FakeApi(url="")

    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            query = parse_qs(parts.query)
            api.requests.append(
                Recorded(
                    method=self.command,
                    path=parts.path,
                    query=query,
                    headers=dict(self.headers.items()),
                    body=json.loads(raw) if raw else None,
                )
            )
            flat = {k: v[-1] for k, v in query.items()}
            key = (self.command, parts.path.removeprefix("/dev") + _query_key(flat))
            status, body = api.routes.get(key, (404, {"message": "no fake route " + str(key)}))
            payload = b"" if body is None else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PATCH = do_DELETE = _serve

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    api.url = f"http://127.0.0.1:{server.server_address[1]}/dev/"
    yield api
    server.shutdown()
    server.server_close()


def write_outputs(path: Path, rest_url: str, pool_id: str = "pool", client_id: str = "c") -> Path:
    outputs = {
        "TodoStack-dev": {
            "RestApiUrl": rest_url,
            "GraphQLUrl": "https://example.invalid/graphql",
            "UserPoolId": pool_id,
            "UserPoolClientId": client_id,
            "Region": "us-east-1",
            "TodoFunctionRoleArn": "arn:aws:iam::123456789012:role/fn",
        }
    }
    path.write_text(json.dumps(outputs))
    return path


@pytest.fixture
def signed_in(tmp_path: Path, fake_api: FakeApi) -> list[str]:
    """CLI arguments naming an outputs file for the fake API and a valid saved session."""
    session = tmp_path / "session.json"
    save_session(session, Session("alice@example.com", ID_TOKEN, "access", "refresh", 4e9))
    outputs = write_outputs(tmp_path / "outputs.json", fake_api.url)
    return ["--outputs", str(outputs), "--session", str(session)]


# -- Cognito (moto) -------------------------------------------------------------------------


@pytest.fixture
def cognito(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():
        client = boto3.client("cognito-idp", region_name="us-east-1")
        pool_id = client.create_user_pool(PoolName="todo", UsernameAttributes=["email"])[
            "UserPool"
        ]["Id"]
        client_id = client.create_user_pool_client(
            UserPoolId=pool_id,
            ClientName="cli",
            ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        )["UserPoolClient"]["ClientId"]
        client.create_group(UserPoolId=pool_id, GroupName="admins")
        yield {"pool_id": pool_id, "client_id": client_id}


def token_claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def test_create_user_then_signin_stores_the_tokens_in_a_0600_session(
    tmp_path: Path, cognito: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN a user created with the admin helper
    outputs = write_outputs(tmp_path / "o.json", "http://127.0.0.1:9/dev/", **_ids(cognito))
    session = tmp_path / "state" / "session.json"
    base = ["--outputs", str(outputs), "--session", str(session)]
    created = main(["create-user", "--email", "bob@example.com", "--password", "Secret-123", *base])
    assert created == 0
    # WHEN the user signs in
    code = main(["signin", "--email", "bob@example.com", "--password", "Secret-123", *base])
    # THEN the session file is private to its owner and holds the ID token
    assert code == 0
    assert stat.S_IMODE(session.stat().st_mode) == 0o600
    saved = json.loads(session.read_text())
    assert token_claims(saved["id_token"])["token_use"] == "id"
    assert "signed in as bob@example.com" in capsys.readouterr().out


def test_signin_defaults_to_a_per_client_file_under_the_cache_directory(
    tmp_path: Path, cognito: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    outputs = write_outputs(tmp_path / "o.json", "http://127.0.0.1:9/dev/", **_ids(cognito))
    args = ["create-user", "--email", "c@example.com", "--password", "Secret-123"]
    main([*args, "--outputs", str(outputs)])
    main(
        [
            "signin",
            "--email",
            "c@example.com",
            "--password",
            "Secret-123",
            "--outputs",
            str(outputs),
        ]
    )
    expected = tmp_path / "cache" / "appsync-lambda-todo" / f"{cognito['client_id']}.json"
    assert stat.S_IMODE(expected.stat().st_mode) == 0o600


def test_a_wrong_password_is_one_error_line_and_a_failure_exit(
    tmp_path: Path, cognito: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    outputs = write_outputs(tmp_path / "o.json", "http://127.0.0.1:9/dev/", **_ids(cognito))
    base = ["--outputs", str(outputs), "--session", str(tmp_path / "s.json")]
    main(["create-user", "--email", "d@example.com", "--password", "Secret-123", *base])
    capsys.readouterr()
    code = main(["signin", "--email", "d@example.com", "--password", "wrong", *base])
    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith("error: NotAuthorizedException")
    assert len(err.strip().splitlines()) == 1
    assert not (tmp_path / "s.json").exists()


def test_create_user_with_admin_adds_the_user_to_the_admins_group(
    tmp_path: Path, cognito: dict[str, str]
) -> None:
    outputs = write_outputs(tmp_path / "o.json", "http://127.0.0.1:9/dev/", **_ids(cognito))
    args = ["create-user", "--email", "e@example.com", "--password", "Secret-123", "--admin"]
    code = main([*args, "--outputs", str(outputs)])
    groups = boto3.client("cognito-idp", region_name="us-east-1").admin_list_groups_for_user(
        UserPoolId=cognito["pool_id"], Username="e@example.com"
    )["Groups"]
    assert code == 0
    assert [group["GroupName"] for group in groups] == ["admins"]


def _ids(cognito: dict[str, str]) -> dict[str, str]:
    return {"pool_id": cognito["pool_id"], "client_id": cognito["client_id"]}


# -- REST commands --------------------------------------------------------------------------


def test_list_follows_next_token_and_prints_every_todo(
    signed_in: list[str], fake_api: FakeApi, capsys: pytest.CaptureFixture[str]
) -> None:
    second = {**TODO, "id": "t-2", "title": "eggs", "completed": True, "version": 2}
    fake_api.answer("GET", "/items", 200, {"items": [TODO], "nextToken": "page2"})
    fake_api.answer("GET", "/items", 200, {"items": [second], "nextToken": None}, nextToken="page2")

    code = main(["list", *signed_in])

    assert code == 0
    assert [r.query for r in fake_api.requests] == [{}, {"nextToken": ["page2"]}]
    assert all(r.headers["Authorization"] == ID_TOKEN for r in fake_api.requests)
    assert capsys.readouterr().out.splitlines() == [
        "[ ] milk  (t-1, v4)",
        "[x] eggs  (t-2, v2)",
    ]


def test_list_all_with_a_limit_asks_for_every_owner_and_stops_at_the_limit(
    signed_in: list[str], fake_api: FakeApi, capsys: pytest.CaptureFixture[str]
) -> None:
    page = [{**TODO, "id": f"t-{n}"} for n in range(2)]
    fake_api.answer(
        "GET", "/items", 200, {"items": page, "nextToken": "more"}, limit="2", scope="all"
    )

    code = main(["list", "--all", "--limit", "2", "--json", *signed_in])

    assert code == 0
    assert len(fake_api.requests) == 1
    assert json.loads(capsys.readouterr().out) == {"items": page}


def test_add_posts_the_title_and_prints_the_new_todo(
    signed_in: list[str], fake_api: FakeApi, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_api.answer("POST", "/items", 201, {**TODO, "version": 1})

    code = main(["add", "milk", *signed_in])

    assert code == 0
    (request,) = fake_api.requests
    assert request.body == {"title": "milk"}
    assert request.headers["Authorization"] == ID_TOKEN
    assert capsys.readouterr().out.strip() == "added [ ] milk  (t-1, v1)"


def test_complete_sends_the_current_version_with_completed_true(
    signed_in: list[str], fake_api: FakeApi, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_api.answer("GET", "/items/t-1", 200, TODO)
    fake_api.answer("PATCH", "/items/t-1", 200, {**TODO, "completed": True, "version": 5})

    code = main(["complete", "t-1", *signed_in])

    assert code == 0
    assert [(r.method, r.path) for r in fake_api.requests] == [
        ("GET", "/dev/items/t-1"),
        ("PATCH", "/dev/items/t-1"),
    ]
    assert fake_api.requests[1].body == {"completed": True, "version": 4}
    assert capsys.readouterr().out.strip() == "completed [x] milk  (t-1, v5)"


def test_delete_sends_delete_and_reports_it(
    signed_in: list[str], fake_api: FakeApi, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_api.answer("DELETE", "/items/t-1", 204)

    code = main(["delete", "t-1", *signed_in])

    assert code == 0
    assert [(r.method, r.path) for r in fake_api.requests] == [("DELETE", "/dev/items/t-1")]
    assert capsys.readouterr().out.strip() == "deleted t-1"


@pytest.mark.parametrize(
    ("status", "body", "line"),
    [
        (404, {"code": "NotFound", "message": "no such todo"}, "error: 404 NotFound: no such todo"),
        (
            409,
            {"code": "Conflict", "message": "stale version"},
            "error: 409 Conflict: stale version",
        ),
        (401, {"message": "Unauthorized"}, "error: 401 Unauthorized: Unauthorized"),
    ],
    ids=["api error", "conflict", "gateway error"],
)
def test_an_api_error_is_one_line_on_stderr_and_a_failure_exit(
    signed_in: list[str],
    fake_api: FakeApi,
    capsys: pytest.CaptureFixture[str],
    status: int,
    body: dict[str, str],
    line: str,
) -> None:
    fake_api.answer("DELETE", "/items/t-9", status, body)

    code = main(["delete", "t-9", *signed_in])

    captured = capsys.readouterr()
    assert code == 1
    assert captured.err.splitlines() == [line]
    assert captured.out == ""


def test_commands_need_a_session(
    tmp_path: Path, fake_api: FakeApi, capsys: pytest.CaptureFixture[str]
) -> None:
    outputs = write_outputs(tmp_path / "o.json", fake_api.url)
    code = main(["list", "--outputs", str(outputs), "--session", str(tmp_path / "none.json")])
    assert code == 1
    assert (
        capsys.readouterr().err.strip() == "error: not signed in: run `todo signin --email <email>`"
    )
    assert fake_api.requests == []


def test_an_unreachable_api_is_one_error_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    session = tmp_path / "session.json"
    save_session(session, Session("a@example.com", ID_TOKEN, "access", None, 4e9))
    outputs = write_outputs(tmp_path / "o.json", "http://127.0.0.1:9/dev/")  # discard port
    code = main(["add", "milk", "--outputs", str(outputs), "--session", str(session)])
    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith("error: cannot reach http://127.0.0.1:9/dev/items")
    assert "Traceback" not in err


@pytest.fixture
def expired_session(tmp_path: Path, cognito: dict[str, str], fake_api: FakeApi) -> list[str]:
    """CLI arguments of a signed-in user whose saved ID token has expired."""
    outputs = write_outputs(tmp_path / "o.json", fake_api.url, **_ids(cognito))
    session = tmp_path / "session.json"
    base = ["--outputs", str(outputs), "--session", str(session)]
    main(["create-user", "--email", "f@example.com", "--password", "Secret-123", *base])
    main(["signin", "--email", "f@example.com", "--password", "Secret-123", *base])
    stale = json.loads(session.read_text())
    session.write_text(json.dumps({**stale, "id_token": "stale", "expires_at": 0}))
    return base


def test_an_expired_session_is_refreshed_before_the_request(
    tmp_path: Path, expired_session: list[str], fake_api: FakeApi
) -> None:
    # GIVEN a signed-in user whose saved ID token has expired
    base, session = expired_session, tmp_path / "session.json"
    fake_api.answer("GET", "/items", 200, {"items": [], "nextToken": None})
    # WHEN a command runs
    code = main(["list", *base])
    # THEN it used a fresh ID token from Cognito and saved it
    fresh = json.loads(session.read_text())
    assert code == 0
    assert fresh["expires_at"] > time.time()
    assert token_claims(fresh["id_token"])["token_use"] == "id"
    assert fake_api.requests[0].headers["Authorization"] == fresh["id_token"]
    assert stat.S_IMODE(session.stat().st_mode) == 0o600


def test_token_refreshes_an_expired_session_first(
    tmp_path: Path, expired_session: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    # The README: "`./todo token` refreshes it first if it has expired".
    capsys.readouterr()  # what signing in printed
    assert main(["token", *expired_session]) == 0
    printed = capsys.readouterr().out.strip()
    assert printed == json.loads((tmp_path / "session.json").read_text())["id_token"]
    assert token_claims(printed)["token_use"] == "id"


# -- input the user gets wrong: one line each, nothing sent -----------------------------------


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_an_outputs_path_that_is_a_directory_is_one_error_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["list", "--outputs", str(tmp_path)])
    assert code == 1
    assert capsys.readouterr().err.strip() == (
        f"error: cannot read the outputs file {tmp_path}: Is a directory"
    )


def test_a_session_path_that_is_a_directory_is_one_error_line(
    tmp_path: Path, fake_api: FakeApi, capsys: pytest.CaptureFixture[str]
) -> None:
    outputs = write_outputs(tmp_path / "o.json", fake_api.url)
    code = main(["list", "--outputs", str(outputs), "--session", str(tmp_path)])
    assert code == 1
    assert capsys.readouterr().err.strip() == (
        f"error: cannot read the session file {tmp_path}: Is a directory"
    )
    assert fake_api.requests == []


def test_signin_without_a_password_and_no_input_says_what_to_pass(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN no terminal and nothing on standard input (a script, CI)
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    outputs = write_outputs(tmp_path / "o.json", "http://127.0.0.1:9/dev/")
    # WHEN signin is asked for without --password
    code = main(["signin", "--email", "a@example.com", "--outputs", str(outputs)])
    # THEN one line says what to do instead of an EOFError
    assert code == 1
    err = capsys.readouterr().err
    assert err.strip() == "error: no password given: pass --password, or type it in a terminal"


def test_signin_reads_a_piped_password_without_an_echo_warning(
    tmp_path: Path,
    cognito: dict[str, str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    outputs = write_outputs(tmp_path / "o.json", "http://127.0.0.1:9/dev/", **_ids(cognito))
    base = ["--outputs", str(outputs), "--session", str(tmp_path / "s.json")]
    main(["create-user", "--email", "p@example.com", "--password", "Secret-123", *base])
    monkeypatch.setattr(sys, "stdin", io.StringIO("Secret-123\n"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a GetPassWarning would fail the test
        code = main(["signin", "--email", "p@example.com", *base])
    assert code == 0
    assert "signed in as p@example.com" in capsys.readouterr().out


def test_a_terminal_that_cannot_hide_the_password_is_refused_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a terminal where getpass falls back to echoing (it warns, as its fallback does)
    def echoing_getpass(prompt: str = "") -> str:
        warnings.warn("Can not control echo on the terminal.", getpass.GetPassWarning, 2)
        return "typed-in-clear"

    monkeypatch.setattr(sys, "stdin", _Terminal())
    monkeypatch.setattr(getpass, "getpass", echoing_getpass)
    outputs = write_outputs(tmp_path / "o.json", "http://127.0.0.1:9/dev/")
    code = main(["signin", "--email", "a@example.com", "--outputs", str(outputs)])
    assert code == 1
    assert capsys.readouterr().err.strip() == (
        "error: cannot ask for a password without echoing it: pass --password"
    )


def test_ctrl_d_at_the_password_prompt_is_one_error_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def end_of_input(prompt: str = "") -> str:
        raise EOFError

    monkeypatch.setattr(sys, "stdin", _Terminal())
    monkeypatch.setattr(getpass, "getpass", end_of_input)
    outputs = write_outputs(tmp_path / "o.json", "http://127.0.0.1:9/dev/")
    code = main(["create-user", "--email", "a@example.com", "--outputs", str(outputs)])
    assert code == 1
    assert capsys.readouterr().err.strip() == (
        "error: no password given (the input ended): pass --password"
    )


def test_an_empty_title_gets_the_functions_message_and_sends_nothing(
    signed_in: list[str], fake_api: FakeApi, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["add", "  ", *signed_in])
    assert code == 1
    assert capsys.readouterr().err.strip() == (
        "error: Invalid input: title: must not be empty or only whitespace."
    )
    assert fake_api.requests == []


@pytest.mark.parametrize("title", ["", "   ", "x" * 257, " " + "y" * 256 + " ", "a\x07b", "ok"])
def test_the_cli_refuses_exactly_the_titles_the_function_refuses_in_its_words(title: str):
    # The function's rule lives in lambda_src/todo_api/models.py; the CLI cannot import it.
    from todo_api.errors import ValidationFailed
    from todo_api.models import parse_new_todo

    try:
        parse_new_todo({"title": title})
        expected = None
    except ValidationFailed as error:
        expected = str(error)
    try:
        check_title(title)
        got = None
    except CliError as error:
        got = str(error)
    assert got == expected


def test_token_prints_the_saved_id_token_for_curl(
    signed_in: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["token", *signed_in]) == 0
    assert capsys.readouterr().out.strip() == ID_TOKEN


def test_output_prints_one_stack_output_or_names_the_known_ones(
    signed_in: list[str], fake_api: FakeApi, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["output", "RestApiUrl", *signed_in]) == 0
    assert capsys.readouterr().out.strip() == fake_api.url
    assert main(["output", "Nope", *signed_in]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: stack TodoStack-dev has no output 'Nope' (it has GraphQLUrl,")


def test_output_without_a_key_lists_every_output(
    signed_in: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The README: "`./todo output` with no key lists every output".
    outputs = json.loads((tmp_path / "outputs.json").read_text())["TodoStack-dev"]
    assert main(["output", *signed_in]) == 0
    assert capsys.readouterr().out.splitlines() == [f"{k} = {v}" for k, v in outputs.items()]


def test_signout_deletes_the_saved_session(
    signed_in: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The README: "`./todo signout` deletes" the session file `signin` keeps.
    assert main(["signout", *signed_in]) == 0
    assert not (tmp_path / "session.json").exists()
    assert capsys.readouterr().out.strip() == "signed out"
    assert main(["signout", *signed_in]) == 0
    assert capsys.readouterr().out.strip() == "not signed in"


def test_the_cli_trusts_the_local_stacks_ca_for_https_loopback_outputs(tmp_path, monkeypatch):
    # GIVEN outputs of a local stack served over HTTPS and its CA next to them
    from todo_cli.config import LOCAL_CA, load_config

    for variable in ("REQUESTS_CA_BUNDLE", "AWS_CA_BUNDLE", "SSL_CERT_FILE"):
        monkeypatch.delenv(variable, raising=False)
    ca = tmp_path / LOCAL_CA
    ca.parent.mkdir(parents=True)
    ca.write_text("-----BEGIN CERTIFICATE-----\n")
    outputs = {
        "TodoApp-dev": {
            "RestApiUrl": "https://127.0.0.1:3000/dev/",
            "GraphQLUrl": "https://127.0.0.1:4000/graphql",
            "UserPoolId": "us-east-1_x",
            "UserPoolClientId": "c",
            "Region": "us-east-1",
            "AwsEndpoint": "https://127.0.0.1:4566",
        }
    }
    path = tmp_path / "local-outputs.json"
    path.write_text(json.dumps(outputs))
    # WHEN the CLI loads them
    load_config(path)
    # THEN requests, boto3 and the WebSocket client verify against that CA
    import os

    assert os.environ["REQUESTS_CA_BUNDLE"] == os.environ["SSL_CERT_FILE"] == str(ca)
