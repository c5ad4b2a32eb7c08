"""Run one AppSync resolver (UNIT or PIPELINE) the way AppSync does, for one field.

UNIT:      request -> data source -> response
PIPELINE:  before (request) -> for each function: request -> data source -> response -> after
           (each function sees the previous step's value in ctx.prev.result; one stash is
           shared by every step)

`util.error` / `util.unauthorized` abort the whole resolver: the field is null and the
error entry ({message, errorType, data, errorInfo}) is reported. So does a handler that throws
(e.g. calls a member the runtime lacks): its entry has errorType "Code". `util.appendError` entries
are collected and reported alongside the value. `runtime.earlyReturn` skips what AppSync
skips. A data source failure reaches the response handler as ctx.error; AppSync reports
nothing unless the handler raises it, and so does this executor.
On an AWS_LAMBDA data source a resolver or function without code is a direct Lambda resolver
(lambda_source.py): the function gets AppSync's context event and its error is the field's.
What the handlers ask of `extensions` (subscription filters, invalidations) is collected for
the caller: `run` returns it with the value.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from local.appsync.dynamodb import DynamoDbSource, UnsupportedRequest
from local.appsync.errors import AppSyncError, ErrorEntry, runtime_error
from local.appsync.filters import MAX_INVALIDATIONS, NO_EXTENSIONS, Extensions
from local.appsync.identity import AuthType
from local.appsync.index_view import LaggingIndexes
from local.appsync.js_runtime import JsModule, JsRuntime, Outcome, make_context
from local.appsync.lambda_source import LambdaFunction, LambdaSource, direct_event
from local.appsync.specs import DataSourceSpec, ResolverSpec

log = logging.getLogger("local.appsync.resolver")


@dataclass(frozen=True)
class FieldCall:
    """Who resolves which field with what: everything ctx is built from."""

    arguments: dict[str, Any]
    identity: dict[str, Any] | None
    auth_type: AuthType | str
    info: dict[str, Any]
    source: dict[str, Any] | None = None
    request: dict[str, Any] | None = None
    env: dict[str, str] | None = None  # the API's environment variables (ctx.env)


class Resolution(NamedTuple):
    value: Any
    errors: list[dict[str, Any]]


@dataclass(frozen=True)
class Run:
    """One resolver execution's result: the value, the field's errors, the extensions asked."""

    value: Any
    errors: list[dict[str, Any]]
    extensions: Extensions = NO_EXTENSIONS


class _Aborted(Exception):
    """util.error or util.unauthorized ended the resolver."""


@dataclass
class _Run:
    """The state one resolver execution carries between handlers."""

    call: FieldCall
    stash: dict[str, Any] = field(default_factory=dict)
    errors: list[dict[str, Any]] = field(default_factory=list)
    extensions: Extensions = NO_EXTENSIONS

    def invoke(self, module: JsModule, handler: str, **ctx_parts: Any) -> Outcome:
        ctx = make_context(
            self.call.arguments,
            self.call.identity,
            info=self.call.info,
            source=self.call.source,
            request=self.call.request,
            env=self.call.env,
            stash=self.stash,
            **ctx_parts,
        )
        outcome = module.call(handler, ctx, self.call.auth_type)
        self.stash = outcome.stash
        self.extensions = self.extensions.then(outcome.extensions)
        self.errors.extend(error.to_entry() for error in outcome.appended_errors)
        if outcome.error is not None:
            self.errors.append(outcome.error.to_entry())
            raise _Aborted
        if outcome.runtime_error is not None:
            log.warning("%s %s() threw %s", module.name, handler, outcome.runtime_error)
            self.errors.append(runtime_error(outcome.runtime_error).to_entry())
            raise _Aborted
        return outcome


class ResolverExecutor:
    """Executes ResolverSpecs against one JsRuntime and one DynamoDB client."""

    def __init__(
        self,
        runtime: JsRuntime,
        dynamodb_client: Any,
        indexes: LaggingIndexes | None = None,
        lambdas: Mapping[str, LambdaFunction] | None = None,
    ) -> None:
        self._runtime = runtime
        self._dynamodb = dynamodb_client
        self._indexes = indexes
        self._lambdas = dict(lambdas or {})  # function ARN -> how to invoke it

    def execute(self, spec: ResolverSpec, call: FieldCall) -> Resolution:
        result = self.run(spec, call)
        return Resolution(result.value, result.errors)

    def run(self, spec: ResolverSpec, call: FieldCall) -> Run:
        """Execute the resolver; its value, errors and what it asked of `extensions`."""
        run = _Run(call)
        try:
            value = self._unit(spec, run) if spec.kind == "UNIT" else self._pipeline(spec, run)
        except _Aborted:
            value = None
        extensions = run.extensions
        if len(extensions.invalidations) > MAX_INVALIDATIONS:
            # The extensions reference: more than five invalidateSubscriptions calls in one
            # request is a GraphQL error.
            message = (
                f"At most {MAX_INVALIDATIONS} invalidateSubscriptions calls are allowed in one "
                "request"
            )
            run.errors.append(ErrorEntry(message, "BadRequestException").to_entry())
            extensions = Extensions(extensions.subscription_filter, extensions.invalidation_filter)
        return Run(value, run.errors, extensions)

    def _unit(self, spec: ResolverSpec, run: _Run) -> Any:
        if spec.data_source is None:
            raise ValueError(f"{spec.type_name}.{spec.field_name}: UNIT resolver without source")
        if spec.code is None:
            return self._direct(spec.data_source, run, prev=None)
        module = self._runtime.load(spec.code, f"{spec.type_name}.{spec.field_name}")
        return self._step(module, spec.data_source, run, prev=None).value

    def _pipeline(self, spec: ResolverSpec, run: _Run) -> Any:
        if spec.code is None:
            raise ValueError(f"{spec.type_name}.{spec.field_name}: pipeline resolver without code")
        module = self._runtime.load(spec.code, f"{spec.type_name}.{spec.field_name} (pipeline)")
        before = run.invoke(module, "request")
        previous = before.value
        if not before.early_return:
            for function in spec.functions:
                if function.code is None:
                    previous = self._direct(function.data_source, run, {"result": previous})
                    continue
                function_module = self._runtime.load(function.code, function.name)
                step = self._step(function_module, function.data_source, run, {"result": previous})
                previous = step.value
                if step.early_return and step.skip_to == "END":
                    break
        return run.invoke(module, "response", prev={"result": previous}).value

    def _direct(self, source: DataSourceSpec, run: _Run, prev: dict[str, Any] | None) -> Any:
        """A direct Lambda resolver or function: AppSync's context event in, the value out."""
        event = direct_event(run.call, run.stash, prev)
        try:
            return self._lambda(source).direct(event)
        except AppSyncError as error:
            run.errors.append(error.entry.to_entry())
            raise _Aborted from error

    def _lambda(self, source: DataSourceSpec) -> LambdaSource:
        function = self._lambdas.get(source.function_arn or "")
        if source.type != "AWS_LAMBDA" or function is None:
            raise ValueError(f"{source.name}: no local function for {source.function_arn}")
        return LambdaSource(source.name, function)

    def _step(
        self, module: JsModule, source: DataSourceSpec, run: _Run, prev: dict[str, Any] | None
    ) -> Outcome:
        """request -> data source -> response, or the request's early return."""
        request = run.invoke(module, "request", prev=prev)
        if request.early_return:
            return request
        result, error = self._call_source(source, request.value)
        response = run.invoke(module, "response", prev=prev, result=result, error=error)
        return response

    def _call_source(self, source: DataSourceSpec, request: Any) -> tuple[Any, Any]:
        if not isinstance(request, Mapping):
            raise UnsupportedRequest(f"{source.name}: the request handler returned {request!r}")
        if source.type == "NONE":
            unknown = set(request) - {"payload"}
            if unknown:
                raise UnsupportedRequest(f"{source.name}: NONE request with {sorted(unknown)}")
            return request.get("payload"), None
        if source.type == "AWS_LAMBDA":
            return self._lambda(source).execute(request)
        if source.table_name is None:
            raise ValueError(f"{source.name}: AMAZON_DYNAMODB data source without a table")
        return DynamoDbSource(self._dynamodb, source.table_name, self._indexes).execute(request)
