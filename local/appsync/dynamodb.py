"""Execute the request object an APPSYNC_JS resolver returns for an AMAZON_DYNAMODB source.

The resolver speaks AppSync's request shape (`operation`, `key`, `attributeValues`,
`condition`, `update`, `query`, `filter`, `index`, `limit`, `nextToken`, ...); this module
turns it into one boto3 DynamoDB call and gives back what AppSync puts in `ctx.result` and
`ctx.error`:

- GetItem / PutItem / UpdateItem / DeleteItem: the item as plain JSON (or None);
- Query / Scan: `{"items": [...], "nextToken": str | None, "scannedCount": int}`;
- a DynamoDB failure: `ctx.error = {"message": ..., "type": "DynamoDB:<ErrorCode>"}`.

Where AppSync's DynamoDB resolver differs from plain DynamoDB (and so from moto), this module
follows AppSync's resolver reference for JavaScript:
- a failed condition is checked again against the current item ("Handling a condition check
  failure"): if the item already is what the write wanted (PutItem: the same attributes, less
  `equalsIgnore`; DeleteItem: no item), the write counts as done; otherwise ctx.error carries
  the failure and ctx.result the current item;
- a Query or Scan page that fills exactly at `limit` carries a nextToken, because DynamoDB
  returns LastEvaluatedKey whenever it stops at the limit (moto omits it);
- with LaggingIndexes, reads of a global secondary index see writes late (index_view.py).

Requests this emulation does not understand raise UnsupportedRequest rather than being
half-executed. Writes go through one process-wide lock: DynamoDB applies a conditional
write atomically, moto does not under concurrent requests, and the local stack relies on
conditional writes for optimistic locking.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
import threading
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeSerializer
from botocore.exceptions import ClientError

from local.appsync.index_view import LaggingIndexes

DataSourceError = dict[str, str]
Result = tuple[Any, DataSourceError | None]

_WRITE_LOCK = threading.Lock()

_ALLOWED_FIELDS: dict[str, frozenset[str]] = {
    "GetItem": frozenset({"key", "consistentRead", "projection"}),
    "PutItem": frozenset({"key", "attributeValues", "condition"}),
    "UpdateItem": frozenset({"key", "update", "condition"}),
    "DeleteItem": frozenset({"key", "condition"}),
    "Query": frozenset(
        {
            "query",
            "index",
            "nextToken",
            "limit",
            "scanIndexForward",
            "consistentRead",
            "select",
            "filter",
            "projection",
        }
    ),
    "Scan": frozenset(
        {
            "index",
            "limit",
            "consistentRead",
            "nextToken",
            "totalSegments",
            "segment",
            "filter",
            "projection",
            "select",
        }
    ),
}
_REQUIRED_FIELDS: dict[str, frozenset[str]] = {
    "GetItem": frozenset({"key"}),
    "PutItem": frozenset({"key"}),
    "UpdateItem": frozenset({"key", "update"}),
    "DeleteItem": frozenset({"key"}),
    "Query": frozenset({"query"}),
    "Scan": frozenset(),
}
_EXPRESSION_FIELDS = frozenset({"expression", "expressionNames", "expressionValues"})
# The condition section may also say how to handle a failed check (AppSync's reference).
_CONDITION_FIELDS = _EXPRESSION_FIELDS | {
    "equalsIgnore",
    "consistentRead",
    "conditionalCheckFailedHandler",
}
_CONDITION_FAILED = "ConditionalCheckFailedException"
# Table and index key attribute names, by (table, index); tables do not change during a run.
_KEY_NAMES: dict[tuple[str, str | None], list[str]] = {}
_PROJECTION_FIELDS = frozenset({"expression", "expressionNames"})
_SELECT_VALUES = frozenset({"ALL_ATTRIBUTES", "ALL_PROJECTED_ATTRIBUTES"})


class UnsupportedRequest(ValueError):
    """The request object is malformed or uses something this emulation does not support."""


class ConditionFailed(Exception):
    """A conditional write failed and the current item is not the desired one."""

    def __init__(self, message: str, current: dict[str, Any] | None) -> None:
        super().__init__(message)
        self.current = current


class DynamoDbSource:
    """One AMAZON_DYNAMODB data source: a table reached through a boto3 client."""

    def __init__(self, client: Any, table_name: str, indexes: LaggingIndexes | None = None) -> None:
        self._client = client
        self._table = table_name
        self._indexes = indexes

    def execute(self, request: Mapping[str, Any]) -> Result:
        """Run one resolver request; return (ctx.result, ctx.error)."""
        operation = _validated_operation(request)
        handler: Callable[[Mapping[str, Any]], Any] = getattr(self, f"_{operation}")
        try:
            if operation in {"PutItem", "UpdateItem", "DeleteItem"}:
                with _WRITE_LOCK:
                    return self._write(operation, handler, request), None
            return handler(request), None
        except ConditionFailed as exc:
            # AppSync: the error, and the current value of the item alongside it.
            return exc.current, {"message": str(exc), "type": f"DynamoDB:{_CONDITION_FAILED}"}
        except ClientError as exc:
            error = exc.response.get("Error", {})
            code = error.get("Code", "InternalServerError")
            return None, {"message": error.get("Message", str(exc)), "type": f"DynamoDB:{code}"}
        except InvalidNextToken as exc:
            # AppSync's own wording for a token it did not issue.
            return None, {"message": str(exc), "type": "DynamoDB:UserIllegalArgumentException"}

    def _write(
        self,
        operation: str,
        handler: Callable[[Mapping[str, Any]], Any],
        request: Mapping[str, Any],
    ) -> Any:
        if self._indexes is not None:
            self._indexes.before_write(self._table)
        try:
            stored = handler(request)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != _CONDITION_FAILED:
                raise
            return self._after_condition_failure(operation, request, exc)
        if self._indexes is not None:
            key = _marshal_map(request["key"])
            item = None if operation == "DeleteItem" else _marshal_item(stored)
            self._indexes.record_write(self._table, key, item)
        return stored

    def _after_condition_failure(
        self, operation: str, request: Mapping[str, Any], exc: ClientError
    ) -> Any:
        """AppSync's "Handling a condition check failure" for the Reject strategy."""
        condition = request["condition"]
        handler = condition.get("conditionalCheckFailedHandler") or {"strategy": "Reject"}
        if handler.get("strategy") != "Reject":
            raise UnsupportedRequest(
                f"conditionalCheckFailedHandler strategy {handler.get('strategy')!r} "
                "(a custom Lambda) is not emulated locally"
            )
        params: dict[str, Any] = {
            "TableName": self._table,
            "Key": _marshal_map(request["key"]),
            "ConsistentRead": condition.get("consistentRead", True) is not False,
        }
        found = self._client.get_item(**params).get("Item")
        current = unmarshal_item(found) if found is not None else None
        ignored = set(condition.get("equalsIgnore") or ())
        if operation == "DeleteItem" and current is None:
            return None  # the item is already gone: what the delete wanted
        if operation == "PutItem" and current is not None:
            desired = unmarshal_item(
                {**_marshal_map(request.get("attributeValues") or {}), **params["Key"]}
            )
            if _without(current, ignored) == _without(desired, ignored):
                return current
        message = exc.response.get("Error", {}).get("Message", "The conditional request failed")
        raise ConditionFailed(message, current)

    def _GetItem(self, request: Mapping[str, Any]) -> Any:
        params: dict[str, Any] = {"TableName": self._table, "Key": _marshal_map(request["key"])}
        if request.get("consistentRead") is not None:
            params["ConsistentRead"] = bool(request["consistentRead"])
        _add_projection(params, request.get("projection"))
        item = self._client.get_item(**params).get("Item")
        return unmarshal_item(item) if item is not None else None

    def _PutItem(self, request: Mapping[str, Any]) -> Any:
        item = {
            **_marshal_map(request.get("attributeValues") or {}),
            **_marshal_map(request["key"]),
        }
        params: dict[str, Any] = {"TableName": self._table, "Item": item}
        _add_expressions(params, "ConditionExpression", _condition(request))
        self._client.put_item(**params)
        return unmarshal_item(item)

    def _UpdateItem(self, request: Mapping[str, Any]) -> Any:
        params: dict[str, Any] = {
            "TableName": self._table,
            "Key": _marshal_map(request["key"]),
            "ReturnValues": "ALL_NEW",
        }
        _add_expressions(params, "UpdateExpression", _expression(request["update"], "update"))
        _add_expressions(params, "ConditionExpression", _condition(request))
        attributes = self._client.update_item(**params).get("Attributes")
        return unmarshal_item(attributes) if attributes else None

    def _DeleteItem(self, request: Mapping[str, Any]) -> Any:
        params: dict[str, Any] = {
            "TableName": self._table,
            "Key": _marshal_map(request["key"]),
            "ReturnValues": "ALL_OLD",
        }
        _add_expressions(params, "ConditionExpression", _condition(request))
        attributes = self._client.delete_item(**params).get("Attributes")
        return unmarshal_item(attributes) if attributes else None

    def _Query(self, request: Mapping[str, Any]) -> Any:
        params = self._paged_params(request)
        _add_expressions(params, "KeyConditionExpression", _expression(request["query"], "query"))
        if request.get("scanIndexForward") is not None:
            params["ScanIndexForward"] = bool(request["scanIndexForward"])
        return self._page(params, self._client.query(**params))

    def _Scan(self, request: Mapping[str, Any]) -> Any:
        params = self._paged_params(request)
        segment, total = request.get("segment"), request.get("totalSegments")
        if segment is not None and total is not None:
            params.update(Segment=int(segment), TotalSegments=int(total))
        elif segment is not None or total is not None:
            raise UnsupportedRequest("Scan: segment and totalSegments go together")
        return self._page(params, self._client.scan(**params))

    def _page(self, params: Mapping[str, Any], response: Mapping[str, Any]) -> dict[str, Any]:
        items = response.get("Items", [])
        last_key = response.get("LastEvaluatedKey")
        limit = params.get("Limit")
        if last_key is None and items and limit is not None and len(items) >= limit:
            # DynamoDB stops at the limit and returns where it stopped, even when nothing is
            # left (Query/Scan API reference, LastEvaluatedKey); moto returns nothing then.
            names = self._key_names(params.get("IndexName"))
            last_key = {name: items[-1][name] for name in names if name in items[-1]}
        return {
            "items": [unmarshal_item(item) for item in items],
            "nextToken": encode_next_token(last_key),
            "scannedCount": response.get("ScannedCount", 0),
        }

    def _key_names(self, index: str | None) -> list[str]:
        cache_key = (self._table, index)
        if cache_key not in _KEY_NAMES:
            table = self._client.describe_table(TableName=self._table)["Table"]
            schemas = [table["KeySchema"]]
            for group in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
                schemas += [i["KeySchema"] for i in table.get(group, []) if i["IndexName"] == index]
            _KEY_NAMES[cache_key] = [k["AttributeName"] for schema in schemas for k in schema]
        return _KEY_NAMES[cache_key]

    def _paged_params(self, request: Mapping[str, Any]) -> dict[str, Any]:
        params: dict[str, Any] = {"TableName": self._table}
        if request.get("index") is not None:
            params["IndexName"] = request["index"]
            if self._indexes is not None:
                params["TableName"] = self._indexes.index_table(self._table)
        if request.get("limit") is not None:
            params["Limit"] = int(request["limit"])
        if request.get("consistentRead") is not None:
            params["ConsistentRead"] = bool(request["consistentRead"])
        if request.get("nextToken") is not None:
            params["ExclusiveStartKey"] = decode_next_token(request["nextToken"])
        if request.get("select") is not None:
            if request["select"] not in _SELECT_VALUES:
                raise UnsupportedRequest(f"select must be one of {sorted(_SELECT_VALUES)}")
            params["Select"] = request["select"]
        _add_expressions(params, "FilterExpression", _expression(request.get("filter"), "filter"))
        _add_projection(params, request.get("projection"))
        return params


class InvalidNextToken(ValueError):
    """A nextToken this data source did not issue."""


# AppSync's nextTokens are opaque and tamper-proof: it refuses one it did not issue. Locally a
# token is the LastEvaluatedKey with an HMAC made with a key of this run.
_TOKEN_KEY = secrets.token_bytes(32)


def _token_mac(payload: bytes) -> str:
    digest = hmac.new(_TOKEN_KEY, payload, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def encode_next_token(last_evaluated_key: Mapping[str, Any] | None) -> str | None:
    """An opaque token for DynamoDB's LastEvaluatedKey (None when there is no next page)."""
    if not last_evaluated_key:
        return None
    raw = json.dumps(last_evaluated_key, sort_keys=True, separators=(",", ":")).encode()
    return f"{base64.urlsafe_b64encode(raw).decode()}.{_token_mac(raw)}"


def decode_next_token(token: str) -> dict[str, Any]:
    invalid = InvalidNextToken("Invalid pagination token given.")
    encoded, _, mac = token.rpartition(".")
    try:
        raw = base64.urlsafe_b64decode(encoded.encode())
    except (binascii.Error, UnicodeEncodeError, ValueError) as exc:
        raise invalid from exc
    if not hmac.compare_digest(mac.encode(), _token_mac(raw).encode()):
        raise invalid
    key = json.loads(raw)
    if not isinstance(key, dict):
        raise invalid
    return dict(key)


def unmarshal_item(item: Mapping[str, Any]) -> dict[str, Any]:
    """A DynamoDB item (client format) as the plain JSON AppSync hands to ctx.result."""
    return {name: unmarshal_value(value) for name, value in item.items()}


def unmarshal_value(value: Mapping[str, Any]) -> Any:
    ((kind, payload),) = value.items()
    if kind == "S":
        return payload
    if kind == "N":
        return _number(payload)
    if kind == "BOOL":
        return bool(payload)
    if kind == "NULL":
        return None
    if kind == "L":
        return [unmarshal_value(v) for v in payload]
    if kind == "M":
        return unmarshal_item(payload)
    if kind == "SS":
        return list(payload)
    if kind == "NS":
        return [_number(n) for n in payload]
    if kind == "B":
        return base64.b64encode(payload).decode()
    if kind == "BS":
        return [base64.b64encode(b).decode() for b in payload]
    raise UnsupportedRequest(f"unknown DynamoDB attribute type {kind!r}")


def marshal_value(value: Mapping[str, Any]) -> dict[str, Any]:
    """An AppSync attribute value ({"N": 1} allowed) in the client's wire format."""
    if not isinstance(value, Mapping) or len(value) != 1:
        raise UnsupportedRequest(f"not a DynamoDB attribute value: {value!r}")
    ((kind, payload),) = value.items()
    if kind in {"S", "BOOL", "NULL", "SS"}:
        return {kind: payload}
    if kind == "N":
        return {"N": _number_text(payload)}
    if kind == "NS":
        return {"NS": [_number_text(n) for n in payload]}
    if kind == "L":
        return {"L": [marshal_value(v) for v in payload]}
    if kind == "M":
        return {"M": _marshal_map(payload)}
    if kind == "B":
        return {"B": base64.b64decode(payload)}
    if kind == "BS":
        return {"BS": [base64.b64decode(b) for b in payload]}
    raise UnsupportedRequest(f"unknown DynamoDB attribute type {kind!r}")


def _marshal_map(values: Mapping[str, Any]) -> dict[str, Any]:
    if not isinstance(values, Mapping):
        raise UnsupportedRequest(f"expected a map of attribute values, got {values!r}")
    return {name: marshal_value(value) for name, value in values.items()}


def _number_text(number: Any) -> str:
    if isinstance(number, bool) or not isinstance(number, int | float | str | Decimal):
        raise UnsupportedRequest(f"not a number: {number!r}")
    if isinstance(number, float) and number.is_integer():
        return str(int(number))
    return str(number)


def _number(text: str) -> int | float:
    number = Decimal(text)
    return int(number) if number == number.to_integral_value() else float(number)


def _validated_operation(request: Mapping[str, Any]) -> str:
    operation = request.get("operation")
    if operation not in _ALLOWED_FIELDS:
        raise UnsupportedRequest(f"unsupported DynamoDB operation {operation!r}")
    fields = set(request) - {"operation"}
    unknown = fields - _ALLOWED_FIELDS[operation]
    if unknown:
        raise UnsupportedRequest(f"{operation}: unsupported fields {sorted(unknown)}")
    missing = _REQUIRED_FIELDS[operation] - fields
    if missing:
        raise UnsupportedRequest(f"{operation}: missing fields {sorted(missing)}")
    return str(operation)


def _condition(request: Mapping[str, Any]) -> Mapping[str, Any] | None:
    return _expression(request.get("condition"), "condition", _CONDITION_FIELDS)


def _expression(
    section: Any, where: str, allowed: frozenset[str] = _EXPRESSION_FIELDS
) -> Mapping[str, Any] | None:
    if section is None:
        return None
    if not isinstance(section, Mapping) or "expression" not in section:
        raise UnsupportedRequest(f"{where}: expected an object with an expression")
    unknown = set(section) - allowed
    if unknown:
        raise UnsupportedRequest(f"{where}: unsupported fields {sorted(unknown)}")
    return section


def _without(item: Mapping[str, Any], ignored: set[str]) -> dict[str, Any]:
    return {name: value for name, value in item.items() if name not in ignored}


def _marshal_item(item: Mapping[str, Any]) -> dict[str, Any]:
    """A plain-JSON item (as ctx.result holds it) in the client's wire format."""
    serializer = TypeSerializer()
    return {name: serializer.serialize(_for_serializer(value)) for name, value in item.items()}


def _for_serializer(value: Any) -> Any:
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, list):
        return [_for_serializer(v) for v in value]
    if isinstance(value, dict):
        return {k: _for_serializer(v) for k, v in value.items()}
    return value


def _add_expressions(params: dict[str, Any], key: str, section: Mapping[str, Any] | None) -> None:
    """Set one expression and merge its names and values into the call's shared maps."""
    if section is None:
        return
    params[key] = section["expression"]
    _merge(params, "ExpressionAttributeNames", section.get("expressionNames") or {})
    values = _marshal_map(section.get("expressionValues") or {})
    _merge(params, "ExpressionAttributeValues", values)


def _add_projection(params: dict[str, Any], projection: Any) -> None:
    if projection is None:
        return
    if not isinstance(projection, Mapping) or set(projection) - _PROJECTION_FIELDS:
        raise UnsupportedRequest(f"projection: unsupported shape {projection!r}")
    params["ProjectionExpression"] = projection["expression"]
    _merge(params, "ExpressionAttributeNames", projection.get("expressionNames") or {})


def _merge(params: dict[str, Any], key: str, entries: Mapping[str, Any]) -> None:
    if not entries:
        return  # DynamoDB rejects empty attribute name/value maps
    merged = params.setdefault(key, {})
    for name, value in entries.items():
        if name in merged and merged[name] != value:
            raise UnsupportedRequest(f"{name} is defined twice with different values")
        merged[name] = value
