"""The Cognito resource types the runner creates in moto: user pools, app clients, groups.

Properties pass to moto's API under their CloudFormation names, which are the API's.
"""

from __future__ import annotations

from typing import Any

from local.aws.kinds import UNUSED_LOCALLY, Context, Kind, ProvisionError

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


def _create_user_pool(p: Context, logical_id: str, props: dict[str, Any]) -> dict[str, Any]:
    if props.get("MfaConfiguration") == "ON":
        # Every sign-in would need MFA (an MFA_SETUP or *_MFA challenge, InitiateAuth API
        # reference); the local sign-in has no MFA step, so it would hand out tokens AWS refuses.
        raise ProvisionError(
            f"resource {logical_id} (AWS::Cognito::UserPool): MfaConfiguration ON is not "
            "emulated (MFA at sign-in is not); use OFF or OPTIONAL locally"
        )
    name = props.pop("UserPoolName", None) or p.generated_name(logical_id, 128)
    pool = p.client("cognito-idp").create_user_pool(PoolName=name, **props)["UserPool"]
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


def _create_user_pool_client(p: Context, logical_id: str, props: dict[str, Any]) -> dict[str, Any]:
    name = props.pop("ClientName", None) or logical_id
    created = p.client("cognito-idp").create_user_pool_client(ClientName=name, **props)[
        "UserPoolClient"
    ]
    client_id = created["ClientId"]
    p.result.user_pool_clients[logical_id] = client_id
    attributes = {"Ref": client_id, "ClientId": client_id, "Name": name}
    if "ClientSecret" in created:
        attributes["ClientSecret"] = created["ClientSecret"]
    return attributes


def _create_user_pool_group(p: Context, logical_id: str, props: dict[str, Any]) -> dict[str, Any]:
    name = props.pop("GroupName", None) or p.generated_name(logical_id, 128)
    p.client("cognito-idp").create_group(GroupName=name, **props)
    return {"Ref": name}


KINDS: dict[str, Kind] = {
    "AWS::Cognito::UserPool": Kind(
        _create_user_pool,
        _POOL_API_PROPERTIES | {"UserPoolName"},
        {
            "EmailConfiguration": "no e-mail is sent locally",
            "SmsConfiguration": "no SMS is sent locally",
            "EnabledMfas": "MFA methods " + UNUSED_LOCALLY,
        },
        recorded_in=lambda result: result.user_pools,
    ),
    "AWS::Cognito::UserPoolClient": Kind(
        _create_user_pool_client,
        _CLIENT_API_PROPERTIES | {"ClientName"},
        {"AnalyticsConfiguration": "Pinpoint analytics " + UNUSED_LOCALLY},
        recorded_in=lambda result: result.user_pool_clients,
    ),
    "AWS::Cognito::UserPoolGroup": Kind(
        _create_user_pool_group,
        frozenset({"GroupName", "UserPoolId", "Description", "Precedence", "RoleArn"}),
    ),
}
