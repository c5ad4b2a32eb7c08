"""Every resolver type-checks against the official `@aws-appsync/utils` definitions.

Source of truth: the npm package @aws-appsync/utils (lib/index.d.ts declares `Util`, the
`util` the APPSYNC_JS runtime provides). A member it does not declare, such as the VTL helper
`util.isNull`, does not exist on AppSync's JavaScript runtime.
"""

import re
from pathlib import Path

import pytest
from static_checks import RESOLVERS, ROOT, TSC, scratch_copy, tsc

SCHEMA = ROOT / "schema" / "schema.graphql"


@pytest.fixture(autouse=True, scope="module")
def _tsc_installed() -> None:
    assert TSC.exists(), "node_modules/.bin/tsc is missing: run `make setup`"


def test_repository_resolvers_type_check():
    # WHEN the resolvers are type-checked with the repo's tsconfig
    result = tsc(ROOT)
    # THEN there is nothing to report
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_resolver_types_its_context():
    # GIVEN every resolver and pipeline function file
    files = [p for p in RESOLVERS.rglob("*.js")]
    # THEN each handler taking ctx declares its type, so the checks can see through it
    untyped = [
        p.name
        for p in files
        if re.search(r"export function \w+\(ctx\)", p.read_text())
        and "import('@aws-appsync/utils').Context" not in p.read_text()
    ]
    assert files and not untyped


@pytest.mark.parametrize(
    ("snippet", "message"),
    [
        ("util.isNull(ctx.args.id)", "Property 'isNull' does not exist on type 'Util'"),
        ("util.toJson(ctx.args)", "Property 'toJson' does not exist on type 'Util'"),
        ("util.time.nowFormattedISO()", "Property 'nowFormattedISO' does not exist"),
        ("runtime.skip()", "Property 'skip' does not exist"),
    ],
)
def test_a_util_member_aws_does_not_declare_fails_the_check(
    tmp_path: Path, snippet: str, message: str
):
    # GIVEN a resolver that calls a member the official definitions do not declare
    project = scratch_copy(tmp_path)
    (project / "schema" / "resolvers" / "Bad.js").write_text(
        "import { util, runtime } from '@aws-appsync/utils';\n"
        "/** @param {import('@aws-appsync/utils').Context} ctx */\n"
        f"export function request(ctx) {{ return {{ payload: {snippet} }}; }}\n"
        "export function response() { return runtime; }\n"
    )
    # WHEN it is type-checked
    result = tsc(project)
    # THEN the check fails naming the missing member
    assert result.returncode != 0
    assert message in result.stdout


def _schema_inputs() -> dict[str, set[str]]:
    text = SCHEMA.read_text()
    inputs = {}
    for name, body in re.findall(r"input (\w+) \{([^}]*)\}", text):
        inputs[name] = set(re.findall(r"^\s*(\w+):", body, re.MULTILINE))
    return inputs


def _declared_types() -> dict[str, set[str]]:
    text = (RESOLVERS / "graphql-types.d.ts").read_text()
    return {
        name: set(re.findall(r"(\w+)\??:", body))
        for name, body in re.findall(r"export type (\w+) = \{([^}]*)\}", text)
    }


def test_the_resolver_types_mirror_the_schema_inputs():
    # GIVEN the schema's input types and their TypeScript mirrors
    schema, declared = _schema_inputs(), _declared_types()
    # THEN every input exists on both sides with the same fields
    assert schema
    for name, fields in schema.items():
        assert declared.get(name) == fields, name
