"""The cdk.out reader: finding the stack, its resources and assets, resolving intrinsics."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from local.template import Assembly, Resolver, TemplateError, load_assembly, stack_name_for_stage

FIXTURE = Path(__file__).parent / "fixtures" / "cdk.out"
POOL = "TodoAuthUserPool3C7E0B8F"
API = "TodoGraphqlApiC0FFEE01"
PSEUDO = {"AWS::Region": "eu-west-1", "AWS::AccountId": "123456789012"}


@pytest.fixture(scope="module")
def assembly() -> Assembly:
    return load_assembly(FIXTURE)


def resolver(assembly: Assembly, **physical_ids: Any) -> Resolver:
    return Resolver(assembly, physical_ids, PSEUDO)


def test_the_only_stack_is_loaded_when_no_name_is_given(assembly: Assembly) -> None:
    assert assembly.stack_name == "TodoStack-test"
    assert assembly.template["Description"].startswith("Hand-written")


def test_a_stack_is_found_by_name() -> None:
    assert load_assembly(FIXTURE, "TodoStack-test").stack_name == "TodoStack-test"


def test_an_unknown_stack_name_lists_the_stacks_there_are() -> None:
    with pytest.raises(TemplateError, match=r"no stack named 'Other'.*TodoStack-test"):
        load_assembly(FIXTURE, "Other")


def test_several_stacks_without_a_name_is_an_error(tmp_path: Path) -> None:
    # GIVEN a cloud assembly with a second stack artifact
    cdk_out = tmp_path / "cdk.out"
    shutil.copytree(FIXTURE, cdk_out)
    manifest = json.loads((cdk_out / "manifest.json").read_text())
    second = dict(manifest["artifacts"]["TodoStack-test"], displayName="TodoStack-prod")
    manifest["artifacts"]["TodoStack-prod"] = second
    (cdk_out / "manifest.json").write_text(json.dumps(manifest))
    # WHEN it is loaded without a stack name THEN both stacks are named in the error
    with pytest.raises(TemplateError, match=r"TodoStack-prod.*TodoStack-test"):
        load_assembly(cdk_out)


def test_a_missing_cdk_out_says_to_synthesize(tmp_path: Path) -> None:
    with pytest.raises(TemplateError, match="cdk synth"):
        load_assembly(tmp_path / "cdk.out")


def test_resources_are_listed_by_type(assembly: Assembly) -> None:
    tables = assembly.resources("AWS::DynamoDB::Table")
    assert list(tables) == ["TodoTableE5F6A7B8"]
    assert tables["TodoTableE5F6A7B8"]["Properties"]["BillingMode"] == "PAY_PER_REQUEST"


def test_an_unknown_logical_id_is_named_in_the_error(assembly: Assembly) -> None:
    with pytest.raises(TemplateError, match="'Nope'"):
        assembly.resource("Nope")


def test_outputs_are_exposed(assembly: Assembly) -> None:
    assert set(assembly.outputs) >= {"UserPoolId", "GraphQLUrl", "TodoFunctionRoleArn"}


def test_a_zip_asset_key_maps_to_its_source_directory(assembly: Assembly) -> None:
    function = assembly.resource("TodoFunction5E6F7A8B")
    path = assembly.asset_path_for_s3_key(function["Properties"]["Code"]["S3Key"])
    assert (path / "todo_api" / "handler.py").is_file()


def test_a_resolver_code_location_maps_to_its_js_file(assembly: Assembly) -> None:
    # GIVEN the CodeS3Location of a resolver, resolved like the template would be
    location = assembly.resource("TodoGraphqlApiQuerygetTodoResolverAB12CD34")["Properties"][
        "CodeS3Location"
    ]
    url = resolver(assembly).resolve(location)
    # WHEN it is mapped THEN the asset file holds the resolver code
    assert "export function request" in assembly.asset_path_for_s3_key(url).read_text()


def test_an_unknown_asset_key_is_an_error(assembly: Assembly) -> None:
    with pytest.raises(TemplateError, match=r"deadbeef\.zip"):
        assembly.asset_path_for_s3_key("deadbeef.zip")


def test_ref_gives_the_physical_id(assembly: Assembly) -> None:
    ids = resolver(assembly, **{POOL: "eu-west-1_abc"})
    assert ids.resolve({"Ref": POOL}) == "eu-west-1_abc"


def test_ref_of_an_attribute_dict_gives_its_ref_entry(assembly: Assembly) -> None:
    ids = resolver(assembly, **{API: {"Ref": "arn:api", "ApiId": "abc"}})
    assert ids.resolve({"Ref": API}) == "arn:api"


def test_ref_of_a_pseudo_parameter(assembly: Assembly) -> None:
    assert resolver(assembly).resolve({"Ref": "AWS::Partition"}) == "aws"
    assert resolver(assembly).resolve({"Ref": "AWS::Region"}) == "eu-west-1"


def test_ref_of_a_parameter_gives_its_default(assembly: Assembly) -> None:
    value = resolver(assembly).resolve({"Ref": "BootstrapVersion"})
    assert value == "/cdk-bootstrap/hnb659fds/version"


def test_ref_to_a_resource_without_a_value_names_it_and_the_place(assembly: Assembly) -> None:
    with pytest.raises(TemplateError, match=r"'TodoTableE5F6A7B8'.*Environment"):
        resolver(assembly).resolve({"Ref": "TodoTableE5F6A7B8"}, "Environment")


def test_get_att_in_both_forms(assembly: Assembly) -> None:
    ids = resolver(assembly, **{API: {"GraphQLUrl": "http://127.0.0.1:1/graphql"}})
    assert ids.resolve({"Fn::GetAtt": [API, "GraphQLUrl"]}) == "http://127.0.0.1:1/graphql"
    assert ids.resolve({"Fn::GetAtt": f"{API}.GraphQLUrl"}) == "http://127.0.0.1:1/graphql"


def test_an_unknown_attribute_names_resource_and_attribute(assembly: Assembly) -> None:
    ids = resolver(assembly, **{API: {"GraphQLUrl": "u"}})
    with pytest.raises(TemplateError, match=rf"'RealtimeUrl' of resource '{API}'"):
        ids.resolve({"Fn::GetAtt": [API, "RealtimeUrl"]})


def test_join_of_the_policy_resource(assembly: Assembly) -> None:
    # GIVEN the function's policy, whose resources join the API ARN and a field path
    policy = assembly.resource("TodoFunctionServiceRoleDefaultPolicy1A2B3C4D")["Properties"]
    ids = resolver(assembly, **{API: {"Arn": "arn:aws:appsync:eu-west-1:1:apis/x"}})
    # WHEN resolved THEN the field ARNs are complete
    statement = ids.resolve(policy["PolicyDocument"])["Statement"][0]
    assert statement["Resource"] == [
        "arn:aws:appsync:eu-west-1:1:apis/x/types/Query/fields/getTodo",
        "arn:aws:appsync:eu-west-1:1:apis/x/types/Mutation/fields/createTodo",
    ]


def test_sub_with_pseudo_parameters_resources_attributes_and_literals(
    assembly: Assembly,
) -> None:
    ids = resolver(assembly, **{POOL: "pool-1", API: {"ApiId": "api-1"}})
    text = "${AWS::Region}/${TodoAuthUserPool3C7E0B8F}/${TodoGraphqlApiC0FFEE01.ApiId}/${!Keep}"
    assert ids.resolve({"Fn::Sub": text}) == "eu-west-1/pool-1/api-1/${Keep}"


def test_sub_with_a_variable_map(assembly: Assembly) -> None:
    ids = resolver(assembly, **{POOL: "pool-1"})
    value = {"Fn::Sub": ["${Name}-${AWS::AccountId}", {"Name": {"Ref": POOL}}]}
    assert ids.resolve(value) == "pool-1-123456789012"


def test_sub_with_an_unknown_variable_is_an_error(assembly: Assembly) -> None:
    with pytest.raises(TemplateError, match=r"\$\{Missing\}"):
        resolver(assembly).resolve({"Fn::Sub": "x-${Missing}"})


def test_select_and_split(assembly: Assembly) -> None:
    value = {"Fn::Select": [1, {"Fn::Split": ["/", "a/b/c"]}]}
    assert resolver(assembly).resolve(value) == "b"


def test_if_picks_the_branch_of_its_condition(assembly: Assembly) -> None:
    # GIVEN the CDK metadata condition, true in eu-west-1 and false elsewhere
    value = {"Fn::If": ["CDKMetadataAvailable", "yes", {"Ref": "AWS::NoValue"}]}
    assert resolver(assembly).resolve({"Key": value}) == {"Key": "yes"}
    elsewhere = Resolver(assembly, {}, {"AWS::Region": "ap-south-2"})
    # WHEN the condition is false and the branch is AWS::NoValue THEN the key disappears
    assert elsewhere.resolve({"Key": value, "Other": 1}) == {"Other": 1}


def test_an_unsupported_intrinsic_is_named_with_its_place(assembly: Assembly) -> None:
    with pytest.raises(TemplateError, match=r"Fn::ImportValue.*Outputs\.X"):
        resolver(assembly).resolve({"Fn::ImportValue": "shared"}, "Outputs.X")


def test_plain_values_are_returned_unchanged(assembly: Assembly) -> None:
    value = {"A": [1, True, "x"], "B": {"C": None}}
    assert resolver(assembly).resolve(value) == value


def _manifest(tmp_path: Path, *names: str) -> Path:
    artifacts = {
        name: {"type": "aws:cloudformation:stack", "properties": {"templateFile": f"{name}.json"}}
        for name in names
    }
    (tmp_path / "manifest.json").write_text(json.dumps({"artifacts": artifacts}))
    return tmp_path


def test_the_stage_picks_the_stack_named_after_it_whatever_the_app(tmp_path: Path):
    # `python -m local --stage beta` serves any app's stack, not one app's naming.
    cdk_out = _manifest(tmp_path, "NotesApp-dev", "NotesApp-beta")
    assert stack_name_for_stage(cdk_out, "beta") == "NotesApp-beta"


def test_a_single_stack_is_served_whatever_its_name(tmp_path: Path):
    assert stack_name_for_stage(_manifest(tmp_path, "NotebookApp"), "dev") == "NotebookApp"


def test_an_ambiguous_stage_asks_for_the_stack_by_name(tmp_path: Path):
    with pytest.raises(TemplateError, match="--stack"):
        stack_name_for_stage(_manifest(tmp_path, "A", "B"), "dev")
