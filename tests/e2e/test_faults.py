"""Retries proven end to end: faults injected at the local AppSync, observed through REST.

The fault injector (local/appsync/faults.py) records every request that reaches AppSync,
so these tests count the function's attempts and read the X-Amz-Date each one was signed
with. The figures (success rate, attempts, time to 503/504) are printed with `-s`.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from e2e_support import CDK_OUT, STACK_NAME, RunningStack, User, after_index_delay

from local.appsync.faults import FAULT_HEADER, FaultInjector, FaultPlan, Seen

READS = 300
CREATES = 60
SEED = 20251129  # the draw is seeded: a failing run can be replayed exactly
FUNCTION_ATTEMPTS = 3  # lambda_src/todo_api/config.py: Config.max_attempts


@pytest.fixture
def faults(stack: RunningStack) -> Iterator[FaultInjector]:
    injector = stack.stack.faults
    injector.configure(FaultPlan())
    injector.clear()
    yield injector
    injector.configure(FaultPlan())
    injector.clear()


def _function_timeout() -> float:
    """The function's timeout in the template the stack runs."""
    template = json.loads((CDK_OUT / f"{STACK_NAME}.template.json").read_text())
    (function,) = [
        r for r in template["Resources"].values() if r["Type"] == "AWS::Lambda::Function"
    ]
    return float(function["Properties"]["Timeout"])


def _attempts(injector: FaultInjector, call: Any) -> tuple[Any, list[Seen]]:
    before = len(injector.seen())
    result = call()
    return result, injector.seen()[before:]


# --- the fault kinds, one request each (the header only the local AppSync reads) ------------

GET = "query Get($id: ID!) { getTodo(id: $id) { id } }"


@pytest.mark.parametrize(
    ("kind", "status", "error_type"),
    [
        ("5xx", None, "InternalFailureException"),
        ("503", 503, "ServiceUnavailableException"),
        ("429", 429, "TooManyRequestsException"),
        ("throttle", 200, "DynamoDB:ProvisionedThroughputExceededException"),
    ],
)
def test_a_forced_fault_answers_in_appsync_error_shape(
    faults: FaultInjector, alice: User, kind: str, status: int | None, error_type: str
) -> None:
    response = requests.post(
        alice.stack.outputs["GraphQLUrl"],
        json={"query": GET, "variables": {"id": "x"}},
        headers={"Authorization": alice.id_token, FAULT_HEADER: kind},
        timeout=5,
    )
    assert response.status_code == status if status else response.status_code >= 500
    assert response.json()["errors"][0]["errorType"] == error_type
    assert [seen.fault for seen in faults.seen()] == [kind]


def test_an_unknown_fault_header_is_a_clear_400(faults: FaultInjector, alice: User) -> None:
    response = requests.post(
        alice.stack.outputs["GraphQLUrl"],
        json={"query": GET, "variables": {"id": "x"}},
        headers={"Authorization": alice.id_token, FAULT_HEADER: "meteor"},
        timeout=5,
    )
    assert response.status_code == 400
    assert "unknown fault 'meteor'" in response.json()["errors"][0]["message"]


def test_a_dropped_connection_gives_no_answer(faults: FaultInjector, alice: User) -> None:
    with pytest.raises(requests.ConnectionError):
        requests.post(
            alice.stack.outputs["GraphQLUrl"],
            json={"query": GET, "variables": {"id": "x"}},
            headers={"Authorization": alice.id_token, FAULT_HEADER: "drop"},
            timeout=5,
        )


def test_a_hang_gives_no_answer_until_the_client_gives_up(
    faults: FaultInjector, alice: User
) -> None:
    with pytest.raises(requests.ReadTimeout):
        requests.post(
            alice.stack.outputs["GraphQLUrl"],
            json={"query": GET, "variables": {"id": "x"}},
            headers={"Authorization": alice.id_token, FAULT_HEADER: "hang"},
            timeout=(2, 0.5),
        )


# --- through REST ---------------------------------------------------------------------------


def test_reads_survive_a_fifth_of_requests_failing(faults: FaultInjector, alice: User) -> None:
    # GIVEN a todo, and AppSync answering 20% of getTodo requests with a 5xx
    todo = alice.create(f"read me {secrets.token_hex(4)}")
    faults.configure(FaultPlan({"5xx": 0.2}, frozenset({"GetTodo"}), SEED))
    # WHEN Alice reads it many times through REST
    outcomes: list[int] = []
    attempts: list[int] = []
    for _ in range(READS):
        response, seen = _attempts(
            faults, lambda: alice.rest.get(alice.url(f"/items/{todo['id']}"), timeout=15)
        )
        outcomes.append(response.status_code)
        attempts.append(len(seen))
        assert response.status_code != 200 or response.json()["id"] == todo["id"]
    # THEN at least 99% succeed, no read took more than the function's attempts
    success = outcomes.count(200) / READS
    injected = sum(1 for s in faults.seen() if s.fault)
    print(
        f"\n20% 5xx on reads: {success:.1%} of {READS} succeeded; "
        f"{sum(attempts)} AppSync attempts ({injected} faulted), "
        f"max {max(attempts)} per read; failures answered {sorted(set(outcomes) - {200})}"
    )
    assert success >= 0.99
    assert max(attempts) <= FUNCTION_ATTEMPTS
    assert injected > 0.1 * sum(attempts)  # the faults really were injected


def test_every_retry_is_signed_again_with_a_new_date(faults: FaultInjector, alice: User) -> None:
    # GIVEN an outage whose answers take over a second, so each retry starts in a new second
    todo = alice.create(f"sign me {secrets.token_hex(4)}")
    faults.configure(FaultPlan({"503": 1.0}, frozenset({"GetTodo"}), SEED, delay_seconds=1.1))
    # WHEN Alice reads the todo
    response, seen = _attempts(
        faults, lambda: alice.rest.get(alice.url(f"/items/{todo['id']}"), timeout=15)
    )
    # THEN the function tried three times, each attempt signed at its own time
    dates = [attempt.amz_date for attempt in seen]
    print(f"\nX-Amz-Date of the {len(seen)} attempts: {dates}")
    assert response.status_code == 503
    assert len(seen) == FUNCTION_ATTEMPTS
    assert None not in dates
    assert len(set(dates)) == len(dates)
    assert dates == sorted(dates)  # type: ignore[type-var]


def test_mutations_are_never_applied_twice(faults: FaultInjector, alice: User) -> None:
    # GIVEN AppSync failing 20% of createTodo calls, half of them after the todo was written
    faults.configure(
        FaultPlan({"5xx": 0.1, "5xx-after": 0.1, "throttle": 0.05}, frozenset({"CreateTodo"}), SEED)
    )
    prefix = f"once-{secrets.token_hex(4)}"
    # WHEN Alice creates todos, each with its own title
    answers = {}
    for number in range(CREATES):
        title = f"{prefix}-{number}"
        answers[title] = alice.rest.post(alice.url("/items"), json={"title": title}, timeout=15)
    faults.configure(FaultPlan())
    # THEN no title exists twice: a create that may have run is never repeated
    after_index_delay()
    titles = [t["title"] for t in alice.list_all() if t["title"].startswith(prefix)]
    assert len(titles) == len(set(titles))
    ran = [
        s for s in faults.seen() if s.operation == "CreateTodo" and s.fault in (None, "5xx-after")
    ]
    assert len(ran) == len(titles)
    # AND each 201 names the one todo with its title; a 5xx answer created at most one
    for title, answer in answers.items():
        if answer.status_code == 201:
            assert answer.json()["title"] == title
            assert title in titles
    statuses = sorted({a.status_code for a in answers.values()})
    print(f"\n{CREATES} creates under faults answered {statuses}; {len(titles)} todos exist")
    assert statuses[0] == 201 and statuses[-1] >= 500


def test_a_persistent_outage_answers_503_with_retry_after(
    faults: FaultInjector, alice: User
) -> None:
    todo = alice.create(f"outage {secrets.token_hex(4)}")
    for kind in ("503", "drop"):
        faults.configure(FaultPlan({kind: 1.0}, frozenset({"GetTodo"}), SEED))
        started = time.monotonic()
        response, seen = _attempts(
            faults, lambda: alice.rest.get(alice.url(f"/items/{todo['id']}"), timeout=15)
        )
        elapsed = time.monotonic() - started
        print(
            f"\npersistent {kind}: {response.status_code} after {elapsed:.2f}s, "
            f"{len(seen)} attempts"
        )
        assert response.status_code == 503
        assert response.json()["code"] == "upstream_unavailable"
        assert int(response.headers["Retry-After"]) >= 1
        assert len(seen) == FUNCTION_ATTEMPTS


def test_a_hang_answers_504_from_the_function_before_its_timeout(
    faults: FaultInjector, alice: User
) -> None:
    # GIVEN AppSync never answering getTodo
    todo = alice.create(f"hang {secrets.token_hex(4)}")
    faults.configure(FaultPlan({"hang": 1.0}, frozenset({"GetTodo"}), SEED))
    # WHEN Alice reads the todo
    started = time.monotonic()
    response, seen = _attempts(
        faults, lambda: alice.rest.get(alice.url(f"/items/{todo['id']}"), timeout=40)
    )
    elapsed = time.monotonic() - started
    print(
        f"\nhang: {response.status_code} after {elapsed:.2f}s, {len(seen)} attempt(s); "
        f"function timeout {_function_timeout():.0f}s"
    )
    # THEN the function itself answers 504 in the contract shape (a function killed by its
    # timeout would surface as the gateway's 502 instead), after one attempt: a read timeout
    # is not retried
    assert response.status_code == 504
    assert response.json()["code"] == "upstream_timeout"
    assert response.headers["Cache-Control"] == "no-store"  # set by the function only
    assert len(seen) == 1
