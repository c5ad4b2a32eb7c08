"""The function's typed inputs and outputs, parsed strictly at the edge.

Plain dataclasses instead of pydantic: pydantic alone costs about as much import time as the
whole cold-start budget. Each parser either returns a model or raises a typed error from
`errors` whose message names the field and the rule it broke; unknown fields are refused.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from todo_api.errors import BadRequest, PayloadTooLarge, Problem, Unauthenticated, ValidationFailed

MAX_BODY_BYTES = 16 * 1024
TITLE_MAX_CHARS = 256
LIMIT_DEFAULT = 20
LIMIT_MAX = 100
GRAPHQL_INT_MAX = 2**31 - 1  # GraphQL `Int` is a signed 32-bit integer
NEXT_TOKEN_MAX_CHARS = 8192
ADMIN_GROUP = "admins"

T = TypeVar("T")
V = TypeVar("V")

_CONTROL_OR_SURROGATE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
# What JavaScript's String.prototype.trim removes (ECMA-262: WhiteSpace and LineTerminator),
# so the function trims titles exactly as the resolvers do. Python's str.strip() would also
# remove U+001C..U+001F and U+0085, which the resolvers keep and then refuse as controls.
_JS_WHITESPACE = (
    "\t\n\x0b\x0c\r \xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008"
    "\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
)
_DIGITS = re.compile(r"[0-9]{1,10}")
_TODO_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
IDEMPOTENCY_KEY_HEADER = "Idempotency-Key"
_IDEMPOTENCY_KEY = re.compile(r"[\x21-\x7e]{1,255}")


# ---------------------------------------------------------------- outputs


@dataclass(frozen=True)
class Todo:
    id: str
    owner: str
    title: str
    completed: bool
    version: int
    created_at: str
    updated_at: str

    @classmethod
    def from_graphql(cls, data: object) -> Todo:
        """Read a Todo selected with the TodoFields fragment; ValueError if it is malformed."""
        if not isinstance(data, dict):
            raise ValueError(f"expected a Todo object, got {type(data).__name__}")
        return cls(
            id=_typed(data, "id", str),
            owner=_typed(data, "owner", str),
            title=_typed(data, "title", str),
            completed=_typed(data, "completed", bool),
            version=_typed(data, "version", int),
            created_at=_typed(data, "createdAt", str),
            updated_at=_typed(data, "updatedAt", str),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "owner": self.owner,
            "title": self.title,
            "completed": self.completed,
            "version": self.version,
            "createdAt": self.created_at,
            "updatedAt": self.updated_at,
        }


@dataclass(frozen=True)
class TodoPage:
    items: tuple[Todo, ...]
    next_token: str | None

    @classmethod
    def from_graphql(cls, data: object) -> TodoPage:
        if not isinstance(data, dict) or not isinstance(data.get("items"), list):
            raise ValueError("expected a TodoConnection with an items list")
        token = data.get("nextToken")
        if token is not None and not isinstance(token, str):
            raise ValueError("nextToken must be a string or null")
        return cls(tuple(Todo.from_graphql(item) for item in data["items"]), token)

    def to_json(self) -> dict[str, Any]:
        return {"items": [todo.to_json() for todo in self.items], "nextToken": self.next_token}


def _typed(data: dict[str, Any], key: str, kind: type) -> Any:
    value = data.get(key)
    # bool is a subclass of int: a version of `true` is as malformed as a missing one.
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ValueError(f"Todo.{key} must be {kind.__name__}, got {type(value).__name__}")
    return value


# ---------------------------------------------------------------- caller


@dataclass(frozen=True)
class Caller:
    """Who is asking, from the claims API Gateway's Cognito authorizer verified."""

    sub: str
    groups: frozenset[str]

    @property
    def is_admin(self) -> bool:
        return ADMIN_GROUP in self.groups


def caller_from_claims(claims: object) -> Caller:
    if not isinstance(claims, Mapping):
        raise Unauthenticated()
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub.strip():
        raise Unauthenticated("The verified identity has no subject (sub claim).")
    return Caller(sub=sub.strip(), groups=parse_groups(claims.get("cognito:groups")))


def parse_groups(raw: object) -> frozenset[str]:
    """Group names from a `cognito:groups` claim in any shape it arrives in.

    The REST API's Cognito authorizer passes every claim as a string, so a multi-valued claim
    arrives flattened: "admins,users" (REST), "[admins users]" (HTTP API JWT authorizer) or a
    JSON-ish "[admins, users]". A real list (a test event or another runner) is accepted too.
    Cognito group names cannot contain whitespace, so commas and whitespace both separate.
    A group name may contain a comma, though: a pool administrator must never create one that
    ends in ",admins" (only administrators create groups; nobody can join one by themselves).
    """
    if raw is None:
        return frozenset()
    if isinstance(raw, list | tuple):
        parts = [str(item) for item in raw]
    elif isinstance(raw, str):
        text = raw.strip()
        if text.startswith("[") and text.endswith("]"):
            text = text[1:-1]
        parts = re.split(r"[,\s]+", text)
    else:
        return frozenset()
    return frozenset(part.strip().strip("\"'") for part in parts if part.strip().strip("\"'"))


# ---------------------------------------------------------------- inputs


@dataclass(frozen=True)
class NewTodo:
    title: str
    completed: bool = False


@dataclass(frozen=True)
class TodoChanges:
    version: int
    title: str | None = None
    completed: bool | None = None


@dataclass(frozen=True)
class ListQuery:
    limit: int = LIMIT_DEFAULT
    next_token: str | None = None
    all_owners: bool = False


def parse_json_object(raw: str | None, *, base64_encoded: bool = False) -> dict[str, Any]:
    """The request body as a JSON object: 413 above MAX_BODY_BYTES, 400 for anything else."""
    if raw is None or raw == "":
        raise BadRequest("A JSON object body is required.")
    data = _body_bytes(raw, base64_encoded)
    if len(data) > MAX_BODY_BYTES:
        raise PayloadTooLarge(f"The request body must be at most {MAX_BODY_BYTES} bytes.")
    try:
        value = json.loads(data, object_pairs_hook=_no_duplicate_keys, parse_constant=_no_nan)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError and UnicodeDecodeError
        raise BadRequest(f"The request body is not valid JSON: {_json_reason(exc)}.") from None
    if not isinstance(value, dict):
        raise BadRequest(f"The request body must be a JSON object, not {_json_kind(value)}.")
    return value


def parse_new_todo(body: Mapping[str, Any]) -> NewTodo:
    problems = _unknown_fields(body, {"title", "completed"})
    title = _field(body, "title", _parse_title, problems, required=True)
    completed = _field(body, "completed", _parse_bool, problems)
    _raise_if_any(problems)
    return NewTodo(title=cast(str, title), completed=bool(completed))


def parse_todo_changes(body: Mapping[str, Any]) -> TodoChanges:
    problems = _unknown_fields(body, {"title", "completed", "version"})
    title = _field(body, "title", _parse_title, problems)
    completed = _field(body, "completed", _parse_bool, problems)
    version = _field(body, "version", _parse_version, problems, required=True)
    if "title" not in body and "completed" not in body:
        problems.append(Problem("body", "give at least one of title, completed"))
    _raise_if_any(problems)
    return TodoChanges(version=cast(int, version), title=title, completed=completed)


def parse_list_query(params: Mapping[str, list[str]] | None) -> ListQuery:
    values, problems = _single_values(params, {"limit", "nextToken", "scope"})
    limit = _field(values, "limit", _parse_limit, problems)
    next_token = _field(values, "nextToken", _parse_next_token, problems)
    scope = _field(values, "scope", _parse_scope, problems)
    _raise_if_any(problems)
    return ListQuery(
        limit=LIMIT_DEFAULT if limit is None else limit,
        next_token=next_token,
        all_owners=scope == "all",
    )


def parse_delete_query(params: Mapping[str, list[str]] | None) -> int | None:
    """The optional expected version of DELETE /items/{id}?version=."""
    values, problems = _single_values(params, {"version"})
    version = _field(values, "version", _parse_version_text, problems)
    _raise_if_any(problems)
    return version


def parse_no_query(params: Mapping[str, list[str]] | None) -> None:
    _, problems = _single_values(params, set())
    _raise_if_any(problems)


def parse_idempotency_key(values: list[str] | None) -> str | None:
    """The `Idempotency-Key` header's key, or None when the request carries none.

    The IETF draft (draft-ietf-httpapi-idempotency-key-header) makes the value a Structured
    Field string (`"8e03978e-..."`, RFC 8941 section 3.3.3); many clients send the bare
    text, so both are read. Either way the key is 1 to 255 visible ASCII characters.
    """
    if not values:
        return None
    if len(values) > 1:
        raise ValidationFailed([Problem(IDEMPOTENCY_KEY_HEADER, "must be sent once")])
    raw = values[0].strip()
    key = _sf_string(raw) if raw.startswith('"') else raw
    if key is None or not _IDEMPOTENCY_KEY.fullmatch(key):
        problem = 'must be 1 to 255 visible ASCII characters, bare or as a "quoted" string'
        raise ValidationFailed([Problem(IDEMPOTENCY_KEY_HEADER, problem)])
    return key


def _sf_string(raw: str) -> str | None:
    """Decode an RFC 8941 sf-string (quotes, with \\ and \\" escapes); None if malformed."""
    if len(raw) < 2 or not raw.endswith('"'):
        return None
    inner, decoded, index = raw[1:-1], [], 0
    while index < len(inner):
        char = inner[index]
        if char == "\\":
            if index + 1 == len(inner) or inner[index + 1] not in '"\\':
                return None
            decoded.append(inner[index + 1])
            index += 2
            continue
        if char == '"':
            return None
        decoded.append(char)
        index += 1
    return "".join(decoded)


def parse_todo_id(raw: str) -> str:
    if not _TODO_ID.fullmatch(raw):
        problem = "must be 1 to 128 letters, digits or any of . _ : -"
        raise ValidationFailed([Problem("id", problem)])
    return raw


# ---------------------------------------------------------------- field rules
# Each rule returns the parsed value or raises _Invalid with the problem in plain words.


class _Invalid(Exception):
    pass


def _parse_title(value: object) -> str:
    if not isinstance(value, str):
        raise _Invalid(f"must be a string, not {_json_kind(value)}")
    title = value.strip(_JS_WHITESPACE)
    if not title:
        raise _Invalid("must not be empty or only whitespace")
    if len(title) > TITLE_MAX_CHARS:
        raise _Invalid(f"must be at most {TITLE_MAX_CHARS} characters (got {len(title)})")
    if _CONTROL_OR_SURROGATE.search(title):
        raise _Invalid("must not contain control characters")
    return title


def _parse_bool(value: object) -> bool:
    if not isinstance(value, bool):
        raise _Invalid(f"must be true or false, not {_json_kind(value)}")
    return value


def _parse_version(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise _Invalid(f"must be an integer, not {_json_kind(value)}")
    return _in_range(value, 1, GRAPHQL_INT_MAX)


def _parse_version_text(text: str) -> int:
    return _in_range(_digits(text), 1, GRAPHQL_INT_MAX)


def _parse_limit(text: str) -> int:
    return _in_range(_digits(text), 1, LIMIT_MAX)


def _parse_next_token(text: str) -> str:
    if not text or len(text) > NEXT_TOKEN_MAX_CHARS:
        raise _Invalid(f"must be 1 to {NEXT_TOKEN_MAX_CHARS} characters")
    if _CONTROL_OR_SURROGATE.search(text):
        raise _Invalid("must not contain control characters")
    return text


def _parse_scope(text: str) -> str:
    if text != "all":
        raise _Invalid('the only accepted value is "all"')
    return text


def _digits(text: str) -> int:
    if not _DIGITS.fullmatch(text):
        raise _Invalid(f"must be a whole number, not {text[:20]!r}")
    return int(text)


def _in_range(value: int, low: int, high: int) -> int:
    if not low <= value <= high:
        raise _Invalid(f"must be between {low} and {high} (got {value})")
    return value


# ---------------------------------------------------------------- helpers


def _field(
    values: Mapping[str, V],
    name: str,
    rule: Callable[[V], T],
    problems: list[Problem],
    *,
    required: bool = False,
) -> T | None:
    if name not in values:
        if required:
            problems.append(Problem(name, "is required"))
        return None
    try:
        return rule(values[name])
    except _Invalid as invalid:
        problems.append(Problem(name, str(invalid)))
        return None


def _unknown_fields(body: Mapping[str, Any], allowed: set[str]) -> list[Problem]:
    return [Problem(key, "is not a known field") for key in body if key not in allowed]


def _single_values(
    params: Mapping[str, list[str]] | None, allowed: set[str]
) -> tuple[dict[str, str], list[Problem]]:
    values: dict[str, str] = {}
    problems: list[Problem] = []
    for name, given in (params or {}).items():
        if name not in allowed:
            problems.append(Problem(name, "is not a known query parameter"))
        elif len(given) != 1:
            problems.append(Problem(name, "must be given once"))
        else:
            values[name] = given[0]
    return values, problems


def _raise_if_any(problems: list[Problem]) -> None:
    if problems:
        raise ValidationFailed(problems)


def _body_bytes(raw: str, base64_encoded: bool) -> bytes:
    if not base64_encoded:
        return raw.encode("utf-8", errors="surrogatepass")
    try:
        return base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        raise BadRequest("The request body is not valid base64.") from None


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate key {key!r}")
        result[key] = value
    return result


def _no_nan(constant: str) -> Any:
    raise ValueError(f"{constant} is not a JSON number")


def _json_reason(exc: BaseException) -> str:
    if isinstance(exc, RecursionError):
        return "nested too deeply"
    if isinstance(exc, UnicodeDecodeError):
        return "it is not UTF-8"
    return str(exc)


def _json_kind(value: object) -> str:
    kinds = {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    return kinds.get(type(value), type(value).__name__)
