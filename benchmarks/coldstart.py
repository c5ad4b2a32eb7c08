"""Cold start of the Lambda's Python process, measured as whole-process wall time.

Each case is `python -c CODE` with lambda_src/ as the working directory (so `sys.path[0]` is
the asset root, as in Lambda), timed from spawn to exit; the figure is the median of --runs.
Cases:
- baseline: `python -c pass`, the interpreter alone;
- naive: requests + requests-aws4auth + Powertools Logger/Metrics + the REST resolver,
  imported and instantiated the obvious way;
- naive + Tracer(): the same with a default Powertools Tracer, which always imports the
  X-Ray SDK (and, through it, botocore), even when tracing is disabled;
- handler: `import todo_api.handler` with tracing off (locally, or POWERTOOLS_TRACE_DISABLED);
- handler, tracing on: the same where Lambda's active tracing would load the X-Ray SDK;
- handler + first request: import, then one GET /items through the real AppSync client
  (signed with SigV4) to a stub on 127.0.0.1: what the first caller actually waits for.

Bytecode: Lambda's runtime and a pip-installed asset ship compiled .pyc files, but this
machine sets PYTHONDONTWRITEBYTECODE and its interpreter has no plain .pyc for the stdlib, so
every process would recompile everything. The cases therefore run with bytecode writing on
and PYTHONPYCACHEPREFIX pointing at a temporary directory (nothing is written into the tree),
after untimed warm-up runs.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
LAMBDA_SRC = REPO / "lambda_src"
LIST_EVENT = REPO / "tests" / "events" / "list_items.json"
WARMUP_RUNS = 2

FUNCTION_ENV = {
    "GRAPHQL_URL": "https://example1234567890.appsync-api.eu-west-1.amazonaws.com/graphql",
    "AWS_REGION": "eu-west-1",
    "POWERTOOLS_SERVICE_NAME": "todo-api",
    "POWERTOOLS_METRICS_NAMESPACE": "TodoApp",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "IDEMPOTENCY_TABLE_NAME": "TodoApp-bench-IdempotencyTable",
    "CORS_ALLOW_ORIGIN": "*",
    "AWS_ACCESS_KEY_ID": "ASIABENCHMARKKEY0001",
    "AWS_SECRET_ACCESS_KEY": "benchmark-secret-key",
    "AWS_SESSION_TOKEN": "benchmark-session-token",
}

NAIVE = """
import requests
from requests_aws4auth import AWS4Auth
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, CORSConfig
logger = Logger()
metrics = Metrics()
app = APIGatewayRestResolver(cors=CORSConfig())
session = requests.Session()
auth = AWS4Auth("AKID", "secret", "eu-west-1", "appsync", session_token="token")
"""

FIRST_REQUEST = f"""
import json
import todo_api.handler as handler
class Context:
    function_name = "bench"
    memory_limit_in_mb = 256
    invoked_function_arn = "arn:aws:lambda:eu-west-1:123456789012:function:bench"
    aws_request_id = "bench"
    def get_remaining_time_in_millis(self):
        return 10_000
event = json.load(open({str(LIST_EVENT)!r}))
response = handler.lambda_handler(event, Context())
assert response["statusCode"] == 200, response
"""


@dataclass(frozen=True)
class Case:
    name: str
    code: str
    env: dict[str, str] = field(default_factory=dict)
    needs_stub: bool = False


CASES = [
    Case("baseline: python -c pass", "pass"),
    Case("naive: requests + aws4auth + Powertools REST", NAIVE),
    Case("naive + Tracer()", NAIVE + "from aws_lambda_powertools import Tracer\nTracer()\n"),
    Case("import todo_api.handler (tracing off)", "import todo_api.handler"),
    Case(
        "import todo_api.handler (tracing on, Lambda)",
        "import todo_api.handler",
        env={"POWERTOOLS_TRACE_DISABLED": "false", "LAMBDA_TASK_ROOT": str(LAMBDA_SRC)},
    ),
    Case("todo_api.handler + first request", FIRST_REQUEST, needs_stub=True),
]


@dataclass(frozen=True)
class Result:
    name: str
    wall_ms: list[float]
    cpu_ms: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.wall_ms)


def run(args: argparse.Namespace) -> int:
    runs = max(1, int(getattr(args, "runs", 15)))
    with tempfile.TemporaryDirectory(prefix="coldstart-pyc-") as pycache, _stub() as stub_url:
        base_env = _process_env(pycache)
        results = [_measure(case, base_env, stub_url, runs) for case in CASES]
    _print(results, runs)
    return 0


def _process_env(pycache: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "POWERTOOLS_"))}
    env.pop("LAMBDA_TASK_ROOT", None)
    env.update(FUNCTION_ENV)
    env["PYTHONPYCACHEPREFIX"] = pycache
    return env


def _measure(case: Case, base_env: dict[str, str], stub_url: str, runs: int) -> Result:
    env = {**base_env, **case.env}
    if case.needs_stub:
        env["GRAPHQL_URL"] = stub_url
    command = [sys.executable, "-c", case.code]
    for _ in range(WARMUP_RUNS):
        _spawn(command, env)
    walls: list[float] = []
    cpus: list[float] = []
    for _ in range(runs):
        wall, cpu = _spawn(command, env)
        walls.append(wall)
        cpus.append(cpu)
    return Result(case.name, walls, cpus)


def _spawn(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    completed = subprocess.run(
        command, cwd=LAMBDA_SRC, env=env, capture_output=True, text=True, check=False
    )
    wall = (time.perf_counter() - start) * 1000
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if completed.returncode != 0:
        raise RuntimeError(f"{command[-1][:60]!r} failed:\n{completed.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) * 1000
    return wall, cpu


def _print(results: list[Result], runs: int) -> None:
    baseline = results[0].median
    print(f"Python {sys.version.split()[0]}, {runs} timed runs per case, median wall time")
    print(f"{'case':48} {'median':>8} {'min':>8} {'cpu':>8} {'- base':>8}")
    for result in results:
        print(
            f"{result.name:48} {result.median:7.1f}ms {min(result.wall_ms):7.1f}ms "
            f"{statistics.median(result.cpu_ms):7.1f}ms {result.median - baseline:7.1f}ms"
        )


@contextmanager
def _stub() -> Iterator[str]:
    """A stand-in AppSync on 127.0.0.1 that answers every query with an empty list."""
    answer = json.dumps({"data": {"listTodos": {"items": [], "nextToken": None}}}).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args: object) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/graphql"
    finally:
        server.shutdown()
        server.server_close()
