"""The warm worker pool: Lambda-like invocations in separate processes."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import textwrap
import time
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

import pytest

from local.awslambda.pool import (
    FunctionTimeout,
    InitError,
    InvocationError,
    LambdaPool,
    PoolClosed,
    WorkerCrashed,
)

HANDLER_MODULE = textwrap.dedent(
    """
    import json
    import os
    import sys
    import time

    IMPORTED_AT = time.time()  # once per worker: proves the handler stays warm

    def handler(event, context):
        print(json.dumps({"level": "INFO", "message": "handling " + event["action"]}))
        action = event["action"]
        if action == "echo":
            return {
                "event": event,
                "pid": os.getpid(),
                "imported_at": IMPORTED_AT,
                "function_name": context.function_name,
                "memory": context.memory_limit_in_mb,
                "arn": context.invoked_function_arn,
                "request_id": context.aws_request_id,
                "remaining_ms": context.get_remaining_time_in_millis(),
                "env": {k: os.environ.get(k) for k in ("TABLE", "AWS_REGION", "_HANDLER")},
                "sys_path": sys.path,
            }
        if action == "sleep":
            time.sleep(event["seconds"])
            return {"pid": os.getpid(), "slept": event["seconds"]}
        if action == "raise":
            raise ValueError("bad input")
        if action == "exit":
            os._exit(3)
        if action == "spawn":
            import subprocess
            child = subprocess.Popen(["sleep", "60"])
            return {"child": child.pid}
        raise AssertionError(action)
    """
)


@pytest.fixture
def code_dir(tmp_path: Path) -> Path:
    package = tmp_path / "asset" / "app"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "main.py").write_text(HANDLER_MODULE)
    return tmp_path / "asset"


def make_pool(code_dir: Path, logs: list[str], **overrides: object) -> LambdaPool:
    options: dict[str, object] = {
        "handler": "app.main.handler",
        "code_dir": code_dir,
        "environment": {
            "TABLE": "todos",
            "AWS_REGION": "eu-west-1",
            "AWS_LAMBDA_FUNCTION_NAME": "TodoFn",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
        },
        "size": 2,
        "timeout_s": 5.0,
        "log": logs.append,
        **overrides,
    }
    return LambdaPool(**options)  # type: ignore[arg-type]


def run(scenario: Coroutine[Any, Any, None]) -> None:
    asyncio.run(scenario)


@contextlib.asynccontextmanager
async def started(code_dir: Path, logs: list[str] | None = None, **overrides: object):
    lambda_pool = make_pool(code_dir, [] if logs is None else logs, **overrides)
    await lambda_pool.start()
    try:
        yield lambda_pool
    finally:
        await lambda_pool.close()


def process_exists(pid: int) -> bool:
    stat = Path(f"/proc/{pid}/stat")
    try:
        state = stat.read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"  # a zombie has ended; only its exit status is left


def test_invoke_returns_the_handler_result_with_a_lambda_context(code_dir: Path) -> None:
    async def scenario() -> None:
        # GIVEN a started pool
        async with started(code_dir) as pool:
            # WHEN an event is invoked
            result = await pool.invoke({"action": "echo", "n": 1})
        # THEN the handler saw the event, a Lambda-like context and the function's environment
        assert result["event"] == {"action": "echo", "n": 1}
        assert result["function_name"] == "TodoFn"
        assert result["memory"] == "512"
        assert result["arn"] == "arn:aws:lambda:eu-west-1:123456789012:function:TodoFn"
        assert 0 < result["remaining_ms"] <= 5000
        assert result["env"] == {
            "TABLE": "todos",
            "AWS_REGION": "eu-west-1",
            "_HANDLER": "app.main.handler",
        }

    run(scenario())


def test_the_worker_imports_from_the_asset_directory_not_the_venv(code_dir: Path) -> None:
    async def scenario() -> None:
        async with started(code_dir) as pool:
            result = await pool.invoke({"action": "echo"})
        assert result["sys_path"][0] == str(code_dir.resolve())
        assert not any("site-packages" in entry for entry in result["sys_path"])

    run(scenario())


def test_the_worker_stays_warm_between_invocations(code_dir: Path) -> None:
    async def scenario() -> None:
        async with started(code_dir) as pool:
            first = await pool.invoke({"action": "echo"})
            second = await pool.invoke({"action": "echo"})
        assert (first["pid"], first["imported_at"]) == (second["pid"], second["imported_at"])
        assert first["request_id"] != second["request_id"]

    run(scenario())


def test_handler_stdout_is_forwarded_with_the_function_name(code_dir: Path) -> None:
    async def scenario() -> None:
        logs: list[str] = []
        async with started(code_dir, logs) as pool:
            await pool.invoke({"action": "echo"})
            await asyncio.sleep(0.2)  # the log line travels on its own pipe
        assert any(line.startswith("[TodoFn] {") and "handling echo" in line for line in logs)

    run(scenario())


def test_concurrent_invocations_run_in_parallel_up_to_size(code_dir: Path) -> None:
    async def scenario() -> None:
        # GIVEN size=2
        async with started(code_dir) as pool:
            # WHEN three 0.6 s invocations arrive together
            begin = time.monotonic()
            results = await asyncio.gather(
                *(pool.invoke({"action": "sleep", "seconds": 0.6}) for _ in range(3))
            )
            elapsed = time.monotonic() - begin
            live = len(pool.worker_pids)
        # THEN two workers served them: two ran together, the third waited for a free one
        assert len({result["pid"] for result in results}) == 2
        assert live == 2
        assert 1.2 <= elapsed < 5.0

    run(scenario())


def test_a_handler_exception_is_a_function_error_and_the_worker_stays(code_dir: Path) -> None:
    async def scenario() -> None:
        async with started(code_dir) as pool:
            before = await pool.invoke({"action": "echo"})
            with pytest.raises(InvocationError) as raised:
                await pool.invoke({"action": "raise"})
            after = await pool.invoke({"action": "echo"})
        assert raised.value.payload["errorType"] == "ValueError"
        assert raised.value.payload["errorMessage"] == "bad input"
        assert after["pid"] == before["pid"]

    run(scenario())


def test_a_crashed_worker_is_replaced(code_dir: Path) -> None:
    async def scenario() -> None:
        async with started(code_dir) as pool:
            before = await pool.invoke({"action": "echo"})
            with pytest.raises(WorkerCrashed) as raised:
                await pool.invoke({"action": "exit"})
            after = await pool.invoke({"action": "echo"})
        assert raised.value.payload["errorType"] == "Runtime.ExitError"
        assert after["pid"] != before["pid"]
        assert not process_exists(before["pid"])

    run(scenario())


def test_a_worker_that_died_while_idle_is_replaced_before_a_request_reaches_it(
    code_dir: Path,
) -> None:
    async def scenario() -> None:
        async with started(code_dir) as pool:
            # GIVEN a warm worker that is killed while it waits for work
            before = await pool.invoke({"action": "echo"})
            os.kill(before["pid"], signal.SIGKILL)
            for _ in range(100):
                if not process_exists(before["pid"]):
                    break
                await asyncio.sleep(0.02)
            await asyncio.sleep(0.05)  # the event loop notices the exit
            # WHEN the next request comes
            after = await pool.invoke({"action": "echo"})
        # THEN a new worker answers it, with no error for the caller
        assert after["pid"] != before["pid"]

    run(scenario())


def test_a_timeout_kills_the_worker_and_returns_an_error(code_dir: Path) -> None:
    async def scenario() -> None:
        async with started(code_dir, timeout_s=0.5) as pool:
            before = await pool.invoke({"action": "echo"})
            begin = time.monotonic()
            with pytest.raises(FunctionTimeout) as raised:
                await pool.invoke({"action": "sleep", "seconds": 30})
            waited = time.monotonic() - begin
            gone = not process_exists(before["pid"])
            after = await pool.invoke({"action": "echo"})
        assert "Task timed out after 0.50 seconds" in raised.value.payload["errorMessage"]
        assert waited < 5
        assert gone
        assert after["pid"] != before["pid"]

    run(scenario())


def test_close_leaves_no_worker_or_child_process(code_dir: Path) -> None:
    async def scenario() -> None:
        # GIVEN two workers, one of which started a child process of its own
        pool = make_pool(code_dir, [])
        await pool.start()
        spawned = await pool.invoke({"action": "spawn"})
        await asyncio.gather(*(pool.invoke({"action": "sleep", "seconds": 0.3}) for _ in range(2)))
        pids = pool.worker_pids
        # WHEN the pool closes
        await pool.close()
        # THEN neither the workers nor the handler's child are left running
        assert len(pids) == 2
        assert [pid for pid in [*pids, spawned["child"]] if process_exists(pid)] == []
        with pytest.raises(PoolClosed):
            await pool.invoke({"action": "echo"})

    run(scenario())


def test_start_fails_loudly_when_the_handler_cannot_be_imported(code_dir: Path) -> None:
    async def scenario() -> None:
        pool = make_pool(code_dir, [], handler="app.missing.handler")
        with pytest.raises(InitError) as raised:
            await pool.start()
        assert raised.value.payload["errorType"] == "Runtime.ImportModuleError"
        assert "app.missing" in raised.value.payload["errorMessage"]
        assert pool.worker_pids == []
        await pool.close()

    run(scenario())
