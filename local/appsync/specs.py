"""What the template says about resolvers, in the shape the local executor consumes.

The template reader builds these from AWS::AppSync::Resolver, FunctionConfiguration and
DataSource resources; the resolver executor runs them. Keeping them plain dataclasses means
each side can be tested without the other.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

DataSourceType = Literal["AMAZON_DYNAMODB", "NONE", "AWS_LAMBDA"]


@dataclass(frozen=True)
class DataSourceSpec:
    name: str
    type: DataSourceType
    table_name: str | None = None  # physical table name, for AMAZON_DYNAMODB
    function_arn: str | None = None  # the function's ARN, for AWS_LAMBDA


@dataclass(frozen=True)
class FunctionSpec:
    name: str
    # APPSYNC_JS source of the pipeline function; None: a direct Lambda function (AWS_LAMBDA)
    code: str | None
    data_source: DataSourceSpec


@dataclass(frozen=True)
class ResolverSpec:
    type_name: str
    field_name: str
    kind: Literal["UNIT", "PIPELINE"]
    # APPSYNC_JS source (unit resolver, or the pipeline's before/after handlers); None: a
    # direct Lambda resolver (a UNIT resolver on an AWS_LAMBDA data source without code)
    code: str | None
    data_source: DataSourceSpec | None = None  # UNIT only
    functions: tuple[FunctionSpec, ...] = field(default_factory=tuple)  # PIPELINE only


def resolver_code(resolvers: Iterable[ResolverSpec]) -> list[tuple[str, str]]:
    """(name, code) of every resolver and pipeline function, each function once."""
    units: dict[str, str] = {}
    for spec in resolvers:
        if spec.code is not None:
            units[f"resolver {spec.type_name}.{spec.field_name}"] = spec.code
        for function in spec.functions:
            if function.code is not None:
                units[f"function {function.name}"] = function.code
    return list(units.items())
