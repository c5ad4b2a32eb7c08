"""Read the synthesized cloud assembly (cdk.out) and resolve CloudFormation intrinsics.

What runs locally is what deploys: every other part of the runner takes its resources,
properties and asset files from here instead of from the CDK code.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

STACK_ARTIFACT = "aws:cloudformation:stack"
ASSET_MANIFEST_ARTIFACT = "cdk:asset-manifest"

DEFAULT_ACCOUNT = "123456789012"  # moto's default account id
DEFAULT_PARTITION = "aws"
DEFAULT_URL_SUFFIX = "amazonaws.com"

_SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")


class TemplateError(Exception):
    """The cloud assembly is missing, malformed, or uses something the runner cannot resolve."""


class CannotEmulate(TemplateError):
    """Valid for AWS, but the local runner cannot reproduce it (a resource type, a property, a
    runtime feature): `python -m local` stops at start-up with this one line, which names the
    resource and the property, rather than run something that would behave otherwise."""


class _NoValue:
    """`Ref AWS::NoValue`: the enclosing property or list item is removed."""

    def __repr__(self) -> str:
        return "AWS::NoValue"


NO_VALUE: Any = _NoValue()


@dataclass(frozen=True)
class FileAsset:
    """One file asset of the stack: `path` is the source in cdk.out (file or directory)."""

    asset_hash: str
    path: Path
    packaging: str  # "file" (path is a file) or "zip" (path is a directory to be zipped)
    object_keys: tuple[str, ...]


@dataclass(frozen=True)
class Assembly:
    """One stack of a cloud assembly: its template and its file assets."""

    cdk_out: Path
    stack_name: str
    template: dict[str, Any]
    assets: tuple[FileAsset, ...] = field(default_factory=tuple)

    @property
    def outputs(self) -> dict[str, Any]:
        return dict(self.template.get("Outputs", {}))

    @property
    def parameters(self) -> dict[str, Any]:
        return dict(self.template.get("Parameters", {}))

    @property
    def conditions(self) -> dict[str, Any]:
        return dict(self.template.get("Conditions", {}))

    def all_resources(self) -> dict[str, dict[str, Any]]:
        return dict(self.template.get("Resources", {}))

    def resources(self, type_name: str) -> dict[str, dict[str, Any]]:
        """Resources of one CloudFormation type (e.g. `AWS::DynamoDB::Table`) by logical id."""
        return {
            logical_id: resource
            for logical_id, resource in self.all_resources().items()
            if resource.get("Type") == type_name
        }

    def resource(self, logical_id: str) -> dict[str, Any]:
        try:
            return self.all_resources()[logical_id]
        except KeyError:
            raise TemplateError(
                f"stack {self.stack_name} has no resource with logical id {logical_id!r}"
            ) from None

    def asset_path_for_s3_key(self, object_key: str) -> Path:
        """Map an S3 object key (or `s3://bucket/key` URL) used in the template to its source.

        For `file` packaging the result is a file; for `zip` packaging it is the directory
        CDK would zip.
        """
        key = object_key
        if key.startswith("s3://"):
            key = key.removeprefix("s3://").partition("/")[2]
        for candidate in (key, key.rsplit("/", 1)[-1]):
            for asset in self.assets:
                if candidate in asset.object_keys:
                    return asset.path
        known = sorted(k for asset in self.assets for k in asset.object_keys)
        raise TemplateError(
            f"no asset of stack {self.stack_name} has object key {object_key!r}; known: {known}"
        )


def load_assembly(cdk_out: Path, stack_name: str | None = None) -> Assembly:
    """Load one stack of the cloud assembly in `cdk_out` (the only one if no name is given)."""
    manifest = _read_json(cdk_out / "manifest.json", "cloud assembly manifest (run `cdk synth`)")
    artifacts: dict[str, Any] = manifest.get("artifacts", {})
    artifact_id, artifact = _find_stack(artifacts, stack_name)
    properties = artifact.get("properties", {})
    name = properties.get("stackName", artifact_id)
    template = _read_json(cdk_out / properties["templateFile"], f"template of stack {name}")
    assets = _load_assets(cdk_out, artifacts, artifact)
    return Assembly(cdk_out=cdk_out, stack_name=name, template=template, assets=assets)


def stack_name_for_stage(cdk_out: Path, stage: str) -> str:
    """The stack of cdk.out named `<anything>-<stage>`, else its only stack."""
    manifest = _read_json(cdk_out / "manifest.json", "cloud assembly manifest (run `cdk synth`)")
    names = sorted(
        str(artifact.get("properties", {}).get("stackName", artifact_id))
        for artifact_id, artifact in manifest.get("artifacts", {}).items()
        if artifact.get("type") == STACK_ARTIFACT
    )
    staged = [name for name in names if name.endswith(f"-{stage}")]
    if len(staged) == 1:
        return staged[0]
    if len(names) == 1:
        return names[0]
    raise TemplateError(f"no single stack for stage {stage!r} in cdk.out ({names}); use --stack")


def _read_json(path: Path, what: str) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise TemplateError(f"{what} not found: {path}") from None
    except json.JSONDecodeError as error:
        raise TemplateError(f"{what} is not valid JSON: {path}: {error}") from None
    if not isinstance(data, dict):
        raise TemplateError(f"{what} is not a JSON object: {path}")
    return data


def _find_stack(artifacts: Mapping[str, Any], stack_name: str | None) -> tuple[str, dict[str, Any]]:
    stacks = {
        artifact_id: artifact
        for artifact_id, artifact in artifacts.items()
        if artifact.get("type") == STACK_ARTIFACT
    }

    def name_of(artifact_id: str) -> str:
        return str(stacks[artifact_id].get("properties", {}).get("stackName", artifact_id))

    names = sorted(name_of(artifact_id) for artifact_id in stacks)
    if stack_name is None:
        if len(stacks) != 1:
            raise TemplateError(f"expected exactly one stack in cdk.out, found {names}; name one")
        return next(iter(stacks.items()))
    for artifact_id, artifact in stacks.items():
        if stack_name in (artifact_id, name_of(artifact_id)):
            return artifact_id, artifact
    raise TemplateError(f"no stack named {stack_name!r} in cdk.out; stacks: {names}")


def _load_assets(
    cdk_out: Path, artifacts: Mapping[str, Any], stack: Mapping[str, Any]
) -> tuple[FileAsset, ...]:
    assets: list[FileAsset] = []
    for dependency in stack.get("dependencies", []):
        artifact = artifacts.get(dependency, {})
        if artifact.get("type") != ASSET_MANIFEST_ARTIFACT:
            continue
        manifest_file = cdk_out / artifact["properties"]["file"]
        manifest = _read_json(manifest_file, "asset manifest")
        for asset_hash, entry in manifest.get("files", {}).items():
            source = entry.get("source", {})
            if "path" not in source:
                continue  # built by an executable, not a file in cdk.out
            keys = tuple(
                str(destination["objectKey"])
                for destination in entry.get("destinations", {}).values()
                if "objectKey" in destination
            )
            assets.append(
                FileAsset(
                    asset_hash=asset_hash,
                    path=cdk_out / source["path"],
                    packaging=source.get("packaging", "file"),
                    object_keys=keys,
                )
            )
    return tuple(assets)


class Resolver:
    """Resolve CloudFormation intrinsic functions against locally known values.

    `physical_ids` maps a logical id either to its `Ref` value (a string) or to a dict of
    attributes for `Fn::GetAtt`, where the key `"Ref"` holds the `Ref` value.
    """

    def __init__(
        self,
        assembly: Assembly,
        physical_ids: Mapping[str, str | Mapping[str, Any]],
        pseudo: Mapping[str, str],
    ) -> None:
        self._assembly = assembly
        self._physical_ids = physical_ids
        self._pseudo: dict[str, Any] = {
            "AWS::AccountId": DEFAULT_ACCOUNT,
            "AWS::Partition": DEFAULT_PARTITION,
            "AWS::URLSuffix": DEFAULT_URL_SUFFIX,
            "AWS::StackName": assembly.stack_name,
            "AWS::NotificationARNs": [],
            **pseudo,
            "AWS::NoValue": NO_VALUE,
        }
        if "AWS::StackId" not in self._pseudo and "AWS::Region" in self._pseudo:
            self._pseudo["AWS::StackId"] = (
                f"arn:{self._pseudo['AWS::Partition']}:cloudformation:{self._pseudo['AWS::Region']}"
                f":{self._pseudo['AWS::AccountId']}:stack/{assembly.stack_name}/local"
            )

    def resolve(self, value: Any, where: str = "template") -> Any:
        """Return `value` with every intrinsic replaced; `where` names the place for errors."""
        if isinstance(value, list):
            items = [self.resolve(item, f"{where}[{i}]") for i, item in enumerate(value)]
            return [item for item in items if item is not NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, argument),) = value.items()
            if key == "Ref" or key.startswith("Fn::") or key == "Condition":
                return self._intrinsic(key, argument, where)
        resolved = {k: self.resolve(v, f"{where}.{k}") for k, v in value.items()}
        return {k: v for k, v in resolved.items() if v is not NO_VALUE}

    def condition(self, name: str, where: str = "template") -> bool:
        """Evaluate a named condition of the template."""
        conditions = self._assembly.conditions
        if name not in conditions:
            raise TemplateError(f"unknown condition {name!r} at {where}")
        result = self.resolve(conditions[name], f"Conditions.{name}")
        if not isinstance(result, bool):
            raise TemplateError(f"condition {name!r} did not evaluate to a boolean")
        return result

    def _intrinsic(self, name: str, argument: Any, where: str) -> Any:
        handlers = {
            "Ref": self._ref,
            "Fn::GetAtt": self._get_att,
            "Fn::Join": self._join,
            "Fn::Sub": self._sub,
            "Fn::Select": self._select,
            "Fn::Split": self._split,
            "Fn::If": self._if,
            "Fn::Equals": self._equals,
            "Fn::Not": self._not,
            "Fn::And": self._and,
            "Fn::Or": self._or,
            "Condition": self._condition_ref,
            "Fn::FindInMap": self._find_in_map,
            "Fn::Base64": self._base64,
        }
        handler = handlers.get(name)
        if handler is None:
            raise CannotEmulate(f"intrinsic {name} is not supported locally (at {where})")
        return handler(argument, f"{where}.{name}")

    def _ref(self, target: Any, where: str) -> Any:
        if not isinstance(target, str):
            raise TemplateError(f"Ref needs a name, got {target!r} at {where}")
        if target in self._pseudo:
            return self._pseudo[target]
        if target in self._assembly.parameters:
            return self._parameter(target, where)
        if target not in self._physical_ids:
            raise TemplateError(f"Ref to {target!r} has no local value yet (at {where})")
        physical = self._physical_ids[target]
        if isinstance(physical, Mapping):
            if "Ref" not in physical:
                raise TemplateError(f"Ref to {target!r} has no local value (at {where})")
            return physical["Ref"]
        return physical

    def _parameter(self, name: str, where: str) -> Any:
        parameter = self._assembly.parameters[name]
        if "Default" not in parameter:
            raise TemplateError(f"parameter {name!r} has no default (at {where})")
        return parameter["Default"]

    def _get_att(self, argument: Any, where: str) -> Any:
        if isinstance(argument, str):
            logical_id, _, attribute = argument.partition(".")
        elif isinstance(argument, list) and len(argument) == 2:
            logical_id, attribute = argument[0], self.resolve(argument[1], where)
        else:
            raise TemplateError(f"malformed Fn::GetAtt {argument!r} at {where}")
        return self._attribute(logical_id, attribute, where)

    def _attribute(self, logical_id: str, attribute: str, where: str) -> Any:
        physical = self._physical_ids.get(logical_id)
        if isinstance(physical, Mapping) and attribute in physical:
            return physical[attribute]
        raise TemplateError(
            f"attribute {attribute!r} of resource {logical_id!r} has no local value (at {where})"
        )

    def _join(self, argument: Any, where: str) -> str:
        if not (isinstance(argument, list) and len(argument) == 2):
            raise TemplateError(f"malformed Fn::Join at {where}")
        delimiter = self.resolve(argument[0], where)
        items = self.resolve(argument[1], where)
        if not isinstance(items, list):
            raise TemplateError(f"Fn::Join needs a list at {where}")
        return str(delimiter).join(_as_text(item, where) for item in items)

    def _sub(self, argument: Any, where: str) -> str:
        if isinstance(argument, str):
            text, variables = argument, {}
        elif isinstance(argument, list) and len(argument) == 2:
            text = argument[0]
            variables = {k: self.resolve(v, f"{where}.{k}") for k, v in argument[1].items()}
        else:
            raise TemplateError(f"malformed Fn::Sub at {where}")

        def substitute(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in variables:
                return _as_text(variables[name], where)
            if name in self._pseudo or name in self._assembly.parameters:
                return _as_text(self._ref(name, where), where)
            if name in self._physical_ids:
                return _as_text(self._ref(name, where), where)
            if "." in name:
                logical_id, _, attribute = name.partition(".")
                return _as_text(self._attribute(logical_id, attribute, where), where)
            raise TemplateError(f"Fn::Sub variable ${{{name}}} has no local value (at {where})")

        return _SUB_VARIABLE.sub(substitute, text)

    def _select(self, argument: Any, where: str) -> Any:
        if not (isinstance(argument, list) and len(argument) == 2):
            raise TemplateError(f"malformed Fn::Select at {where}")
        index = int(self.resolve(argument[0], where))
        items = self.resolve(argument[1], where)
        if not isinstance(items, list) or not 0 <= index < len(items):
            raise TemplateError(f"Fn::Select index {index} out of range at {where}")
        return items[index]

    def _split(self, argument: Any, where: str) -> list[str]:
        if not (isinstance(argument, list) and len(argument) == 2):
            raise TemplateError(f"malformed Fn::Split at {where}")
        delimiter = self.resolve(argument[0], where)
        text = self.resolve(argument[1], where)
        return _as_text(text, where).split(str(delimiter))

    def _if(self, argument: Any, where: str) -> Any:
        if not (isinstance(argument, list) and len(argument) == 3):
            raise TemplateError(f"malformed Fn::If at {where}")
        chosen = argument[1] if self.condition(argument[0], where) else argument[2]
        return self.resolve(chosen, where)

    def _equals(self, argument: Any, where: str) -> bool:
        if not (isinstance(argument, list) and len(argument) == 2):
            raise TemplateError(f"malformed Fn::Equals at {where}")
        return bool(self.resolve(argument[0], where) == self.resolve(argument[1], where))

    def _not(self, argument: Any, where: str) -> bool:
        if not (isinstance(argument, list) and len(argument) == 1):
            raise TemplateError(f"malformed Fn::Not at {where}")
        return not self._truth(argument[0], where)

    def _and(self, argument: Any, where: str) -> bool:
        return all(self._truth(item, where) for item in _as_list(argument, where))

    def _or(self, argument: Any, where: str) -> bool:
        return any(self._truth(item, where) for item in _as_list(argument, where))

    def _condition_ref(self, name: Any, where: str) -> bool:
        return self.condition(str(name), where)

    def _truth(self, value: Any, where: str) -> bool:
        result = self.resolve(value, where)
        if not isinstance(result, bool):
            raise TemplateError(f"expected a condition at {where}, got {result!r}")
        return result

    def _find_in_map(self, argument: Any, where: str) -> Any:
        if not (isinstance(argument, list) and len(argument) == 3):
            raise TemplateError(f"malformed Fn::FindInMap at {where}")
        map_name, top, second = (self.resolve(item, where) for item in argument)
        try:
            return self._assembly.template["Mappings"][map_name][top][second]
        except KeyError:
            raise TemplateError(
                f"Fn::FindInMap {map_name}/{top}/{second} not found (at {where})"
            ) from None

    def _base64(self, argument: Any, where: str) -> str:
        return base64.b64encode(_as_text(self.resolve(argument, where), where).encode()).decode()


def _as_text(value: Any, where: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    raise TemplateError(f"expected a string at {where}, got {value!r}")


def _as_list(argument: Any, where: str) -> list[Any]:
    if not isinstance(argument, list):
        raise TemplateError(f"expected a list of conditions at {where}")
    return argument
