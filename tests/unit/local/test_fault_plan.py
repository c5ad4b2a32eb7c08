"""The fault plan of the local AppSync: parsing, the seeded draw, per-request overrides."""

import pytest

from local.appsync.faults import FAULT_HEADER, FaultInjector, FaultPlan, FaultPlanError

BODY = b'{"query": "query GetTodo { getTodo(id: \\"x\\") { id } }", "operationName": "GetTodo"}'


def test_a_plan_reads_shares_operations_delay_and_seed() -> None:
    plan = FaultPlan.parse("5xx=0.2, hang=0.01,only=GetTodo+ListTodos,delay=1.5", seed=7)
    assert plan.shares == {"5xx": 0.2, "hang": 0.01}
    assert plan.operations == frozenset({"GetTodo", "ListTodos"})
    assert (plan.delay_seconds, plan.seed) == (1.5, 7)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("5xy=0.2", "known: 5xx"),
        ("5xx=0.7,429=0.5", "more than 1"),
        ("5xx=1.5", "from 0 to 1"),
        ("5xx=lots", "expected a number"),
        ("5xx", "expected kind=share"),
    ],
)
def test_a_bad_plan_is_refused_with_a_reason(text: str, message: str) -> None:
    with pytest.raises(FaultPlanError, match=message):
        FaultPlan.parse(text)


def test_the_same_seed_draws_the_same_faults() -> None:
    def draws() -> list[str | None]:
        injector = FaultInjector(FaultPlan({"5xx": 0.3, "drop": 0.1}, seed=42))
        return [injector.decide({}, BODY) for _ in range(200)]

    first = draws()
    assert first == draws()
    assert 40 <= sum(f == "5xx" for f in first) <= 80  # about 30% of 200


def test_a_plan_limited_to_other_operations_leaves_this_one_alone() -> None:
    injector = FaultInjector(FaultPlan({"5xx": 1.0}, frozenset({"CreateTodo"})))
    assert injector.decide({}, BODY) is None


def test_the_header_forces_one_fault_and_every_request_is_recorded() -> None:
    injector = FaultInjector()
    assert injector.decide({FAULT_HEADER: "hang", "x-amz-date": "20250101T000000Z"}, BODY) == "hang"
    assert injector.decide({}, BODY) is None
    seen = injector.seen()
    assert [(s.operation, s.fault, s.amz_date) for s in seen] == [
        ("GetTodo", "hang", "20250101T000000Z"),
        ("GetTodo", None, None),
    ]


def test_an_unknown_kind_in_the_header_is_refused() -> None:
    with pytest.raises(FaultPlanError):
        FaultInjector().decide({FAULT_HEADER: "meteor"}, BODY)
