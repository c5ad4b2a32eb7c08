"""Eventually consistent global secondary indexes for the local DynamoDB data source.

DynamoDB reads of a global secondary index are always eventually consistent: a write shows in
the index after a short propagation delay (DynamoDB developer guide, "Using Global Secondary
Indexes in DynamoDB", section "Read consistency for global secondary indexes"; Query's
ConsistentRead "is not supported on global secondary indexes"). moto updates its indexes
synchronously, so code that reads its own writes through an index works locally and fails now
and then on AWS.

With a delay set, each table with global secondary indexes gets a copy (same name, key schema
and indexes) in another region of the local moto, out of sight of the stack's ListTables, that
receives every write made through AppSync data sources only once `delay_ms` has passed; index
reads go to that copy. The copy starts as a full copy of the table, so items that existed
before (or were restored from saved state) are visible at once. Writes that bypass AppSync
(straight to the table through the local AWS endpoint) are not copied.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

# Regions that hold the copies: the first one that is not the stack's own.
VIEW_REGIONS = ("eu-north-1", "eu-south-2")


@dataclass
class _Pending:
    visible_at: float
    key: dict[str, Any]
    item: dict[str, Any] | None  # the item after the write; None for a delete


@dataclass
class _TableView:
    name: str
    pending: deque[_Pending] = field(default_factory=deque)
    lock: threading.Lock = field(default_factory=threading.Lock)


class LaggingIndexes:
    """Index reads that see writes `delay_ms` late, as DynamoDB's GSIs may."""

    def __init__(self, client: Any, view_client: Any, delay_ms: int) -> None:
        """`client` reaches the tables; `view_client` the same endpoint in another region."""
        self._client = client
        self._view_client = view_client
        self._delay = delay_ms / 1000
        self._views: dict[str, _TableView | None] = {}
        self._lock = threading.Lock()

    def before_write(self, table: str) -> None:
        """Create the table's view (a copy of the table as it is) before its first write."""
        self._view(table)

    def record_write(self, table: str, key: dict[str, Any], item: dict[str, Any] | None) -> None:
        """A write to `table` just succeeded; `item` is the stored item (None if deleted)."""
        view = self._view(table)
        if view is not None:
            with view.lock:
                view.pending.append(_Pending(time.monotonic() + self._delay, key, item))

    def index_reader(self, table: str) -> Any:
        """The client an index read of `table` should use, with due writes applied."""
        view = self._view(table)
        if view is None:
            return self._client
        with view.lock:
            now = time.monotonic()
            while view.pending and view.pending[0].visible_at <= now:
                self._apply(view.name, view.pending.popleft())
        return self._view_client

    def _apply(self, view_table: str, change: _Pending) -> None:
        if change.item is None:
            self._view_client.delete_item(TableName=view_table, Key=change.key)
        else:
            self._view_client.put_item(TableName=view_table, Item=change.item)

    def _view(self, table: str) -> _TableView | None:
        with self._lock:
            if table not in self._views:
                self._views[table] = self._create_view(table)
            return self._views[table]

    def _create_view(self, table: str) -> _TableView | None:
        description = self._client.describe_table(TableName=table)["Table"]
        indexes = description.get("GlobalSecondaryIndexes") or []
        if not indexes:
            return None
        name = table
        self._view_client.create_table(
            TableName=name,
            KeySchema=description["KeySchema"],
            AttributeDefinitions=description["AttributeDefinitions"],
            BillingMode="PAY_PER_REQUEST",
            GlobalSecondaryIndexes=[
                {
                    "IndexName": index["IndexName"],
                    "KeySchema": index["KeySchema"],
                    "Projection": index["Projection"],
                }
                for index in indexes
            ],
        )
        for page in self._client.get_paginator("scan").paginate(TableName=table):
            for item in page.get("Items", []):
                self._view_client.put_item(TableName=name, Item=item)
        return _TableView(name)


def view_region(stack_region: str) -> str:
    return next(region for region in VIEW_REGIONS if region != stack_region)
