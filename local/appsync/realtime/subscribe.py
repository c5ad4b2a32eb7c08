"""A `start` message made into a subscription, or into the errors AppSync answers it with.

The request is parsed and validated, the caller checked against the field's auth directives,
the arguments coerced, and the field's resolver run once (its enhanced filter and
invalidation filter come from `extensions`); a failing resolver answers with its error.
"""

from __future__ import annotations

import json
from typing import Any

from graphql import FragmentDefinitionNode, GraphQLError, OperationType, get_operation_ast
from graphql.execution.values import get_argument_values, get_variable_values

from local.appsync.errors import UNAUTHORIZED, not_authorized_message
from local.appsync.executor import AppSyncExecutor
from local.appsync.identity import Caller
from local.appsync.realtime.messages import resolver_error, unsupported, validation_error
from local.appsync.subscriptions import SUBSCRIPTION, Subscriber, Subscription


def prepare_subscription(
    executor: AppSyncExecutor,
    subscriber: Subscriber,
    subscription_id: str,
    data: str,
    caller: Caller,
) -> Subscription | list[dict[str, Any]]:
    try:
        request = json.loads(data)
    except (ValueError, RecursionError):
        request = None
    if not isinstance(request, dict) or not isinstance(request.get("query"), str):
        return unsupported()
    variables = request.get("variables") or {}
    operation_name = request.get("operationName")
    if not isinstance(variables, dict) or not isinstance(operation_name, str | None):
        return unsupported()
    document, errors = executor.parse_request(request["query"], operation_name)
    if document is None:
        return errors
    operation = get_operation_ast(document, operation_name)
    assert operation is not None
    if operation.operation != OperationType.SUBSCRIPTION:
        return unsupported(operation.operation.value)
    fields = executor.subscription_fields(document)
    if len(fields) != 1:
        return unsupported()
    node = fields[0]
    field_name = node.name.value
    if not executor.is_allowed(caller, SUBSCRIPTION, field_name):
        message = not_authorized_message(SUBSCRIPTION, field_name)
        return [{"errorType": UNAUTHORIZED, "message": message}]
    coerced = get_variable_values(executor.schema, operation.variable_definitions or (), variables)
    if isinstance(coerced, list):
        return [validation_error(e) for e in coerced]
    root = executor.schema.subscription_type
    assert root is not None
    try:
        arguments = get_argument_values(root.fields[field_name], node, coerced)
    except GraphQLError as error:
        return [validation_error(error)]
    _value, resolver_errors, extensions = executor.run_root_resolver(
        caller, SUBSCRIPTION, field_name, arguments
    )
    if resolver_errors:
        return [resolver_error(e) for e in resolver_errors]
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    return Subscription(
        subscriber=subscriber,
        id=subscription_id,
        caller=caller,
        field_node=node,
        arguments=dict(arguments),
        fragments=fragments,
        variables=coerced,
        filter=extensions.subscription_filter,
        invalidation_filter=extensions.invalidation_filter,
    )
