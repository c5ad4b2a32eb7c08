"""What the template says about the REST API, read into plain dataclasses.

`read_all_rest_routes` walks AWS::ApiGateway::RestApi, Resource, Method, Authorizer,
RequestValidator, Model, GatewayResponse, Stage and Deployment. References between these
resources (ParentId, ResourceId, AuthorizerId, ...) are followed by logical id; values such as
provider ARNs and stage names go through the template `Resolver`. Anything the local gateway
cannot honour faithfully raises `TemplateError` naming the logical id and the property.
"""

from __future__ import annotations

import contextlib
import json
import re
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from local.template import Assembly, CannotEmulate, Resolver, TemplateError

JSON = "application/json"
DEFAULT_TIMEOUT_MS = 29_000
NOT_EMULATED = (
    "throttling and usage plans",
    "access and execution logs",
    "X-Ray tracing",
    "caching (stage cache and authorizer results)",
    "CloudWatch metrics",
    "WAF",
    "custom domain names",
    "response compression",
)
_API = "AWS::ApiGateway::"
_STAGE_SETTINGS = ("MethodSettings", "TracingEnabled", "AccessLogSetting", "CanarySetting")
# The types the local REST gateway reads; the REST API's log line lists IGNORED_TYPES.
SERVED_TYPES = frozenset(
    f"{_API}{name}"
    for name in (
        "RestApi",
        "Resource",
        "Method",
        "Authorizer",
        "RequestValidator",
        "Model",
        "Deployment",
        "Stage",
        "GatewayResponse",
    )
)
IGNORED_TYPES = {  # resources with no effect on how a request is answered
    f"{_API}Account": "account-level CloudWatch role",
    f"{_API}DocumentationPart": "documentation parts",
    f"{_API}DocumentationVersion": "documentation versions",
    f"{_API}UsagePlan": "usage plans",
    f"{_API}UsagePlanKey": "usage plan keys",
    f"{_API}ApiKey": "API keys",
    f"{_API}DomainName": "custom domain names",
    f"{_API}BasePathMapping": "base path mappings",
    f"{_API}ClientCertificate": "client certificates",
}
_CONTEXT_VARIABLES = {
    "context.error.message",
    "context.error.messageString",
    "context.error.responseType",
    "context.error.validationErrorString",
    "context.requestId",
    "context.extendedRequestId",
    "context.stage",
    "context.resourcePath",
    "context.httpMethod",
    "context.path",
    "context.accountId",
    "context.apiId",
    "context.domainName",
    "context.protocol",
    "context.identity.sourceIp",
    "context.identity.userAgent",
}
VARIABLE = re.compile(r"\$\{([A-Za-z][\w.]*)\}|\$([A-Za-z]\w*(?:\.[A-Za-z]\w*)*)")
_VTL_DIRECTIVE = re.compile(r"#(?:#|\*|\{?(?:set|if|elseif|else|end|foreach|macro|define|parse)\b)")
_PARAMETER_SOURCE = re.compile(r"method\.request\.(header|querystring|path)\.([\w-]+)")


@dataclass(frozen=True)
class CognitoAuthorizer:
    logical_id: str
    name: str
    header: str  # from IdentitySource method.request.header.<name>
    provider_arns: tuple[str, ...]

    @property
    def user_pool_ids(self) -> tuple[str, ...]:
        return tuple(arn.rsplit("/", 1)[-1] for arn in self.provider_arns)


@dataclass(frozen=True)
class Model:
    logical_id: str
    name: str
    schema: Mapping[str, Any]


@dataclass(frozen=True)
class MockResponse:
    """The answer of a MOCK integration (CORS preflight): status, headers, static body."""

    status_code: int
    headers: tuple[tuple[str, str], ...]  # (name, value expression: 'literal' or a source)
    body: str


@dataclass(frozen=True)
class Method:
    logical_id: str
    http_method: str  # GET, POST, ... or ANY
    resource_path: str  # e.g. /items/{id}
    resource_id: str  # logical id of the AWS::ApiGateway::Resource ("" for the root)
    authorizer: CognitoAuthorizer | None  # None: AuthorizationType NONE
    authorization_scopes: tuple[str, ...] = ()
    validate_body: bool = False
    validate_parameters: bool = False
    required_parameters: tuple[str, ...] = ()  # e.g. ("querystring.limit", "header.x-id")
    models: Mapping[str, Model] = field(default_factory=dict)  # content type -> model
    function_id: str | None = None  # AWS_PROXY: logical id of the AWS::Lambda::Function
    mock: MockResponse | None = None  # MOCK
    timeout_ms: int = DEFAULT_TIMEOUT_MS


@dataclass(frozen=True)
class GatewayResponse:
    response_type: str
    status_code: int | None
    template: str | None  # the application/json response template
    headers: tuple[tuple[str, str], ...]  # (name, value expression)


@dataclass(frozen=True)
class RestRoutes:
    """Everything the local gateway needs to answer like the deployed REST API."""

    api_logical_id: str
    api_id: str  # physical id, used in requestContext.apiId
    name: str
    stages: Mapping[str, Mapping[str, str]]  # stage name -> stage variables
    methods: tuple[Method, ...]
    gateway_responses: Mapping[str, GatewayResponse]
    binary_media_types: tuple[str, ...] = ()
    not_emulated: tuple[str, ...] = NOT_EMULATED

    @property
    def function_ids(self) -> frozenset[str]:
        return frozenset(m.function_id for m in self.methods if m.function_id is not None)


def read_all_rest_routes(assembly: Assembly, resolver: Resolver) -> list[RestRoutes]:
    """Every REST API of the stack (none is fine), in logical id order; raise `TemplateError`
    for what cannot run."""
    apis = assembly.resources(f"{_API}RestApi")
    return [
        _Reader(assembly, resolver, api_id, api.get("Properties", {})).read()
        for api_id, api in sorted(apis.items())
    ]


class _Reader:
    def __init__(
        self, assembly: Assembly, resolver: Resolver, api_id: str, props: Mapping[str, Any]
    ) -> None:
        self.assembly = assembly
        self.resolver = resolver
        self.api_id = api_id
        self.props = props
        self.not_emulated: list[str] = list(NOT_EMULATED)
        self.models = self._models()

    def of_api(self, type_name: str) -> dict[str, dict[str, Any]]:
        """Resources of `type_name` that belong to this API, as logical id -> Properties."""
        found = {}
        for logical_id, resource in self.assembly.resources(f"{_API}{type_name}").items():
            props = resource.get("Properties", {})
            target, _ = _reference(props.get("RestApiId"), f"{logical_id}.RestApiId")
            if target == self.api_id:
                found[logical_id] = props
        return found

    def read(self) -> RestRoutes:
        self._check_api()
        self._note_ignored_types()
        paths = self._resource_paths()
        methods = tuple(
            self._method(logical_id, props, paths)
            for logical_id, props in sorted(self.of_api("Method").items())
        )
        return RestRoutes(
            api_logical_id=self.api_id,
            api_id=self._physical_api_id(),
            name=str(self.resolve(self.props.get("Name", self.api_id), "Name")),
            stages=self._stages(),
            methods=methods,
            gateway_responses=self._gateway_responses(),
            binary_media_types=tuple(self.props.get("BinaryMediaTypes", [])),
            not_emulated=tuple(self.not_emulated),
        )

    def resolve(self, value: Any, where: str) -> Any:
        return self.resolver.resolve(value, where)

    def _check_api(self) -> None:
        for unsupported in ("Body", "BodyS3Location", "Policy", "CloneFrom"):
            if unsupported in self.props:
                raise TemplateError(
                    f"{self.api_id}.{unsupported} is not supported by the local REST gateway"
                )
        if "MinimumCompressionSize" in self.props:
            self.not_emulated.append(f"{self.api_id}.MinimumCompressionSize")

    def _note_ignored_types(self) -> None:
        present = {r.get("Type") for r in self.assembly.all_resources().values()}
        self.not_emulated.extend(label for t, label in IGNORED_TYPES.items() if t in present)

    def _physical_api_id(self) -> str:
        try:
            return str(self.resolve({"Ref": self.api_id}, f"{self.api_id}.Ref"))
        except TemplateError:
            return format(zlib.crc32(self.api_id.encode()), "010x")[:10]

    # -- resources and methods ------------------------------------------------------------

    def _resource_paths(self) -> dict[str, str]:
        """Logical id of every Resource (and "" for the root) -> its full path."""
        resources = self.of_api("Resource")
        paths: dict[str, str] = {"": "/"}

        def path_of(logical_id: str, seen: tuple[str, ...] = ()) -> str:
            if logical_id in paths:
                return paths[logical_id]
            if logical_id in seen or logical_id not in resources:
                raise TemplateError(f"{logical_id}: not a resource of {self.api_id}")
            props = resources[logical_id]
            parent = self._resource_ref(props.get("ParentId"), f"{logical_id}.ParentId")
            part = str(self.resolve(props.get("PathPart"), f"{logical_id}.PathPart"))
            _check_path_part(part, logical_id)
            base = path_of(parent, (*seen, logical_id))
            paths[logical_id] = base.rstrip("/") + "/" + part
            return paths[logical_id]

        for logical_id in resources:
            path_of(logical_id)
        return paths

    def _resource_ref(self, value: Any, where: str) -> str:
        target, attribute = _reference(value, where)
        if target == self.api_id and attribute == "RootResourceId":
            return ""
        if attribute is None:
            return target
        raise TemplateError(f"{where}: expected a Resource or the API root, got {value!r}")

    def _method(self, logical_id: str, props: Mapping[str, Any], paths: dict[str, str]) -> Method:
        resource_id = self._resource_ref(props.get("ResourceId"), f"{logical_id}.ResourceId")
        if resource_id not in paths:
            raise TemplateError(f"{logical_id}.ResourceId: unknown resource {resource_id}")
        if props.get("ApiKeyRequired"):
            raise CannotEmulate(f"{logical_id}.ApiKeyRequired: API keys are not emulated")
        validate_body, validate_parameters = self._validator(logical_id, props)
        integration = props.get("Integration") or {}
        where = f"{logical_id}.Integration"
        kind = integration.get("Type")
        if kind not in ("AWS_PROXY", "MOCK"):
            raise TemplateError(f"{where}.Type {kind!r}: only AWS_PROXY and MOCK are emulated")
        return Method(
            logical_id=logical_id,
            http_method=str(props.get("HttpMethod", "")).upper(),
            resource_path=paths[resource_id],
            resource_id=resource_id,
            authorizer=self._method_authorizer(logical_id, props),
            authorization_scopes=tuple(props.get("AuthorizationScopes", [])),
            validate_body=validate_body,
            validate_parameters=validate_parameters,
            required_parameters=_required_parameters(logical_id, props),
            models=self._method_models(logical_id, props),
            function_id=self._function_id(integration, where) if kind == "AWS_PROXY" else None,
            mock=self._mock(integration, where) if kind == "MOCK" else None,
            timeout_ms=int(integration.get("TimeoutInMillis", DEFAULT_TIMEOUT_MS)),
        )

    def _method_authorizer(
        self, logical_id: str, props: Mapping[str, Any]
    ) -> CognitoAuthorizer | None:
        kind = props.get("AuthorizationType", "NONE")
        if kind == "NONE":
            return None
        if kind != "COGNITO_USER_POOLS":
            raise TemplateError(
                f"{logical_id}.AuthorizationType {kind!r}: only NONE and COGNITO_USER_POOLS "
                "are emulated"
            )
        target, _ = _reference(props.get("AuthorizerId"), f"{logical_id}.AuthorizerId")
        return self._authorizer(target)

    def _authorizer(self, logical_id: str) -> CognitoAuthorizer:
        props = self.assembly.resource(logical_id).get("Properties", {})
        if props.get("Type") != "COGNITO_USER_POOLS":
            raise TemplateError(
                f"{logical_id}.Type {props.get('Type')!r}: only COGNITO_USER_POOLS is emulated"
            )
        if "IdentityValidationExpression" in props:
            raise CannotEmulate(f"{logical_id}.IdentityValidationExpression is not emulated")
        source = str(props.get("IdentitySource", ""))
        match = re.fullmatch(r"method\.request\.header\.([\w-]+)", source)
        if match is None:
            raise TemplateError(f"{logical_id}.IdentitySource {source!r}: expected a header")
        arns = self.resolve(props.get("ProviderARNs", []), f"{logical_id}.ProviderARNs")
        return CognitoAuthorizer(
            logical_id=logical_id,
            name=str(props.get("Name", logical_id)),
            header=match.group(1),
            provider_arns=tuple(str(arn) for arn in arns),
        )

    def _validator(self, logical_id: str, props: Mapping[str, Any]) -> tuple[bool, bool]:
        if "RequestValidatorId" not in props:
            return False, False
        where = f"{logical_id}.RequestValidatorId"
        target, _ = _reference(props["RequestValidatorId"], where)
        validator = self.assembly.resource(target).get("Properties", {})
        return (
            bool(validator.get("ValidateRequestBody", False)),
            bool(validator.get("ValidateRequestParameters", False)),
        )

    def _method_models(self, logical_id: str, props: Mapping[str, Any]) -> dict[str, Model]:
        models: dict[str, Model] = {}
        for content_type, reference in (props.get("RequestModels") or {}).items():
            where = f"{logical_id}.RequestModels.{content_type}"
            if content_type != JSON:
                raise TemplateError(f"{where}: only {JSON} request models are emulated")
            models[content_type] = self._model_for(reference, where)
        return models

    def _model_for(self, reference: Any, where: str) -> Model:
        if isinstance(reference, str):
            if reference == "Empty":
                return Model("Empty", "Empty", {})
            for model in self.models.values():
                if model.name == reference:
                    return model
            raise TemplateError(f"{where}: unknown model {reference!r}")
        target, _ = _reference(reference, where)
        if target not in self.models:
            raise TemplateError(f"{where}: {target} is not a model of {self.api_id}")
        return self.models[target]

    def _models(self) -> dict[str, Model]:
        models = {}
        for logical_id, props in self.of_api("Model").items():
            content_type = props.get("ContentType", JSON)
            if content_type != JSON:
                raise TemplateError(
                    f"{logical_id}.ContentType {content_type!r}: only {JSON} is emulated"
                )
            schema = self.resolve(props.get("Schema", {}), f"{logical_id}.Schema")
            if isinstance(schema, str):
                schema = json.loads(schema)
            _check_schema(schema, f"{logical_id}.Schema")
            name = str(self.resolve(props.get("Name", logical_id), f"{logical_id}.Name"))
            models[logical_id] = Model(logical_id, name, schema)
        return models

    def _function_id(self, integration: Mapping[str, Any], where: str) -> str:
        if integration.get("IntegrationHttpMethod", "POST") != "POST":
            raise TemplateError(f"{where}.IntegrationHttpMethod: Lambda proxy needs POST")
        functions = set(self.assembly.resources("AWS::Lambda::Function"))
        found = {target for target in _references(integration.get("Uri")) if target in functions}
        if len(found) != 1:
            raise TemplateError(
                f"{where}.Uri: expected the ARN of one AWS::Lambda::Function, found {sorted(found)}"
            )
        return found.pop()

    def _mock(self, integration: Mapping[str, Any], where: str) -> MockResponse:
        template = str((integration.get("RequestTemplates") or {}).get(JSON, ""))
        match = re.search(r"statusCode\"?\s*:\s*(\d+)", template)
        selected = match.group(1) if match else "200"
        responses = integration.get("IntegrationResponses") or []
        chosen = _select_integration_response(responses, selected, f"{where}.IntegrationResponses")
        headers = []
        for key, value in (chosen.get("ResponseParameters") or {}).items():
            name = key.removeprefix("method.response.header.")
            if name == key:
                raise CannotEmulate(f"{where}: response parameter {key!r} is not emulated")
            expression = str(self.resolve(value, f"{where}.ResponseParameters.{key}"))
            _check_value_expression(expression, f"{where}.ResponseParameters.{key}")
            headers.append((name, expression))
        body = str((chosen.get("ResponseTemplates") or {}).get(JSON) or "")
        if "$" in body or "#" in body:
            raise CannotEmulate(f"{where}.IntegrationResponses: VTL templates are not emulated")
        return MockResponse(int(chosen.get("StatusCode", 200)), tuple(headers), body)

    # -- stages and gateway responses -----------------------------------------------------

    def _stages(self) -> dict[str, dict[str, str]]:
        stages: dict[str, dict[str, str]] = {}
        for logical_id, props in self.of_api("Stage").items():
            name = str(self.resolve(props.get("StageName"), f"{logical_id}.StageName"))
            variables = self.resolve(props.get("Variables", {}), f"{logical_id}.Variables")
            stages[name] = {str(k): str(v) for k, v in variables.items()}
            self.not_emulated.extend(f"{logical_id}.{s}" for s in _STAGE_SETTINGS if s in props)
        for logical_id, props in self.of_api("Deployment").items():
            if "StageName" in props:
                name = str(self.resolve(props["StageName"], f"{logical_id}.StageName"))
                stages.setdefault(name, {})
        if not stages:
            raise TemplateError(f"{self.api_id} has no stage: nothing is deployed to serve")
        return stages

    def _gateway_responses(self) -> dict[str, GatewayResponse]:
        responses = {}
        for logical_id, props in self.of_api("GatewayResponse").items():
            kind = str(props.get("ResponseType"))
            templates = self.resolve(props.get("ResponseTemplates", {}), f"{logical_id}.Templates")
            others = sorted(set(templates) - {JSON})
            if others:
                raise TemplateError(
                    f"{logical_id}.ResponseTemplates: only {JSON} is emulated, found {others}"
                )
            template = templates.get(JSON)
            if template is not None:
                check_template(str(template), f"{logical_id}.ResponseTemplates.{JSON}")
            headers = []
            parameters = props.get("ResponseParameters", {})
            for key, value in self.resolve(parameters, f"{logical_id}.Parameters").items():
                where = f"{logical_id}.ResponseParameters.{key}"
                name = key.removeprefix("gatewayresponse.header.")
                if name == key:
                    raise TemplateError(f"{where}: only gatewayresponse.header.* is emulated")
                _check_value_expression(str(value), where)
                headers.append((name, str(value)))
            status = props.get("StatusCode")
            responses[kind] = GatewayResponse(
                response_type=kind,
                status_code=int(status) if status is not None else None,
                template=None if template is None else str(template),
                headers=tuple(headers),
            )
        return responses


def _reference(value: Any, where: str) -> tuple[str, str | None]:
    """The logical id (and attribute) a `Ref` or `Fn::GetAtt` points at."""
    if isinstance(value, dict) and len(value) == 1:
        ((key, argument),) = value.items()
        if key == "Ref" and isinstance(argument, str):
            return argument, None
        if key == "Fn::GetAtt":
            if isinstance(argument, str):
                target, _, attribute = argument.partition(".")
                return target, attribute
            if isinstance(argument, list) and len(argument) == 2:
                return str(argument[0]), str(argument[1])
    raise TemplateError(f"{where}: expected a Ref or Fn::GetAtt, got {value!r}")


def _references(value: Any) -> set[str]:
    """Every logical id referenced anywhere inside `value`."""
    found: set[str] = set()
    if isinstance(value, dict):
        if len(value) == 1 and next(iter(value)) in ("Ref", "Fn::GetAtt"):
            with contextlib.suppress(TemplateError):
                found.add(_reference(value, "")[0])
        for item in value.values():
            found |= _references(item)
    elif isinstance(value, list):
        for item in value:
            found |= _references(item)
    return found


def _check_path_part(part: str, logical_id: str) -> None:
    if part.startswith("{") and not re.fullmatch(r"\{[\w-]+\+?\}", part):
        raise TemplateError(f"{logical_id}.PathPart {part!r}: not a valid path parameter")


def _required_parameters(logical_id: str, props: Mapping[str, Any]) -> tuple[str, ...]:
    required = []
    for key, is_required in (props.get("RequestParameters") or {}).items():
        match = _PARAMETER_SOURCE.fullmatch(key)
        if match is None:
            raise CannotEmulate(f"{logical_id}.RequestParameters: {key!r} is not emulated")
        if is_required is True:
            required.append(f"{match.group(1)}.{match.group(2)}")
    return tuple(required)


def _check_schema(schema: Any, where: str) -> None:
    if not isinstance(schema, dict):
        raise TemplateError(f"{where}: a model schema must be a JSON object")
    version = schema.get("$schema", "http://json-schema.org/draft-04/schema#")
    if "draft-04" not in str(version):
        raise TemplateError(f"{where}.$schema {version!r}: API Gateway uses draft 4")
    if '"$ref"' in json.dumps(schema):
        raise CannotEmulate(f"{where}: $ref between models is not emulated")


def _select_integration_response(
    responses: list[dict[str, Any]], status: str, where: str
) -> dict[str, Any]:
    default = [r for r in responses if not r.get("SelectionPattern")]
    for response in responses:
        pattern = response.get("SelectionPattern")
        if pattern and re.fullmatch(str(pattern), status):
            return response
    if len(default) != 1:
        raise TemplateError(f"{where}: expected one default integration response")
    return default[0]


def _check_value_expression(expression: str, where: str) -> None:
    if len(expression) >= 2 and expression[0] == expression[-1] == "'":
        return
    if _PARAMETER_SOURCE.fullmatch(expression):
        return
    raise CannotEmulate(f"{where}: mapping expression {expression!r} is not emulated")


def check_template(template: str, where: str) -> None:
    """Fail unless `template` only uses the `$context` variables the gateway fills in."""
    if _VTL_DIRECTIVE.search(template):
        raise CannotEmulate(f"{where}: VTL directives are not emulated")
    for match in VARIABLE.finditer(template):
        name = match.group(1) or match.group(2)
        if name not in _CONTEXT_VARIABLES and not name.startswith("stageVariables."):
            raise CannotEmulate(f"{where}: ${name} is not emulated")
