"""What the notebook example's extensions cost locally, side by side in one run.

The notebook example (examples/notebook, synthesized and cached as its end-to-end tests do)
runs in this process (BackgroundStack). Figures, each over sequential requests:
- request-level auth: the same `getNotebook` with the API key, with a Lambda-authorizer token
  AppSync may reuse (cached), and with a new token each time (the authorizer function runs);
- stream delivery: `addNote` answered -> the Notes stream's consumer has added the note's words
  to the notebook (polled every 10 ms through the API);
- aliased fields: one query of N aliased `getNotebook` fields (N = 100, 300), and of 300
  aliased `__typename`, which runs no resolver.
"""

from __future__ import annotations

import argparse
import secrets
import time
from collections.abc import Callable
from typing import Any

from benchmarks.timing import p50_p99, timed
from tests.e2e_notebook.notebook_support import NotebookStack, sign_up

GET = "query ($id: ID!) { getNotebook(id: $id) { id title noteCount words } }"
WORDS = "query ($id: ID!) { getNotebook(id: $id) { words } }"
ADD_NOTE = "mutation ($n: ID!, $t: String!) { addNote(notebookId: $n, text: $t) { id } }"
STREAM_NOTES = 40
POLL_S = 0.01


def run(args: argparse.Namespace) -> int:
    stack = NotebookStack()
    try:
        writer = sign_up(stack, f"bench-{secrets.token_hex(4)}@example.com")
        created = _data(writer.graphql('mutation { createNotebook(title: "bench") { id } }'))
        notebook_id = created["createNotebook"]["id"]
        requests_per_case = max(args.runs * 10, 100)
        _auth(stack, notebook_id, requests_per_case)
        _stream(stack, writer, notebook_id)
        _aliases(stack, notebook_id)
    finally:
        stack.close()
    return 0


def _auth(stack: NotebookStack, notebook_id: str, count: int) -> None:
    variables = {"id": notebook_id}
    fresh = iter(f"reader-b{n}x{secrets.token_hex(3)}" for n in range(count + 1))
    cases: dict[str, Callable[[], Any]] = {
        "API key": lambda: _ok(stack.with_key(GET, variables)),
        "Lambda token, cached": lambda: _ok(stack.with_token("reader-bench", GET, variables)),
        "Lambda token, new each time": lambda: _ok(stack.with_token(next(fresh), GET, variables)),
    }
    for name, call in cases.items():
        samples = timed(call, count)
        print(f"getNotebook, {name}: {p50_p99(samples)} ({count} sequential requests)")


def _stream(stack: NotebookStack, writer: Any, notebook_id: str) -> None:
    samples = []
    words = _words(stack, notebook_id)
    for n in range(STREAM_NOTES):
        _data(writer.graphql(ADD_NOTE, {"n": notebook_id, "t": f"note {n} of the benchmark"}))
        answered = time.perf_counter()
        words += 5
        while _words(stack, notebook_id) != words:
            if time.perf_counter() - answered > 10:
                raise RuntimeError("the stream consumer did not count a note within 10 s")
            time.sleep(POLL_S)
        samples.append((time.perf_counter() - answered) * 1000)
    print(
        f"stream delivery, addNote answered -> words counted: {p50_p99(samples)} "
        f"({STREAM_NOTES} notes; the runner polls the stream every 250 ms)"
    )


def _aliases(stack: NotebookStack, notebook_id: str) -> None:
    for count in (100, 300):
        _aliased(stack, notebook_id, count, "getNotebook(id: $id) { id }")
    _aliased(stack, notebook_id, 300, "__typename")


def _aliased(stack: NotebookStack, notebook_id: str, count: int, field: str) -> None:
    selection = " ".join(f"f{n}: {field}" for n in range(count))
    uses_id = "$id" in field
    query = f"query{'($id: ID!)' if uses_id else ''} {{ {selection} }}"
    variables = {"id": notebook_id} if uses_id else {}
    samples = timed(lambda: _data(stack.with_key(query, variables)), 5)
    name = field.split("(")[0]
    print(f"{count} aliased {name} in one query: {p50_p99(samples)} (5 requests)")


def _words(stack: NotebookStack, notebook_id: str) -> int:
    return int(_data(stack.with_key(WORDS, {"id": notebook_id}))["getNotebook"]["words"] or 0)


def _data(response: Any) -> dict[str, Any]:
    body = response.json()
    if response.status_code != 200 or "errors" in body:
        raise RuntimeError(f"HTTP {response.status_code}: {str(body)[:300]}")
    return dict(body["data"])


def _ok(response: Any) -> None:
    if response.status_code != 200:
        raise RuntimeError(f"HTTP {response.status_code}: {response.text[:200]}")
