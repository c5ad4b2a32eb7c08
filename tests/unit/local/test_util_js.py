"""The local `@aws-appsync/utils` (local/appsync/runtime/util.js) behaves like AppSync's `util`.

One behaviour test per member the official type definitions declare (surface.json, read from
@aws-appsync/utils lib/index.d.ts); test_every_declared_member_has_a_behaviour_test keeps the
list complete. Behaviour follows the AppSync developer guide's JavaScript "Built-in utilities",
"Time helpers in util.time", "DynamoDB helpers in util.dynamodb", "String helpers in util.str",
"Math helpers in util.math" and "Runtime utilities" pages
(https://docs.aws.amazon.com/appsync/latest/devguide/built-in-util-js.html and its subpages).
"""

import base64
import re
import time

import pytest

from local.appsync.errors import ErrorEntry
from local.appsync.identity import AuthType
from local.appsync.js_runtime import (
    SURFACE,
    JsRuntime,
    NotEmulated,
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
    assert outcome.error == ErrorEntry("boom", "MyType", {"a": 1}, {"why": "x"})
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
    assert outcome.appended_errors == (ErrorEntry("first", "Warn"),)


def test_unauthorized_names_the_field_and_type():
    outcome = run("util.unauthorized();")
    assert outcome.error == ErrorEntry(
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
    "expression",
    [
        "util.isNull(null)",
        "util.isNullOrEmpty('')",
        "util.defaultIfNull(null, 1)",
        "util.typeOf(1)",
    ],
)
def test_vtl_helpers_are_not_part_of_the_javascript_util(expression):
    """These are VTL `$util` helpers; @aws-appsync/utils does not declare them, so calling one
    throws on AppSync and the field fails with a runtime error."""
    outcome = run(f"return {expression};")
    assert outcome.runtime_error == "TypeError: not a function"


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


def test_auto_ksuid_is_27_base62_characters_and_time_ordered():
    first = value_of("util.autoKsuid()")
    second = value_of("util.autoKsuid()")
    assert re.fullmatch(r"[0-9A-Za-z]{27}", first) and re.fullmatch(r"[0-9A-Za-z]{27}", second)
    assert first != second and first[:5] <= second[:5]


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("util.matches('a*b', 'aaaab')", True),
        ("util.matches('a', 'ab')", False),  # the whole value must match, as in Java
        ("util.matches('[0-9]{3}', '123')", True),
    ],
)
def test_matches_tests_the_whole_value_against_a_pattern(expression, expected):
    assert value_of(expression) is expected


def test_escape_javascript_escapes_quotes_and_control_characters():
    assert value_of("util.escapeJavaScript('say \"hi\"\\n')") == 'say \\"hi\\"\\n'


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("util.time.parseISO8601ToEpochMilliSeconds('2018-02-01T17:21:05.180Z')", 1517505665180),
        ("util.time.epochMilliSecondsToSeconds(1517943695750)", 1517943695),
        ("util.time.epochMilliSecondsToISO8601(1517943695750)", "2018-02-06T19:01:35.750Z"),
        (
            "util.time.epochMilliSecondsToFormatted(1517943695750, 'yyyy-MM-dd HH:mm:ssZ')",
            "2018-02-06 19:01:35+0000",
        ),
        (
            "util.time.epochMilliSecondsToFormatted(1517943695750, "
            "'yyyy-MM-dd HH:mm:ssZ', 'Australia/Perth')",
            "2018-02-07 03:01:35+0800",
        ),
        (
            "util.time.parseFormattedToEpochMilliSeconds('2018-02-01 17:21:05+0000', "
            "'yyyy-MM-dd HH:mm:ssZ')",
            1517505665000,
        ),
        (
            "util.time.parseFormattedToEpochMilliSeconds('2018-02-02 01:19:22', "
            "'yyyy-MM-dd HH:mm:ss', 'Australia/Perth')",
            1517505562000,
        ),
    ],
)
def test_time_conversions_follow_the_util_time_reference(expression, expected):
    assert value_of(expression) == expected


def test_now_formatted_uses_the_pattern_and_zone():
    stamp = value_of("util.time.nowFormatted('yyyy-MM-dd HH:mm:ssZ', 'UTC')")
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\+0000", stamp)
    assert stamp[:10] == time.strftime("%Y-%m-%d", time.gmtime())


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("util.dynamodb.toNumberSet([1, 2])", {"NS": [1, 2]}),
        ("util.dynamodb.toBinary('Zm9v')", {"B": "Zm9v"}),
        ("util.dynamodb.toBinarySet(['Zm9v'])", {"BS": ["Zm9v"]}),
        (
            "util.dynamodb.toS3Object('foo', 'bar', 'baz')",
            {"S": '{"s3":{"key":"foo","bucket":"bar","region":"baz"}}'},
        ),
        (
            "util.dynamodb.fromS3ObjectJson("
            "util.dynamodb.toS3Object('foo', 'bar', 'baz', 'beep').S)",
            {"key": "foo", "bucket": "bar", "region": "baz", "version": "beep"},
        ),
    ],
)
def test_more_dynamodb_helpers(expression, expected):
    assert value_of(expression) == expected


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("util.math.roundNum(1.5)", 2),
        ("util.math.minVal(3, 7)", 3),
        ("util.math.maxVal(3, 7)", 7),
        ("util.str.normalize('e\\u0301', 'nfc')", "\u00e9"),
        ("util.str.normalize('\\u00e9', 'nfd')", "e\u0301"),
    ],
)
def test_math_and_string_helpers(expression, expected):
    assert value_of(expression) == expected


def test_random_helpers_stay_in_range():
    doubles = value_of("[util.math.randomDouble(), util.math.randomDouble()]")
    assert all(0 <= d < 1 for d in doubles)
    ints = value_of("[util.math.randomWithinRange(5, 6), util.math.randomWithinRange(5, 6)]")
    assert all(i in (5, 6) for i in ints)


def test_evict_from_api_cache_is_accepted_with_nothing_to_evict():
    code = (
        "import { extensions } from '@aws-appsync/utils';\n"
        "export function request(ctx) {\n"
        "  extensions.evictFromApiCache('Query', 'getTodo', { 'ctx.args.id': '1' });\n"
        "  return { payload: 'ok' };\n}\n"
        "export function response(ctx) { return ctx.result; }\n"
    )
    module = RUNTIME.load(code, "evict.js")
    ctx = make_context({}, None, info=make_info("Mutation", "m"))
    assert module.call("request", ctx, AuthType.IAM).value == {"payload": "ok"}


@pytest.mark.parametrize(
    "member",
    [
        "util.transform.toElasticsearchQueryDSL({})",
        "util.xml.toMap('<a/>')",
        "util.http.copyHeaders({})",
    ],
)
def test_a_declared_member_not_emulated_stops_the_request_naming_it(member):
    name = member.split("(")[0]
    with pytest.raises(NotEmulated, match=re.escape(f"{name} is not emulated")):
        run(f"return {member};")


# Members exercised above, by name; the surface test below fails when AWS adds one.
TESTED_MEMBERS = {
    "util": {
        "appendError",
        "authType",
        "autoId",
        "autoKsuid",
        "autoUlid",
        "base64Decode",
        "base64Encode",
        "error",
        "escapeJavaScript",
        "matches",
        "unauthorized",
        "urlDecode",
        "urlEncode",
    },
    "util.time": {
        "epochMilliSecondsToFormatted",
        "epochMilliSecondsToISO8601",
        "epochMilliSecondsToSeconds",
        "nowEpochMilliSeconds",
        "nowEpochSeconds",
        "nowFormatted",
        "nowISO8601",
        "parseFormattedToEpochMilliSeconds",
        "parseISO8601ToEpochMilliSeconds",
    },
    "util.dynamodb": {
        "fromS3ObjectJson",
        "toBinary",
        "toBinarySet",
        "toBoolean",
        "toDynamoDB",
        "toList",
        "toMap",
        "toMapValues",
        "toNull",
        "toNumber",
        "toNumberSet",
        "toS3Object",
        "toString",
        "toStringSet",
    },
    "util.math": {"maxVal", "minVal", "randomDouble", "randomWithinRange", "roundNum"},
    "util.str": {"normalize"},
    "runtime": {"earlyReturn"},
    "extensions": {"evictFromApiCache"},
    # behaviour in test_expressions.py
    "util.transform": {
        "toDynamoDBConditionExpression",
        "toDynamoDBFilterExpression",
        "toSubscriptionFilter",
        "toElasticsearchQueryDSL",  # refused: test above and test_runtime_conformance.py
    },
}
# Declared by AWS, refused at start-up by code_check.py (test_runtime_conformance.py) instead.
NOT_EMULATED = {"util.http", "util.rds", "util.xml"}


def test_every_declared_member_has_a_behaviour_test_or_is_refused_at_start_up():
    declared = {"util": set(SURFACE["util"]), "runtime": set(SURFACE["runtime"])}
    for namespace, members in SURFACE["utilNamespaces"].items():
        declared[f"util.{namespace}"] = set(members)
    declared["extensions"] = {"evictFromApiCache"} & set(SURFACE["extensions"])
    untested = {
        name: members - TESTED_MEMBERS.get(name, set())
        for name, members in declared.items()
        if name not in NOT_EMULATED and members - TESTED_MEMBERS.get(name, set())
    }
    assert untested == {}
