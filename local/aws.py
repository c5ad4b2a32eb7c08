"""Local AWS: moto for cognito-idp, dynamodb, iam and sts, provisioned from the template.

moto runs in this process (`ThreadedMotoServer`, with the sign-in operations of local/cognito in
front of it), so its backends can be read directly to
look up the credentials a SigV4 signature claims. Cognito tokens are signed with an RSA key
generated for this run; the pool's `/.well-known/jwks.json` on the moto endpoint serves it.
"""

from __future__ import annotations

import graphlib
import json
import logging
import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC
from typing import Any

import boto3
from joserfc import jwk, jwt
from moto.cognitoidp import models as cognito_models
from moto.cognitoidp.responses import CognitoIdpJsonWebKeyResponse
from moto.core.config import default_user_config
from moto.iam.models import get_account_id_from, iam_backends
from moto.sts.models import sts_backends

from local.cognito.wsgi import ShimmedMotoServer
from local.sigv4 import Identity
from local.template import DEFAULT_ACCOUNT, Assembly, Resolver

__all__ = [
    "Identity",
    "LocalAws",
    "LocalResources",
    "ProvisionError",
    "assume_role_credentials",
    "credentials_lookup",
    "provision",
]

PARTITION = "aws"
# Any non-empty values do: moto accepts every signature unless told otherwise.
DUMMY_CREDENTIALS = {"aws_access_key_id": "local", "aws_secret_access_key": "local"}
# Actions (the end of X-Amz-Target) that only read: no request of these changes moto's state.
READ_ACTIONS = ("Get", "Describe", "List", "Query", "Scan", "BatchGet")


class ProvisionError(Exception):
    """The template holds something the local runner cannot reproduce faithfully."""


# ---------------------------------------------------------------------------------------------
# moto server and the per-run Cognito signing key


@dataclass(frozen=True)
class SigningKey:
    """The RSA key every user pool of this run signs its tokens with."""

    key: jwk.RSAKey

    @property
    def kid(self) -> str:
        return str(self.key.kid)

    @property
    def public_jwks(self) -> dict[str, Any]:
        return {"keys": [self.key.as_dict(private=False)]}

    @classmethod
    def generate(cls) -> SigningKey:
        parameters: Any = {"kid": secrets.token_hex(16), "alg": "RS256", "use": "sig"}
        return cls(jwk.RSAKey.generate_key(2048, parameters=parameters, private=True))


_MOTO_POOL_INIT = cognito_models.CognitoIdpUserPool.__init__


class _KidFromKey:
    """Stands in for `joserfc.jwt` inside moto's Cognito models.

    moto writes the fixed kid "dummy" into every token header; this puts the signing key's
    own kid there instead, so the served JWKS can be looked up by kid as with AWS.
    """

    @staticmethod
    def encode(header: dict[str, Any], claims: dict[str, Any], key: jwk.RSAKey) -> str:
        return jwt.encode({**header, "kid": key.kid}, claims, key)


def install_signing_key(signing_key: SigningKey) -> None:
    """Make every user pool created from now on sign with `signing_key`, and serve its JWKS."""

    def pool_init(pool: Any, *args: Any, **kwargs: Any) -> None:
        _MOTO_POOL_INIT(pool, *args, **kwargs)
        pool.json_web_key = signing_key.key

    cognito_models.CognitoIdpUserPool.__init__ = pool_init  # type: ignore[method-assign,assignment]
    cognito_models.jwt = _KidFromKey  # type: ignore[assignment]
    CognitoIdpJsonWebKeyResponse.json_web_key = json.dumps(signing_key.public_jwks).encode()


class LocalAws:
    """moto on 127.0.0.1 for cognito-idp, dynamodb, iam and sts, with a fresh signing key."""

    def __init__(
        self,
        region: str,
        port: int = 0,
        quiet: bool = True,
        signing_key: SigningKey | None = None,  # a saved one keeps earlier tokens valid
    ) -> None:
        self.region = region
        self.signing_key = signing_key or SigningKey.generate()
        self._server = ShimmedMotoServer(region, DEFAULT_ACCOUNT, ip_address="127.0.0.1", port=port)
        self._quiet = quiet
        self.endpoint = ""
        self._stop_observing: Callable[[], None] = lambda: None

    def start(self) -> LocalAws:
        install_signing_key(self.signing_key)
        _load_aws_managed_policies()
        if self._quiet:
            logging.getLogger("werkzeug").setLevel(logging.WARNING)
        self._server.start()
        host, port = self._server.get_host_and_port()
        self.endpoint = f"http://{host}:{port}"
        return self

    def stop(self) -> None:
        self._stop_observing()
        self._server.stop()

    def __enter__(self) -> LocalAws:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    def client(self, service: str) -> Any:
        return client(service, self.endpoint, self.region)

    def observe_writes(self, on_write: Callable[[], None]) -> None:
        """Call `on_write` after every request that may have changed state (local/state.py)."""
        server = self._server._server  # moto's werkzeug server, which looks `app` up per request
        assert server is not None, "start() first"
        app = server.app

        def observed(environ: dict[str, Any], start_response: Any) -> Any:
            response = app(environ, start_response)  # moto has handled the request by now
            action = str(environ.get("HTTP_X_AMZ_TARGET", "")).rpartition(".")[2]
            if not action.startswith(READ_ACTIONS):
                on_write()
            return response

        server.app = observed
        # The local AppSync calls moto in process, without the server (local/inprocess.py).
        from local import inprocess

        self._stop_observing = inprocess.observe(
            self.endpoint,
            lambda action: None if action.startswith(READ_ACTIONS) else on_write(),
        )


def _load_aws_managed_policies() -> None:
    """Let roles attach AWS managed policies (AWSLambdaBasicExecutionRole...), as in AWS."""
    default_user_config.setdefault("iam", {})["load_aws_managed_policies"] = True
    backend = iam_backends[DEFAULT_ACCOUNT][PARTITION]
    if not backend.aws_managed_policies:  # the backend was created before this run
        backend.aws_managed_policies = backend._init_aws_policies()
        backend.managed_policies.update(backend._init_managed_policies())


def client(service: str, endpoint: str, region: str) -> Any:
    """A boto3 client for the local endpoint, with dummy credentials."""
    return boto3.client(service, endpoint_url=endpoint, region_name=region, **DUMMY_CREDENTIALS)


# ---------------------------------------------------------------------------------------------
# Credentials


def assume_role_credentials(
    endpoint: str,
    role_arn: str,
    region: str = "us-east-1",
    session_name: str = "local",
    duration_seconds: int = 3600,
) -> tuple[str, str, str]:
    """Temporary credentials for `role_arn` from local STS: (access key, secret, token)."""
    response = client("sts", endpoint, region).assume_role(
        RoleArn=role_arn, RoleSessionName=session_name, DurationSeconds=duration_seconds
    )
    credentials = response["Credentials"]
    return (
        credentials["AccessKeyId"],
        credentials["SecretAccessKey"],
        credentials["SessionToken"],
    )


def credentials_lookup(access_key_id: str) -> Identity | None:
    """Who an access key belongs to, read from moto's in-process STS and IAM backends."""
    account_id = get_account_id_from(access_key_id)
    assumed = sts_backends[account_id][PARTITION].get_assumed_role_from_access_key(access_key_id)
    if assumed is not None:
        return Identity(
            access_key_id=access_key_id,
            secret_access_key=assumed.secret_access_key,
            session_token=assumed.session_token,
            arn=assumed.arn,
            account_id=account_id,
            role_arn=assumed.role_arn,
            expiration=assumed.expiration.replace(tzinfo=UTC),
            user_id=_assumed_role_user_id(assumed),
        )
    iam = iam_backends[account_id][PARTITION]
    key = iam.access_keys.get(access_key_id)
    if key is None or key.user_name is None or key.status != "Active":
        return None
    user = iam.users.get(key.user_name)
    if user is None:
        return None
    return Identity(
        access_key_id=access_key_id,
        secret_access_key=key.secret_access_key,
        session_token=None,
        arn=user.arn,
        account_id=account_id,
        user_id=user.id,
    )


def _assumed_role_user_id(assumed: Any) -> str:
    try:
        return str(assumed.user_id)  # "<RoleId>:<session name>", as AWS reports it
    except Exception:  # the role does not exist in IAM
        return str(assumed.session_name)


# ---------------------------------------------------------------------------------------------
# Provisioning from the template

HANDLED_ELSEWHERE: dict[str, str] = {
    "AWS::AppSync::": "served by the local AppSync endpoint",
    "AWS::ApiGateway::": "served by the local REST gateway",
    "AWS::Lambda::": "run by the local REST gateway",
}

IGNORED_TYPES: dict[str, str] = {
    "AWS::Lambda::Permission": "the local gateway calls the handler directly; "
    "resource policies on functions are not modelled",
    "AWS::Logs::LogGroup": "logs go to the runner's terminal",
    "Custom::LogRetention": "logs go to the runner's terminal",
    "AWS::CDK::Metadata": "CDK usage analytics, no behaviour",
    "AWS::CloudWatch::Alarm": "no monitoring locally",
    "AWS::SNS::Topic": "alarms only notify it, and no alarm runs locally",
    "AWS::SNS::TopicPolicy": "alarms only notify it, and no alarm runs locally",
}

RESOURCE_ATTRIBUTES = {
    "Type",
    "Properties",
    "DependsOn",
    "DeletionPolicy",
    "UpdateReplacePolicy",
    "Metadata",
    "Condition",
    "UpdatePolicy",
}


@dataclass
class LocalResources:
    """What provisioning created: ids for `template.Resolver` and handles for the runner."""

    physical_ids: dict[str, str | dict[str, Any]] = field(default_factory=dict)
    user_pools: dict[str, str] = field(default_factory=dict)  # logical id -> pool id
    user_pool_clients: dict[str, str] = field(default_factory=dict)  # logical id -> client id
    tables: dict[str, str] = field(default_factory=dict)  # logical id -> table name
    roles: dict[str, str] = field(default_factory=dict)  # logical id -> role ARN
    function_roles: dict[str, str] = field(default_factory=dict)  # function id -> role ARN
    handled_elsewhere: dict[str, str] = field(default_factory=dict)  # logical id -> type
    ignored: dict[str, str] = field(default_factory=dict)  # logical id -> reason

    @property
    def user_pool_id(self) -> str:
        return _only(self.user_pools, "user pool")

    @property
    def user_pool_client_id(self) -> str:
        return _only(self.user_pool_clients, "user pool client")


def _only(values: Mapping[str, str], what: str) -> str:
    if len(values) != 1:
        raise ProvisionError(f"expected exactly one {what}, found {sorted(values)}")
    return next(iter(values.values()))


Create = Callable[["_Provisioner", str, dict[str, Any]], dict[str, Any]]
Restore = Callable[[str, dict[str, Any]], dict[str, Any] | None]


@dataclass(frozen=True)
class _Kind:
    create: Create
    applied: frozenset[str]  # properties reproduced locally
    ignored: Mapping[str, str] = field(default_factory=dict)  # property -> why it does not matter


def provision(
    assembly: Assembly,
    endpoint: str,
    region: str,
    known_ids: Mapping[str, str | Mapping[str, Any]] | None = None,
    restore: Restore | None = None,
) -> LocalResources:
    """Create the template's Cognito, DynamoDB and IAM resources in moto.

    `known_ids` holds the physical ids of resources other parts of the runner serve (for
    example the AppSync API's `Arn`, which IAM policies reference). `restore` may put back a
    resource saved by an earlier run instead (see local/state.py): it returns that resource's
    ids, or None to have it created.
    """
    provisioner = _Provisioner(assembly, endpoint, region, known_ids or {}, restore)
    provisioner.run()
    return provisioner.result


def pseudo_parameters(assembly: Assembly, region: str) -> dict[str, str]:
    return {
        "AWS::Region": region,
        "AWS::AccountId": DEFAULT_ACCOUNT,
        "AWS::StackName": assembly.stack_name,
    }


class _Provisioner:
    def __init__(
        self,
        assembly: Assembly,
        endpoint: str,
        region: str,
        known_ids: Mapping[str, str | Mapping[str, Any]],
        restore: Restore | None = None,
    ) -> None:
        self.assembly = assembly
        self.restore = restore
        self.region = region
        self.result = LocalResources()
        self.ids: dict[str, Any] = {
            k: dict(v) if isinstance(v, Mapping) else v for k, v in known_ids.items()
        }
        self.resolver = Resolver(assembly, self.ids, pseudo_parameters(assembly, region))
        self.cognito = client("cognito-idp", endpoint, region)
        self.dynamodb = client("dynamodb", endpoint, region)
        self.iam = client("iam", endpoint, region)

    def run(self) -> None:
        resources = self._active_resources()
        for logical_id, resource in resources.items():
            self._classify(logical_id, resource["Type"])
        provisioned = {k: r for k, r in resources.items() if r["Type"] in _KINDS}
        for logical_id, resource in provisioned.items():
            _check_supported(_KINDS[resource["Type"]], logical_id, resource)
        named = {k: r for k, r in resources.items() if r["Type"] in _NOMINAL_IDS}
        for logical_id in _creation_order({**provisioned, **named}):
            resource = resources[logical_id]
            if logical_id in named:
                self.ids[logical_id] = _NOMINAL_IDS[resource["Type"]](self, logical_id, resource)
            else:
                self._create(_KINDS[resource["Type"]], logical_id, resource)
        self.result.physical_ids = {k: v for k, v in self.ids.items() if k in resources}
        self._record_function_roles(resources)

    def _active_resources(self) -> dict[str, dict[str, Any]]:
        return {
            logical_id: resource
            for logical_id, resource in self.assembly.all_resources().items()
            if "Condition" not in resource
            or self.resolver.condition(resource["Condition"], f"Resources.{logical_id}")
        }

    def _classify(self, logical_id: str, type_name: str) -> None:
        if type_name in _KINDS:
            return
        if type_name in IGNORED_TYPES:
            self.result.ignored[logical_id] = IGNORED_TYPES[type_name]
            return
        for prefix in HANDLED_ELSEWHERE:
            if type_name.startswith(prefix):
                self.result.handled_elsewhere[logical_id] = type_name
                return
        raise ProvisionError(
            f"resource {logical_id} has type {type_name}, which the local runner neither "
            "provisions nor knows to be safe to ignore"
        )

    def _create(self, kind: _Kind, logical_id: str, resource: dict[str, Any]) -> None:
        restored = self.restore(logical_id, resource) if self.restore else None
        if restored is not None:
            self.ids[logical_id] = restored
            record = _RESTORED_INTO.get(resource["Type"])
            if record is not None:
                record(self.result)[logical_id] = restored["Ref"]
            return
        raw = resource.get("Properties", {})
        properties = self.resolver.resolve(
            {k: v for k, v in raw.items() if k in kind.applied}, f"Resources.{logical_id}"
        )
        self.ids[logical_id] = kind.create(self, logical_id, properties)

    def _record_function_roles(self, resources: Mapping[str, dict[str, Any]]) -> None:
        for logical_id, resource in resources.items():
            if resource["Type"] != "AWS::Lambda::Function":
                continue
            role = resource.get("Properties", {}).get("Role")
            if role is not None:
                where = f"Resources.{logical_id}.Properties.Role"
                self.result.function_roles[logical_id] = self.resolver.resolve(role, where)

    def generated_name(self, logical_id: str, limit: int) -> str:
        """A physical name shaped like CloudFormation's: stack-logicalId-RANDOMSUFFIX."""
        suffix = secrets.token_hex(6).upper()
        return f"{self.assembly.stack_name}-{logical_id}"[: limit - len(suffix) - 1] + "-" + suffix


def _check_supported(kind: _Kind, logical_id: str, resource: Mapping[str, Any]) -> None:
    for attribute in resource:
        if attribute not in RESOURCE_ATTRIBUTES:
            raise ProvisionError(f"resource {logical_id}: unknown attribute {attribute}")
    for name in resource.get("Properties", {}):
        if name not in kind.applied and name not in kind.ignored:
            raise ProvisionError(
                f"resource {logical_id} ({resource['Type']}): property {name} "
                "is not supported locally"
            )


_SUB_REFERENCE = re.compile(r"\$\{([^}!.][^}.]*)[^}]*\}")


def _creation_order(resources: Mapping[str, dict[str, Any]]) -> list[str]:
    """Logical ids ordered so that every resource comes after those it references."""
    sorter: graphlib.TopologicalSorter[str] = graphlib.TopologicalSorter()
    for logical_id, resource in resources.items():
        depends_on = resource.get("DependsOn", [])
        names = _references(resource.get("Properties", {})) | set(
            [depends_on] if isinstance(depends_on, str) else depends_on
        )
        sorter.add(logical_id, *sorted(names & resources.keys()))
    try:
        return list(sorter.static_order())
    except graphlib.CycleError as cycle:
        raise ProvisionError(f"circular references between {cycle.args[1]}") from None


def _references(value: Any) -> set[str]:
    if isinstance(value, list):
        return set().union(*(_references(item) for item in value))
    if not isinstance(value, dict):
        return set()
    found: set[str] = set()
    for key, argument in value.items():
        if key == "Ref" and isinstance(argument, str):
            found.add(argument)
        elif key == "Fn::GetAtt":
            found.add(argument.split(".")[0] if isinstance(argument, str) else argument[0])
        elif key == "Fn::Sub":
            text = argument if isinstance(argument, str) else argument[0]
            found |= set(_SUB_REFERENCE.findall(text))
        found |= _references(argument)
    return found


# --- Cognito -----------------------------------------------------------------------------------

_POOL_API_PROPERTIES = frozenset(
    {
        "AccountRecoverySetting",
        "AdminCreateUserConfig",
        "AliasAttributes",
        "AutoVerifiedAttributes",
        "DeletionProtection",
        "DeviceConfiguration",
        "EmailVerificationMessage",
        "EmailVerificationSubject",
        "MfaConfiguration",
        "Policies",
        "Schema",
        "SmsAuthenticationMessage",
        "SmsVerificationMessage",
        "UserAttributeUpdateSettings",
        "UsernameAttributes",
        "UsernameConfiguration",
        "UserPoolAddOns",
        "UserPoolTags",
        "UserPoolTier",
        "VerificationMessageTemplate",
    }
)


def _create_user_pool(p: _Provisioner, logical_id: str, props: dict[str, Any]) -> dict[str, Any]:
    name = props.pop("UserPoolName", None) or p.generated_name(logical_id, 128)
    pool = p.cognito.create_user_pool(PoolName=name, **props)["UserPool"]
    pool_id = pool["Id"]
    p.result.user_pools[logical_id] = pool_id
    provider = f"cognito-idp.{p.region}.amazonaws.com/{pool_id}"
    return {
        "Ref": pool_id,
        "UserPoolId": pool_id,
        "Arn": pool["Arn"],
        "ProviderName": provider,
        "ProviderURL": f"https://{provider}",
    }


_CLIENT_API_PROPERTIES = frozenset(
    {
        "AccessTokenValidity",
        "AllowedOAuthFlows",
        "AllowedOAuthFlowsUserPoolClient",
        "AllowedOAuthScopes",
        "AuthSessionValidity",
        "CallbackURLs",
        "DefaultRedirectURI",
        "EnablePropagateAdditionalUserContextData",
        "EnableTokenRevocation",
        "ExplicitAuthFlows",
        "GenerateSecret",
        "IdTokenValidity",
        "LogoutURLs",
        "PreventUserExistenceErrors",
        "ReadAttributes",
        "RefreshTokenValidity",
        "SupportedIdentityProviders",
        "TokenValidityUnits",
        "UserPoolId",
        "WriteAttributes",
    }
)


def _create_user_pool_client(
    p: _Provisioner, logical_id: str, props: dict[str, Any]
) -> dict[str, Any]:
    name = props.pop("ClientName", None) or logical_id
    created = p.cognito.create_user_pool_client(ClientName=name, **props)["UserPoolClient"]
    client_id = created["ClientId"]
    p.result.user_pool_clients[logical_id] = client_id
    attributes = {"Ref": client_id, "ClientId": client_id, "Name": name}
    if "ClientSecret" in created:
        attributes["ClientSecret"] = created["ClientSecret"]
    return attributes


def _create_user_pool_group(
    p: _Provisioner, logical_id: str, props: dict[str, Any]
) -> dict[str, Any]:
    name = props.pop("GroupName", None) or p.generated_name(logical_id, 128)
    p.cognito.create_group(GroupName=name, **props)
    return {"Ref": name}


# --- DynamoDB ----------------------------------------------------------------------------------

_INDEX_KEYS_WITHOUT_LOCAL_EFFECT = ("ContributorInsightsSpecification", "WarmThroughput")


def _create_table(p: _Provisioner, logical_id: str, props: dict[str, Any]) -> dict[str, Any]:
    name = props.pop("TableName", None) or p.generated_name(logical_id, 255)
    ttl = props.pop("TimeToLiveSpecification", None)
    stream = props.pop("StreamSpecification", None)
    if stream is not None:
        props["StreamSpecification"] = {"StreamEnabled": True, **stream}
    for indexes in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
        if indexes in props:
            props[indexes] = [_index(index) for index in props[indexes]]
    table = p.dynamodb.create_table(TableName=name, **props)["TableDescription"]
    if ttl is not None:
        p.dynamodb.update_time_to_live(TableName=name, TimeToLiveSpecification=ttl)
    p.result.tables[logical_id] = name
    attributes = {"Ref": name, "Arn": table["TableArn"]}
    if "LatestStreamArn" in table:
        attributes["StreamArn"] = table["LatestStreamArn"]
    return attributes


def _index(index: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in index.items() if k not in _INDEX_KEYS_WITHOUT_LOCAL_EFFECT}


# --- IAM ---------------------------------------------------------------------------------------


def _create_role(p: _Provisioner, logical_id: str, props: dict[str, Any]) -> dict[str, Any]:
    name = props.pop("RoleName", None) or p.generated_name(logical_id, 64)
    managed = props.pop("ManagedPolicyArns", [])
    inline = props.pop("Policies", [])
    document = json.dumps(props.pop("AssumeRolePolicyDocument"))
    role = p.iam.create_role(RoleName=name, AssumeRolePolicyDocument=document, **props)["Role"]
    for policy_arn in managed:
        p.iam.attach_role_policy(RoleName=name, PolicyArn=policy_arn)
    for policy in inline:
        p.iam.put_role_policy(
            RoleName=name,
            PolicyName=policy["PolicyName"],
            PolicyDocument=json.dumps(policy["PolicyDocument"]),
        )
    p.result.roles[logical_id] = role["Arn"]
    return {"Ref": name, "Arn": role["Arn"], "RoleId": role["RoleId"]}


def _create_managed_policy(
    p: _Provisioner, logical_id: str, props: dict[str, Any]
) -> dict[str, Any]:
    name = props.pop("ManagedPolicyName", None) or p.generated_name(logical_id, 128)
    document = json.dumps(props.pop("PolicyDocument"))
    roles, users = props.pop("Roles", []), props.pop("Users", [])
    policy = p.iam.create_policy(PolicyName=name, PolicyDocument=document, **props)["Policy"]
    for role in roles:
        p.iam.attach_role_policy(RoleName=role, PolicyArn=policy["Arn"])
    for user in users:
        p.iam.attach_user_policy(UserName=user, PolicyArn=policy["Arn"])
    return {"Ref": policy["Arn"], "PolicyArn": policy["Arn"]}


def _create_policy(p: _Provisioner, logical_id: str, props: dict[str, Any]) -> dict[str, Any]:
    name = props["PolicyName"]
    document = json.dumps(props["PolicyDocument"])
    for role in props.get("Roles", []):
        p.iam.put_role_policy(RoleName=role, PolicyName=name, PolicyDocument=document)
    for user in props.get("Users", []):
        p.iam.put_user_policy(UserName=user, PolicyName=name, PolicyDocument=document)
    return {"Ref": name, "Id": name}


# --- Ignored locally, but named so that policies referencing them resolve ----------------------


def _log_group_ids(p: _Provisioner, logical_id: str, resource: dict[str, Any]) -> dict[str, Any]:
    name_property = resource.get("Properties", {}).get("LogGroupName")
    if name_property is None:
        name = p.generated_name(logical_id, 512)
    else:
        name = p.resolver.resolve(name_property, f"Resources.{logical_id}.LogGroupName")
    arn = f"arn:{PARTITION}:logs:{p.region}:{DEFAULT_ACCOUNT}:log-group:{name}:*"
    return {"Ref": name, "Arn": arn}


def _topic_ids(p: _Provisioner, logical_id: str, resource: dict[str, Any]) -> dict[str, Any]:
    name_property = resource.get("Properties", {}).get("TopicName")
    if name_property is None:
        name = p.generated_name(logical_id, 256)
    else:
        name = p.resolver.resolve(name_property, f"Resources.{logical_id}.TopicName")
    arn = f"arn:{PARTITION}:sns:{p.region}:{DEFAULT_ACCOUNT}:{name}"
    return {"Ref": arn, "TopicArn": arn, "TopicName": name}


# Where a restored resource is recorded, as its create function records a new one.
_RESTORED_INTO: dict[str, Callable[[LocalResources], dict[str, str]]] = {
    "AWS::Cognito::UserPool": lambda result: result.user_pools,
    "AWS::Cognito::UserPoolClient": lambda result: result.user_pool_clients,
    "AWS::DynamoDB::Table": lambda result: result.tables,
}

_NOMINAL_IDS: dict[str, Callable[[_Provisioner, str, dict[str, Any]], dict[str, Any]]] = {
    "AWS::Logs::LogGroup": _log_group_ids,
    "AWS::SNS::Topic": _topic_ids,
}

_UNUSED_LOCALLY = "has no effect on a local run"

_KINDS: dict[str, _Kind] = {
    "AWS::Cognito::UserPool": _Kind(
        _create_user_pool,
        _POOL_API_PROPERTIES | {"UserPoolName"},
        {
            "EmailConfiguration": "no e-mail is sent locally",
            "SmsConfiguration": "no SMS is sent locally",
            "EnabledMfas": "MFA methods " + _UNUSED_LOCALLY,
        },
    ),
    "AWS::Cognito::UserPoolClient": _Kind(
        _create_user_pool_client,
        _CLIENT_API_PROPERTIES | {"ClientName"},
        {"AnalyticsConfiguration": "Pinpoint analytics " + _UNUSED_LOCALLY},
    ),
    "AWS::Cognito::UserPoolGroup": _Kind(
        _create_user_pool_group,
        frozenset({"GroupName", "UserPoolId", "Description", "Precedence", "RoleArn"}),
    ),
    "AWS::DynamoDB::Table": _Kind(
        _create_table,
        frozenset(
            {
                "AttributeDefinitions",
                "BillingMode",
                "DeletionProtectionEnabled",
                "GlobalSecondaryIndexes",
                "KeySchema",
                "LocalSecondaryIndexes",
                "ProvisionedThroughput",
                "StreamSpecification",
                "TableClass",
                "TableName",
                "Tags",
                "TimeToLiveSpecification",
            }
        ),
        {
            "SSESpecification": "encryption at rest " + _UNUSED_LOCALLY,
            "PointInTimeRecoverySpecification": "backups " + _UNUSED_LOCALLY,
            "ContributorInsightsSpecification": "CloudWatch insights " + _UNUSED_LOCALLY,
            "WarmThroughput": "throughput pre-warming " + _UNUSED_LOCALLY,
            "OnDemandThroughput": "throughput limits are not modelled locally",
        },
    ),
    "AWS::IAM::Role": _Kind(
        _create_role,
        frozenset(
            {
                "AssumeRolePolicyDocument",
                "Description",
                "ManagedPolicyArns",
                "MaxSessionDuration",
                "Path",
                "Policies",
                "RoleName",
                "Tags",
            }
        ),
    ),
    "AWS::IAM::ManagedPolicy": _Kind(
        _create_managed_policy,
        frozenset({"ManagedPolicyName", "PolicyDocument", "Description", "Path", "Roles", "Users"}),
    ),
    "AWS::IAM::Policy": _Kind(
        _create_policy, frozenset({"PolicyName", "PolicyDocument", "Roles", "Users"})
    ),
}
