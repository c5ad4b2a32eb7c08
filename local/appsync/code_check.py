"""Refuse, at start-up, resolver code that AppSync would refuse or that cannot run locally.

AppSync checks APPSYNC_JS code when a resolver or function is saved and rejects code that uses
what its runtime lacks (try/catch, classes, generators, `in`, `while`, `continue`, labels,
`++`, regular expressions, recursion, ...), failing the deploy with "The code contains one or
more errors". The rules are those of AWS's @aws-appsync/eslint-plugin (its `recommended`
set), so this module runs exactly that plugin, through Node, over every resolver and function
of the template (runtime/check_code.mjs). It adds one local rule: members AWS declares that
this emulation does not implement yet are refused here, naming them, instead of failing at the
first request.

Results are cached by content (in .build/appsync-code-checks/), so an unchanged stack starts
without running Node.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from local.appsync.js_runtime import RUNTIME_FILES, SURFACE
from local.template import TemplateError

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CACHE_DIR = PROJECT_ROOT / ".build" / "appsync-code-checks"
CHECK_SCRIPT = "check_code.mjs"

# Declared by @aws-appsync/utils, not implemented by local/appsync/runtime/util.js.
NOT_EMULATED = {
    "namespaces": sorted({"http", "rds", "xml"} & set(SURFACE["utilNamespaces"])),
    "members": ["util.transform.toElasticsearchQueryDSL"],
    "extensions": sorted(
        set(SURFACE["extensions"])
        - {
            "evictFromApiCache",
            "setSubscriptionFilter",
            "setSubscriptionInvalidationFilter",
            "invalidateSubscriptions",
        }
    ),
    "modules": ["@aws-appsync/utils/rds", "@aws-appsync/utils/ai"],
}


@dataclass(frozen=True)
class Finding:
    name: str  # the resolver or function, as the template names it
    line: int
    column: int
    rule: str
    message: str
    source: str  # "aws": AppSync refuses it; "local": not emulated locally

    def __str__(self) -> str:
        why = (
            "AppSync refuses this code when it is deployed"
            if self.source == "aws"
            else "the local AppSync runtime cannot run this yet"
        )
        return f"{self.name}:{self.line}:{self.column}: {self.message} ({self.rule}; {why})"


class ResolverCodeRefused(TemplateError):
    """At least one resolver or function has code the local stack must not serve."""

    def __init__(self, findings: list[Finding]) -> None:
        self.findings = findings
        more = f" (and {len(findings) - 1} more)" if len(findings) > 1 else ""
        super().__init__(f"{findings[0]}{more}")


def check_resolver_code(files: Iterable[tuple[str, str]]) -> None:
    """Raise ResolverCodeRefused for the first problem in any (name, code); else return."""
    findings = find_problems(files)
    if findings:
        raise ResolverCodeRefused(findings)


def find_problems(files: Iterable[tuple[str, str]]) -> list[Finding]:
    payload = {
        "files": [{"name": name, "code": code} for name, code in files],
        "notEmulated": NOT_EMULATED,
    }
    if not payload["files"]:
        return []
    script = RUNTIME_FILES.joinpath(CHECK_SCRIPT).read_text()
    key = hashlib.sha256(
        json.dumps([payload, script, SURFACE["sources"]], sort_keys=True).encode()
    ).hexdigest()
    cached = CACHE_DIR / f"{key}.json"
    if cached.exists():
        raw = json.loads(cached.read_text())
    else:
        raw = _run_node(payload)
        CACHE_DIR.mkdir(parents=True, exist_ok=True)
        partial = cached.with_suffix(".tmp")
        partial.write_text(json.dumps(raw))
        partial.replace(cached)
    return [Finding(**entry) for entry in raw]


def _run_node(payload: dict[str, Any]) -> list[dict[str, object]]:
    node = shutil.which("node")
    if node is None or not (PROJECT_ROOT / "node_modules" / "@aws-appsync").is_dir():
        raise TemplateError(
            "checking the resolver code needs Node and the project's node_modules: "
            "run `make setup` first"
        )
    script = Path(str(RUNTIME_FILES.joinpath(CHECK_SCRIPT)))
    done = subprocess.run(  # noqa: S603 - fixed command, our own script
        [node, str(script)],
        input=json.dumps(payload),
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise TemplateError(f"the resolver code check could not run: {last}")
    result: list[dict[str, object]] = json.loads(done.stdout)
    return result
