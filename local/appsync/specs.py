"""What the template says about resolvers, in the shape the local executor consumes.

The template reader builds these from AWS::AppSync::Resolver, FunctionConfiguration and
DataSource resources; the resolver executor runs them. Keeping them plain dataclasses means
each side can be tested without the other.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

DataSourceType = Literal["AMAZON_DYNAMODB", "NONE"]


@dataclass(frozen=True)
class DataSourceSpec:
    name: str
    type: DataSourceType
    table_name: str | None = None  # physical table name, for AMAZON_DYNAMODB


@dataclass(frozen=True)
class FunctionSpec:
    name: str
    code: str  # APPSYNC_JS source of the pipeline function
    data_source: DataSourceSpec


@dataclass(frozen=True)
class ResolverSpec:
    type_name: str
    field_name: str
    kind: Literal["UNIT", "PIPELINE"]
    code: str  # APPSYNC_JS source (unit resolver, or the pipeline's before/after handlers)
    data_source: DataSourceSpec | None = None  # UNIT only
    functions: tuple[FunctionSpec, ...] = field(default_factory=tuple)  # PIPELINE only


def resolver_code(resolvers: Iterable[ResolverSpec]) -> list[tuple[str, str]]:
    """(name, code) of every resolver and pipeline function, each function once."""
    units: dict[str, str] = {}
    for spec in resolvers:
        units[f"resolver {spec.type_name}.{spec.field_name}"] = spec.code
        for function in spec.functions:
            units[f"function {function.name}"] = function.code
    return list(units.items())
