"""Lambda event filtering: which records of a batch an event source mapping passes on.

AWS Lambda developer guide, "Control which events Lambda sends to your function" (filter rule
syntax). A mapping's `FilterCriteria.Filters` hold up to five patterns; a record is delivered
if any pattern matches it, and dropped otherwise (never retried). Within a pattern every key
must match (AND). A key's rule is a list of alternatives (OR), each one of:
- a value: equal to the record's (`null` matches a JSON null, `""` an empty string);
- `{"equals-ignore-case": s}`, `{"prefix": s}`, `{"suffix": s}`;
- `{"anything-but": v or [v, ...]}`: any value but those;
- `{"numeric": [op, n, (op, n)]}` with `=`, `<`, `<=`, `>`, `>=`: a number in that range;
- `{"exists": true | false}`: the key is (not) present (leaf keys only).
`"$or": [pattern, ...]` at any level matches if any of its patterns does. Where the record's
value is a list, a rule matches if it matches any element. Anything else in a pattern stops
the runner at start-up (`PatternError`), as Lambda refuses a pattern it cannot parse.
"""

from __future__ import annotations

import json
import operator
from collections.abc import Callable, Mapping
from typing import Any

MISSING = object()

_NUMERIC: dict[str, Callable[[float, float], bool]] = {
    "=": operator.eq,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


class PatternError(ValueError):
    """A filter pattern this runner cannot evaluate; the message names the problem."""


def parse_filters(criteria: Any) -> tuple[dict[str, Any], ...]:
    """The patterns of a mapping's `FilterCriteria` (`{"Filters": [{"Pattern": json}]}`)."""
    if criteria is None:
        return ()
    filters = criteria.get("Filters") if isinstance(criteria, Mapping) else None
    if not isinstance(filters, list):
        raise PatternError("FilterCriteria needs a Filters list")
    patterns = []
    for entry in filters:
        text = entry.get("Pattern") if isinstance(entry, Mapping) else None
        try:
            pattern = json.loads(text) if isinstance(text, str) else None
        except ValueError:
            pattern = None
        if not isinstance(pattern, dict):
            raise PatternError(f"a filter's Pattern must be a JSON object, got {text!r}")
        _check(pattern, "")
        patterns.append(pattern)
    return tuple(patterns)


def passes(patterns: tuple[dict[str, Any], ...], record: Mapping[str, Any]) -> bool:
    """Whether a record is delivered: no patterns, or any pattern matches it."""
    return not patterns or any(_matches(pattern, record) for pattern in patterns)


def _matches(pattern: Mapping[str, Any], value: Any) -> bool:
    for key, rule in pattern.items():
        if key == "$or":
            if not any(_matches(alternative, value) for alternative in rule):
                return False
            continue
        present = value.get(key, MISSING) if isinstance(value, Mapping) else MISSING
        if isinstance(rule, Mapping):
            if present is MISSING or not _matches(rule, present):
                return False
        elif not any(_rule_holds(alternative, present) for alternative in rule):
            return False
    return True


def _rule_holds(rule: Any, present: Any) -> bool:
    if isinstance(rule, Mapping) and "exists" in rule:
        return (present is not MISSING) == rule["exists"]
    if present is MISSING:
        return False
    values = present if isinstance(present, list) else [present]
    return any(_value_holds(rule, value) for value in values)


def _value_holds(rule: Any, value: Any) -> bool:
    if not isinstance(rule, Mapping):
        return _same(rule, value)
    ((name, argument),) = rule.items()
    if name == "equals-ignore-case":
        return isinstance(value, str) and value.lower() == argument.lower()
    if name == "prefix":
        return isinstance(value, str) and value.startswith(argument)
    if name == "suffix":
        return isinstance(value, str) and value.endswith(argument)
    if name == "anything-but":
        excluded = argument if isinstance(argument, list) else [argument]
        return not any(_same(item, value) for item in excluded)
    # "numeric": _check allowed nothing else
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    pairs = zip(argument[::2], argument[1::2], strict=True)
    return all(_NUMERIC[op](value, bound) for op, bound in pairs)


def _same(expected: Any, value: Any) -> bool:
    if isinstance(expected, bool) or isinstance(value, bool):
        return expected is value
    if isinstance(expected, int | float) and isinstance(value, int | float):
        return float(expected) == float(value)
    return bool(expected == value)


def _check(pattern: Mapping[str, Any], where: str) -> None:
    """Refuse, at start-up, what `passes` would not evaluate as Lambda does."""
    for key, rule in pattern.items():
        path = f"{where}.{key}" if where else key
        if key == "$or":
            if not isinstance(rule, list) or len(rule) < 2:
                raise PatternError(f"{path}: $or needs a list of at least two patterns")
            for alternative in rule:
                if not isinstance(alternative, Mapping):
                    raise PatternError(f"{path}: each $or alternative must be an object")
                _check(alternative, where)
        elif isinstance(rule, Mapping):
            _check(rule, path)
        elif isinstance(rule, list) and rule:
            for alternative in rule:
                _check_rule(alternative, path)
        else:
            raise PatternError(f"{path}: a rule must be a non-empty list or an object")


def _check_rule(rule: Any, path: str) -> None:
    if rule is None or isinstance(rule, str | int | float | bool):
        return
    if not isinstance(rule, Mapping) or len(rule) != 1:
        raise PatternError(f"{path}: {json.dumps(rule)} is not a filter rule")
    ((name, argument),) = rule.items()
    if name in ("equals-ignore-case", "prefix", "suffix") and isinstance(argument, str):
        return
    if name == "exists" and isinstance(argument, bool):
        return
    if name == "anything-but" and _plain_values(argument):
        return
    if name == "numeric" and _numeric_range(argument):
        return
    raise PatternError(f"{path}: the filter rule {json.dumps(rule)} is not supported locally")


def _plain_values(argument: Any) -> bool:
    values = argument if isinstance(argument, list) else [argument]
    return bool(values) and all(isinstance(v, str | int | float) for v in values)


def _numeric_range(argument: Any) -> bool:
    if not isinstance(argument, list) or len(argument) not in (2, 4):
        return False
    operators, bounds = argument[::2], argument[1::2]
    return all(op in _NUMERIC for op in operators) and all(
        isinstance(b, int | float) and not isinstance(b, bool) for b in bounds
    )
