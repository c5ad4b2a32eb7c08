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
    "BatchGetItem": frozenset({"tables"}),
    "BatchPutItem": frozenset({"tables"}),
    "BatchDeleteItem": frozenset({"tables"}),
    "TransactGetItems": frozenset({"transactItems"}),
    "TransactWriteItems": frozenset({"transactItems"}),
}
_REQUIRED_FIELDS: dict[str, frozenset[str]] = {
    "GetItem": frozenset({"key"}),
    "PutItem": frozenset({"key"}),
    "UpdateItem": frozenset({"key", "update"}),
    "DeleteItem": frozenset({"key"}),
    "Query": frozenset({"query"}),
    "Scan": frozenset(),
    "BatchGetItem": frozenset({"tables"}),
    "BatchPutItem": frozenset({"tables"}),
    "BatchDeleteItem": frozenset({"tables"}),
    "TransactGetItems": frozenset({"transactItems"}),
    "TransactWriteItems": frozenset({"transactItems"}),
}
_WRITES = frozenset({"PutItem", "UpdateItem", "DeleteItem"})
_MULTI_WRITES = frozenset({"BatchPutItem", "BatchDeleteItem", "TransactWriteItems"})
_EXPRESSION_FIELDS = frozenset({"expression", "expressionNames", "expressionValues"})
# The condition section may also say how to handle a failed check (AppSync's reference).
_CONDITION_FIELDS = _EXPRESSION_FIELDS | {
    "equalsIgnore",
    "consistentRead",
    "conditionalCheckFailedHandler",
}
_CONDITION_FAILED = "ConditionalCheckFailedException"

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
            if operation in _WRITES:
                with _WRITE_LOCK:
                    return self._write(operation, handler, request), None
            if operation in _MULTI_WRITES:
                with _WRITE_LOCK:
                    return handler(request), None
            return handler(request), None
        except TransactionCanceled as exc:
            return {"keys": None, "cancellationReasons": exc.reasons}, {
                "message": str(exc),
                "type": "DynamoDB:TransactionCanceledException",
            }
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
            stored = handler(request)  # the item as DynamoDB holds it (client format) or None
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != _CONDITION_FAILED:
                raise
            return self._after_condition_failure(operation, request, exc)
        if self._indexes is not None:
            key = _marshal_map(request["key"])
            self._indexes.record_write(
                self._table, key, None if operation == "DeleteItem" else stored
            )
        return unmarshal_item(stored) if stored else None

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
        return item

    def _UpdateItem(self, request: Mapping[str, Any]) -> Any:
        params: dict[str, Any] = {
            "TableName": self._table,
            "Key": _marshal_map(request["key"]),
            "ReturnValues": "ALL_NEW",
        }
        _add_expressions(params, "UpdateExpression", _expression(request["update"], "update"))
        _add_expressions(params, "ConditionExpression", _condition(request))
        return self._client.update_item(**params).get("Attributes")

    def _DeleteItem(self, request: Mapping[str, Any]) -> Any:
        params: dict[str, Any] = {
            "TableName": self._table,
            "Key": _marshal_map(request["key"]),
            "ReturnValues": "ALL_OLD",
        }
        _add_expressions(params, "ConditionExpression", _condition(request))
        return self._client.delete_item(**params).get("Attributes")

    def _Query(self, request: Mapping[str, Any]) -> Any:
        params = self._paged_params(request)
        _add_expressions(params, "KeyConditionExpression", _expression(request["query"], "query"))
        if request.get("scanIndexForward") is not None:
            params["ScanIndexForward"] = bool(request["scanIndexForward"])
        self._start_from(params, request)
        return self._page(params, self._reader(params).query(**params))

    def _Scan(self, request: Mapping[str, Any]) -> Any:
        params = self._paged_params(request)
        segment, total = request.get("segment"), request.get("totalSegments")
        if segment is not None and total is not None:
            params.update(Segment=int(segment), TotalSegments=int(total))
        elif segment is not None or total is not None:
            raise UnsupportedRequest("Scan: segment and totalSegments go together")
        self._start_from(params, request)
        return self._page(params, self._reader(params).scan(**params))

    def _reader(self, params: Mapping[str, Any]) -> Any:
        """Index reads go through the lagging view when there is one."""
        if self._indexes is not None and "IndexName" in params:
            return self._indexes.index_reader(self._table)
        return self._client

    def _start_from(self, params: dict[str, Any], request: Mapping[str, Any]) -> None:
        if request.get("nextToken") is not None:
            token = request["nextToken"]
            params["ExclusiveStartKey"] = decode_next_token(token, self._token_scope(params))

    def _token_scope(self, params: Mapping[str, Any]) -> str:
        """What a nextToken belongs to: this table and this query (its key condition, values,
        filter, index, order, segment), so a token used for another one is refused."""
        unscoped = {"TableName", "Limit", "ExclusiveStartKey", "ProjectionExpression", "Select"}
        scope = {k: v for k, v in params.items() if k not in unscoped}
        return json.dumps([self._table, scope], sort_keys=True, default=str)

    # Batch and transaction operations name their tables themselves (AppSync's JavaScript
    # resolver reference for DynamoDB: BatchGetItem, BatchPutItem, BatchDeleteItem,
    # TransactGetItems, TransactWriteItems) and answer in AppSync's shapes.

    def _BatchGetItem(self, request: Mapping[str, Any]) -> Any:
        tables = _tables(request)
        wanted: dict[str, Any] = {}
        for table, spec in tables.items():
            if not isinstance(spec, Mapping) or not isinstance(spec.get("keys"), list):
                raise UnsupportedRequest(f"BatchGetItem: tables.{table} needs a keys list")
            entry: dict[str, Any] = {"Keys": [_marshal_map(k) for k in spec["keys"]]}
            if spec.get("consistentRead") is not None:
                entry["ConsistentRead"] = bool(spec["consistentRead"])
            wanted[table] = entry
        found = self._client.batch_get_item(RequestItems=wanted)
        data: dict[str, list[Any]] = {}
        for table, entry in wanted.items():
            items = found.get("Responses", {}).get(table, [])
            by_key = {_key_of(item, entry["Keys"][0]): item for item in items}
            data[table] = [
                unmarshal_item(by_key[k]) if (k := _key_of(key, key)) in by_key else None
                for key in entry["Keys"]
            ]
        unprocessed = {
            table: [unmarshal_item(k) for k in entry.get("Keys", [])]
            for table, entry in found.get("UnprocessedKeys", {}).items()
        }
        return {"data": data, "unprocessedKeys": {t: unprocessed.get(t, []) for t in tables}}

    def _BatchPutItem(self, request: Mapping[str, Any]) -> Any:
        return self._batch_write(request, "PutRequest", "Item", "unprocessedItems")

    def _BatchDeleteItem(self, request: Mapping[str, Any]) -> Any:
        return self._batch_write(request, "DeleteRequest", "Key", "unprocessedKeys")

    def _batch_write(
        self, request: Mapping[str, Any], kind: str, member: str, left_key: str
    ) -> dict[str, Any]:
        """BatchPutItem (items) or BatchDeleteItem (keys): what was written, and what was not."""
        tables = _tables(request)
        writes = {
            table: [{kind: {member: _marshal_map(entry)}} for entry in _list(entries, table)]
            for table, entries in tables.items()
        }
        self._before_writes(writes)
        response = self._client.batch_write_item(RequestItems=writes)
        for table, entries in writes.items():
            for write in entries:
                value = write[kind][member]
                self._record(table, value, value if kind == "PutRequest" else None)
        left = response.get("UnprocessedItems", {})

        def plain(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
            return [unmarshal_item(write[kind][member]) for write in entries]

        return {
            "data": {table: plain(entries) for table, entries in writes.items()},
            left_key: {table: plain(left.get(table, [])) for table in tables},
        }

    def _before_writes(self, writes: Mapping[str, Any]) -> None:
        if self._indexes is not None:
            for table in writes:
                self._indexes.before_write(table)

    def _record(self, table: str, key: dict[str, Any], item: dict[str, Any] | None) -> None:
        if self._indexes is not None:
            self._indexes.record_write(table, key, item)

    def _TransactGetItems(self, request: Mapping[str, Any]) -> Any:
        items = _list(request["transactItems"], "transactItems")
        gets = []
        for entry in items:
            get: dict[str, Any] = {"TableName": entry["table"], "Key": _marshal_map(entry["key"])}
            _add_projection(get, entry.get("projection"))
            gets.append({"Get": get})
        response = self._client.transact_get_items(TransactItems=gets)
        found = [r.get("Item") for r in response.get("Responses", [])]
        return {
            "items": [unmarshal_item(item) if item else None for item in found],
            "cancellationReasons": None,
        }

    def _TransactWriteItems(self, request: Mapping[str, Any]) -> Any:
        items = _list(request["transactItems"], "transactItems")
        writes = [_transact_write(entry) for entry in items]
        try:
            self._client.transact_write_items(TransactItems=writes)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "TransactionCanceledException":
                raise
            reasons = [
                {
                    "type": r.get("Code", "None"),
                    "message": r.get("Message"),
                    **({"item": unmarshal_item(r["Item"])} if r.get("Item") else {}),
                }
                for r in exc.response.get("CancellationReasons", [])
            ]
            raise TransactionCanceled(exc.response["Error"].get("Message", ""), reasons) from exc
        return {
            "keys": [unmarshal_item(_marshal_map(entry["key"])) for entry in items],
            "cancellationReasons": None,
        }

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
            "nextToken": encode_next_token(last_key, self._token_scope(params)),
            "scannedCount": response.get("ScannedCount", 0),
        }

    def _key_names(self, index: str | None) -> list[str]:
        """The table's and the index's key attributes (asked only when a page fills exactly)."""
        table = self._client.describe_table(TableName=self._table)["Table"]
        schemas = [table["KeySchema"]]
        for group in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
            schemas += [i["KeySchema"] for i in table.get(group, []) if i["IndexName"] == index]
        return [k["AttributeName"] for schema in schemas for k in schema]

    def _paged_params(self, request: Mapping[str, Any]) -> dict[str, Any]:
        params: dict[str, Any] = {"TableName": self._table}
        if request.get("index") is not None:
            params["IndexName"] = request["index"]

        if request.get("limit") is not None:
            params["Limit"] = int(request["limit"])
        if request.get("consistentRead") is not None:
            params["ConsistentRead"] = bool(request["consistentRead"])
        if request.get("select") is not None:
            if request["select"] not in _SELECT_VALUES:
                raise UnsupportedRequest(f"select must be one of {sorted(_SELECT_VALUES)}")
            params["Select"] = request["select"]
        _add_expressions(params, "FilterExpression", _expression(request.get("filter"), "filter"))
        _add_projection(params, request.get("projection"))
        return params


class TransactionCanceled(Exception):
    def __init__(self, message: str, reasons: list[dict[str, Any]]) -> None:
        super().__init__(message or "Transaction cancelled")
        self.reasons = reasons


def _tables(request: Mapping[str, Any]) -> Mapping[str, Any]:
    tables = request["tables"]
    if not isinstance(tables, Mapping) or not tables:
        raise UnsupportedRequest(f"{request['operation']}: tables must name at least one table")
    return tables


def _list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise UnsupportedRequest(f"{where}: expected a list")
    return value


def _key_of(item: Mapping[str, Any], key_shape: Mapping[str, Any]) -> str:
    """A hashable identity of an item's key, using the attribute names of `key_shape`."""
    return json.dumps(
        {name: item.get(name) for name in sorted(key_shape)}, sort_keys=True, default=str
    )


_TRANSACT_OPERATIONS = {
    "PutItem": "Put",
    "UpdateItem": "Update",
    "DeleteItem": "Delete",
    "ConditionCheck": "ConditionCheck",
}


def _transact_write(entry: Mapping[str, Any]) -> dict[str, Any]:
    operation = entry.get("operation")
    if operation not in _TRANSACT_OPERATIONS:
        raise UnsupportedRequest(f"TransactWriteItems: unsupported operation {operation!r}")
    params: dict[str, Any] = {"TableName": entry["table"]}
    key = _marshal_map(entry["key"])
    if operation == "PutItem":
        params["Item"] = {**_marshal_map(entry.get("attributeValues") or {}), **key}
    else:
        params["Key"] = key
    if operation == "UpdateItem":
        _add_expressions(params, "UpdateExpression", _expression(entry["update"], "update"))
    condition = entry.get("condition")
    if condition is not None:
        allowed = _EXPRESSION_FIELDS | {"returnValuesOnConditionCheckFailure"}
        _add_expressions(
            params, "ConditionExpression", _expression(condition, "condition", allowed)
        )
    elif operation == "ConditionCheck":
        raise UnsupportedRequest("TransactWriteItems: a ConditionCheck needs a condition")
    return {_TRANSACT_OPERATIONS[operation]: params}


class InvalidNextToken(ValueError):
    """A nextToken this data source did not issue."""


# AppSync's nextTokens are opaque and tamper-proof: it refuses one it did not issue, or one
# issued for another query. Locally a token is the LastEvaluatedKey with an HMAC, made with a
# key of this run, over the key and the query it continues.
_TOKEN_KEY = secrets.token_bytes(32)


def use_token_key(key: bytes) -> None:
    """Sign and check nextTokens with `key` (a saved one keeps earlier tokens valid)."""
    global _TOKEN_KEY
    _TOKEN_KEY = key


def _token_mac(payload: bytes, scope: str) -> str:
    digest = hmac.new(_TOKEN_KEY, scope.encode() + b"\0" + payload, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def encode_next_token(last_evaluated_key: Mapping[str, Any] | None, scope: str) -> str | None:
    """An opaque token for DynamoDB's LastEvaluatedKey (None when there is no next page)."""
    if not last_evaluated_key:
        return None
    raw = json.dumps(last_evaluated_key, sort_keys=True, separators=(",", ":")).encode()
    return f"{base64.urlsafe_b64encode(raw).decode()}.{_token_mac(raw, scope)}"


def decode_next_token(token: str, scope: str) -> dict[str, Any]:
    invalid = InvalidNextToken("Invalid pagination token given.")
    if not isinstance(token, str):
        raise invalid
    encoded, _, mac = token.rpartition(".")
    try:
        raw = base64.urlsafe_b64decode(encoded.encode())
    except (binascii.Error, UnicodeEncodeError, ValueError) as exc:
        raise invalid from exc
    if not hmac.compare_digest(mac.encode(), _token_mac(raw, scope).encode()):
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
