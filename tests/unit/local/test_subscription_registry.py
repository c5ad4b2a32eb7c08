"""Subscription semantics: which mutations fire a field, the argument filter, the projection."""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from graphql import FieldNode, FragmentDefinitionNode, OperationDefinitionNode, parse
from graphql.execution.values import get_argument_values, get_variable_values

from local.appsync.executor import AppSyncExecutor
from local.appsync.filters import Invalidation
from local.appsync.identity import COGNITO, IAM, Caller
from local.appsync.subscriptions import Subscription, SubscriptionRegistry, subscription_triggers

ROOT = Path(__file__).resolve().parents[3]
SCHEMA = (ROOT / "schema" / "schema.graphql").read_text()
PRELUDE = (ROOT / "local" / "appsync" / "prelude.graphql").read_text()
ALICE = Caller(COGNITO, {"sub": "alice"})
TODO = {
    "id": "t1",
    "owner": "alice",
    "title": "milk",
    "completed": False,
    "version": 2,
    "createdAt": "2026-01-01T00:00:00.000Z",
    "updatedAt": "2026-01-02T00:00:00.000Z",
}


@dataclass
class Inbox:
    messages: list[dict[str, Any]] = field(default_factory=list)

    def offer(self, message: dict[str, Any]) -> None:
        self.messages.append(message)


def executor(schema: str = SCHEMA) -> AppSyncExecutor:
    return AppSyncExecutor(
        schema,
        PRELUDE,
        default_mode=COGNITO,
        additional_modes=[IAM],
        resolvers={},
        run_resolver=lambda *args: (None, []),
        policy_check=lambda *args: True,
    )


def subscription(
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    inbox: Inbox | None = None,
    subscription_id: str = "s1",
    on: AppSyncExecutor | None = None,
) -> Subscription:
    """A subscription as `start` builds it: root field, its arguments, fragments, variables."""
    schema = (on or executor()).schema
    document = parse(query)
    operation = next(d for d in document.definitions if isinstance(d, OperationDefinitionNode))
    node = operation.selection_set.selections[0]
    assert isinstance(node, FieldNode)
    coerced = get_variable_values(schema, operation.variable_definitions or (), variables or {})
    assert not isinstance(coerced, list), coerced
    root = schema.subscription_type
    assert root is not None
    arguments = get_argument_values(root.fields[node.name.value], node, coerced)
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    return Subscription(
        subscriber=inbox or Inbox(),
        id=subscription_id,
        caller=ALICE,
        field_node=node,
        arguments=arguments,
        fragments=fragments,
        variables=coerced,
    )


ON_CREATE = "subscription ($o: String!) { onCreateTodo(owner: $o) { %s } }"


def test_each_subscription_field_fires_for_the_mutations_of_its_aws_subscribe():
    triggers = subscription_triggers(executor().schema)
    assert triggers == {
        "onCreateTodo": frozenset({"createTodo"}),
        "onUpdateTodo": frozenset({"updateTodo"}),
        "onDeleteTodo": frozenset({"deleteTodo"}),
    }


def test_argument_equal_to_the_result_field_matches():
    assert subscription(ON_CREATE % "id", {"o": "alice"}).matches(TODO)


def test_argument_different_from_the_result_field_does_not_match():
    assert not subscription(ON_CREATE % "id", {"o": "bob"}).matches(TODO)


def test_argument_whose_field_the_mutation_did_not_select_does_not_match():
    assert not subscription(ON_CREATE % "id", {"o": "alice"}).matches({"id": "t1"})


def test_argument_not_given_matches_anything():
    open_schema = SCHEMA.replace("onCreateTodo(owner: String!)", "onCreateTodo(owner: String)")
    query = "subscription { onCreateTodo { id } }"
    assert subscription(query, on=executor(open_schema)).matches({"id": "t1", "owner": "x"})


def test_projection_keeps_only_the_selected_fields_under_their_aliases():
    registry = SubscriptionRegistry(executor())
    sub = subscription('subscription { todo: onCreateTodo(owner: "alice") { id name: title } }')
    assert registry.project(sub, TODO) == {"data": {"todo": {"id": "t1", "name": "milk"}}}


def test_projection_expands_fragments_and_answers_typename():
    registry = SubscriptionRegistry(executor())
    query = (
        'subscription { onCreateTodo(owner: "alice") { __typename ...F ... on Todo { version } } }'
        " fragment F on Todo { title }"
    )
    data = registry.project(subscription(query), TODO)["data"]["onCreateTodo"]
    assert data == {"__typename": "Todo", "title": "milk", "version": 2}


def test_projection_honours_skip_and_include():
    registry = SubscriptionRegistry(executor())
    query = (
        "subscription ($o: String!, $no: Boolean!) "
        "{ onCreateTodo(owner: $o) { id title @skip(if: $no) version @include(if: $no) } }"
    )
    data = registry.project(subscription(query, {"o": "alice", "no": True}), TODO)
    assert data["data"]["onCreateTodo"] == {"id": "t1", "version": 2}


def test_fields_missing_from_the_mutation_result_are_null():
    registry = SubscriptionRegistry(executor())
    sub = subscription(ON_CREATE % "id title version", {"o": "alice"})
    data = registry.project(sub, {"id": "t1", "owner": "alice"})["data"]["onCreateTodo"]
    assert data == {"id": "t1", "title": None, "version": None}


def test_field_the_subscriber_may_not_read_is_null_with_an_unauthorized_error():
    secret_schema = SCHEMA.replace(
        "  updatedAt: AWSDateTime!\n", "  updatedAt: AWSDateTime!\n  secret: String @aws_iam\n", 1
    )
    on = executor(secret_schema)
    registry = SubscriptionRegistry(on)
    sub = subscription(ON_CREATE % "id secret", {"o": "alice"}, on=on)
    payload = registry.project(sub, {**TODO, "secret": "s3cr3t"})
    assert payload["data"]["onCreateTodo"] == {"id": "t1", "secret": None}
    assert payload["errors"][0]["errorType"] == "Unauthorized"
    assert payload["errors"][0]["path"] == ["onCreateTodo", "secret"]


def test_event_published_from_another_thread_reaches_only_matching_subscribers():
    async def scenario() -> tuple[Inbox, Inbox, Inbox]:
        registry = SubscriptionRegistry(executor())
        registry.bind(asyncio.get_running_loop())
        mine, others, updates = Inbox(), Inbox(), Inbox()
        registry.add(subscription(ON_CREATE % "id", {"o": "alice"}, inbox=mine))
        registry.add(subscription(ON_CREATE % "id", {"o": "bob"}, inbox=others))
        on_update = 'subscription { onUpdateTodo(owner: "alice") { id } }'
        registry.add(subscription(on_update, inbox=updates))
        worker = threading.Thread(target=registry.publish, args=("createTodo", TODO))
        worker.start()
        worker.join()
        await asyncio.sleep(0.05)
        return mine, others, updates

    mine, others, updates = asyncio.run(scenario())
    assert mine.messages == [
        {"type": "data", "id": "s1", "payload": {"data": {"onCreateTodo": {"id": "t1"}}}}
    ]
    assert others.messages == [] and updates.messages == []


def test_removing_a_subscriber_forgets_all_its_subscriptions():
    registry = SubscriptionRegistry(executor())
    inbox = Inbox()
    registry.add(subscription(ON_CREATE % "id", {"o": "alice"}, inbox=inbox, subscription_id="a"))
    registry.add(subscription(ON_CREATE % "id", {"o": "alice"}, inbox=inbox, subscription_id="b"))
    assert registry.remove_all(inbox) == 2
    assert len(registry) == 0


# -- enhanced filtering and invalidation (developer guide, "Enhanced subscription filtering" and
# "Unsubscribing WebSocket connections using filters") ----------------------------------------

OWNER_IS_BOB = {
    "filterGroup": [{"filters": [{"fieldName": "owner", "operator": "eq", "value": "bob"}]}]
}


def test_an_enhanced_filter_replaces_the_argument_filter():
    sub = subscription(ON_CREATE % "id", {"o": "alice"})
    sub.filter = OWNER_IS_BOB
    assert not sub.matches(TODO)
    assert sub.matches({**TODO, "owner": "bob"})


def test_invalidation_ends_the_matching_subscriptions_with_complete():
    registry = SubscriptionRegistry(executor())
    inbox = Inbox()
    ended = subscription(ON_CREATE % "id", {"o": "alice"}, inbox=inbox, subscription_id="s1")
    ended.invalidation_filter = OWNER_IS_BOB
    kept = subscription(ON_CREATE % "id", {"o": "alice"}, inbox=inbox, subscription_id="s2")
    kept.invalidation_filter = {
        "filterGroup": [{"filters": [{"fieldName": "owner", "operator": "eq", "value": "eve"}]}]
    }
    unfiltered = subscription(ON_CREATE % "id", {"o": "alice"}, inbox=inbox, subscription_id="s3")
    for sub in (ended, kept, unfiltered):
        registry.add(sub)

    registry._invalidate(Invalidation("onCreateTodo", {"owner": "bob"}))
    registry._invalidate(Invalidation("onUpdateTodo", {"owner": "eve"}))  # another field

    assert inbox.messages == [{"type": "complete", "id": "s1"}]
    assert len(registry) == 2
    registry._fan_out("createTodo", TODO)
    assert [m["id"] for m in inbox.messages[1:]] == ["s2", "s3"]
