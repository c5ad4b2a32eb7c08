"""Enhanced subscription filters and invalidations, as the `extensions` calls declare them.

AppSync developer guide, "Enhanced subscription filtering", "Unsubscribing WebSocket
connections using filters" and the `extensions` reference:
- a subscription's response handler may call `extensions.setSubscriptionFilter(filter)`; each
  event is then delivered only if the filter matches it. The filter is
  `{filterGroup: [{filters: [{fieldName, operator, value}, ...]}, ...]}`: a group matches when
  all its filters do, the filter when any group does. Such a filter replaces the basic
  argument filtering (the guide's examples repeat the arguments in the filter for that reason);
- `extensions.setSubscriptionInvalidationFilter(filter)` in the same handler says which
  invalidation payloads end the subscription;
- a mutation's response handler calls `extensions.invalidateSubscriptions({subscriptionField,
  payload})`, at most five times per request.

The operators are those of `@aws-appsync/utils` (lib/subscription-filter-types.d.ts): eq, ne,
gt, ge, lt, le, in, notIn, between, beginsWith, contains, notContains, containsAny. A
fieldName may name a nested field with dots ("author.name").
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from operator import ge, gt, le, lt
from typing import Any

MAX_INVALIDATIONS = 5  # "up to five unique invalidateSubscriptions calls in a single request"

_MISSING = object()
_ORDER: dict[Any, Callable[[Any, Any], Any]] = {"gt": gt, "ge": ge, "lt": lt, "le": le}


@dataclass(frozen=True)
class Invalidation:
    subscription_field: str
    payload: dict[str, Any]


@dataclass(frozen=True)
class Extensions:
    """What the handlers of one resolver asked of `extensions`."""

    subscription_filter: dict[str, Any] | None = None
    invalidation_filter: dict[str, Any] | None = None
    invalidations: tuple[Invalidation, ...] = ()

    @classmethod
    def from_raw(cls, raw: Mapping[str, Any] | None) -> Extensions:
        if not raw:
            return NO_EXTENSIONS
        return cls(
            raw.get("subscriptionFilter"),
            raw.get("invalidationFilter"),
            tuple(
                Invalidation(entry["subscriptionField"], entry["payload"])
                for entry in raw.get("invalidations") or ()
            ),
        )

    def then(self, later: Extensions) -> Extensions:
        """This handler's calls followed by a later handler's: the last filter set wins."""
        return Extensions(
            later.subscription_filter or self.subscription_filter,
            later.invalidation_filter or self.invalidation_filter,
            self.invalidations + later.invalidations,
        )


NO_EXTENSIONS = Extensions()


def filter_matches(filter_json: Mapping[str, Any], data: Mapping[str, Any]) -> bool:
    """Does the event `data` pass `filter_json`: any group whose filters all hold."""
    groups = filter_json.get("filterGroup") or []
    return any(all(_holds(f, data) for f in group.get("filters") or []) for group in groups)


def _lookup(data: Mapping[str, Any], path: str) -> Any:
    value: Any = data
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return _MISSING
        value = value[part]
    return value


def _comparable(a: Any, b: Any) -> bool:
    numbers = (int, float)
    if isinstance(a, bool) or isinstance(b, bool):
        return False
    return (isinstance(a, numbers) and isinstance(b, numbers)) or (
        isinstance(a, str) and isinstance(b, str)
    )


def _contains(field: Any, value: Any) -> bool:
    if isinstance(field, str) and isinstance(value, str):
        return value in field
    if isinstance(field, list):
        return value in field
    return False


def _holds(single: Mapping[str, Any], data: Mapping[str, Any]) -> bool:
    operator, expected = single.get("operator"), single.get("value")
    field = _lookup(data, str(single.get("fieldName", "")))
    if operator == "ne":
        return field is _MISSING or field != expected
    if operator == "notIn":
        return field is _MISSING or field not in (expected or [])
    if operator == "notContains":
        return field is _MISSING or not _contains(field, expected)
    if field is _MISSING:
        return False
    if operator == "eq":
        return bool(field == expected)
    if operator == "in":
        return field in (expected or [])
    if operator == "contains":
        return _contains(field, expected)
    if operator == "containsAny":
        candidates = expected or []
        if isinstance(field, list):
            return any(item in field for item in candidates)
        return any(_contains(field, item) for item in candidates)
    if operator == "beginsWith":
        return isinstance(field, str) and isinstance(expected, str) and field.startswith(expected)
    if operator == "between":
        low, high = expected if isinstance(expected, list) and len(expected) == 2 else (None, None)
        return _comparable(field, low) and _comparable(field, high) and low <= field <= high
    compare = _ORDER.get(operator)
    if compare is not None:
        return _comparable(field, expected) and bool(compare(field, expected))
    raise ValueError(f"unknown subscription filter operator {operator!r}")
