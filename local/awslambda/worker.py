"""One warm Lambda execution environment: import the handler once, then serve invocations.

Started by `local.awslambda.pool` as `python -I -S -u worker.py --fd N ...`, so it sees the
standard library, the function's asset directory (what `/var/task` gives in Lambda) and, after
it, the AWS SDK the Lambda runtime provides (`--runtime-dir`). It must therefore import
nothing outside the standard library.

Protocol (on the socket passed as `--fd`, never on stdout, which belongs to the handler's logs):
every message is a 4-byte big-endian length followed by that many bytes of UTF-8 JSON.
- worker -> runner, once: `{"ready": true, "init_ms": float}` or `{"init_error": ERROR}`
- runner -> worker: `{"request_id", "event", "deadline_ms", "trace_id"}`
- worker -> runner: `{"result": ...}` or `{"error": ERROR}`
ERROR is Lambda's error payload: `{"errorMessage", "errorType", "stackTrace"}`.
The worker exits when the runner closes the socket.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import socket
import struct
import sys
import time
import traceback
from collections.abc import Callable
from typing import Any

_LENGTH = struct.Struct(">I")


class LambdaContext:
    """The `context` argument Lambda's Python runtime passes to the handler."""

    def __init__(self, request_id: str, deadline_ms: float, function: dict[str, str]) -> None:
        self.aws_request_id = request_id
        self.function_name = function["name"]
        self.function_version = function["version"]
        self.invoked_function_arn = function["arn"]
        self.memory_limit_in_mb = function["memory"]  # a string, as in Lambda's runtime
        self.log_group_name = function["log_group"]
        self.log_stream_name = function["log_stream"]
        self.identity = None
        self.client_context = None
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int(self._deadline_ms - time.time() * 1000))


def error_payload(error: BaseException, error_type: str | None = None) -> dict[str, Any]:
    return {
        "errorMessage": str(error),
        "errorType": error_type or type(error).__name__,
        "stackTrace": traceback.format_tb(error.__traceback__),
    }


def read_message(channel: socket.socket) -> dict[str, Any] | None:
    header = _read_exactly(channel, _LENGTH.size)
    if header is None:
        return None
    (length,) = _LENGTH.unpack(header)
    body = _read_exactly(channel, length)
    if body is None:
        return None
    message: dict[str, Any] = json.loads(body)
    return message


def _read_exactly(channel: socket.socket, size: int) -> bytes | None:
    chunks: list[bytes] = []
    remaining = size
    while remaining:
        chunk = channel.recv(min(remaining, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def write_message(channel: socket.socket, message: dict[str, Any]) -> None:
    body = json.dumps(message).encode("utf-8")
    channel.sendall(_LENGTH.pack(len(body)) + body)


def load_handler(
    handler: str, code_dir: str, runtime_dir: str | None = None
) -> Callable[[Any, LambdaContext], Any]:
    """Import `module.function` from the asset directory, as Lambda does at init."""
    module_name, _, function_name = handler.rpartition(".")
    if not module_name:
        raise ValueError(f"Bad handler '{handler}': expected module.function")
    if runtime_dir:  # the runtime's SDK comes after the function's own code, as in Lambda
        sys.path.insert(0, runtime_dir)
    sys.path.insert(0, code_dir)
    os.chdir(code_dir)
    module = importlib.import_module(module_name)
    function = getattr(module, function_name, None)
    if not callable(function):
        raise AttributeError(f"Handler '{function_name}' missing on module '{module_name}'")
    return function  # type: ignore[no-any-return]


def invoke(
    handler: Callable[[Any, LambdaContext], Any],
    request: dict[str, Any],
    function: dict[str, str],
) -> dict[str, Any]:
    os.environ["_X_AMZN_TRACE_ID"] = request.get("trace_id", "")
    context = LambdaContext(request["request_id"], request["deadline_ms"], function)
    try:
        result = handler(request["event"], context)
    except Exception as error:
        traceback.print_exc()
        return {"error": error_payload(error)}
    try:
        json.dumps(result)
    except (TypeError, ValueError) as error:
        return {"error": error_payload(error, "Runtime.MarshalError")}
    return {"result": result}


def serve(channel: socket.socket, args: argparse.Namespace) -> int:
    function = {
        "name": args.function_name,
        "version": "$LATEST",
        "arn": args.function_arn,
        "memory": args.memory,
        "log_group": f"/aws/lambda/{args.function_name}",
        "log_stream": f"local/[$LATEST]{os.getpid()}",
    }
    started = time.perf_counter()
    try:
        handler = load_handler(args.handler, args.code_dir, args.runtime_dir)
    except Exception as error:
        traceback.print_exc()
        kind = "Runtime.ImportModuleError" if isinstance(error, ImportError) else None
        write_message(channel, {"init_error": error_payload(error, kind)})
        return 1
    init_ms = (time.perf_counter() - started) * 1000
    write_message(channel, {"ready": True, "init_ms": init_ms})
    while (request := read_message(channel)) is not None:
        reply = invoke(handler, request, function)
        sys.stdout.flush()
        sys.stderr.flush()
        write_message(channel, reply)
    return 0


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--fd", type=int, required=True, help="protocol socket file descriptor")
    parser.add_argument("--handler", required=True, help="module.function")
    parser.add_argument("--code-dir", required=True, help="the function's asset directory")
    parser.add_argument("--function-name", required=True)
    parser.add_argument("--function-arn", required=True)
    parser.add_argument("--memory", required=True, help="memory size in MB")
    parser.add_argument("--runtime-dir", help="the AWS SDK the runtime provides (boto3...)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    channel = socket.socket(fileno=args.fd)
    try:
        return serve(channel, args)
    finally:
        channel.close()


if __name__ == "__main__":
    sys.exit(main())
