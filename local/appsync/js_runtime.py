"""Run APPSYNC_JS resolver modules in QuickJS, as strict as AWS's APPSYNC_JS runtime.

Each QuickJS context is prepared from local/appsync/runtime/:
- prelude.js: per-call state, util.error / runtime.earlyReturn as structured outcomes;
- util.js: the local implementation of `@aws-appsync/utils`;
- surface.json: what AWS's type definitions declare; only those members are exposed, so a
  member AWS lacks (say `util.isNull`) is absent here too;
- lockdown.js: removes the built-ins AWS's runtime does not implement.

A resolver file is an ES module. QuickJS (through the `quickjs` package) evaluates scripts,
so each module is transformed minimally and strictly before it runs:
- `import { util, runtime, extensions } from '@aws-appsync/utils'` becomes constants bound to
  the exposed objects (optionally renamed with `as`);
- `export function name(` becomes `function name(`;
- any other `import` or `export` form is refused with an error naming the file.
The statements and operators AWS refuses (try, classes, `in`, ...) are checked before any of
this, at start-up, by code_check.py with AWS's own lint rules.

QuickJS contexts are not thread-safe, so every thread gets its own context (prepared once)
and evaluates each module once, on first use.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import re
import secrets
import threading
import time
import unicodedata
import urllib.parse
import uuid
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import quickjs

from local.appsync import time_format
from local.appsync.errors import ErrorEntry
from local.appsync.filters import NO_EXTENSIONS, Extensions
from local.appsync.identity import AuthType

UTILS_MODULE = "@aws-appsync/utils"
ALLOWED_IMPORTS = frozenset({"util", "runtime", "extensions"})
RUNTIME_FILES = resources.files("local.appsync").joinpath("runtime")
SURFACE: dict[str, Any] = json.loads(RUNTIME_FILES.joinpath("surface.json").read_text())
_KSUID_EPOCH = 1_400_000_000
_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
log = logging.getLogger("local.appsync.resolver")
HANDLERS = ("request", "response")

_IMPORT = re.compile(
    r"^[ \t]*import\s*(?:\{(?P<names>[^}]*)\}|\*\s*as\s+(?P<namespace>[A-Za-z_$][\w$]*))"
    r"\s*from\s*(?P<q>['\"])(?P<source>[^'\"]+)(?P=q)[ \t]*;?",
    re.MULTILINE,
)
# AppSync's built-in modules (developer guide, "Built-in modules") and their binding here.
DYNAMODB_MODULE = "@aws-appsync/utils/dynamodb"
_EXPORT_FUNCTION = re.compile(r"^([ \t]*)export\s+function\b", re.MULTILINE)
_OTHER_MODULE_SYNTAX = re.compile(r"^[ \t]*(import|export)\b.*$", re.MULTILINE)
_DEFINED_FUNCTION = re.compile(r"^[ \t]*function\s+(request|response)\s*\(", re.MULTILINE)
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


class ModuleSyntaxError(ValueError):
    """The resolver file uses a module form the APPSYNC_JS emulation does not accept."""


class JsExecutionError(RuntimeError):
    """The local engine itself failed to run a handler (not the resolver's own error)."""


class NotEmulated(RuntimeError):
    """The resolver reached a member AWS declares that the local runtime does not implement."""


@dataclass(frozen=True)
class Outcome:
    """What one handler call produced."""

    value: Any
    error: ErrorEntry | None
    appended_errors: tuple[ErrorEntry, ...] = ()
    early_return: bool = False
    skip_to: str | None = None  # "END" or "NEXT" when runtime.earlyReturn passed it
    stash: dict[str, Any] = field(default_factory=dict)
    # The handler threw (e.g. called a member the runtime lacks): "TypeError: not a function".
    runtime_error: str | None = None
    # What the handler asked of `extensions` (subscription filters, invalidations).
    extensions: Extensions = NO_EXTENSIONS


@dataclass(frozen=True)
class JsModule:
    """A transformed resolver module; evaluated lazily once per thread's context."""

    name: str
    module_id: str
    script: str
    runtime: JsRuntime

    def call(self, handler: str, ctx: dict[str, Any], auth_type: AuthType | str) -> Outcome:
        """Run `request` or `response` with an AppSync-shaped ctx (see make_context)."""
        if handler not in HANDLERS:
            raise ValueError(f"unknown handler {handler!r}: expected one of {HANDLERS}")
        return self.runtime.invoke(self, handler, ctx, str(auth_type))


class JsRuntime:
    """Compiles modules once and runs them in one QuickJS context per thread."""

    def __init__(self) -> None:
        self._local = threading.local()
        self._modules: dict[str, JsModule] = {}
        self._lock = threading.Lock()
        self._sources = [RUNTIME_FILES.joinpath(f).read_text() for f in _CONTEXT_FILES]

    def load(self, code: str, name: str) -> JsModule:
        """Transform `code` (the file called `name`) once; later loads reuse it.

        The module is also evaluated in this thread's context, so a file that does not
        parse fails here, naming the file.
        """
        module_id = hashlib.sha256(f"{name}\0{code}".encode()).hexdigest()[:24]
        with self._lock:
            module = self._modules.get(module_id)
        if module is None:
            module = JsModule(name, module_id, transform_module(code, name, module_id), self)
            self._context_with(module)
            with self._lock:
                module = self._modules.setdefault(module_id, module)
        return module

    def invoke(self, module: JsModule, handler: str, ctx: dict[str, Any], auth: str) -> Outcome:
        context = self._context_with(module)
        info = ctx.get("info") or {}
        state = {
            "authType": auth,
            "fieldName": info.get("fieldName"),
            "parentTypeName": info.get("parentTypeName"),
        }
        invoke = context.get("__appsync_invoke")
        try:
            raw = invoke(module.module_id, handler, json.dumps(ctx), json.dumps(state))
        except quickjs.JSException as exc:
            raise JsExecutionError(f"{module.name} {handler}(): {exc}") from exc
        return _outcome(json.loads(raw))

    def _context_with(self, module: JsModule) -> quickjs.Context:
        context: quickjs.Context | None = getattr(self._local, "context", None)
        if context is None:
            context = self._new_context()
            self._local.context = context
            self._local.loaded = set()
        if module.module_id not in self._local.loaded:
            try:
                context.eval(module.script)
            except quickjs.JSException as exc:
                raise ModuleSyntaxError(f"{module.name}: {exc}") from exc
            self._local.loaded.add(module.module_id)
        return context

    def _new_context(self) -> quickjs.Context:
        context = quickjs.Context()
        # No set_time_limit: the quickjs package refuses Python callbacks when one is set.
        for name, function in _HOST_FUNCTIONS.items():
            context.add_callable(name, function)
        for source in self._sources:
            context.eval(source)
        context.get("__appsync_expose")(json.dumps(SURFACE))
        context.get("__appsync_lockdown")(json.dumps(SURFACE["deniedMethods"]))
        return context


def transform_module(code: str, name: str, module_id: str) -> str:
    """Turn an APPSYNC_JS ES module into a script registering its handlers under module_id."""

    def replace_import(match: re.Match[str]) -> str:
        source = match["source"]
        if source not in (UTILS_MODULE, DYNAMODB_MODULE):
            raise ModuleSyntaxError(f"{name}: import from {source!r} is not allowed")
        module = "__appsync" if source == UTILS_MODULE else "__appsync.dynamodbModule"
        if match["namespace"]:
            if source == UTILS_MODULE:
                raise ModuleSyntaxError(f"{name}: import * from {source!r} is not emulated")
            bindings = [f"const {match['namespace']} = {module};"]
        else:
            bindings = []
        for spec in filter(None, (part.strip() for part in (match["names"] or "").split(","))):
            imported, _, alias = (piece.strip() for piece in spec.partition(" as "))
            if source == UTILS_MODULE and imported not in ALLOWED_IMPORTS:
                raise ModuleSyntaxError(f"{name}: importing {imported!r} is not emulated")
            bindings.append(f"const {alias or imported} = {module}.{imported};")
        # Same line count as the import, so error line numbers match the file.
        return " ".join(bindings) + "\n" * match[0].count("\n")

    body = _IMPORT.sub(replace_import, code)
    body = _EXPORT_FUNCTION.sub(r"\1function", body)
    leftover = _OTHER_MODULE_SYNTAX.search(body)
    if leftover:
        line = body.count("\n", 0, leftover.start()) + 1
        raise ModuleSyntaxError(f"{name}:{line}: unsupported module syntax: {leftover[0].strip()}")
    missing = set(HANDLERS) - set(_DEFINED_FUNCTION.findall(body))
    if missing:
        raise ModuleSyntaxError(f"{name}: must export {' and '.join(sorted(missing))}(ctx)")
    return (
        f"__appsync_modules[{json.dumps(module_id)}] = (function (__appsync) {{ 'use strict'; "
        f"{body}\n;return {{ request: request, response: response }};\n}})(__appsync_bindings);"
    )


_CONTEXT_FILES = ("prelude.js", "util.js", "expressions.js", "dynamodb_module.js", "lockdown.js")


def new_ulid() -> str:
    """A ULID: 48-bit millisecond timestamp and 80 random bits, Crockford base32."""
    value = (time.time_ns() // 1_000_000) << 80 | secrets.randbits(80)
    return "".join(_CROCKFORD[(value >> shift) & 31] for shift in range(125, -1, -5))


def new_ksuid() -> str:
    """A KSUID: 32-bit seconds since 2014-05-13 and 128 random bits, base62, 27 characters."""
    value = (int(time.time()) - _KSUID_EPOCH) << 128 | secrets.randbits(128)
    digits = ""
    while value:
        value, digit = divmod(value, 62)
        digits = _BASE62[digit] + digits
    return digits.rjust(27, "0")


def _matches(pattern: str, value: str) -> bool:
    # Java's String.matches semantics, which the VTL and JS references describe: the whole value.
    return re.fullmatch(pattern, value) is not None


def _normalize(value: str, form: str) -> str:
    if form.lower() not in {"nfc", "nfd", "nfkc", "nfkd"}:
        raise ValueError(f"util.str.normalize: unknown normalization type {form!r}")
    return unicodedata.normalize(form.upper(), value)  # type: ignore[arg-type]


def _log(level: str, text: str) -> None:
    log.log(logging.ERROR if level == "error" else logging.INFO, "console.%s: %s", level, text)


def _base64_encode(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _base64_decode(text: str) -> str:
    return base64.b64decode(text.encode()).decode()


def _url_encode(text: str) -> str:
    # application/x-www-form-urlencoded as Java's URLEncoder does it (AppSync's reference).
    return urllib.parse.quote_plus(text, safe="*").replace("~", "%7E")


_HOST_FUNCTIONS: dict[str, Any] = {
    "__host_uuid4": lambda: str(uuid.uuid4()),
    "__host_ulid": new_ulid,
    "__host_ksuid": new_ksuid,
    "__host_base64_encode": _base64_encode,
    "__host_base64_decode": _base64_decode,
    "__host_url_encode": _url_encode,
    "__host_url_decode": urllib.parse.unquote_plus,
    "__host_matches": _matches,
    "__host_normalize": _normalize,
    "__host_format_time": time_format.format_epoch_ms,
    "__host_parse_time": time_format.parse_to_epoch_ms,
    "__host_log": _log,
}


def _outcome(raw: dict[str, Any]) -> Outcome:
    if raw["notEmulated"]:
        raise NotEmulated(f"{raw['notEmulated']} is not emulated by the local AppSync runtime")
    error = raw["error"]
    runtime_error = raw["runtimeError"]
    return Outcome(
        value=raw["value"],
        error=ErrorEntry.from_entry(error) if error else None,
        appended_errors=tuple(ErrorEntry.from_entry(e) for e in raw["appendedErrors"]),
        early_return=raw["earlyReturn"],
        skip_to=raw["skipTo"],
        stash=raw.get("stash") or {},
        runtime_error=f"{runtime_error['name']}: {runtime_error['message']}"
        if runtime_error
        else None,
        extensions=Extensions.from_raw(raw.get("extensions")),
    )


def make_info(
    parent_type_name: str,
    field_name: str,
    variables: dict[str, Any] | None = None,
    selection_set_list: list[str] | None = None,
    selection_set_graphql: str = "",
) -> dict[str, Any]:
    """ctx.info: which field is resolving and what the client selected."""
    return {
        "fieldName": field_name,
        "parentTypeName": parent_type_name,
        "variables": variables or {},
        "selectionSetList": selection_set_list or [],
        "selectionSetGraphQL": selection_set_graphql,
    }


def make_context(
    arguments: dict[str, Any],
    identity: dict[str, Any] | None,
    *,
    info: dict[str, Any],
    source: dict[str, Any] | None = None,
    stash: dict[str, Any] | None = None,
    prev: dict[str, Any] | None = None,
    result: Any = None,
    error: dict[str, Any] | None = None,
    request: dict[str, Any] | None = None,
    env: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The ctx object an APPSYNC_JS handler receives (ctx.args is added inside QuickJS)."""
    return {
        "arguments": arguments,
        "identity": identity,
        "source": source,
        "stash": stash if stash is not None else {},
        "prev": prev,
        "result": result,
        "error": error,
        "info": info,
        "request": request or {"headers": {}, "domainName": None},
        "env": env or {},
    }
