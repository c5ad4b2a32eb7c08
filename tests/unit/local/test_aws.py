"""Local AWS: moto in-process, a fresh Cognito signing key per run, resources from cdk.out."""

from __future__ import annotations

import copy
import dataclasses
import json
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jwt
import pytest
from moto.utilities.utils import load_resource

from local.aws.credentials import assume_role_credentials, credentials_lookup
from local.aws.kinds import LocalResources, ProvisionError
from local.aws.provision import provision, pseudo_parameters
from local.aws.server import LocalAws
from local.cognito.signing_key import install_signing_key
from local.template import Assembly, Resolver, TemplateError, load_assembly

REGION = "eu-west-1"
FIXTURE = Path(__file__).parent / "fixtures" / "cdk.out"
API = "TodoGraphqlApiC0FFEE01"
API_ARN = f"arn:aws:appsync:{REGION}:123456789012:apis/localapi"
KNOWN_IDS = {API: {"Ref": API_ARN, "Arn": API_ARN, "ApiId": "localapi", "GraphQLUrl": "u"}}
PASSWORD = "Correct-Horse-42-Battery"


@pytest.fixture(scope="module")
def aws() -> Iterator[LocalAws]:
    with LocalAws(REGION) as local:
        yield local


@pytest.fixture(scope="module")
def assembly() -> Assembly:
    return load_assembly(FIXTURE)


@pytest.fixture(scope="module")
def resources(aws: LocalAws, assembly: Assembly) -> LocalResources:
    return provision(assembly, aws.endpoint, REGION, KNOWN_IDS)


def with_resource(assembly: Assembly, logical_id: str, resource: dict[str, Any]) -> Assembly:
    template = copy.deepcopy(assembly.template)
    template["Resources"][logical_id] = resource
    return dataclasses.replace(assembly, template=template)


def sign_in(aws: LocalAws, resources: LocalResources, email: str) -> dict[str, str]:
    cognito = aws.client("cognito-idp")
    pool_id = resources.user_pool_id
    cognito.admin_create_user(UserPoolId=pool_id, Username=email, MessageAction="SUPPRESS")
    cognito.admin_set_user_password(
        UserPoolId=pool_id, Username=email, Password=PASSWORD, Permanent=True
    )
    result = cognito.initiate_auth(
        ClientId=resources.user_pool_client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": email, "PASSWORD": PASSWORD},
    )
    return result["AuthenticationResult"]


def served_jwks(aws: LocalAws, pool_id: str) -> dict[str, Any]:
    url = f"{aws.endpoint}/{pool_id}/.well-known/jwks.json"
    with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (loopback)
        return json.load(response)


def test_moto_listens_on_loopback_with_the_bound_port(aws: LocalAws) -> None:
    assert aws.endpoint.startswith("http://127.0.0.1:")
    assert int(aws.endpoint.rsplit(":", 1)[1]) > 0


def test_a_token_minted_by_moto_verifies_against_the_served_jwks(
    aws: LocalAws, resources: LocalResources
) -> None:
    # GIVEN a user signed in through local Cognito
    tokens = sign_in(aws, resources, "alice@example.com")
    # WHEN the id token is checked against the pool's JWKS on the moto endpoint
    jwks = jwt.PyJWKSet.from_dict(served_jwks(aws, resources.user_pool_id))
    kid = jwt.get_unverified_header(tokens["IdToken"])["kid"]
    claims = jwt.decode(
        tokens["IdToken"],
        jwks[kid].key,
        algorithms=["RS256"],
        audience=resources.user_pool_client_id,
    )
    # THEN the signature holds, with this run's key id
    assert kid == aws.signing_key.kid
    assert claims["email"] == "alice@example.com"


def test_each_run_has_its_own_key_and_none_is_the_bundled_one(aws: LocalAws) -> None:
    bundled = load_resource("cognitoidp/resources/jwks-public.json")["keys"][0]
    try:
        # GIVEN two more runs, one after the other
        with LocalAws(REGION) as first:
            first_key = first.signing_key.public_jwks["keys"][0]
        with LocalAws(REGION) as second:
            second_key = second.signing_key.public_jwks["keys"][0]
    finally:
        install_signing_key(aws.signing_key)  # the module's run goes on with its own key
    # THEN no two keys (nor their ids) are alike
    assert len({first_key["n"], second_key["n"], bundled["n"]}) == 3
    assert len({first_key["kid"], second_key["kid"], bundled["kid"]}) == 3


def test_user_pool_gets_the_template_password_policy(
    aws: LocalAws, resources: LocalResources
) -> None:
    pool = aws.client("cognito-idp").describe_user_pool(UserPoolId=resources.user_pool_id)
    policy = pool["UserPool"]["Policies"]["PasswordPolicy"]
    assert policy["MinimumLength"] == 12
    assert policy["RequireSymbols"] is False


def test_user_pool_signs_in_by_email_and_verifies_it(
    aws: LocalAws, resources: LocalResources
) -> None:
    pool = aws.client("cognito-idp").describe_user_pool(UserPoolId=resources.user_pool_id)
    assert pool["UserPool"]["UsernameAttributes"] == ["email"]
    assert pool["UserPool"]["AutoVerifiedAttributes"] == ["email"]


def test_app_client_has_the_auth_flows_and_no_secret(
    aws: LocalAws, resources: LocalResources
) -> None:
    described = aws.client("cognito-idp").describe_user_pool_client(
        UserPoolId=resources.user_pool_id, ClientId=resources.user_pool_client_id
    )["UserPoolClient"]
    assert "ALLOW_USER_PASSWORD_AUTH" in described["ExplicitAuthFlows"]
    assert "ClientSecret" not in described


def test_admins_group_exists(aws: LocalAws, resources: LocalResources) -> None:
    groups = aws.client("cognito-idp").list_groups(UserPoolId=resources.user_pool_id)
    assert [group["GroupName"] for group in groups["Groups"]] == ["admins"]


def test_table_has_the_key_schema_and_owner_index(aws: LocalAws, resources: LocalResources) -> None:
    name = resources.tables["TodoTableE5F6A7B8"]
    table = aws.client("dynamodb").describe_table(TableName=name)["Table"]
    assert table["KeySchema"] == [{"AttributeName": "id", "KeyType": "HASH"}]
    (index,) = table["GlobalSecondaryIndexes"]
    assert index["IndexName"] == "byOwner"
    assert [key["AttributeName"] for key in index["KeySchema"]] == ["owner", "createdAt"]
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"


def test_table_name_is_generated_like_cloudformation(resources: LocalResources) -> None:
    assert resources.tables["TodoTableE5F6A7B8"].startswith("TodoStack-test-TodoTableE5F6A7B8-")


def test_function_role_trusts_lambda_and_has_the_managed_policy(
    aws: LocalAws, resources: LocalResources
) -> None:
    role_name = resources.function_roles["TodoFunction5E6F7A8B"].rsplit("/", 1)[1]
    iam = aws.client("iam")
    trust = iam.get_role(RoleName=role_name)["Role"]["AssumeRolePolicyDocument"]
    attached = iam.list_attached_role_policies(RoleName=role_name)["AttachedPolicies"]
    assert trust["Statement"][0]["Principal"] == {"Service": "lambda.amazonaws.com"}
    assert [policy["PolicyName"] for policy in attached] == ["AWSLambdaBasicExecutionRole"]


def test_inline_policy_is_attached_to_its_role_with_field_arns(
    aws: LocalAws, resources: LocalResources
) -> None:
    role_name = resources.function_roles["TodoFunction5E6F7A8B"].rsplit("/", 1)[1]
    policy = aws.client("iam").get_role_policy(
        RoleName=role_name, PolicyName="TodoFunctionServiceRoleDefaultPolicy1A2B3C4D"
    )
    statement = policy["PolicyDocument"]["Statement"][0]
    assert statement["Resource"] == [
        f"{API_ARN}/types/Query/fields/getTodo",
        f"{API_ARN}/types/Mutation/fields/createTodo",
    ]


def test_resource_types_served_or_ignored_elsewhere_are_accounted_for(
    resources: LocalResources,
) -> None:
    assert resources.handled_elsewhere["TodoFunction5E6F7A8B"] == "AWS::Lambda::Function"
    assert resources.handled_elsewhere[API] == "AWS::AppSync::GraphQLApi"
    assert set(resources.ignored) == {
        "TodoFunctionLogGroup0A1B2C3D",
        "TodoRestApiInvokePermission7A8B9C0D",
        "CDKMetadata",
    }


def test_physical_ids_resolve_the_stack_outputs(
    assembly: Assembly, resources: LocalResources
) -> None:
    ids = {**KNOWN_IDS, **resources.physical_ids}
    resolver = Resolver(assembly, ids, pseudo_parameters(assembly, REGION))
    outputs = resolver.resolve(assembly.outputs)
    assert outputs["UserPoolId"]["Value"] == resources.user_pool_id
    assert outputs["UserPoolClientId"]["Value"] == resources.user_pool_client_id
    assert (
        outputs["TodoFunctionRoleArn"]["Value"]
        == resources.roles["TodoFunctionServiceRole6F7A8B9C"]
    )


@pytest.mark.parametrize(
    "type_name",
    [
        # in a family the runner serves, but not served: a service prefix is no blanket pass
        "AWS::Lambda::EventInvokeConfig",
        "AWS::Lambda::Url",
        "AWS::AppSync::SourceApiAssociation",
        "AWS::ApiGateway::VpcLink",
    ],
)
def test_an_unserved_type_of_a_served_family_is_refused(
    aws: LocalAws, assembly: Assembly, type_name: str
) -> None:
    odd = with_resource(assembly, "Extra", {"Type": type_name, "Properties": {}})
    with pytest.raises(ProvisionError, match=f"Extra has type {type_name}"):
        provision(odd, aws.endpoint, REGION, KNOWN_IDS)


def test_an_api_cache_is_ignored_with_its_reason(aws: LocalAws, assembly: Assembly) -> None:
    cached = with_resource(assembly, "Cache", {"Type": "AWS::AppSync::ApiCache", "Properties": {}})
    resources = provision(cached, aws.endpoint, REGION, KNOWN_IDS)
    assert resources.ignored["Cache"].startswith("resolver caching is not emulated")


def test_an_unknown_resource_type_fails_naming_it(aws: LocalAws, assembly: Assembly) -> None:
    odd = with_resource(assembly, "Queue1", {"Type": "AWS::SQS::Queue", "Properties": {}})
    with pytest.raises(ProvisionError, match=r"Queue1.*AWS::SQS::Queue"):
        provision(odd, aws.endpoint, REGION, KNOWN_IDS)


def test_an_unsupported_property_fails_naming_resource_and_property(
    aws: LocalAws, assembly: Assembly
) -> None:
    # GIVEN a user pool with a Lambda trigger, which would not run locally
    pool = copy.deepcopy(assembly.resource("TodoAuthUserPool3C7E0B8F"))
    pool["Properties"]["LambdaConfig"] = {"PreSignUp": "arn:aws:lambda:x"}
    odd = with_resource(assembly, "TodoAuthUserPool3C7E0B8F", pool)
    # WHEN provisioned THEN it fails before creating anything wrong
    with pytest.raises(ProvisionError, match=r"TodoAuthUserPool3C7E0B8F.*LambdaConfig"):
        provision(odd, aws.endpoint, REGION, KNOWN_IDS)


def test_a_policy_on_an_api_without_known_ids_names_what_is_missing(
    aws: LocalAws, assembly: Assembly
) -> None:
    with pytest.raises(TemplateError, match=rf"'Arn' of resource '{API}'"):
        provision(assembly, aws.endpoint, REGION, known_ids={})


def test_a_policy_may_reference_a_log_group_that_is_not_provisioned(
    aws: LocalAws, assembly: Assembly
) -> None:
    # GIVEN a policy granting writes to the function's log group, which runs nowhere locally
    statement = {
        "Effect": "Allow",
        "Action": "logs:PutLogEvents",
        "Resource": {"Fn::GetAtt": ["TodoFunctionLogGroup0A1B2C3D", "Arn"]},
    }
    policy = {
        "Type": "AWS::IAM::Policy",
        "Properties": {
            "PolicyName": "Logs",
            "PolicyDocument": {"Version": "2012-10-17", "Statement": [statement]},
            "Roles": [{"Ref": "TodoFunctionServiceRole6F7A8B9C"}],
        },
    }
    # WHEN provisioned
    created = provision(
        with_resource(assembly, "LogsPolicy", policy), aws.endpoint, REGION, KNOWN_IDS
    )
    # THEN the policy names the log group by a CloudFormation-shaped ARN
    role_name = created.function_roles["TodoFunction5E6F7A8B"].rsplit("/", 1)[1]
    document = aws.client("iam").get_role_policy(RoleName=role_name, PolicyName="Logs")
    resource = document["PolicyDocument"]["Statement"][0]["Resource"]
    assert resource.startswith(f"arn:aws:logs:{REGION}:123456789012:log-group:TodoStack-test-")


def test_assumed_role_credentials_are_found_in_local_sts(
    aws: LocalAws, resources: LocalResources
) -> None:
    # GIVEN credentials for the function's role from local STS
    role_arn = resources.function_roles["TodoFunction5E6F7A8B"]
    access_key, secret, token = assume_role_credentials(aws.endpoint, role_arn, REGION)
    # WHEN the access key is looked up
    identity = credentials_lookup(access_key)
    # THEN it is the role's session, with its secret, token and a future expiry
    assert identity is not None
    role_name = role_arn.rsplit("/", 1)[1]
    assert identity.arn == f"arn:aws:sts::123456789012:assumed-role/{role_name}/local"
    assert identity.role_arn == role_arn
    assert (identity.secret_access_key, identity.session_token) == (secret, token)
    assert identity.expiration is not None and identity.expiration > datetime.now(UTC)


def test_an_iam_user_access_key_is_found(aws: LocalAws) -> None:
    iam = aws.client("iam")
    user = iam.create_user(UserName="operator")["User"]
    key = iam.create_access_key(UserName="operator")["AccessKey"]
    identity = credentials_lookup(key["AccessKeyId"])
    assert identity is not None
    assert identity.arn == user["Arn"]
    assert identity.secret_access_key == key["SecretAccessKey"]
    assert identity.session_token is None


def test_an_unknown_access_key_is_not_found(aws: LocalAws) -> None:
    assert credentials_lookup("ASIAUNKNOWNKEY000000") is None


# CDK's TableV2, as `cdk synth` writes it: an AWS::DynamoDB::GlobalTable whose one replica is
# in the stack's region (AWS::DynamoDB::GlobalTable, ReplicaSpecification).
GLOBAL_TABLE = {
    "Type": "AWS::DynamoDB::GlobalTable",
    "Properties": {
        "AttributeDefinitions": [
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "x", "AttributeType": "S"},
        ],
        "BillingMode": "PAY_PER_REQUEST",
        "GlobalSecondaryIndexes": [
            {
                "IndexName": "byX",
                "KeySchema": [{"AttributeName": "x", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "Replicas": [
            {
                "GlobalSecondaryIndexes": [{"IndexName": "byX"}],
                "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
                "Region": {"Ref": "AWS::Region"},
                "Tags": [{"Key": "team", "Value": "notes"}],
            }
        ],
        "StreamSpecification": {"StreamViewType": "NEW_IMAGE"},
        "TimeToLiveSpecification": {"AttributeName": "ttl", "Enabled": True},
    },
    "UpdateReplacePolicy": "Retain",
    "DeletionPolicy": "Retain",
}


def test_a_global_table_with_one_local_replica_is_a_table(
    aws: LocalAws, assembly: Assembly
) -> None:
    resources = provision(
        with_resource(assembly, "Items", GLOBAL_TABLE), aws.endpoint, REGION, KNOWN_IDS
    )
    ids = resources.physical_ids["Items"]
    assert isinstance(ids, dict)
    table = aws.client("dynamodb").describe_table(TableName=ids["Ref"])["Table"]
    assert table["TableArn"] == ids["Arn"] and table["LatestStreamArn"] == ids["StreamArn"]
    assert [index["IndexName"] for index in table["GlobalSecondaryIndexes"]] == ["byX"]
    assert table["StreamSpecification"]["StreamViewType"] == "NEW_IMAGE"
    assert resources.tables["Items"] == ids["Ref"]


def test_a_global_table_with_replicas_in_other_regions_is_refused(
    aws: LocalAws, assembly: Assembly
) -> None:
    two_regions = copy.deepcopy(GLOBAL_TABLE)
    two_regions["Properties"]["Replicas"].append({"Region": "us-west-2"})
    with pytest.raises(ProvisionError, match=r"only one replica, in the stack's region"):
        provision(with_resource(assembly, "Items", two_regions), aws.endpoint, REGION, KNOWN_IDS)


def test_a_pool_that_requires_mfa_is_refused(aws: LocalAws, assembly: Assembly) -> None:
    # CreateUserPool API reference, MfaConfiguration: "When ON, all users must set up MFA before
    # they can sign in";
    # the local sign-in has no MFA challenge, so it would issue tokens AWS withholds.
    template = copy.deepcopy(assembly.template)
    pools = [r for r in template["Resources"].values() if r["Type"] == "AWS::Cognito::UserPool"]
    pools[0]["Properties"]["MfaConfiguration"] = "ON"
    required = dataclasses.replace(assembly, template=template)
    with pytest.raises(ProvisionError, match="MfaConfiguration ON is not emulated"):
        provision(required, aws.endpoint, REGION, KNOWN_IDS)
