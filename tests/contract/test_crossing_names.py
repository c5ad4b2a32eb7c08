"""Names and rules that cross a boundary no import can: one side must not change alone.

The stack (stacks/), the function (lambda_src/, bundled without stacks/), the JS resolvers
(schema/resolvers/), the CLI (todo_cli/) and the test fixtures each hold their own copy of
a few names and rules. Each test below fails when a copy drifts:

- the `admins` group; the `byOwner` index and its keys;
- the title rule (trimmed, 1 to 256 characters, no control characters), run through both
  resolver files and the function's parser on the same probes;
- the page-size limits of listTodos;
- the error codes API Gateway answers itself versus the function's;
- the SDK packages the Lambda runtime provides (left out of the asset, given to local workers).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws
from todo_api import errors, models

from local.appsync.identity import AuthType, iam_identity
from local.appsync.js_runtime import JsRuntime, make_info
from local.appsync.resolvers import FieldCall, ResolverExecutor
from local.appsync.specs import DataSourceSpec, ResolverSpec
from local.awslambda.pool import RUNTIME_SDK
from stacks import constants
from stacks.bundling import BOTOCORE_BRINGS, RUNTIME_PROVIDED, TRIMMED
from stacks.rest_api import GATEWAY_ERRORS
from tests.unit.todo_table import create_todo_table
from todo_cli import cognito as cli_cognito

ROOT = Path(__file__).resolve().parents[2]
RESOLVERS = ROOT / "schema" / "resolvers"
TITLE_RESOLVERS = ("Mutation.createTodo.js", "functions/updateTodo.js")
# Codes only API Gateway answers (the function never sees those requests).
GATEWAY_ONLY_CODES = {"throttled", "unsupported_media_type"}


def _source(relative: str) -> str:
    return (RESOLVERS / relative).read_text(encoding="utf-8")


def _number_named(source: str, pattern: str) -> int | None:
    """The value of a `const NAME = 123` whose name matches `pattern`, if the file has one."""
    found = re.search(rf"\b(?:const|let|var)\s+({pattern})\s*=\s*(\d+)\b", source)
    return int(found.group(2)) if found else None


# --- identity and data names ----------------------------------------------------------------


def test_every_copy_of_the_admins_group_name_agrees() -> None:
    assert constants.ADMINS_GROUP == models.ADMIN_GROUP == cli_cognito.ADMINS_GROUP == "admins"


def test_the_owner_index_is_the_one_the_list_resolver_queries() -> None:
    source = _source("Query.listTodos.js")
    assert re.search(rf"index:\s*['\"]{constants.OWNER_INDEX_NAME}['\"]", source)
    assert constants.OWNER_INDEX_PARTITION_KEY in source


def test_the_test_table_has_the_stack_s_keys_and_index() -> None:
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        create_todo_table(client, "Contract")
        table = client.describe_table(TableName="Contract")["Table"]
    (index,) = table["GlobalSecondaryIndexes"]
    assert table["KeySchema"] == [
        {"AttributeName": constants.TABLE_PARTITION_KEY, "KeyType": "HASH"}
    ]
    assert index["IndexName"] == constants.OWNER_INDEX_NAME
    assert [k["AttributeName"] for k in index["KeySchema"]] == [
        constants.OWNER_INDEX_PARTITION_KEY,
        constants.OWNER_INDEX_SORT_KEY,
    ]


# --- page size ------------------------------------------------------------------------------


def test_list_resolver_and_function_share_the_page_size_limits() -> None:
    source = _source("Query.listTodos.js")
    assert _number_named(source, r"MAX_LIMIT|MAX_PAGE_SIZE|LIMIT_MAX") == models.LIMIT_MAX
    assert _number_named(source, r"DEFAULT_LIMIT|DEFAULT_PAGE_SIZE|LIMIT_DEFAULT") == (
        models.LIMIT_DEFAULT
    )


# --- the title rule -------------------------------------------------------------------------

TITLE_PROBES = {
    "empty": "",
    "blank": "   ",
    "one character": "a",
    "256 characters": "a" * models.TITLE_MAX_CHARS,
    "257 characters": "a" * (models.TITLE_MAX_CHARS + 1),
    "256 after trimming": "  " + "a" * models.TITLE_MAX_CHARS + "\n\t ",
    "256 astral characters": "\U0001f600" * models.TITLE_MAX_CHARS,
    "257 astral characters": "\U0001f600" * (models.TITLE_MAX_CHARS + 1),
    "NUL inside": "a\x00b",
    "unit separator inside": "a\x1fb",
    "DEL inside": "a\x7fb",
    "C1 control inside": "a\x85b",
    "tab inside": "a\tb",
    "unit separator at the edge": "\x1fa",
    "NEL at the edge": "\x85a",
    "no-break space at the edge": "\u00a0a\u00a0",
    "byte order mark at the edge": "\ufeffa",
    "line separator at the edge": "\u2028a",
    "accented": "Caf\u00e9 cr\u00e8me",
}


def _function_accepts(title: str) -> bool:
    try:
        models.parse_new_todo({"title": title})
    except errors.ValidationFailed:
        return False
    return True


@pytest.fixture(scope="module")
def resolve_title() -> Iterator[Any]:
    """Run a title through one resolver file, as the function's IAM role; True if accepted."""
    source = DataSourceSpec("Table", "AMAZON_DYNAMODB", "Contract")
    identity = iam_identity(
        "123456789012", "arn:aws:sts::123456789012:assumed-role/Fn/fn", "AROA:fn", ["127.0.0.1"]
    )
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        create_todo_table(client, "Contract")
        executor = ResolverExecutor(JsRuntime(), client)

        def accepts(relative: str, title: str) -> bool:
            field = "createTodo" if "create" in relative else "updateTodo"
            fields = {"owner": "o"} if field == "createTodo" else {"id": "x", "expectedVersion": 1}
            arguments = {"input": {**fields, "title": title}}
            spec = ResolverSpec("Mutation", field, "UNIT", _source(relative), source)
            call = FieldCall(
                arguments, identity, AuthType.IAM, make_info("Mutation", field, arguments)
            )
            _, errors_ = executor.execute(spec, call)
            return not any(e.get("errorType") == "ValidationError" for e in errors_)

        yield accepts


@pytest.mark.parametrize("resolver", TITLE_RESOLVERS)
@pytest.mark.parametrize("probe", sorted(TITLE_PROBES))
def test_resolvers_and_function_accept_the_same_titles(
    resolve_title: Any, resolver: str, probe: str
) -> None:
    title = TITLE_PROBES[probe]
    assert resolve_title(resolver, title) == _function_accepts(title)


@pytest.mark.parametrize("resolver", TITLE_RESOLVERS)
def test_resolvers_state_the_function_s_title_limit(resolver: str) -> None:
    # Whatever the code looks like, the limit's number is in the file (ideally as
    # `const MAX_TITLE_LENGTH = 256`, which is then checked exactly).
    source = _source(resolver)
    named = _number_named(source, r"MAX_TITLE_(?:LENGTH|CHARS)|TITLE_MAX_(?:LENGTH|CHARS)")
    assert named in (None, models.TITLE_MAX_CHARS)
    assert re.search(rf"\b{models.TITLE_MAX_CHARS}\b", source)


# --- error codes ----------------------------------------------------------------------------


def _function_codes() -> set[str]:
    found: set[str] = set()
    stack: list[type[errors.ApiError]] = [errors.ApiError]
    while stack:
        kind = stack.pop()
        found.add(kind.code)
        stack.extend(kind.__subclasses__())
    return found


def test_gateway_errors_use_the_function_s_codes() -> None:
    gateway = {error.code for error in GATEWAY_ERRORS}
    assert gateway - GATEWAY_ONLY_CODES <= _function_codes()
    assert gateway >= GATEWAY_ONLY_CODES


def test_gateway_and_function_agree_on_what_tells_clients_to_retry() -> None:
    retrying = {error.code for error in GATEWAY_ERRORS if error.retry_after}
    assert retrying == {"throttled"}
    for kind in (errors.UpstreamThrottled, errors.UpstreamUnavailable):
        assert "Retry-After" in kind().headers()


def test_every_error_code_is_documented() -> None:
    documented = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    codes = _function_codes() | {error.code for error in GATEWAY_ERRORS}
    assert {code for code in codes if f"`{code}`" not in documented} == set()


# --- the runtime's SDK ----------------------------------------------------------------------


def test_local_workers_get_what_the_asset_leaves_to_the_runtime() -> None:
    # The asset may leave out only what Lambda's runtime has; the local workers get all of it.
    assert set(RUNTIME_PROVIDED) | set(BOTOCORE_BRINGS) <= set(RUNTIME_SDK)


def test_what_botocore_brings_is_what_the_asset_trims() -> None:
    trimmed = {entry.removesuffix(".py") for entry in TRIMMED if "*" not in entry}
    assert set(BOTOCORE_BRINGS) <= trimmed
