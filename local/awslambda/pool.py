"""Warm Lambda execution environments: one Python process per concurrent invocation.

Like Lambda, each worker imports the handler once (init), then runs one invocation at a time;
an invocation that finds no idle worker starts a new one, up to `size`, and otherwise waits.
A worker that crashes or times out is discarded (a timed-out one is killed first); the next
invocation that needs a worker starts a fresh one, as Lambda starts a new environment.

Events and results travel on a dedicated socket (see `local.awslambda.worker`), so the handler's
own stdout and stderr stay free for its logs; they are forwarded line by line, prefixed with
the function name, as they would reach CloudWatch Logs.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import importlib.util
import json
import logging
import os
import shutil
import signal
import socket
import struct
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

WORKER_SCRIPT = Path(__file__).with_name("worker.py")
# What Lambda's Python runtime puts after the function's code on sys.path: the AWS SDK.
# The asset leaves these out (stacks/bundling.py, RUNTIME_PROVIDED), so a worker gets the
# runner's own copies, after the asset directory, as in Lambda.
# Lambda's Python image has boto3 with all its dependencies (botocore, s3transfer, jmespath,
# python-dateutil, six, urllib3), so a function whose asset brings none of them can still
# import boto3; a copy the asset does bring comes first on sys.path and wins, as in Lambda.
RUNTIME_SDK = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "six", "urllib3")
RUNTIME_SDK_DIR = Path(tempfile.gettempdir()) / "local-lambda-runtime-sdk"
DEFAULT_ACCOUNT = "123456789012"
DEFAULT_REGION = "us-east-1"
STOP_GRACE_S = 2.0
PYCACHE_DIR = Path(tempfile.gettempdir()) / "local-lambda-pycache"
_LENGTH = struct.Struct(">I")
_STREAM_LIMIT = 1 << 24  # longest log line forwarded whole

logger = logging.getLogger(__name__)

LogSink = Callable[[str], None]


class InvocationError(Exception):
    """The invocation failed as Lambda reports a function error; `payload` is Lambda's body."""

    def __init__(self, payload: Mapping[str, Any]) -> None:
        super().__init__(f"{payload.get('errorType')}: {payload.get('errorMessage')}")
        self.payload = dict(payload)


class FunctionTimeout(InvocationError):
    """The handler ran past the function timeout; its worker was killed."""


class WorkerCrashed(InvocationError):
    """The worker process exited during the invocation (e.g. the handler called os._exit)."""


class InitError(InvocationError):
    """The handler could not be imported (Lambda's Runtime.ImportModuleError and friends)."""


class PoolClosed(RuntimeError):
    """`invoke` was called on a pool that is closed."""


def _print_line(line: str) -> None:
    # stderr, like the runner's own logs: stdout carries only the runner's ready line.
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


@dataclass(eq=False)  # identity semantics: workers live in sets
class _Worker:
    process: asyncio.subprocess.Process
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    log_tasks: list[asyncio.Task[None]] = field(default_factory=list)

    @property
    def pid(self) -> int:
        return self.process.pid

    async def send(self, message: Mapping[str, Any]) -> None:
        body = json.dumps(message).encode("utf-8")
        self.writer.write(_LENGTH.pack(len(body)) + body)
        await self.writer.drain()

    async def receive(self) -> dict[str, Any]:
        header = await self.reader.readexactly(_LENGTH.size)
        (length,) = _LENGTH.unpack(header)
        message: dict[str, Any] = json.loads(await self.reader.readexactly(length))
        return message

    async def stop(self) -> None:
        """Close the channel, then end the worker's process group (SIGTERM, then SIGKILL)."""
        self.writer.close()
        if self.process.returncode is None:
            _signal_group(self.pid, signal.SIGTERM)
            try:
                await asyncio.wait_for(self.process.wait(), STOP_GRACE_S)
            except TimeoutError:
                _signal_group(self.pid, signal.SIGKILL)
                await self.process.wait()
        _signal_group(self.pid, signal.SIGKILL)  # anything the handler left in its group
        for task in self.log_tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(task, STOP_GRACE_S)

    async def kill(self) -> None:
        _signal_group(self.pid, signal.SIGKILL)
        await self.stop()


def _signal_group(pid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signum)


class LambdaPool:
    """Warm worker processes for one function; `invoke` behaves like a synchronous Invoke."""

    def __init__(
        self,
        handler: str,
        code_dir: Path,
        environment: Mapping[str, str],
        size: int = 4,
        timeout_s: float = 3.0,
        *,
        function_name: str | None = None,
        function_arn: str | None = None,
        python: str = sys.executable,
        log: LogSink = _print_line,
    ) -> None:
        if size < 1:
            raise ValueError("size must be at least 1")
        self.handler = handler
        self.code_dir = Path(code_dir).resolve()
        self.size = size
        self.timeout_s = timeout_s
        self.function_name = function_name or environment.get(
            "AWS_LAMBDA_FUNCTION_NAME", "function"
        )
        region = environment.get("AWS_REGION", DEFAULT_REGION)
        self.function_arn = function_arn or (
            f"arn:aws:lambda:{region}:{DEFAULT_ACCOUNT}:function:{self.function_name}"
        )
        self.memory = environment.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        self.environment = self._worker_environment(environment)
        self._python = python
        self._log = log
        self._idle: list[_Worker] = []
        self._live: set[_Worker] = set()
        self._starting = 0
        self._changed = asyncio.Condition()
        self._closed = False

    def _worker_environment(self, environment: Mapping[str, str]) -> dict[str, str]:
        """The template's environment over the variables Lambda's runtime always sets."""
        defaults = {
            "PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
            "LANG": "C.UTF-8",
            "TZ": ":UTC",
            "LAMBDA_TASK_ROOT": str(self.code_dir),
            "_HANDLER": self.handler,
            "AWS_LAMBDA_FUNCTION_NAME": self.function_name,
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": self.memory,
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{self.function_name}",
            "AWS_EXECUTION_ENV": f"AWS_Lambda_python{sys.version_info[0]}.{sys.version_info[1]}",
        }
        return {**defaults, **environment}

    @property
    def worker_pids(self) -> list[int]:
        """Process ids of the live workers (for diagnostics and tests)."""
        return [worker.pid for worker in self._live]

    async def start(self) -> None:
        """Start one warm worker; raises `InitError` if the handler cannot be imported."""
        worker = await self._acquire()
        await self._release(worker, healthy=True)

    async def invoke(self, event: Any) -> Any:
        """Run the handler on `event` and return its result, or raise `InvocationError`."""
        worker = await self._acquire()
        request_id = str(uuid.uuid4())
        self._log(f"[{self.function_name}] START RequestId: {request_id} Version: $LATEST")
        started = time.monotonic()
        healthy = False
        try:
            reply = await self._exchange(worker, request_id, event)
            healthy = True
        finally:
            if not healthy:
                await worker.kill()
            await self._release(worker, healthy)
            duration_ms = (time.monotonic() - started) * 1000
            self._log(f"[{self.function_name}] END RequestId: {request_id}")
            self._log(
                f"[{self.function_name}] REPORT RequestId: {request_id}\t"
                f"Duration: {duration_ms:.2f} ms\tMemory Size: {self.memory} MB"
            )
        if "error" in reply:
            raise InvocationError(reply["error"])
        return reply["result"]

    async def _exchange(self, worker: _Worker, request_id: str, event: Any) -> dict[str, Any]:
        deadline_ms = time.time() * 1000 + self.timeout_s * 1000
        trace_id = f"Root=1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]};Sampled=0"
        request = {
            "request_id": request_id,
            "event": event,
            "deadline_ms": deadline_ms,
            "trace_id": trace_id,
        }
        try:
            await worker.send(request)
            return await asyncio.wait_for(worker.receive(), self.timeout_s)
        except TimeoutError:
            raise FunctionTimeout(self._timeout_payload(request_id)) from None
        except (ConnectionError, asyncio.IncompleteReadError) as error:
            code = await _exit_code(worker)
            raise WorkerCrashed(
                {
                    "errorMessage": f"RequestId: {request_id} Error: Runtime exited"
                    f" with error: exit status {code}",
                    "errorType": "Runtime.ExitError",
                }
            ) from error

    def _timeout_payload(self, request_id: str) -> dict[str, str]:
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        return {
            "errorMessage": f"{now} {request_id} Task timed out after {self.timeout_s:.2f} seconds",
            "errorType": "Sandbox.Timedout",
        }

    async def _acquire(self) -> _Worker:
        async with self._changed:
            while True:
                if self._closed:
                    raise PoolClosed(f"the pool of {self.function_name} is closed")
                while self._idle:
                    worker = self._idle.pop()
                    if worker.process.returncode is None:
                        return worker
                    # It died while idle (killed, out of memory): replace it, as Lambda starts
                    # a new execution environment, rather than hand it a request.
                    self._live.discard(worker)
                    logger.warning("a worker of %s died while idle", self.function_name)
                if len(self._live) + self._starting < self.size:
                    self._starting += 1
                    break
                await self._changed.wait()
        try:
            worker = await self._spawn()
        finally:
            async with self._changed:
                self._starting -= 1
                self._changed.notify_all()
        async with self._changed:
            closed = self._closed
            if not closed:
                self._live.add(worker)
        if closed:
            await worker.stop()
            raise PoolClosed(f"the pool of {self.function_name} is closed")
        return worker

    async def _release(self, worker: _Worker, healthy: bool) -> None:
        async with self._changed:
            if healthy and not self._closed:
                self._idle.append(worker)
            else:
                self._live.discard(worker)
            self._changed.notify_all()

    async def _spawn(self) -> _Worker:
        parent_end, child_end = socket.socketpair()
        try:
            process = await asyncio.create_subprocess_exec(
                self._python,
                "-I",  # no PYTHONPATH, no user site, no script directory on sys.path
                "-S",  # no site-packages: the asset directory is the function's only library
                "-u",
                "-X",
                f"pycache_prefix={PYCACHE_DIR}",  # keep the asset directory untouched
                str(WORKER_SCRIPT),
                f"--fd={child_end.fileno()}",
                f"--handler={self.handler}",
                f"--code-dir={self.code_dir}",
                f"--function-name={self.function_name}",
                f"--function-arn={self.function_arn}",
                f"--memory={self.memory}",
                f"--runtime-dir={runtime_sdk_dir()}",
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                env=self.environment,
                pass_fds=(child_end.fileno(),),
                start_new_session=True,
                limit=_STREAM_LIMIT,
            )
        finally:
            child_end.close()
        reader, writer = await asyncio.open_connection(sock=parent_end, limit=_STREAM_LIMIT)
        worker = _Worker(process, reader, writer)
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                worker.log_tasks.append(asyncio.create_task(self._forward(stream)))
        await self._await_init(worker)
        return worker

    async def _await_init(self, worker: _Worker) -> None:
        try:
            hello = await asyncio.wait_for(worker.receive(), self.timeout_s + 10)
        except (TimeoutError, ConnectionError, asyncio.IncompleteReadError):
            await worker.kill()
            raise InitError(
                {
                    "errorMessage": "the worker did not finish init",
                    "errorType": "Runtime.Unknown",
                }
            ) from None
        if "init_error" in hello:
            await worker.stop()
            raise InitError(hello["init_error"])
        self._log(
            f"[{self.function_name}] INIT pid {worker.pid}: imported {self.handler}"
            f" in {hello.get('init_ms', 0):.0f} ms"
        )

    async def _forward(self, stream: asyncio.StreamReader) -> None:
        while line := await stream.readline():
            self._log(f"[{self.function_name}] {line.decode('utf-8', 'replace').rstrip()}")

    async def close(self) -> None:
        """Stop every worker; pending invocations fail with `PoolClosed`."""
        async with self._changed:
            self._closed = True
            workers = list(self._live)
            self._live.clear()
            self._idle.clear()
            self._changed.notify_all()
        await asyncio.gather(*(worker.stop() for worker in workers))

    async def __aenter__(self) -> LambdaPool:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()


def runtime_sdk_dir() -> Path:
    """A directory holding links to the runner's copies of what RUNTIME_SDK names."""
    links = {}
    for name in RUNTIME_SDK:
        spec = importlib.util.find_spec(name)
        if spec is None or not (spec.submodule_search_locations or spec.origin):
            raise RuntimeError(f"the runner has no {name}: the Lambda runtime would provide it")
        if spec.submodule_search_locations:  # a package: link its directory
            links[name] = Path(next(iter(spec.submodule_search_locations)))
        else:  # a single-file module such as six.py
            links[f"{name}.py"] = Path(str(spec.origin))
    key = hashlib.sha256(repr(sorted(links.items())).encode()).hexdigest()[:16]
    target = RUNTIME_SDK_DIR / key
    if not target.is_dir():
        staging = Path(tempfile.mkdtemp(prefix="building-", dir=_made(RUNTIME_SDK_DIR)))
        for name, source in links.items():
            (staging / name).symlink_to(source, target_is_directory=source.is_dir())
        try:
            staging.rename(target)
        except OSError:  # another runner made it first
            shutil.rmtree(staging, ignore_errors=True)
    return target


def _made(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    return directory


async def _exit_code(worker: _Worker) -> int | None:
    try:
        return await asyncio.wait_for(worker.process.wait(), 1.0)
    except TimeoutError:
        return None
