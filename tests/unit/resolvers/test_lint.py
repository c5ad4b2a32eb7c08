"""The resolvers pass the official AppSync ESLint rules, and those rules really run."""

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
ESLINT = ROOT / "node_modules" / ".bin" / "eslint"


@pytest.fixture(autouse=True, scope="module")
def _eslint_installed() -> None:
    # `make test` installs it; a missing linter is a failure, not a reason to skip.
    assert ESLINT.exists(), "node_modules/.bin/eslint is missing: run `make setup`"


def lint(cwd: Path, target: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(ESLINT), "--no-warn-ignored", target],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def scratch_project(tmp_path: Path) -> Path:
    """A copy of the repo's lint set-up (config, tsconfig, node_modules link) in tmp."""
    shutil.copy(ROOT / "eslint.config.mjs", tmp_path / "eslint.config.mjs")
    resolvers = tmp_path / "schema" / "resolvers"
    resolvers.mkdir(parents=True)
    shutil.copy(ROOT / "schema" / "resolvers" / "tsconfig.json", resolvers / "tsconfig.json")
    (tmp_path / "node_modules").symlink_to(ROOT / "node_modules")
    return tmp_path


def test_repository_resolvers_pass_the_appsync_rules():
    # WHEN the resolvers are linted with the repo's configuration
    result = lint(ROOT, "schema/resolvers")
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
    result = lint(scratch_project, "schema/resolvers")
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
    result = lint(scratch_project, "schema/resolvers")
    # THEN the recursion rule fails the run
    assert result.returncode == 1
    assert "@aws-appsync/no-recursion" in result.stdout
