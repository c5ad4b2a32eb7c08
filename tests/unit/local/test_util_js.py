"""The local `@aws-appsync/utils` (local/appsync/util.js) behaves like AppSync's `util`."""

import base64
import re
import time

import pytest

from local.appsync.js_runtime import (
    AuthType,
    JsExecutionError,
    JsRuntime,
    ResolverError,
    make_context,
    make_info,
)

RUNTIME = JsRuntime()
UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
ULID = re.compile(r"^[0-9A-HJKMNP-TV-Z]{26}$")


def run(body: str, auth_type=AuthType.USER_POOL, arguments=None):
    """Run `body` as the request handler of a module importing util and runtime."""
    code = (
        "import { util, runtime } from '@aws-appsync/utils';\n"
        f"export function request(ctx) {{\n{body}\n}}\n"
        "export function response(ctx) { return ctx.result; }\n"
    )
    module = RUNTIME.load(code, "probe.js")
    ctx = make_context(arguments or {}, {"sub": "me"}, info=make_info("Query", "probeField"))
    return module.call("request", ctx, auth_type)


def value_of(expression: str, **kwargs):
    outcome = run(f"return {expression};", **kwargs)
    assert outcome.error is None
    return outcome.value


def test_auto_id_is_a_random_uuid4():
    ids = value_of("[util.autoId(), util.autoId(), util.autoId()]")
    assert all(UUID4.match(i) for i in ids)
    assert len(set(ids)) == 3


def test_auto_ulid_is_26_crockford_characters_and_time_ordered():
    first = value_of("util.autoUlid()")
    time.sleep(0.002)
    second = value_of("util.autoUlid()")
    assert ULID.match(first) and ULID.match(second)
    assert first[:10] <= second[:10]


def test_now_iso8601_is_utc_with_milliseconds_and_current():
    stamp = value_of("util.time.nowISO8601()")
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", stamp)
    assert stamp[:16] <= time.strftime("%Y-%m-%dT%H:%M", time.gmtime())


def test_epoch_seconds_and_milliseconds_are_now():
    seconds, millis = value_of("[util.time.nowEpochSeconds(), util.time.nowEpochMilliSeconds()]")
    assert abs(seconds - time.time()) < 5
    assert abs(millis / 1000 - time.time()) < 5


def test_error_aborts_the_handler_with_appsync_shape():
    # WHEN a handler calls util.error then would return something
    outcome = run("util.error('boom', 'MyType', { a: 1 }, { why: 'x' });\nreturn 'unreached';")
    # THEN the handler stops and the error carries all four parts
    assert outcome.value is None
    assert outcome.error == ResolverError("boom", "MyType", {"a": 1}, {"why": "x"})
    assert outcome.error.to_entry() == {
        "message": "boom",
        "errorType": "MyType",
        "data": {"a": 1},
        "errorInfo": {"why": "x"},
    }


def test_append_error_keeps_going():
    outcome = run("util.appendError('first', 'Warn');\nreturn 'still here';")
    assert outcome.value == "still here"
    assert outcome.error is None
    assert outcome.appended_errors == (ResolverError("first", "Warn"),)


def test_unauthorized_names_the_field_and_type():
    outcome = run("util.unauthorized();")
    assert outcome.error == ResolverError(
        "Not Authorized to access probeField on type Query", "Unauthorized"
    )


@pytest.mark.parametrize(
    ("auth_type", "expected"),
    [
        (AuthType.USER_POOL, "User Pool Authorization"),
        (AuthType.IAM, "IAM Authorization"),
        (AuthType.API_KEY, "API Key Authorization"),
        (AuthType.OIDC, "Open ID Connect Authorization"),
        (AuthType.LAMBDA, "Lambda Authorization"),
    ],
)
def test_auth_type_strings(auth_type, expected):
    assert value_of("util.authType()", auth_type=auth_type) == expected


def test_auth_type_from_appsync_mode_names():
    assert AuthType.from_mode("AWS_IAM") is AuthType.IAM
    assert AuthType.from_mode("AMAZON_COGNITO_USER_POOLS") is AuthType.USER_POOL


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("util.isNull(null)", True),
        ("util.isNull(undefined)", True),
        ("util.isNull(0)", False),
        ("util.isNullOrEmpty('')", True),
        ("util.isNullOrEmpty(' ')", False),
        ("util.isNullOrBlank('  ')", True),
        ("util.isNullOrBlank('x')", False),
        ("util.defaultIfNull(null, 'd')", "d"),
        ("util.defaultIfNull(false, 'd')", False),
        ("util.defaultIfNullOrEmpty('', 'd')", "d"),
        ("util.defaultIfNullOrBlank(' ', 'd')", "d"),
        ("util.typeOf([1])", "List"),
        ("util.typeOf({})", "Map"),
    ],
)
def test_null_and_type_helpers(expression, expected):
    assert value_of(expression) == expected


def test_base64_round_trip_with_unicode():
    encoded = value_of("util.base64Encode('héllo ✓')")
    assert encoded == base64.b64encode("héllo ✓".encode()).decode()
    assert value_of(f"util.base64Decode('{encoded}')") == "héllo ✓"


def test_url_encode_is_form_encoding():
    assert value_of("util.urlEncode('a b&c=d/é')") == "a+b%26c%3Dd%2F%C3%A9"
    assert value_of("util.urlDecode('a+b%26c')") == "a b&c"


def test_to_map_values_marshals_every_json_type():
    value = value_of(
        "util.dynamodb.toMapValues({ s: 'x', n: 2, f: 1.5, t: true, z: null,"
        " l: ['a', 1], m: { inner: { deep: false } } })"
    )
    assert value == {
        "s": {"S": "x"},
        "n": {"N": 2},
        "f": {"N": 1.5},
        "t": {"BOOL": True},
        "z": {"NULL": True},
        "l": {"L": [{"S": "a"}, {"N": 1}]},
        "m": {"M": {"inner": {"M": {"deep": {"BOOL": False}}}}},
    }


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("util.dynamodb.toDynamoDB('x')", {"S": "x"}),
        ("util.dynamodb.toString('x')", {"S": "x"}),
        ("util.dynamodb.toString(null)", None),
        ("util.dynamodb.toNumber(3)", {"N": 3}),
        ("util.dynamodb.toBoolean(false)", {"BOOL": False}),
        ("util.dynamodb.toNull()", {"NULL": True}),
        ("util.dynamodb.toStringSet(['a', 'b'])", {"SS": ["a", "b"]}),
        ("util.dynamodb.toList([1])", {"L": [{"N": 1}]}),
        ("util.dynamodb.toMap({ a: 'b' })", {"M": {"a": {"S": "b"}}}),
    ],
)
def test_single_value_marshalling(expression, expected):
    assert value_of(expression) == expected


def test_early_return_is_reported_with_its_value():
    outcome = run("runtime.earlyReturn({ done: true });\nreturn 'unreached';")
    assert (outcome.early_return, outcome.value, outcome.skip_to) == (True, {"done": True}, None)


def test_early_return_passes_skip_to():
    outcome = run("runtime.earlyReturn(1, { skipTo: 'NEXT' });")
    assert outcome.skip_to == "NEXT"


@pytest.mark.parametrize("member", ["util.matches('a', 'a')", "util.dynamodb.toS3Object('k')"])
def test_a_util_member_not_emulated_fails_naming_it(member):
    name = member.split("(")[0]
    with pytest.raises(JsExecutionError, match=re.escape(f"{name} is not emulated")):
        run(f"return {member};")
