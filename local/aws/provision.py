"""Create a template's resources in moto, in dependency order, or refuse it at start-up.

Every resource type is one of:
- provisioned: a `Kind` in `KINDS`, from the package of the service that owns it
  (local/cognito/resources.py, local/dynamodb/resources.py, local/iam/resources.py);
- named only (named.py): not created, but given the ids policies may reference;
- served elsewhere in the runner (`HANDLED_ELSEWHERE`: AppSync, API Gateway, Lambda);
- ignored, with the reason (`IGNORED_TYPES`), listed once in the runner's log.
Any other type, and any property a `Kind` neither applies nor knowingly ignores, is a
`ProvisionError` naming the resource and property.
"""

from __future__ import annotations

import graphlib
import re
from collections.abc import Callable, Mapping
from typing import Any

from local.appsync import from_template as appsync_template
from local.aws.kinds import Context, Kind, LocalResources, ProvisionError
from local.aws.named import NAMED
from local.awslambda import streams as lambda_streams
from local.cognito.resources import KINDS as COGNITO_KINDS
from local.dynamodb.resources import KINDS as DYNAMODB_KINDS
from local.iam.resources import KINDS as IAM_KINDS
from local.rest import routes as rest_routes
from local.template import DEFAULT_ACCOUNT, Assembly, Resolver

KINDS: dict[str, Kind] = {**COGNITO_KINDS, **DYNAMODB_KINDS, **IAM_KINDS}

LAMBDA_FUNCTION = "AWS::Lambda::Function"

# Types another part of the runner serves (and checks property by property), by who serves them.
HANDLED_ELSEWHERE: dict[str, str] = {
    **{t: "served by the local AppSync endpoint" for t in appsync_template.SERVED_TYPES},
    **{t: "served by the local REST gateway" for t in rest_routes.SERVED_TYPES},
    # the REST API's start-up line lists these, with what else it does not emulate
    **{t: "listed by the local REST gateway" for t in rest_routes.IGNORED_TYPES},
    LAMBDA_FUNCTION: "run in the local Lambda worker pools",
    lambda_streams.MAPPING: "DynamoDB stream records delivered by the local runner",
}

# Types with no local effect, each with the reason the start-up log gives once.
IGNORED_TYPES: dict[str, str] = {
    "AWS::Lambda::Permission": "the local gateways call functions directly; "
    "resource policies on functions are not modelled",
    "AWS::Logs::LogGroup": "logs go to the runner's terminal",
    "Custom::LogRetention": "logs go to the runner's terminal",
    "AWS::CDK::Metadata": "CDK usage analytics, no behaviour",
    "AWS::CloudWatch::Alarm": "no monitoring locally",
    "AWS::SNS::Topic": "alarms only notify it, and no alarm runs locally",
    "AWS::SNS::TopicPolicy": "alarms only notify it, and no alarm runs locally",
    **appsync_template.IGNORED_TYPES,
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

Restore = Callable[[str, dict[str, Any]], dict[str, Any] | None]


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
        self.ids: dict[str, Any] = {
            k: dict(v) if isinstance(v, Mapping) else v for k, v in known_ids.items()
        }
        self.resolver = Resolver(assembly, self.ids, pseudo_parameters(assembly, region))
        self.context = Context(assembly, endpoint, region, self.resolver)
        self.result = self.context.result

    def run(self) -> None:
        resources = self._active_resources()
        for logical_id, resource in resources.items():
            self._classify(logical_id, resource["Type"])
        provisioned = {k: r for k, r in resources.items() if r["Type"] in KINDS}
        for logical_id, resource in provisioned.items():
            _check_supported(KINDS[resource["Type"]], logical_id, resource)
        named = {k: r for k, r in resources.items() if r["Type"] in NAMED}
        for logical_id in _creation_order({**provisioned, **named}):
            resource = resources[logical_id]
            if logical_id in named:
                self.ids[logical_id] = NAMED[resource["Type"]](self.context, logical_id, resource)
            else:
                self._create(KINDS[resource["Type"]], logical_id, resource)
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
        if type_name in KINDS:
            return
        if type_name in IGNORED_TYPES:
            self.result.ignored[logical_id] = IGNORED_TYPES[type_name]
            return
        if type_name in HANDLED_ELSEWHERE:
            self.result.handled_elsewhere[logical_id] = type_name
            return
        raise ProvisionError(
            f"resource {logical_id} has type {type_name}, which the local runner neither "
            "provisions nor knows to be safe to ignore"
        )

    def _create(self, kind: Kind, logical_id: str, resource: dict[str, Any]) -> None:
        restored = self.restore(logical_id, resource) if self.restore else None
        if restored is not None:
            self.ids[logical_id] = restored
            if kind.recorded_in is not None:
                kind.recorded_in(self.result)[logical_id] = restored["Ref"]
            return
        raw = resource.get("Properties", {})
        properties = self.resolver.resolve(
            {k: v for k, v in raw.items() if k in kind.applied}, f"Resources.{logical_id}"
        )
        self.ids[logical_id] = kind.create(self.context, logical_id, properties)

    def _record_function_roles(self, resources: Mapping[str, dict[str, Any]]) -> None:
        for logical_id, resource in resources.items():
            if resource["Type"] != LAMBDA_FUNCTION:
                continue
            role = resource.get("Properties", {}).get("Role")
            if role is not None:
                where = f"Resources.{logical_id}.Properties.Role"
                self.result.function_roles[logical_id] = self.resolver.resolve(role, where)


def _check_supported(kind: Kind, logical_id: str, resource: Mapping[str, Any]) -> None:
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
