"""Who listens to which mutations, and the fan-out of mutation results to them.

AppSync semantics, emulated here:
- a subscription field fires for the mutations named in its `@aws_subscribe(mutations: [...])`;
- each argument the subscriber gave filters on the same-named field of the mutation's result
  (an argument not given matches anything; a given argument whose field the mutation did not
  select, or selected with another value, means no delivery);
- the subscriber receives its own selection set executed against the mutation's result, so a
  field the mutation did not select arrives as null; field-level auth rules still apply.

Threads: the executor calls `publish` from its worker threads after each mutation; the event is
handed to the event loop with `call_soon_threadsafe` and fanned out there. Fan-out only offers
messages to each subscriber's bounded queue, so one slow consumer never delays a mutation or
another subscriber.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLIncludeDirective,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    GraphQLSkipDirective,
    InlineFragmentNode,
    NamedTypeNode,
    SelectionSetNode,
    get_nullable_type,
    is_abstract_type,
    is_list_type,
    is_object_type,
)
from graphql.execution.values import VariableValues, get_directive_values

from local.appsync.errors import UNAUTHORIZED, not_authorized_message
from local.appsync.executor import AppSyncExecutor
from local.appsync.filters import Invalidation, filter_matches
from local.appsync.identity import Caller

log = logging.getLogger("local.appsync.realtime")

SUBSCRIPTION = "Subscription"
SUBSCRIBE_DIRECTIVE = "aws_subscribe"

# (caller, type name, field name) -> may the caller read that field
FieldCheck = Callable[[Caller, str, str], bool]


class Subscriber(Protocol):
    """A connection that accepts messages without waiting (it queues or gives up)."""

    def offer(self, message: dict[str, Any]) -> None: ...


@dataclass(eq=False)
class Subscription:
    """One `start`ed subscription: its field, its filter and what it selected."""

    subscriber: Subscriber
    id: str
    caller: Caller
    field_node: FieldNode
    arguments: dict[str, Any]
    fragments: dict[str, FragmentDefinitionNode] = field(default_factory=dict)
    variables: VariableValues | None = None
    # extensions.setSubscriptionFilter / setSubscriptionInvalidationFilter of its resolver
    filter: dict[str, Any] | None = None
    invalidation_filter: dict[str, Any] | None = None

    @property
    def field_name(self) -> str:
        return self.field_node.name.value

    @property
    def response_key(self) -> str:
        node = self.field_node
        return node.alias.value if node.alias else node.name.value

    def matches(self, result: dict[str, Any]) -> bool:
        """The resolver's enhanced filter holds, or (without one) every argument given equals
        the same-named field of the mutation's result."""
        if self.filter is not None:
            return filter_matches(self.filter, result)
        for name, expected in self.arguments.items():
            if expected is None:
                continue
            if name not in result or result[name] != expected:
                return False
        return True


def subscription_triggers(schema: GraphQLSchema) -> dict[str, frozenset[str]]:
    """Subscription field -> the mutations its `@aws_subscribe` names."""
    subscription_type = schema.subscription_type
    if subscription_type is None:
        return {}
    triggers: dict[str, frozenset[str]] = {}
    for name, gql_field in subscription_type.fields.items():
        mutations: set[str] = set()
        node = gql_field.ast_node
        for directive in node.directives if node and node.directives else ():
            if directive.name.value != SUBSCRIBE_DIRECTIVE:
                continue
            for argument in directive.arguments or ():
                if argument.name.value == "mutations":
                    values = getattr(argument.value, "values", ())
                    mutations.update(v.value for v in values)
        triggers[name] = frozenset(mutations)
    return triggers


class SubscriptionRegistry:
    """The live subscriptions of the endpoint, indexed by the mutations that fire them."""

    def __init__(self, executor: AppSyncExecutor) -> None:
        self._schema = executor.schema
        self._allowed: FieldCheck = executor.is_allowed
        self._triggers = subscription_triggers(executor.schema)
        self._by_mutation: dict[str, dict[tuple[int, str], Subscription]] = {}
        self._all: dict[tuple[int, str], Subscription] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        executor.add_mutation_listener(self.publish)
        executor.add_invalidation_listener(self.invalidate)

    # -- registration (event loop only) ---------------------------------------------------

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        """The loop that owns the connections; events are fanned out on it."""
        self._loop = loop

    def triggers(self, field_name: str) -> frozenset[str]:
        return self._triggers.get(field_name, frozenset())

    def add(self, subscription: Subscription) -> None:
        key = (id(subscription.subscriber), subscription.id)
        if key in self._all:
            raise ValueError(f"subscription {subscription.id!r} already exists")
        self._all[key] = subscription
        for mutation in self.triggers(subscription.field_name):
            self._by_mutation.setdefault(mutation, {})[key] = subscription

    def remove(self, subscriber: Subscriber, subscription_id: str) -> bool:
        subscription = self._all.pop((id(subscriber), subscription_id), None)
        if subscription is None:
            return False
        for mutation in self.triggers(subscription.field_name):
            self._by_mutation.get(mutation, {}).pop((id(subscriber), subscription_id), None)
        return True

    def remove_all(self, subscriber: Subscriber) -> int:
        ids = [sid for (owner, sid) in self._all if owner == id(subscriber)]
        for subscription_id in ids:
            self.remove(subscriber, subscription_id)
        return len(ids)

    def __len__(self) -> int:
        return len(self._all)

    # -- delivery --------------------------------------------------------------------------

    def publish(self, mutation_field: str, result: dict[str, Any]) -> None:
        """Mutation listener: safe from any thread, never blocks the caller."""
        self._on_loop(self._fan_out, mutation_field, result)

    def invalidate(self, invalidation: Invalidation) -> None:
        """Invalidation listener: safe from any thread, never blocks the caller."""
        self._on_loop(self._invalidate, invalidation)

    def _on_loop(self, callback: Callable[..., None], *args: Any) -> None:
        """Run `callback(*args)` soon on the registry's loop; dropped when it has no open loop."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        try:
            loop.call_soon_threadsafe(callback, *args)
        except RuntimeError:  # the loop closed between the check and the call
            log.debug("%s%r dropped: the event loop is closed", callback.__name__, args)

    def _invalidate(self, invalidation: Invalidation) -> None:
        """End the subscriptions of that field whose invalidation filter matches the payload:
        AppSync unsubscribes them and sends `complete` (the developer guide, "Unsubscribing
        WebSocket connections using filters")."""
        for subscription in list(self._all.values()):
            if (
                subscription.field_name == invalidation.subscription_field
                and subscription.invalidation_filter is not None
                and filter_matches(subscription.invalidation_filter, invalidation.payload)
            ):
                self.remove(subscription.subscriber, subscription.id)
                subscription.subscriber.offer({"type": "complete", "id": subscription.id})

    def _fan_out(self, mutation_field: str, result: dict[str, Any]) -> None:
        for subscription in list(self._by_mutation.get(mutation_field, {}).values()):
            if not subscription.matches(result):
                continue
            payload = self.project(subscription, result)
            subscription.subscriber.offer(
                {"type": "data", "id": subscription.id, "payload": payload}
            )

    def project(self, subscription: Subscription, result: dict[str, Any]) -> dict[str, Any]:
        """The subscriber's selection set executed against the mutation's result."""
        projector = _Projector(
            self._schema,
            lambda type_name, field_name: self._allowed(subscription.caller, type_name, field_name),
            subscription.fragments,
            subscription.variables,
        )
        root = self._schema.subscription_type
        assert root is not None
        gql_field = root.fields[subscription.field_name]
        key = subscription.response_key
        value = projector.value(gql_field.type, [subscription.field_node], result, [key])
        payload: dict[str, Any] = {"data": {key: value}}
        if projector.errors:
            payload["errors"] = projector.errors
        return payload


@dataclass
class _Projector:
    schema: GraphQLSchema
    allowed: Callable[[str, str], bool]
    fragments: dict[str, FragmentDefinitionNode]
    variables: VariableValues | None
    errors: list[dict[str, Any]] = field(default_factory=list)

    def value(
        self, gql_type: GraphQLOutputType, nodes: list[FieldNode], value: Any, path: list[Any]
    ) -> Any:
        nullable = get_nullable_type(gql_type)  # type: ignore[type-var]
        if value is None:
            return None
        if is_list_type(nullable):
            item_type = nullable.of_type  # type: ignore[union-attr]
            return [self.value(item_type, nodes, item, [*path, i]) for i, item in enumerate(value)]
        if is_object_type(nullable) and isinstance(value, dict):
            selection_sets = [n.selection_set for n in nodes if n.selection_set]
            return self.object(nullable, selection_sets, value, path)  # type: ignore[arg-type]
        return value  # scalars and enums arrive already serialized

    def object(
        self,
        object_type: GraphQLObjectType,
        selection_sets: list[SelectionSetNode],
        value: dict[str, Any],
        path: list[Any],
    ) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key, nodes in self._collect(object_type, selection_sets).items():
            name = nodes[0].name.value
            if name == "__typename":
                result[key] = object_type.name
                continue
            if not self.allowed(object_type.name, name):
                result[key] = None
                self.errors.append(_unauthorized(object_type.name, name, [*path, key]))
                continue
            gql_field = object_type.fields[name]
            result[key] = self.value(gql_field.type, nodes, value.get(name), [*path, key])
        return result

    def _collect(
        self, object_type: GraphQLObjectType, selection_sets: Iterable[SelectionSetNode]
    ) -> dict[str, list[FieldNode]]:
        fields: dict[str, list[FieldNode]] = {}
        for selection_set in selection_sets:
            for selection in selection_set.selections:
                if not self._included(selection):
                    continue
                if isinstance(selection, FieldNode):
                    key = selection.alias.value if selection.alias else selection.name.value
                    fields.setdefault(key, []).append(selection)
                    continue
                if isinstance(selection, FragmentSpreadNode):
                    fragment = self.fragments.get(selection.name.value)
                    if fragment is None:
                        continue
                    condition: NamedTypeNode | None = fragment.type_condition
                    inner = fragment.selection_set
                elif isinstance(selection, InlineFragmentNode):
                    condition, inner = selection.type_condition, selection.selection_set
                else:
                    continue
                if condition is None or self._applies(condition.name.value, object_type):
                    for key, nodes in self._collect(object_type, [inner]).items():
                        fields.setdefault(key, []).extend(nodes)
        return fields

    def _included(self, node: Any) -> bool:
        skip = get_directive_values(GraphQLSkipDirective, node, self.variables)
        if skip and skip.get("if") is True:
            return False
        include = get_directive_values(GraphQLIncludeDirective, node, self.variables)
        return not (include and include.get("if") is False)

    def _applies(self, condition: str, object_type: GraphQLObjectType) -> bool:
        if condition == object_type.name:
            return True
        condition_type = self.schema.get_type(condition)
        return is_abstract_type(condition_type) and self.schema.is_sub_type(
            condition_type,  # type: ignore[arg-type]
            object_type,
        )


def _unauthorized(type_name: str, field_name: str, path: list[Any]) -> dict[str, Any]:
    return {
        "path": path,
        "data": None,
        "errorType": UNAUTHORIZED,
        "errorInfo": None,
        "locations": [],
        "message": not_authorized_message(type_name, field_name),
    }
