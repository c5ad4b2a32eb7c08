"""The `todo` command, run as a user runs it, against the local stack's outputs file."""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from e2e_support import PASSWORD, STACK_NAME, RunningStack, eventually


def run_todo(outputs: Path, session: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "todo_cli.main", "--outputs", str(outputs)]
    command += ["--session", str(session), *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)


def todo_json(outputs: Path, session: Path, *args: str) -> Any:
    result = run_todo(outputs, session, "--json", *args)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture
def cli_files(stack: RunningStack, tmp_path: Path) -> tuple[Path, Path]:
    """The stack's outputs file, as `make up` writes it, and where the session will live."""
    outputs = tmp_path / "local-outputs.json"
    outputs.write_text(json.dumps({STACK_NAME: stack.outputs}))
    return outputs, tmp_path / "session.json"


def listing(outputs: Path, session: Path, ids: list[str]) -> Any:
    listed = todo_json(outputs, session, "list")
    assert [t["id"] for t in listed["items"]] == ids
    return listed


def sign_up(outputs: Path, session: Path) -> None:
    email = f"cli-{secrets.token_hex(3)}@example.com"
    todo_json(outputs, session, "create-user", "--email", email, "--password", PASSWORD)
    todo_json(outputs, session, "signin", "--email", email, "--password", PASSWORD)


def test_cli_manages_todos_end_to_end(cli_files: tuple[Path, Path]):
    outputs, session = cli_files
    # WHEN a user is created, signs in, adds, completes and deletes a todo with the CLI
    sign_up(outputs, session)
    added = todo_json(outputs, session, "add", "water the plants")
    listed = eventually(lambda: listing(outputs, session, [added["id"]]))
    completed = todo_json(outputs, session, "complete", added["id"])
    todo_json(outputs, session, "delete", added["id"])
    after = eventually(lambda: listing(outputs, session, []))
    # THEN each step did what it says, through the REST API (lists as the index catches up)
    assert added["title"] == "water the plants"
    assert [t["id"] for t in listed["items"]] == [added["id"]]
    assert (completed["completed"], completed["version"]) == (True, 2)
    assert after == {"items": []}
    assert oct(session.stat().st_mode & 0o777) == "0o600"


def test_cli_reports_an_api_error_in_one_line_without_traceback(cli_files: tuple[Path, Path]):
    outputs, session = cli_files
    sign_up(outputs, session)
    # WHEN the user completes an id that does not exist
    result = run_todo(outputs, session, "complete", "no-such-id")
    # THEN one error line, a non-zero exit, no traceback
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "404" in result.stderr or "not found" in result.stderr.lower()
