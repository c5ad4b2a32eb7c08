"""The AWS_LAMBDA data source: APPSYNC_JS Invoke/BatchInvoke and direct Lambda resolvers.

Sources: AppSync developer guide, "AWS AppSync JavaScript resolver function reference for
Lambda" (the request object, Invoke, BatchInvoke, invocationType Event) and "Direct Lambda
resolvers" / the resolver context reference (the event a direct resolver's function receives).
The function itself is a fake here; tests/e2e_notebook runs a real one in the warm pool.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from local.appsync.identity import AuthType
from local.appsync.js_runtime import JsRuntime, make_info
from local.appsync.lambda_source import LambdaFunction, LambdaRequestError, LambdaSource
from local.appsync.resolvers import FieldCall, ResolverExecutor
from local.appsync.specs import DataSourceSpec, FunctionSpec, ResolverSpec
from local.awslambda.pool import InvocationError

ARN = "arn:aws:lambda:us-east-1:123456789012:function:fn"
SOURCE = DataSourceSpec("fn", "AWS_LAMBDA", function_arn=ARN)
NONE = DataSourceSpec("none", "NONE")
RUNTIME = JsRuntime()


@dataclass
class FakeFunction:
    """Answers with `answer(event)`; records every event, synchronous or not."""

    answer: Any = None
    events: list[Any] = field(default_factory=list)
    async_events: list[Any] = field(default_factory=list)

    def invoke(self, event: Any) -> Any:
        self.events.append(event)
        return self.answer(event) if callable(self.answer) else self.answer

    def as_function(self) -> LambdaFunction:
        return LambdaFunction(self.invoke, self.async_events.append)


def failing(error_type: str, message: str) -> Any:
    def fail(_event: Any) -> Any:
        raise InvocationError({"errorType": error_type, "errorMessage": message})

    return fail


def source(fake: FakeFunction) -> LambdaSource:
    return LambdaSource("fn", fake.as_function())


def test_invoke_sends_the_payload_and_returns_the_result():
    fake = FakeFunction(answer={"ok": True})
    assert source(fake).execute({"operation": "Invoke", "payload": {"a": 1}}) == (
        {"ok": True},
        None,
    )
    assert fake.events == [{"a": 1}]


def test_a_function_error_reaches_the_response_handler_as_ctx_error():
    fake = FakeFunction(answer=failing("ValueError", "bad input"))
    result, error = source(fake).execute({"operation": "Invoke", "payload": {}})
    assert result is None
    assert error == {"message": "bad input", "type": "Lambda:Unhandled"}


def test_event_invocation_does_not_wait_and_leaves_the_result_null():
    fake = FakeFunction(answer="unused")
    request = {"operation": "Invoke", "payload": {"a": 1}, "invocationType": "Event"}
    assert source(fake).execute(request) == (None, None)
    assert (fake.events, fake.async_events) == ([], [{"a": 1}])


def test_batch_invoke_sends_a_list_and_takes_this_fields_item():
    fake = FakeFunction(answer=lambda event: [{"n": len(event)}])
    assert source(fake).execute({"operation": "BatchInvoke", "payload": {"a": 1}}) == (
        {"n": 1},
        None,
    )
    assert fake.events == [[{"a": 1}]]


def test_a_batch_item_with_an_error_message_is_that_fields_error():
    fake = FakeFunction(answer=[{"data": None, "errorMessage": "gone", "errorType": "NotFound"}])
    result, error = source(fake).execute({"operation": "BatchInvoke", "payload": {}})
    assert (result, error) == (None, {"message": "gone", "type": "NotFound"})


@pytest.mark.parametrize(
    "request_",
    [
        {"operation": "Scan", "payload": {}},
        {"operation": "Invoke", "payload": {}, "invocationType": "DryRun"},
        {"operation": "Invoke", "payload": {}, "version": "2018-05-29", "extra": 1},
    ],
)
def test_a_request_outside_the_lambda_request_type_is_refused(request_: dict[str, Any]):
    with pytest.raises(LambdaRequestError):
        source(FakeFunction()).execute(request_)


CALL = FieldCall(
    arguments={"words": 450},
    identity={"sub": "alice"},
    auth_type=AuthType.USER_POOL,
    info=make_info("Query", "readingMinutes"),
    request={"headers": {"x-test": "1"}, "domainName": None},
    env={"STAGE": "dev"},
)


def executor(fake: FakeFunction) -> ResolverExecutor:
    return ResolverExecutor(RUNTIME, dynamodb_client=None, lambdas={ARN: fake.as_function()})


def test_a_direct_resolver_sends_appsyncs_context_and_answers_with_the_result():
    fake = FakeFunction(answer=3)
    spec = ResolverSpec("Query", "readingMinutes", "UNIT", None, SOURCE)
    value, errors = executor(fake).execute(spec, CALL)
    assert (value, errors) == (3, [])
    (event,) = fake.events
    assert event == {
        "arguments": {"words": 450},
        "identity": {"sub": "alice"},
        "source": None,
        "request": {"headers": {"x-test": "1"}, "domainName": None},
        "prev": None,
        "info": make_info("Query", "readingMinutes"),
        "stash": {},
    }


def test_a_direct_resolvers_function_error_is_the_field_error_with_its_error_type():
    fake = FakeFunction(answer=failing("InvalidArgument", "wordsPerMinute must be positive"))
    spec = ResolverSpec("Query", "readingMinutes", "UNIT", None, SOURCE)
    value, errors = executor(fake).execute(spec, CALL)
    assert value is None
    assert errors == [
        {
            "message": "wordsPerMinute must be positive",
            "errorType": "InvalidArgument",
            "data": None,
            "errorInfo": None,
        }
    ]


def test_a_direct_pipeline_function_gets_the_previous_result_and_the_stash():
    first = (
        "export function request(ctx) { ctx.stash.seen = true; return { payload: [1, 2] }; }\n"
        "export function response(ctx) { return ctx.result; }\n"
    )
    pipeline = (
        "export function request(ctx) { return {}; }\n"
        "export function response(ctx) { return ctx.prev.result; }\n"
    )
    spec = ResolverSpec(
        "Query",
        "readingMinutes",
        "PIPELINE",
        pipeline,
        None,
        (FunctionSpec("first", first, NONE), FunctionSpec("direct", None, SOURCE)),
    )
    fake = FakeFunction(answer=lambda event: sum(event["prev"]["result"]))
    value, errors = executor(fake).execute(spec, CALL)
    assert (value, errors) == (3, [])
    assert fake.events[0]["stash"] == {"seen": True}


def test_a_js_resolver_on_the_lambda_source_shapes_the_payload_and_the_result():
    code = (
        "export function request(ctx) {\n"
        "  return { operation: 'Invoke', payload: { words: ctx.args.words } };\n"
        "}\n"
        "export function response(ctx) {\n"
        "  if (ctx.error) { return ctx.error.type; }\n"
        "  return ctx.result.minutes;\n"
        "}\n"
    )
    spec = ResolverSpec("Query", "readingMinutes", "UNIT", code, SOURCE)
    ok = FakeFunction(answer=lambda event: {"minutes": event["words"] // 150})
    assert executor(ok).execute(spec, CALL) == (3, [])
    broken = FakeFunction(answer=failing("Exception", "boom"))
    assert executor(broken).execute(spec, CALL) == ("Lambda:Unhandled", [])
