"""The README's "Try it" section, run as a newcomer types it: the commands are read from the
README itself (the ```bash block after each `<!-- readme-test: NAME -->` marker), so the two
cannot drift apart.

`make up` runs in the repository as printed; only its environment differs from a newcomer's:
free ports and a state directory and outputs file in a temporary directory (make variables the
README mentions), so a developer's own `make up`, `.local/` and `local-outputs.json` are left
alone. The `./todo` commands run, as printed, in that temporary directory, which holds the
outputs file and a link to the repository's `todo` launcher; the CLI's session goes to a
temporary cache directory. The one thing filled in is `<id>`, from what `add` printed, as a
reader would. Then the stack is stopped with Ctrl-C, started again, and the user and their todos
are still there.
"""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import pytest
from e2e_support import ROOT

README = ROOT / "README.md"
BLOCK = re.compile(r"<!-- readme-test: (\w+) -->\s*```bash\n(.*?)```", re.S)
ADDED_ID = re.compile(r"^added \[ \] buy milk  \(([0-9a-f-]{36}), v1\)$")
START_TIMEOUT_S = 300  # a synth is needed when cdk.out is older than the sources


def readme_commands() -> dict[str, list[str]]:
    """Each marked block as its commands (a line ending in a backslash continues)."""
    blocks = {}
    for name, body in BLOCK.findall(README.read_text(encoding="utf-8")):
        blocks[name] = [c.strip() for c in body.replace("\\\n", " ").splitlines() if c.strip()]
    return blocks


class Lines:
    """The lines a process writes to one stream, read on a thread so waits can time out."""

    def __init__(self, stream: IO[str]) -> None:
        self.seen: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, args=(stream,), daemon=True).start()

    def _read(self, stream: IO[str]) -> None:
        for line in stream:
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def wait_for(self, pattern: str, timeout: float) -> str:
        while True:
            try:
                line = self._queue.get(timeout=timeout)
            except queue.Empty:
                raise AssertionError(
                    f"no line with {pattern!r} in {timeout}s: {self.seen}"
                ) from None
            if line is None:
                raise AssertionError(f"the stream ended without {pattern!r}: {self.seen}")
            self.seen.append(line)
            if pattern in line:
                return line


@dataclass
class Newcomer:
    """The two terminals of the walkthrough: the repository root, and a working directory."""

    workdir: Path
    env: dict[str, str]

    def run(self, command: str) -> str:
        result = subprocess.run(
            ["bash", "-c", command],
            cwd=self.workdir, env=self.env, capture_output=True, text=True, timeout=120,
            check=False,
        )  # fmt: skip
        assert result.returncode == 0, f"{command}\n{result.stdout}\n{result.stderr}"
        assert "Traceback" not in result.stderr
        return result.stdout

    def start(self, command: str, cwd: Path) -> tuple[subprocess.Popen[str], Lines, Lines]:
        process = subprocess.Popen(
            ["bash", "-c", command],
            cwd=cwd, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            start_new_session=True,  # its own process group, as a terminal's foreground job
        )  # fmt: skip
        assert process.stdout is not None and process.stderr is not None
        return process, Lines(process.stdout), Lines(process.stderr)


def ctrl_c(process: subprocess.Popen[str]) -> None:
    """What Ctrl-C in a terminal does: SIGINT to the whole foreground process group."""
    os.killpg(process.pid, signal.SIGINT)
    process.wait(timeout=60)


@pytest.fixture
def newcomer(tmp_path: Path) -> Newcomer:
    workdir = tmp_path / "terminal"
    workdir.mkdir()
    (workdir / "todo").symlink_to(ROOT / "todo")
    # The README's commands run from the repository root, where `make up` keeps its local CA
    # (.local/tls/ca.pem, which ./todo trusts and curl is given).
    (workdir / ".local").mkdir()
    (workdir / ".local" / "tls").symlink_to(ROOT / ".local" / "tls", target_is_directory=True)
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS")}
    env.update(
        REST_PORT="0",
        GRAPHQL_PORT="0",
        AWS_PORT="0",
        WEB_PORT="0",
        STATE_DIR=str(tmp_path / "state"),
        OUTPUTS=str(workdir / "local-outputs.json"),
        XDG_CACHE_HOME=str(tmp_path / "cache"),
    )
    return Newcomer(workdir, env)


@pytest.fixture
def commands() -> dict[str, list[str]]:
    blocks = readme_commands()
    assert set(blocks) == {"up", "walkthrough", "api", "watch", "restart"}
    return blocks


@pytest.fixture
def stack_runs(newcomer: Newcomer, commands: dict[str, list[str]]) -> Iterator[Any]:
    running: list[subprocess.Popen[str]] = []

    def up() -> tuple[subprocess.Popen[str], Lines]:
        (command,) = commands["up"]
        process, out, _err = newcomer.start(command, cwd=ROOT)
        running.append(process)
        out.wait_for("Local stack ready", START_TIMEOUT_S)
        return process, out

    yield up
    for process in running:
        if process.poll() is None:
            ctrl_c(process)


def test_the_readme_walkthrough_works_as_printed_and_survives_a_restart(
    newcomer: Newcomer, commands: dict[str, list[str]], stack_runs: Any
):
    # GIVEN `make up`, as printed
    stack, stack_out = stack_runs()

    # WHEN the walkthrough's commands run one by one, <id> being the id `add` printed
    todo_id = ""
    for command in commands["walkthrough"]:
        output = newcomer.run(command.replace("<id>", todo_id))
        if command.startswith("./todo add"):
            match = ADDED_ID.match(output.strip())
            assert match, output
            todo_id = match.group(1)
    # THEN the last one, `list`, shows the todo completed
    assert output.strip() == f"[x] buy milk  ({todo_id}, v2)"

    # WHEN the "call the APIs yourself" block runs as one script
    printed = newcomer.run("set -euo pipefail\n" + "\n".join(commands["api"]))
    # THEN curl got the todo from REST, then from GraphQL with the same token
    decoder = json.JSONDecoder()
    rest, end = decoder.raw_decode(printed)
    graphql, _ = decoder.raw_decode(printed[end:].lstrip())
    assert [(t["id"], t["completed"]) for t in rest["items"]] == [(todo_id, True)]
    assert graphql == {
        "data": {
            "listTodos": {
                "items": [{"id": todo_id, "title": "buy milk", "completed": True, "version": 2}]
            }
        }
    }

    # WHEN `./todo watch` runs in one terminal and `./todo add` in another
    watch_command, add_command = commands["watch"]
    watch, watch_out, watch_err = newcomer.start(watch_command, cwd=newcomer.workdir)
    try:
        watch_err.wait_for("watching the todos of ana@example.com", 60)
        newcomer.run(add_command)
        # THEN the subscription prints the new todo
        event = watch_out.wait_for("call the plumber", 60)
        assert event.startswith("created [ ] call the plumber  (")
    finally:
        ctrl_c(watch)
    assert watch.returncode == 0

    # WHEN the stack is stopped with Ctrl-C and `make up` runs again
    ctrl_c(stack)
    stack_out.wait_for("Local stack stopped.", 60)
    stack_runs()
    # THEN the user is still signed in, and their todos are there
    (list_command,) = commands["restart"]
    listed = newcomer.run(list_command).strip().splitlines()
    assert len(listed) == 2
    assert f"[x] buy milk  ({todo_id}, v2)" in listed
    assert any(line.startswith("[ ] call the plumber  (") for line in listed)
