"""Execute GraphQL requests the way AppSync does.

graphql-core does the parsing, validation and execution. What AppSync adds on top lives here:
- multi-auth: every field is checked against the auth directives of the field, else of its
  parent type, else the API's default mode ("Not Authorized to access X on type Y");
- IAM callers additionally need `appsync:GraphQL` on the root field's ARN;
- a Lambda authorizer's `deniedFields` are refused to its caller like a missing directive;
- root fields run their resolver from the template; other fields read the parent object;
- errors carry AppSync's shape (errorType, data, errorInfo, sourceName in locations);
- the API's query depth limit and introspection setting are enforced.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLResolveInfo,
    GraphQLSchema,
    InlineFragmentNode,
    MiddlewareManager,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    build_schema,
    execute_sync,
    get_operation_ast,
    parse,
    print_ast,
    validate,
)
from graphql.language import DirectiveNode

from local.appsync.errors import AppSyncError, ErrorEntry, unauthorized
from local.appsync.filters import NO_EXTENSIONS, Extensions, Invalidation
from local.appsync.identity import COGNITO, IAM, MODE_DIRECTIVES, Caller
from local.appsync.specs import ResolverSpec

log = logging.getLogger("local.appsync")

DOCUMENT_CACHE_SIZE = 256  # parsed documents kept per API


# (spec, arguments, caller, source, info, headers) -> (value, error entries[, extensions])
ResolverRunner = Callable[..., tuple[Any, ...]]
PolicyCheck = Callable[[Caller, str, str], bool]
MutationListener = Callable[[str, dict[str, Any]], None]
InvalidationListener = Callable[[Invalidation], None]


def _unpack(ran: tuple[Any, ...]) -> tuple[Any, list[dict[str, Any]], Extensions]:
    value, errors, *rest = ran
    return value, errors, rest[0] if rest else NO_EXTENSIONS


@dataclass(frozen=True)
class FieldRule:
    modes: frozenset[str]
    cognito_groups: tuple[str, ...] | None = None  # None: any signed-in user of the pool


@dataclass
class _Request:
    caller: Caller
    headers: dict[str, str]
    extra_errors: list[dict[str, Any]] = field(default_factory=list)
    invalidations: list[Invalidation] = field(default_factory=list)


class AppSyncExecutor:
    def __init__(
        self,
        schema_sdl: str,
        prelude_sdl: str,
        *,
        default_mode: str,
        additional_modes: Iterable[str],
        resolvers: dict[tuple[str, str], ResolverSpec],
        run_resolver: ResolverRunner,
        policy_check: PolicyCheck,
        query_depth_limit: int = 0,
        introspection: bool = True,
    ) -> None:
        self.schema: GraphQLSchema = build_schema(prelude_sdl + "\n" + schema_sdl)
        self.default_mode = default_mode
        self.enabled_modes = frozenset([default_mode, *additional_modes])
        self._resolvers = resolvers
        self._run_resolver = run_resolver
        self._policy_check = policy_check
        self._depth_limit = query_depth_limit
        self._introspection = introspection
        self._listeners: list[MutationListener] = []
        self._invalidation_listeners: list[InvalidationListener] = []
        self._listeners_lock = threading.Lock()
        self._rules = _field_rules(self.schema, default_mode)
        # Parsed and validated documents by (query text, operation name): clients send the same
        # few documents again and again, and validation is most of a small request's time.
        self._documents: dict[
            tuple[str, str | None], tuple[DocumentNode | None, list[dict[str, Any]]]
        ] = {}
        self._documents_lock = threading.Lock()
        # graphql-core takes plain functions or objects with `resolve` as middleware, not
        # bound methods.
        self._middleware = MiddlewareManager(_Middleware(self._authorize_field))
        self._check_resolvers()

    # -- public API ------------------------------------------------------------------------

    def add_mutation_listener(self, listener: MutationListener) -> None:
        """Called with (mutation field name, the field's result) after each successful mutation."""
        with self._listeners_lock:
            self._listeners.append(listener)

    def add_invalidation_listener(self, listener: InvalidationListener) -> None:
        """Called with each `extensions.invalidateSubscriptions` of a successful mutation."""
        with self._listeners_lock:
            self._invalidation_listeners.append(listener)

    def field_rule(self, type_name: str, field_name: str) -> FieldRule:
        return self._rules[(type_name, field_name)]

    def is_allowed(self, caller: Caller, type_name: str, field_name: str) -> bool:
        rule = self._rules.get((type_name, field_name))
        if rule is None or caller.mode not in rule.modes:
            return False
        if (type_name, field_name) in caller.denied_fields:  # a Lambda authorizer's deniedFields
            return False
        if caller.mode == COGNITO and rule.cognito_groups is not None:
            return bool(set(rule.cognito_groups) & set(caller.groups))
        return True

    def parse_request(
        self, query: str, operation_name: str | None
    ) -> tuple[DocumentNode | None, list[dict[str, Any]]]:
        """Parse and validate; returns the document or AppSync-shaped errors.

        The answer depends only on the schema, the text and the operation name, so it is kept
        for the next request with the same text (the documents are never changed afterwards).
        """
        key = (query, operation_name)
        with self._documents_lock:
            parsed = self._documents.get(key)
        if parsed is None:
            parsed = self._parse_uncached(query, operation_name)
            with self._documents_lock:
                if len(self._documents) >= DOCUMENT_CACHE_SIZE:
                    self._documents.pop(next(iter(self._documents)))  # the oldest entry
                self._documents[key] = parsed
        document, errors = parsed
        return document, [dict(error) for error in errors]

    def _parse_uncached(
        self, query: str, operation_name: str | None
    ) -> tuple[DocumentNode | None, list[dict[str, Any]]]:
        try:
            document = parse(query)
        except GraphQLError as error:
            return None, [_format_error(error)]
        errors = validate(self.schema, document)
        if errors:
            return None, [_format_error(e) for e in errors]
        operation = get_operation_ast(document, operation_name)
        if operation is None:
            message = "Unknown operation" if operation_name else "Must provide operation name"
            return None, [{"message": message, "errorType": "BadRequestException"}]
        problems = self._policy_problems(document, operation)
        if problems:
            return None, [{"message": p, "errorType": "ValidationError"} for p in problems]
        return document, []

    def execute(
        self,
        query: str,
        variables: dict[str, Any] | None,
        operation_name: str | None,
        caller: Caller,
        headers: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """Run one query or mutation; returns the JSON body AppSync would answer with."""
        document, errors = self.parse_request(query, operation_name)
        if document is None:
            return {"data": None, "errors": errors}
        operation = get_operation_ast(document, operation_name)
        assert operation is not None
        if operation.operation == OperationType.SUBSCRIPTION:
            return {
                "data": None,
                "errors": [
                    {
                        "message": "Subscriptions are served on the real-time WebSocket endpoint",
                        "errorType": "BadRequestException",
                    }
                ],
            }
        request = _Request(caller=caller, headers=dict(headers or {}))
        result = execute_sync(
            self.schema,
            document,
            variable_values=variables,
            operation_name=operation_name,
            context_value=request,
            field_resolver=self._resolve_field,
            middleware=self._middleware,
        )
        body: dict[str, Any] = {"data": result.data}
        all_errors = [_format_error(e) for e in result.errors or []] + request.extra_errors
        if all_errors:
            body["errors"] = all_errors
        if operation.operation == OperationType.MUTATION and result.data:
            self._notify(operation, result.data)
            with self._listeners_lock:
                invalidation_listeners = list(self._invalidation_listeners)
            for invalidation in request.invalidations:
                for invalidate in invalidation_listeners:
                    invalidate(invalidation)
        return body

    def subscription_fields(self, document: DocumentNode) -> list[FieldNode]:
        operation = get_operation_ast(document)
        if operation is None or operation.operation != OperationType.SUBSCRIPTION:
            return []
        return [s for s in operation.selection_set.selections if isinstance(s, FieldNode)]

    def run_root_resolver(
        self, caller: Caller, type_name: str, field_name: str, arguments: dict[str, Any]
    ) -> tuple[Any, list[dict[str, Any]], Extensions]:
        """Run a root field's resolver outside graphql execution (subscription handshakes)."""
        spec = self._resolvers.get((type_name, field_name))
        if spec is None:
            return None, [], NO_EXTENSIONS
        info = {
            "fieldName": field_name,
            "parentTypeName": type_name,
            "variables": {},
            "selectionSetList": [],
            "selectionSetGraphQL": "",
        }
        return _unpack(self._run_resolver(spec, arguments, caller, None, info, {}))

    # -- graphql-core hooks ----------------------------------------------------------------

    def _authorize_field(
        self, next_: Callable[..., Any], root: Any, info: GraphQLResolveInfo, **args: Any
    ) -> Any:
        request: _Request = info.context
        type_name, field_name = info.parent_type.name, info.field_name
        if field_name.startswith("__") or type_name.startswith("__"):
            # Introspection (`__schema`, `__type`, `__typename` and the fields of the `__Schema`
            # and `__Type` types) carries no auth directives: any caller the API admitted may
            # use it where IntrospectionConfig enables it (checked in `_policy_problems`).
            return next_(root, info, **args)
        if not self.is_allowed(request.caller, type_name, field_name):
            raise unauthorized(type_name, field_name)
        if (
            request.caller.mode == IAM
            and root is None
            and not self._policy_check(request.caller, type_name, field_name)
        ):
            raise unauthorized(type_name, field_name)
        return next_(root, info, **args)

    def _resolve_field(self, source: Any, info: GraphQLResolveInfo, **args: Any) -> Any:
        spec = self._resolvers.get((info.parent_type.name, info.field_name))
        if spec is None:
            if isinstance(source, dict):
                return source.get(info.field_name)
            return getattr(source, info.field_name, None)
        request: _Request = info.context
        ran = self._run_resolver(
            spec, args, request.caller, source, _info_dict(info), request.headers
        )
        value, errors, extensions = _unpack(ran)
        if info.parent_type is self.schema.mutation_type:
            request.invalidations.extend(extensions.invalidations)
        if errors and value is None:
            first, *rest = errors
            request.extra_errors.extend(_with_path(e, info) for e in rest)
            raise AppSyncError(ErrorEntry.from_entry(first))
        request.extra_errors.extend(_with_path(e, info) for e in errors)
        return value

    # -- helpers ---------------------------------------------------------------------------

    def _check_resolvers(self) -> None:
        for type_name, field_name in self._resolvers:
            gql_type = self.schema.get_type(type_name)
            fields = getattr(gql_type, "fields", None)
            if not fields or field_name not in fields:
                raise ValueError(
                    f"the template attaches a resolver to {type_name}.{field_name}, "
                    "which the schema does not define"
                )

    def _policy_problems(
        self, document: DocumentNode, operation: OperationDefinitionNode
    ) -> list[str]:
        fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        problems = []
        if self._depth_limit:
            depth = _depth(operation.selection_set, fragments)
            if depth > self._depth_limit:
                problems.append(
                    f"Query depth {depth} exceeds the API's limit of {self._depth_limit}"
                )
        if not self._introspection and _uses_introspection(operation.selection_set, fragments):
            problems.append("GraphQL introspection is not allowed by this API")
        return problems

    def _notify(self, operation: OperationDefinitionNode, data: dict[str, Any]) -> None:
        with self._listeners_lock:
            listeners = list(self._listeners)
        for selection in operation.selection_set.selections:
            if not isinstance(selection, FieldNode):
                continue
            key = selection.alias.value if selection.alias else selection.name.value
            value = data.get(key)
            if isinstance(value, dict):
                for listener in listeners:
                    listener(selection.name.value, value)


@dataclass(frozen=True)
class _Middleware:
    resolve: Callable[..., Any]


def _directive_rule(directives: Iterable[DirectiveNode]) -> FieldRule | None:
    modes: set[str] = set()
    groups: tuple[str, ...] | None = None
    for directive in directives:
        mode = MODE_DIRECTIVES.get(directive.name.value)
        if mode is None:
            continue
        modes.add(mode)
        if mode == COGNITO:
            for argument in directive.arguments or ():
                if argument.name.value == "cognito_groups":
                    values = getattr(argument.value, "values", [])
                    groups = tuple(v.value for v in values)
    return FieldRule(frozenset(modes), groups) if modes else None


def _field_rules(schema: GraphQLSchema, default_mode: str) -> dict[tuple[str, str], FieldRule]:
    """The auth rule of every field: its own directives, else its type's, else the default."""
    rules: dict[tuple[str, str], FieldRule] = {}
    default_rule = FieldRule(frozenset([default_mode]))
    for type_name, gql_type in schema.type_map.items():
        fields: dict[str, GraphQLField] | None = getattr(gql_type, "fields", None)
        if type_name.startswith("__") or not fields or not hasattr(gql_type, "interfaces"):
            continue
        type_nodes = [gql_type.ast_node, *(gql_type.extension_ast_nodes or ())]
        type_rule = _directive_rule(d for n in type_nodes if n for d in n.directives or ())
        for field_name, gql_field in fields.items():
            node = gql_field.ast_node
            field_rule = _directive_rule(node.directives or ()) if node else None
            rules[(type_name, field_name)] = field_rule or type_rule or default_rule
    return rules


def _format_error(error: GraphQLError) -> dict[str, Any]:
    original = error.original_error
    entry: dict[str, Any] = {
        "path": list(error.path) if error.path else None,
        "data": None,
        "errorType": None,
        "errorInfo": None,
        "locations": [
            {"line": loc.line, "column": loc.column, "sourceName": None}
            for loc in error.locations or []
        ],
        "message": error.message,
    }
    if isinstance(original, AppSyncError):
        failure = original.entry
        entry.update(errorType=failure.error_type, data=failure.data, errorInfo=failure.error_info)
    elif original is not None and not isinstance(original, GraphQLError):
        # A failure of the local runtime (or a resolver bug), not something AppSync would say:
        # recognisable for the client, with the details only in the runner's log.
        log.error("resolving %s failed", error.path, exc_info=original)
        entry.update(
            errorType="LocalRuntimeError",
            message="The local AppSync could not resolve this field; the runner's log says why.",
        )
    elif not error.path:
        entry.pop("data")
        entry.pop("errorInfo")
        entry["errorType"] = "ValidationError"
    return entry


def _with_path(entry: dict[str, Any], info: GraphQLResolveInfo) -> dict[str, Any]:
    return {"path": list(info.path.as_list()), **entry}


def _info_dict(info: GraphQLResolveInfo) -> dict[str, Any]:
    selection_set = info.field_nodes[0].selection_set
    return {
        "fieldName": info.field_name,
        "parentTypeName": info.parent_type.name,
        "variables": dict(info.variable_values.coerced),
        "selectionSetList": _selection_list(selection_set, info.fragments, ""),
        "selectionSetGraphQL": print_ast(selection_set) if selection_set else "",
    }


def _selections(
    selection_set: SelectionSetNode | None, fragments: dict[str, FragmentDefinitionNode]
) -> Iterable[FieldNode]:
    """The field nodes of a selection set, fragments expanded."""
    for selection in selection_set.selections if selection_set else ():
        if isinstance(selection, FieldNode):
            yield selection
        elif isinstance(selection, InlineFragmentNode):
            yield from _selections(selection.selection_set, fragments)
        elif isinstance(selection, FragmentSpreadNode):
            fragment = fragments.get(selection.name.value)
            if fragment is not None:
                yield from _selections(fragment.selection_set, fragments)


def _selection_list(
    selection_set: SelectionSetNode | None,
    fragments: dict[str, FragmentDefinitionNode],
    prefix: str,
) -> list[str]:
    paths: list[str] = []
    for node in _selections(selection_set, fragments):
        if node.name.value.startswith("__"):
            continue
        path = prefix + node.name.value
        if path not in paths:
            paths.append(path)
        for child in _selection_list(node.selection_set, fragments, path + "/"):
            if child not in paths:
                paths.append(child)
    return paths


def _depth(
    selection_set: SelectionSetNode | None,
    fragments: dict[str, FragmentDefinitionNode],
) -> int:
    deepest = 0
    for node in _selections(selection_set, fragments):
        if node.selection_set is not None:
            deepest = max(deepest, 1 + _depth(node.selection_set, fragments))
        else:
            deepest = max(deepest, 1)
    return deepest


def _uses_introspection(
    selection_set: SelectionSetNode | None, fragments: dict[str, FragmentDefinitionNode]
) -> bool:
    for node in _selections(selection_set, fragments):
        if node.name.value in ("__schema", "__type"):
            return True
        if _uses_introspection(node.selection_set, fragments):
            return True
    return False
