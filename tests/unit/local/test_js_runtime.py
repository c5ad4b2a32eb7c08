"""Loading APPSYNC_JS modules into QuickJS: the strict module transform and the ctx shape."""

import threading

import pytest

from local.appsync.identity import AuthType, cognito_identity, iam_identity
from local.appsync.js_runtime import JsRuntime, ModuleSyntaxError, make_context, make_info

HANDLERS = (
    "export function request(ctx) { return ctx; }\nexport function response(ctx) { return 1; }\n"
)


def ctx(arguments=None, **parts):
    identity = cognito_identity({"sub": "s-1", "iss": "issuer", "cognito:groups": ["admins"]}, [])
    return make_context(arguments or {}, identity, info=make_info("Query", "f"), **parts)


@pytest.mark.parametrize(
    ("source", "complaint"),
    [
        ("import { util } from './helpers';\n", "import from './helpers' is not allowed"),
        ("import utils from '@aws-appsync/utils';\n", "unsupported module syntax"),
        ("import * as utils from '@aws-appsync/utils';\n", "import * from"),
        ("export default function x() {}\n", "unsupported module syntax"),
        ("export const LIMIT = 3;\n", "unsupported module syntax"),
        ("export { helper };\n", "unsupported module syntax"),
    ],
)
def test_module_forms_other_than_utils_import_and_exported_functions_are_refused(source, complaint):
    # WHEN a module with that form is loaded; THEN it fails naming the file and the problem
    with pytest.raises(ModuleSyntaxError, match=r"bad\.js") as raised:
        JsRuntime().load(source + HANDLERS, "bad.js")
    assert complaint in str(raised.value)


def test_a_module_without_response_is_refused():
    with pytest.raises(ModuleSyntaxError, match=r"missing\.js: must export response"):
        JsRuntime().load("export function request(ctx) { return {}; }\n", "missing.js")


def test_a_module_that_does_not_parse_fails_at_load_naming_the_file():
    with pytest.raises(ModuleSyntaxError, match=r"typo\.js: SyntaxError"):
        JsRuntime().load("export function request(ctx) { return {; }\n" + HANDLERS, "typo.js")


def test_util_is_only_bound_when_imported():
    # GIVEN a module using util without importing it (AppSync would fail too)
    module = JsRuntime().load(
        "export function request(ctx) { return util.autoId(); }\n"
        "export function response(ctx) { return null; }\n",
        "forgot-import.js",
    )
    # WHEN it runs; THEN it fails as a runtime error, as on AppSync
    outcome = module.call("request", ctx(), AuthType.USER_POOL)
    assert outcome.runtime_error == "ReferenceError: 'util' is not defined"


def test_multi_line_and_renamed_imports_are_accepted():
    module = JsRuntime().load(
        "import {\n  util as u,\n  runtime,\n} from '@aws-appsync/utils';\n"
        "export function request(ctx) { return [u.authType(), typeof runtime.earlyReturn]; }\n"
        "export function response(ctx) { return null; }\n",
        "imports.js",
    )
    assert module.call("request", ctx(), AuthType.IAM).value == ["IAM Authorization", "function"]


def test_the_same_code_is_compiled_once():
    runtime = JsRuntime()
    assert runtime.load(HANDLERS, "a.js") is runtime.load(HANDLERS, "a.js")


def test_ctx_has_appsync_shape_with_args_alias():
    module = JsRuntime().load(HANDLERS, "echo.js")
    seen = module.call("request", ctx({"id": "1"}), AuthType.USER_POOL).value
    assert seen["args"] == seen["arguments"] == {"id": "1"}
    assert seen["identity"]["sub"] == "s-1"
    assert seen["identity"]["groups"] == ["admins"]
    assert seen["info"]["fieldName"] == "f"
    assert seen["info"]["parentTypeName"] == "Query"
    assert seen["request"] == {"headers": {}, "domainName": None}


def test_iam_identity_has_cognito_fields_null():
    identity = iam_identity("123456789012", "arn:aws:iam::123456789012:role/r", "AROA:x", [])
    assert identity["accountId"] == "123456789012"
    assert identity["cognitoIdentityPoolId"] is None
    assert identity["cognitoIdentityId"] is None


def test_stash_changes_are_returned():
    module = JsRuntime().load(
        "export function request(ctx) { ctx.stash.seen = true; return {}; }\n"
        "export function response(ctx) { return null; }\n",
        "stash.js",
    )
    outcome = module.call("request", ctx(stash={"before": 1}), AuthType.USER_POOL)
    assert outcome.stash == {"before": 1, "seen": True}


def test_a_javascript_error_is_a_runtime_error_of_the_handler():
    module = JsRuntime().load(
        "export function request(ctx) { return ctx.nothing.here; }\n"
        "export function response(ctx) { return null; }\n",
        "broken.js",
    )
    outcome = module.call("request", ctx(), AuthType.USER_POOL)
    assert outcome.runtime_error is not None
    assert outcome.runtime_error.startswith("TypeError: ")


def test_modules_run_correctly_from_many_threads():
    # GIVEN one runtime shared by 8 threads, each calling the same module 50 times
    module = JsRuntime().load(
        "import { util } from '@aws-appsync/utils';\n"
        "export function request(ctx) { return [ctx.args.n, util.authType()]; }\n"
        "export function response(ctx) { return null; }\n",
        "threads.js",
    )
    results: dict[int, list] = {}

    def worker(n: int) -> None:
        auth = AuthType.IAM if n % 2 else AuthType.USER_POOL
        results[n] = [module.call("request", ctx({"n": n}), auth).value for _ in range(50)]

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # THEN every call saw its own arguments and auth type
    for n in range(8):
        expected = [n, "IAM Authorization" if n % 2 else "User Pool Authorization"]
        assert results[n] == [expected] * 50


def test_ctx_env_carries_the_api_environment_variables():
    module = JsRuntime().load(
        "export function request(ctx) { return ctx.env.TABLE_NAME; }\n"
        "export function response(ctx) { return null; }\n",
        "env.js",
    )
    context = make_context({}, None, info=make_info("Query", "f"), env={"TABLE_NAME": "t-1"})
    assert module.call("request", context, AuthType.IAM).value == "t-1"
