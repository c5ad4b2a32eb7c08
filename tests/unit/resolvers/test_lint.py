"""The resolvers pass the official AppSync ESLint rules, and those rules really run."""

from pathlib import Path

import pytest
from static_checks import ESLINT, ROOT, eslint, scratch_copy


@pytest.fixture(autouse=True, scope="module")
def _eslint_installed() -> None:
    # `make test` installs it; a missing linter is a failure, not a reason to skip.
    assert ESLINT.exists(), "node_modules/.bin/eslint is missing: run `make setup`"


@pytest.fixture
def scratch_project(tmp_path: Path) -> Path:
    return scratch_copy(tmp_path)


def test_repository_resolvers_pass_the_appsync_rules():
    # WHEN the resolvers are linted with the repo's configuration
    result = eslint(ROOT)
    # THEN there is nothing to report
    assert result.returncode == 0, result.stdout + result.stderr


def test_try_catch_is_rejected(scratch_project: Path):
    # GIVEN a resolver using try/catch, which APPSYNC_JS does not support
    bad = scratch_project / "schema" / "resolvers" / "Bad.js"
    bad.write_text(
        "export function request(ctx) {\n"
        "  try { return {}; } catch (e) { return null; }\n"
        "}\n"
        "export function response(ctx) { return ctx.result; }\n"
    )
    # WHEN it is linted with the same configuration
    result = eslint(scratch_project)
    # THEN the AppSync rule fails the run
    assert result.returncode == 1
    assert "@aws-appsync/no-try" in result.stdout


def test_recursion_is_rejected_by_the_type_aware_rules(scratch_project: Path):
    # GIVEN a resolver with a recursive helper (caught only by the type-aware rule set)
    bad = scratch_project / "schema" / "resolvers" / "Recursive.js"
    bad.write_text(
        "function depth(n) { return n === 0 ? 0 : depth(n - 1); }\n"
        "export function request(ctx) { return { payload: depth(3) }; }\n"
        "export function response(ctx) { return ctx.result; }\n"
    )
    # WHEN it is linted
    result = eslint(scratch_project)
    # THEN the recursion rule fails the run
    assert result.returncode == 1
    assert "@aws-appsync/no-recursion" in result.stdout


def test_a_method_the_runtime_lacks_is_rejected_on_typed_arguments(scratch_project: Path):
    """@aws-appsync/eslint-plugin, rule no-disallowed-methods, lists String.charCodeAt as not
    implemented by APPSYNC_JS. The rule needs type information: the JSDoc Context type on ctx
    (and graphql-types.d.ts) tells it the title is a string."""
    # GIVEN a resolver that calls charCodeAt on a typed argument
    bad = scratch_project / "schema" / "resolvers" / "CharCode.js"
    bad.write_text(
        "/** @param {import('@aws-appsync/utils').Context<"
        "import('./graphql-types').CreateTodoArgs>} ctx */\n"
        "export function request(ctx) {\n"
        "  return { payload: ctx.args.input.title.charCodeAt(0) };\n"
        "}\n"
        "export function response(ctx) { return ctx.result; }\n"
    )
    # WHEN it is linted
    result = eslint(scratch_project)
    # THEN the disallowed-method rule names it
    assert result.returncode == 1
    assert "String.charCodeAt is not implemented" in result.stdout
