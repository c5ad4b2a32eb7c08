"""Read the AppSync part of the synthesized template into what the local endpoint runs.

Every property of the AppSync resources is either used, deliberately ignored (and listed so
the runner can say so at start-up), or refused with the resource and property named.
"""

from __future__ import annotations

import re
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from local.appsync.identity import API_KEY as API_KEY_MODE
from local.appsync.identity import COGNITO, IAM, LAMBDA
from local.appsync.lambda_authorizer import MAX_TTL_S, LambdaAuthorizerConfig
from local.appsync.specs import DataSourceSpec, FunctionSpec, ResolverSpec
from local.template import Assembly, CannotEmulate, Resolver, TemplateError

API = "AWS::AppSync::GraphQLApi"
SCHEMA = "AWS::AppSync::GraphQLSchema"
DATA_SOURCE = "AWS::AppSync::DataSource"
FUNCTION = "AWS::AppSync::FunctionConfiguration"
RESOLVER = "AWS::AppSync::Resolver"
API_KEY = "AWS::AppSync::ApiKey"
SERVED_TYPES = frozenset({API, SCHEMA, DATA_SOURCE, FUNCTION, RESOLVER, API_KEY})
# AppSync resource types that change nothing a local client can observe, and why
IGNORED_TYPES = {
    "AWS::AppSync::ApiCache": "resolver caching is not emulated: every request runs its resolvers",
    "AWS::AppSync::DomainName": "custom domain names: clients use the local GraphQL URL",
    "AWS::AppSync::DomainNameApiAssociation": "custom domain names: clients use the local URL",
}
# AppSync's default API key lifetime when Expires is not set (AWS::AppSync::ApiKey, Expires).
DEFAULT_API_KEY_DAYS = 7

SUPPORTED_RUNTIME = {"Name": "APPSYNC_JS", "RuntimeVersion": "1.0.0"}

# property -> why the local endpoint does not act on it
IGNORED = {
    API: {
        "Name": "naming only",
        "LogConfig": "logs go to the runner's console",
        "XrayEnabled": "no X-Ray locally",
        "Tags": "no effect on behaviour",
        "Visibility": "the local endpoint is on loopback only",
        "ResolverCountLimit": "not enforced locally",
        "ApiType": "GRAPHQL is the only type served",
    },
    DATA_SOURCE: {
        "ServiceRoleArn": "the local endpoint reads the table directly; the data source role's "
        "policy is checked by cdk-nag and cfn-lint, not evaluated locally",
        "Description": "documentation only",
    },
    FUNCTION: {"Description": "documentation only", "FunctionVersion": "JS functions only"},
    API_KEY: {"Description": "documentation only"},
    RESOLVER: {"MaxBatchSize": "no batching locally", "MetricsConfig": "no metrics locally"},
}
USED = {
    API: {
        "AuthenticationType",
        "AdditionalAuthenticationProviders",
        "UserPoolConfig",
        "LambdaAuthorizerConfig",
        "QueryDepthLimit",
        "IntrospectionConfig",
        "EnvironmentVariables",
    },
    SCHEMA: {"ApiId", "Definition"},
    API_KEY: {"ApiId", "Expires"},
    DATA_SOURCE: {"ApiId", "Name", "Type", "DynamoDBConfig", "LambdaConfig"},
    FUNCTION: {"ApiId", "Name", "DataSourceName", "Code", "CodeS3Location", "Runtime"},
    RESOLVER: {
        "ApiId",
        "TypeName",
        "FieldName",
        "Kind",
        "DataSourceName",
        "PipelineConfig",
        "Code",
        "CodeS3Location",
        "Runtime",
    },
}


@dataclass(frozen=True)
class AppSyncConfig:
    api_logical_id: str
    schema_sdl: str
    default_mode: str
    additional_modes: tuple[str, ...]
    user_pool_id: str | None
    app_id_client_regex: str | None  # tokens of other app clients are refused when set
    query_depth_limit: int
    introspection: bool
    resolvers: dict[tuple[str, str], ResolverSpec]
    ignored: tuple[str, ...]  # "Type.Property: reason" lines for the start-up log
    env: dict[str, str] = field(default_factory=dict)  # ctx.env of every resolver
    # API key value -> expiry (epoch seconds), from AWS::AppSync::ApiKey resources
    api_keys: dict[str, float] = field(default_factory=dict)
    # AWS_LAMBDA as the default or an additional mode: its authorizer (lambda_authorizer.py)
    lambda_authorizer: LambdaAuthorizerConfig | None = None


def register_api(
    assembly: Assembly,
    physical_ids: dict[str, Any],
    *,
    region: str,
    account: str,
    graphql_url: str,
    realtime_url: str,
) -> str:
    """Give the API its local identity (id, URLs, ARN) so intrinsics resolve to it."""
    (logical_id,) = _one(assembly, API)
    api_id = "local" + secrets.token_hex(8)
    arn = f"arn:aws:appsync:{region}:{account}:apis/{api_id}"
    physical_ids[logical_id] = {
        "Ref": arn,
        "ApiId": api_id,
        "GraphQLUrl": graphql_url,
        "RealtimeUrl": realtime_url,
        "Arn": arn,
        "GraphQLDns": graphql_url.split("/")[2],
        "RealtimeDns": realtime_url.split("/")[2],
    }
    for key_id in assembly.resources(API_KEY):
        value = "da2-" + "".join(secrets.choice(_KEY_ALPHABET) for _ in range(26))
        key_arn = f"{arn}/apikeys/{value[4:]}"
        physical_ids[key_id] = {"Ref": key_arn, "Arn": key_arn, "ApiKey": value, "ApiKeyId": value}
    return api_id


_KEY_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"


def read_appsync(
    assembly: Assembly, resolver: Resolver, physical_ids: dict[str, Any]
) -> AppSyncConfig:
    (api_id,) = _one(assembly, API)
    api = _properties(assembly, resolver, API, api_id)
    additional = tuple(
        p["AuthenticationType"] for p in api.get("AdditionalAuthenticationProviders", [])
    )
    _check_modes(api_id, (api["AuthenticationType"], *additional))
    introspection = api.get("IntrospectionConfig", "ENABLED") == "ENABLED"
    env = _environment(api_id, api.get("EnvironmentVariables") or {})
    # Cognito as the default mode has UserPoolConfig on the API; as an additional mode, on its
    # AdditionalAuthenticationProviders entry (which has no DefaultAction).
    pool: dict[str, Any] = api.get("UserPoolConfig") or next(
        (
            p.get("UserPoolConfig", {})
            for p in api.get("AdditionalAuthenticationProviders", [])
            if p["AuthenticationType"] == COGNITO
        ),
        {},
    )
    if pool.get("DefaultAction", "ALLOW") != "ALLOW":
        raise CannotEmulate(
            f"{api_id}: UserPoolConfig.DefaultAction {pool['DefaultAction']} is not emulated"
        )

    (schema_id,) = _one(assembly, SCHEMA)
    schema = _properties(assembly, resolver, SCHEMA, schema_id)
    if "Definition" not in schema:
        raise TemplateError(f"{schema_id}: only an inline Definition is supported locally")

    sources = _data_sources(assembly, resolver, physical_ids)
    functions = _functions(assembly, resolver, physical_ids, sources)
    resolvers = _resolvers(assembly, resolver, sources, functions)
    return AppSyncConfig(
        api_logical_id=api_id,
        schema_sdl=schema["Definition"],
        default_mode=api["AuthenticationType"],
        additional_modes=additional,
        user_pool_id=pool.get("UserPoolId"),
        app_id_client_regex=pool.get("AppIdClientRegex"),
        query_depth_limit=int(api.get("QueryDepthLimit", 0)),
        introspection=introspection,
        resolvers=resolvers,
        ignored=_ignored_lines(assembly),
        env=env,
        api_keys=_api_keys(assembly, resolver, physical_ids),
        lambda_authorizer=_lambda_authorizer(api_id, api),
    )


EMULATED_MODES = (API_KEY_MODE, COGNITO, IAM, LAMBDA)


def _check_modes(api_id: str, modes: tuple[str, ...]) -> None:
    """Each mode the local endpoint can check, once: an OIDC provider, or a second user pool,
    would otherwise be accepted at start-up and every such token refused."""
    for mode in modes:
        if mode not in EMULATED_MODES:
            raise CannotEmulate(f"{api_id}: the {mode} authorization mode is not emulated")
    if modes.count(COGNITO) > 1:
        raise CannotEmulate(f"{api_id}: more than one {COGNITO} provider is not emulated")


def _lambda_authorizer(api_id: str, api: dict[str, Any]) -> LambdaAuthorizerConfig | None:
    """LambdaAuthorizerConfig of the AWS_LAMBDA mode: on the API when it is the default mode,
    on its AdditionalAuthenticationProviders entry otherwise (AWS::AppSync::GraphQLApi)."""
    where = f"{api_id}: LambdaAuthorizerConfig"
    providers = api.get("AdditionalAuthenticationProviders", [])
    lambdas = [p for p in providers if p["AuthenticationType"] == LAMBDA]
    if api["AuthenticationType"] == LAMBDA:
        lambdas.insert(0, api)
    elif "LambdaAuthorizerConfig" in api:
        raise TemplateError(f"{where} is set but the default mode is not AWS_LAMBDA")
    if not lambdas:
        return None
    if len(lambdas) > 1:
        raise TemplateError(f"{api_id}: AppSync allows one AWS_LAMBDA authorization mode")
    config = lambdas[0].get("LambdaAuthorizerConfig")
    if not isinstance(config, dict) or not isinstance(config.get("AuthorizerUri"), str):
        raise TemplateError(f"{where}: the AWS_LAMBDA mode needs an AuthorizerUri")
    unknown = set(config) - {
        "AuthorizerUri",
        "AuthorizerResultTtlInSeconds",
        "IdentityValidationExpression",
    }
    if unknown:
        names = ", ".join(sorted(unknown))
        raise CannotEmulate(f"{where}: the local runner cannot emulate {names}")
    ttl = config.get("AuthorizerResultTtlInSeconds", 0)
    if isinstance(ttl, bool) or not isinstance(ttl, int | float) or not 0 <= ttl <= MAX_TTL_S:
        raise TemplateError(f"{where}.AuthorizerResultTtlInSeconds: AppSync allows 0 to 3600")
    expression = config.get("IdentityValidationExpression")
    try:
        validation = re.compile(expression) if expression else None
    except re.error as error:
        raise CannotEmulate(
            f"{where}.IdentityValidationExpression {expression!r} is not a regular expression "
            f"Python reads ({error})"
        ) from error
    return LambdaAuthorizerConfig(config["AuthorizerUri"], int(ttl), validation)


def _api_keys(
    assembly: Assembly, resolver: Resolver, physical_ids: dict[str, Any]
) -> dict[str, float]:
    keys = {}
    for key_id in assembly.resources(API_KEY):
        props = _properties(assembly, resolver, API_KEY, key_id)
        default = time.time() + DEFAULT_API_KEY_DAYS * 86_400
        keys[physical_ids[key_id]["ApiKey"]] = float(props.get("Expires", default))
    return keys


# AppSync developer guide, "Using environment variables" (and PutGraphqlApiEnvironmentVariables):
# up to 50 variables; keys start with a letter, are at least 2 characters of letters, digits
# and underscores; values are strings of at most 512 characters. AppSync refuses others.
_ENV_KEY = re.compile(r"[A-Za-z][A-Za-z0-9_]+")
_MAX_ENV_VARIABLES = 50
_MAX_ENV_VALUE = 512


def _environment(api_id: str, variables: dict[str, Any]) -> dict[str, str]:
    where = f"{api_id}: EnvironmentVariables"
    if len(variables) > _MAX_ENV_VARIABLES:
        raise TemplateError(f"{where}: {len(variables)} variables, AppSync allows 50")
    for key, value in variables.items():
        if not _ENV_KEY.fullmatch(key):
            raise TemplateError(f"{where}.{key}: AppSync needs a letter then letters, digits, _")
        if not isinstance(value, str) or len(value) > _MAX_ENV_VALUE:
            raise TemplateError(f"{where}.{key}: AppSync needs a string of up to 512 characters")
    return dict(variables)


def _one(assembly: Assembly, type_name: str) -> list[str]:
    found = list(assembly.resources(type_name))
    if len(found) != 1:
        raise TemplateError(
            f"the local runner serves exactly one {type_name}; the template has {len(found)}"
        )
    return found


def _properties(
    assembly: Assembly, resolver: Resolver, type_name: str, logical_id: str
) -> dict[str, Any]:
    raw = assembly.resource(logical_id).get("Properties", {})
    unknown = set(raw) - USED[type_name] - set(IGNORED.get(type_name, {}))
    if unknown:
        raise CannotEmulate(
            f"{logical_id} ({type_name}): the local runner cannot emulate "
            f"{', '.join(sorted(unknown))}"
        )
    used = {k: v for k, v in raw.items() if k in USED[type_name]}
    resolved = resolver.resolve(used, where=logical_id)
    runtime = resolved.get("Runtime")
    if runtime is not None and runtime != SUPPORTED_RUNTIME:
        raise CannotEmulate(f"{logical_id}: Runtime {runtime} is not supported locally")
    return resolved


def _code(
    assembly: Assembly, logical_id: str, props: dict[str, Any], source: DataSourceSpec | None
) -> str | None:
    """The APPSYNC_JS code; None for a direct Lambda resolver (a Lambda source, no code)."""
    direct = not ({"Code", "CodeS3Location", "Runtime"} & set(props))
    if direct and source is not None and source.type == "AWS_LAMBDA":
        return None
    if "Code" in props:
        return str(props["Code"])
    location = props.get("CodeS3Location")
    if not location:
        raise CannotEmulate(f"{logical_id}: a resolver without Code (VTL) is not supported locally")
    return assembly.asset_path_for_s3_key(str(location)).read_text(encoding="utf-8")


def _data_sources(
    assembly: Assembly, resolver: Resolver, physical_ids: dict[str, Any]
) -> dict[str, DataSourceSpec]:
    sources = {}
    for logical_id in assembly.resources(DATA_SOURCE):
        props = _properties(assembly, resolver, DATA_SOURCE, logical_id)
        name, kind = props["Name"], props["Type"]
        if kind == "AMAZON_DYNAMODB":
            spec = DataSourceSpec(name, "AMAZON_DYNAMODB", props["DynamoDBConfig"]["TableName"])
        elif kind == "NONE":
            spec = DataSourceSpec(name, "NONE")
        elif kind == "AWS_LAMBDA":
            arn = props.get("LambdaConfig", {}).get("LambdaFunctionArn")
            if not arn:
                raise TemplateError(f"{logical_id}: AWS_LAMBDA data source without LambdaConfig")
            spec = DataSourceSpec(name, "AWS_LAMBDA", function_arn=str(arn))
        else:
            raise CannotEmulate(f"{logical_id}: data source type {kind} is not emulated locally")
        sources[name] = spec
        physical_ids[logical_id] = {"Ref": name, "Name": name, "DataSourceArn": name}
    return sources


def _functions(
    assembly: Assembly,
    resolver: Resolver,
    physical_ids: dict[str, Any],
    sources: dict[str, DataSourceSpec],
) -> dict[str, FunctionSpec]:
    functions = {}
    for logical_id in assembly.resources(FUNCTION):
        # The function id is its logical id locally; register it before resolving references.
        physical_ids[logical_id] = {"Ref": logical_id, "FunctionId": logical_id}
        props = _properties(assembly, resolver, FUNCTION, logical_id)
        source = sources[props["DataSourceName"]]
        functions[logical_id] = FunctionSpec(
            name=props["Name"], code=_code(assembly, logical_id, props, source), data_source=source
        )
    return functions


def _resolvers(
    assembly: Assembly,
    resolver: Resolver,
    sources: dict[str, DataSourceSpec],
    functions: dict[str, FunctionSpec],
) -> dict[tuple[str, str], ResolverSpec]:
    specs = {}
    for logical_id in assembly.resources(RESOLVER):
        props = _properties(assembly, resolver, RESOLVER, logical_id)
        kind = props.get("Kind", "UNIT")
        key = (props["TypeName"], props["FieldName"])
        if kind == "PIPELINE":
            ids = props.get("PipelineConfig", {}).get("Functions", [])
            code = _code(assembly, logical_id, props, None)
            specs[key] = ResolverSpec(
                *key, "PIPELINE", code, None, tuple(functions[i] for i in ids)
            )
        else:
            source = sources[props["DataSourceName"]]
            code = _code(assembly, logical_id, props, source)
            specs[key] = ResolverSpec(*key, "UNIT", code, source)
    return specs


def _ignored_lines(assembly: Assembly) -> tuple[str, ...]:
    lines: list[str] = []
    for type_name, reasons in IGNORED.items():
        present = {
            prop
            for resource in assembly.resources(type_name).values()
            for prop in resource.get("Properties", {})
        }
        lines.extend(f"{type_name}.{p}: {reasons[p]}" for p in sorted(present & set(reasons)))
    return tuple(lines)
