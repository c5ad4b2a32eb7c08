"""Wire the local stack together from cdk.out: moto, the AppSync endpoint, the REST gateway.

Everything comes from the synthesized template and its assets; this module only decides the
local addresses and hands each part what the template says about it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import socket
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from aiohttp import web

from local.appsync.auth import RequestAuthenticator
from local.appsync.code_check import check_resolver_code
from local.appsync.executor import AppSyncExecutor
from local.appsync.faults import FaultInjector, FaultPlan
from local.appsync.filters import Extensions
from local.appsync.from_template import AppSyncConfig, read_appsync, register_api
from local.appsync.identity import COGNITO, AuthType, Caller
from local.appsync.index_view import LaggingIndexes, view_region
from local.appsync.js_runtime import JsRuntime
from local.appsync.lambda_authorizer import LambdaAuthorizer, pool_invoker
from local.appsync.lambda_source import LambdaFunction, data_source_functions
from local.appsync.resolvers import FieldCall, ResolverExecutor
from local.appsync.server import create_appsync_app
from local.appsync.specs import ResolverSpec, resolver_code
from local.appsync.subscriptions import SubscriptionRegistry
from local.aws import inprocess
from local.aws.credentials import assume_role_credentials, credentials_lookup
from local.aws.kinds import LocalResources
from local.aws.provision import provision, pseudo_parameters
from local.aws.server import LocalAws
from local.aws.sigv4 import verify_request
from local.awslambda.pool import LambdaPool
from local.awslambda.streams import StreamPoller, check_stream_access, read_stream_mappings
from local.cognito.signing_key import SigningKey
from local.cognito.tokens import ID_OR_ACCESS_TOKEN, CognitoTokenVerifier
from local.dynamodb.gateway import create_dynamodb_gateway
from local.iam.conditions import request_context
from local.iam.policy import (
    GRAPHQL_ACTION,
    CachedPolicySource,
    Decision,
    IamPolicySource,
    PolicyError,
    evaluate,
    field_arn,
)
from local.rest.authorizer import cognito_authorize
from local.rest.gateway import Authorize, create_rest_app
from local.rest.routes import RestRoutes, read_all_rest_routes
from local.state import LocalState
from local.template import (
    DEFAULT_ACCOUNT,
    Assembly,
    CannotEmulate,
    Resolver,
    TemplateError,
    load_assembly,
)
from local.tls import LocalTls, ensure_tls
from local.web import create_web_app

log = logging.getLogger("local")

PRELUDE = (Path(__file__).parent / "appsync" / "prelude.graphql").read_text(encoding="utf-8")
FUNCTION = "AWS::Lambda::Function"
FUNCTION_PROPERTIES_USED = {"Code", "Handler", "Runtime", "Role", "Environment", "Timeout"}
FUNCTION_PROPERTIES_IGNORED = {
    "Architectures": "runs on this machine's CPU",
    "MemorySize": "reported to the handler, not enforced",
    "LoggingConfig": "logs go to the runner's console",
    "TracingConfig": "no X-Ray locally",
    "FunctionName": "naming only",
    "Description": "documentation only",
    "Tags": "no effect on behaviour",
    "ReservedConcurrentExecutions": "concurrency is --lambda-workers per function locally",
    "EphemeralStorage": "the worker's /tmp is this machine's",
    "SnapStart": "workers start warm once and stay warm",
    "RuntimeManagementConfig": "the runner's Python runs the handler",
    "KmsKeyArn": "environment variables are not encrypted locally",
    "RecursiveLoop": "no recursion detection locally",
}
CREDENTIAL_SECONDS = 12 * 3600  # the longest role session; a local run rarely outlives it


@dataclass(frozen=True)
class Settings:
    cdk_out: Path = Path("cdk.out")
    stack_name: str | None = None
    region: str = "us-east-1"
    host: str = "127.0.0.1"
    aws_port: int = 0
    graphql_port: int = 0
    rest_port: int = 0
    lambda_workers: int = 4
    # Global secondary index reads see writes this late (0: at once); see index_view.py.
    index_delay_ms: int = 0
    tls_dir: Path | None = None  # serve HTTPS/WSS with the local CA kept here (see tls.py)
    web_dir: Path | None = None  # the web client's built files, served on web_port
    web_port: int = 0
    appsync_faults: FaultPlan | None = None  # local/appsync/faults.py; None: no faults
    state_dir: Path | None = None  # where users and data survive a restart; None: throw-away


@dataclass
class LocalStack:
    settings: Settings
    outputs: dict[str, str] = field(default_factory=dict)
    executor: AppSyncExecutor | None = None
    subscriptions: SubscriptionRegistry | None = None
    tls: LocalTls | None = None
    web_url: str | None = None
    faults: FaultInjector = field(default_factory=FaultInjector)
    _aws: LocalAws | None = None
    _policies: CachedPolicySource | None = None
    _dynamodb_url: str = ""
    _state: LocalState | None = None
    _runners: list[web.AppRunner] = field(default_factory=list)
    _pools: dict[str, LambdaPool] = field(default_factory=dict)  # by function logical id
    _pollers: list[StreamPoller] = field(default_factory=list)
    _logged_skips: set[str] = field(default_factory=set)

    async def start(self) -> dict[str, str]:
        s = self.settings
        assembly = load_assembly(s.cdk_out, s.stack_name)
        self.tls = ensure_tls(s.tls_dir) if s.tls_dir is not None else None
        scheme = "https" if self.tls else "http"
        graphql_sock, graphql_base = _listen(s.host, s.graphql_port, scheme)
        state_dir = s.state_dir / assembly.stack_name if s.state_dir else None
        self._state = LocalState.open(state_dir, s.region)
        self._state.use_token_key()
        self._aws = LocalAws(s.region, port=s.aws_port, signing_key=self._state.signing_key)
        self._aws.start()
        self._aws.observe_writes(self._state.changed)
        endpoint = self._aws.endpoint
        iam = inprocess.client("iam", self._aws.endpoint, self._aws.region)
        self._policies = CachedPolicySource(IamPolicySource(iam))
        dynamodb_sock, self._dynamodb_url = _listen(s.host, 0)
        await self._serve(
            create_dynamodb_gateway(
                endpoint,
                region=s.region,
                account=DEFAULT_ACCOUNT,
                lookup=credentials_lookup,
                policies=self._policies.for_principal,
            ),
            dynamodb_sock,
        )

        ids: dict[str, Any] = {}
        api_id = register_api(
            assembly,
            ids,
            region=s.region,
            account=DEFAULT_ACCOUNT,
            graphql_url=f"{graphql_base}/graphql",
            realtime_url=f"{graphql_base.replace('http', 'ws', 1)}/graphql",
        )
        rest_api_ids = _register_rest_and_functions(assembly, ids, s.region)
        resources = provision(
            assembly, endpoint, s.region, known_ids=ids, restore=self._state.restorer(assembly)
        )
        self._state.track(assembly, resources.physical_ids)
        for line in _ignored_lines(assembly, resources.ignored):
            log.info("Not emulated: %s", line)
        ids.update(resources.physical_ids)
        resolver = Resolver(assembly, ids, pseudo_parameters(assembly, s.region))

        appsync = read_appsync(assembly, resolver, ids)
        check_resolver_code(resolver_code(appsync.resolvers.values()))
        for line in appsync.ignored:
            log.info("AppSync, not emulated: %s", line)
        lambdas = await data_source_functions(
            appsync.resolvers.values(),
            lambda function_id: self._function_pool(assembly, resolver, function_id, endpoint),
            _function_ids_by_arn(assembly, ids),
        )
        api_arn = ids[appsync.api_logical_id]["Arn"]
        self.executor = self._appsync_executor(appsync, api_arn, lambdas)
        authorizer = await self._lambda_authorizer(
            appsync, assembly, resolver, ids, api_id=api_id, api_arn=api_arn
        )
        authenticator = RequestAuthenticator(
            frozenset([appsync.default_mode, *appsync.additional_modes]),
            verify_jwt=self._jwt_verifier(appsync),
            verify_sigv4=lambda m, p, q, h, b: verify_request(
                method=m,
                path=p,
                query_string=q,
                headers=h,
                body=b,
                region=s.region,
                service="appsync",
                lookup=credentials_lookup,
            ).principal(),
            api_keys=appsync.api_keys,
            authorize_lambda=authorizer.authorize if authorizer is not None else None,
        )
        self.subscriptions = SubscriptionRegistry(self.executor)
        if s.appsync_faults is not None:
            self.faults.configure(s.appsync_faults)
        appsync_app = create_appsync_app(
            self.executor, authenticator, subscriptions=self.subscriptions, faults=self.faults
        )
        await self._serve(appsync_app, graphql_sock)

        local_urls = {}  # deployed REST API URL -> its local base
        for index, routes in enumerate(read_all_rest_routes(assembly, resolver)):
            invokers = {}
            for function_id in routes.function_ids:
                pool = await self._function_pool(assembly, resolver, function_id, endpoint)
                invokers[function_id] = pool.invoke
            rest_app = create_rest_app(routes, self._rest_authorizer(routes), invokers)
            # The first REST API gets the configured port, any further one a free port.
            rest_sock, rest_base = _listen(s.host, s.rest_port if index == 0 else 0, scheme)
            await self._serve(rest_app, rest_sock)
            rest_api_id = rest_api_ids[routes.api_logical_id]
            local_urls[f"https://{rest_api_id}.execute-api.{s.region}.amazonaws.com/"] = (
                rest_base + "/"
            )
            log.debug("API %s, REST %s, routes %s", api_id, rest_api_id, _route_list(routes))

        await self._start_stream_mappings(assembly, resolver, ids, resources, endpoint)

        self.outputs = {}
        for key, output in assembly.outputs.items():
            value = str(resolver.resolve(output["Value"], where=f"Outputs.{key}"))
            for deployed, local in local_urls.items():
                value = value.replace(deployed, local)
            self.outputs[key] = value
        self.outputs["AwsEndpoint"] = endpoint
        if s.web_dir is not None:
            web_sock, self.web_url = _listen(s.host, s.web_port, scheme)
            await self._serve(
                create_web_app(s.web_dir, assembly.stack_name, self.outputs), web_sock
            )
            self.web_url += "/"
        self._state.start_autosave()
        return self.outputs

    @property
    def dynamodb_endpoint(self) -> str:
        """The IAM-checking DynamoDB endpoint the functions call (not an output: AWS has none)."""
        return self._dynamodb_url

    @property
    def signing_key(self) -> SigningKey:
        """This run's Cognito signing key (for tests that must mint unusual tokens)."""
        assert self._aws is not None, "the stack is not started"
        return self._aws.signing_key

    async def stop(self) -> None:
        for poller in self._pollers:
            await poller.close()
        for pool in self._pools.values():
            await pool.close()
        for runner in reversed(self._runners):
            await runner.cleanup()
        if self._state is not None:
            self._state.close()  # after the endpoints, so the last write is in it
        if self._aws is not None:
            self._aws.stop()

    # -- parts -----------------------------------------------------------------------------

    def _appsync_executor(
        self, config: AppSyncConfig, api_arn: str, lambdas: dict[str, LambdaFunction]
    ) -> AppSyncExecutor:
        assert self._aws is not None
        # moto runs in this process: the AppSync skips the socket (local/aws/inprocess.py)
        dynamodb = inprocess.client("dynamodb", self._aws.endpoint, self._aws.region)
        delay = self.settings.index_delay_ms
        indexes = None
        if delay > 0:
            region = view_region(self.settings.region)
            view = inprocess.client("dynamodb", self._aws.endpoint, region)
            indexes = LaggingIndexes(dynamodb, view, delay)
        resolvers = ResolverExecutor(JsRuntime(), dynamodb, indexes, lambdas)
        policies = self._policies
        assert policies is not None

        def run_resolver(
            spec: ResolverSpec,
            arguments: dict[str, Any],
            caller: Caller,
            source: Any,
            info: dict[str, Any],
            headers: dict[str, str],
        ) -> tuple[Any, list[dict[str, Any]], Extensions]:
            call = FieldCall(
                arguments=arguments,
                identity=caller.identity,
                auth_type=AuthType.from_mode(caller.mode),
                info=info,
                source=source,
                request={"headers": headers, "domainName": None},
                env=config.env,
            )
            run = resolvers.run(spec, call)
            return run.value, list(run.errors), run.extensions

        def policy_allows(caller: Caller, type_name: str, field_name: str) -> bool:
            if caller.principal_arn is None:
                return False
            source_ips = (caller.identity or {}).get("sourceIp") or [None]
            context = request_context(
                caller.principal_arn, source_ips[0], self.settings.region, self.tls is not None
            )
            try:
                decision = evaluate(
                    policies.for_principal(caller.principal_arn),
                    GRAPHQL_ACTION,
                    field_arn(api_arn, type_name, field_name),
                    context,
                )
            except PolicyError as error:  # never allow what cannot be evaluated
                decision = Decision(False, f"cannot evaluate: {error}")
            if not decision.allowed:
                log.info(
                    "IAM denied %s on %s.%s: %s",
                    caller.principal_arn,
                    type_name,
                    field_name,
                    decision.reason,
                )
            return decision.allowed

        return AppSyncExecutor(
            config.schema_sdl,
            PRELUDE,
            default_mode=config.default_mode,
            additional_modes=config.additional_modes,
            resolvers=config.resolvers,
            run_resolver=run_resolver,
            policy_check=policy_allows,
            query_depth_limit=config.query_depth_limit,
            introspection=config.introspection,
        )

    async def _lambda_authorizer(
        self,
        config: AppSyncConfig,
        assembly: Assembly,
        resolver: Resolver,
        ids: dict[str, Any],
        *,
        api_id: str,
        api_arn: str,
    ) -> LambdaAuthorizer | None:
        """The AWS_LAMBDA mode's authorizer, its function warm in the stack's pools."""
        if config.lambda_authorizer is None:
            return None
        arn = config.lambda_authorizer.function_arn
        function_id = _function_ids_by_arn(assembly, ids).get(arn)
        if function_id is None:
            raise CannotEmulate(
                f"{config.api_logical_id}: LambdaAuthorizerConfig.AuthorizerUri {arn} is not a "
                "function of this stack (aliases, versions and other stacks are not emulated)"
            )
        assert self._aws is not None
        pool = await self._function_pool(assembly, resolver, function_id, self._aws.endpoint)
        return LambdaAuthorizer(
            config.lambda_authorizer,
            pool_invoker(pool.invoke, asyncio.get_running_loop()),
            api_id=api_id,
            api_arn=api_arn,
            account_id=DEFAULT_ACCOUNT,
        )

    def _verifier(self, user_pool_id: str) -> CognitoTokenVerifier:
        assert self._aws is not None
        return CognitoTokenVerifier(
            self.settings.region, user_pool_id, jwks=self._aws.signing_key.public_jwks
        )

    def _jwt_verifier(self, config: AppSyncConfig) -> Any:
        if COGNITO not in (config.default_mode, *config.additional_modes):
            return _refuse
        if not config.user_pool_id:
            raise TemplateError("the GraphQL API uses Cognito but names no UserPoolConfig")
        verifier = self._verifier(config.user_pool_id)
        return lambda token: verifier.verify(
            token, token_uses=ID_OR_ACCESS_TOKEN, client_id_pattern=config.app_id_client_regex
        )

    def _rest_authorizer(self, routes: RestRoutes) -> Authorize:
        pools = {
            pool_id
            for method in routes.methods
            if method.authorizer is not None
            for pool_id in method.authorizer.user_pool_ids
        }
        return cognito_authorize({pool_id: self._verifier(pool_id) for pool_id in pools})

    async def _function_pool(
        self, assembly: Assembly, resolver: Resolver, function_id: str, endpoint: str
    ) -> LambdaPool:
        """The warm pool of one function, started once however many callers share it."""
        if function_id in self._pools:
            return self._pools[function_id]
        raw = assembly.resource(function_id).get("Properties", {})
        unknown = set(raw) - FUNCTION_PROPERTIES_USED - set(FUNCTION_PROPERTIES_IGNORED)
        if unknown:
            raise CannotEmulate(
                f"{function_id} ({FUNCTION}): cannot emulate {', '.join(sorted(unknown))}"
            )
        for name in sorted(set(raw) & set(FUNCTION_PROPERTIES_IGNORED)):
            line = f"{FUNCTION}.{name}: {FUNCTION_PROPERTIES_IGNORED[name]}"
            if line not in self._logged_skips:  # once per property, however many functions
                self._logged_skips.add(line)
                log.info("Lambda, not emulated: %s", line)
        props = resolver.resolve(
            {k: v for k, v in raw.items() if k in FUNCTION_PROPERTIES_USED}, where=function_id
        )
        if not str(props["Runtime"]).startswith("python"):
            raise CannotEmulate(f"{function_id}: runtime {props['Runtime']} is not emulated")
        code_dir = assembly.asset_path_for_s3_key(props["Code"]["S3Key"])
        access_key, secret, token = assume_role_credentials(
            endpoint,
            props["Role"],
            self.settings.region,
            session_name="local-lambda",
            duration_seconds=CREDENTIAL_SECONDS,
        )
        name = resolver.resolve({"Ref": function_id})
        environment = {
            **{k: str(v) for k, v in props.get("Environment", {}).get("Variables", {}).items()},
            "AWS_REGION": self.settings.region,
            "AWS_DEFAULT_REGION": self.settings.region,
            "AWS_ACCESS_KEY_ID": access_key,
            "AWS_SECRET_ACCESS_KEY": secret,
            "AWS_SESSION_TOKEN": token,
            # The SDK the runtime provides sends DynamoDB calls to the IAM-checking gateway.
            "AWS_ENDPOINT_URL_DYNAMODB": self._dynamodb_url,
            "AWS_LAMBDA_FUNCTION_NAME": name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(raw.get("MemorySize", 128)),
            "POWERTOOLS_TRACE_DISABLED": "true",  # no X-Ray daemon locally
        }
        if self.tls is not None:  # the function's HTTP client must trust the local CA
            environment["REQUESTS_CA_BUNDLE"] = str(self.tls.ca_file.resolve())
        pool = LambdaPool(
            props["Handler"],
            code_dir,
            environment,
            size=self.settings.lambda_workers,
            timeout_s=float(props.get("Timeout", 3)),
            function_name=name,
        )
        await pool.start()
        self._pools[function_id] = pool
        return pool

    async def _start_stream_mappings(
        self,
        assembly: Assembly,
        resolver: Resolver,
        ids: dict[str, Any],
        resources: LocalResources,
        endpoint: str,
    ) -> None:
        """Deliver each DynamoDB stream a mapping names to its function (awslambda/streams.py)."""
        stream_arns = frozenset(
            str(attributes["StreamArn"])
            for attributes in resources.physical_ids.values()
            if isinstance(attributes, dict) and "StreamArn" in attributes
        )
        function_ids = {
            **_function_ids_by_arn(assembly, ids),
            **{ids[logical_id]["Ref"]: logical_id for logical_id in assembly.resources(FUNCTION)},
        }
        mappings = read_stream_mappings(assembly, resolver, function_ids, stream_arns)
        if not mappings:
            return
        streams = inprocess.client("dynamodbstreams", endpoint, self.settings.region)  # shared
        for mapping in mappings:
            role_arn = resources.function_roles[mapping.function_id]
            check_stream_access(mapping, role_arn, partial(self._role_allows, role_arn))
            pool = await self._function_pool(assembly, resolver, mapping.function_id, endpoint)
            poller = StreamPoller(mapping, streams, pool.invoke)
            await poller.start()
            self._pollers.append(poller)

    def _role_allows(self, role_arn: str, action: str, resource: str) -> bool:
        assert self._policies is not None
        context = request_context(role_arn, None, self.settings.region, secure=True)
        try:
            decision = evaluate(self._policies.for_principal(role_arn), action, resource, context)
        except PolicyError as error:  # never allow what cannot be evaluated
            log.warning("%s: cannot evaluate %s on %s: %s", role_arn, action, resource, error)
            return False
        return decision.allowed

    async def _serve(self, app: web.Application, sock: socket.socket) -> None:
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        ssl_context = self.tls.server_context() if self.tls else None
        await web.SockSite(runner, sock, ssl_context=ssl_context).start()
        self._runners.append(runner)


def _ignored_lines(assembly: Assembly, ignored: dict[str, str]) -> list[str]:
    """One line per ignored resource type: the type, how many, and why."""
    by_type: dict[str, list[str]] = {}
    for logical_id in ignored:
        by_type.setdefault(assembly.resource(logical_id)["Type"], []).append(logical_id)
    return [
        f"{type_name} ({len(ids)}): {ignored[ids[0]]}" for type_name, ids in sorted(by_type.items())
    ]


def _listen(host: str, port: int, scheme: str = "http") -> tuple[socket.socket, str]:
    """Bind now, so the URL is known before the template's references are resolved."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    bound_host, bound_port = sock.getsockname()[:2]
    return sock, f"{scheme}://{bound_host}:{bound_port}"


def _register_rest_and_functions(
    assembly: Assembly, ids: dict[str, Any], region: str
) -> dict[str, str]:
    """Local ids for what the gateways serve, so policies and outputs can refer to them.

    Returns each REST API's local id by logical id."""
    rest_api_ids = {}
    for logical_id in assembly.resources("AWS::ApiGateway::RestApi"):
        rest_api_id = secrets.token_hex(5)
        rest_api_ids[logical_id] = rest_api_id
        ids[logical_id] = {"Ref": rest_api_id, "RootResourceId": f"{rest_api_id}-root"}
    for logical_id, resource in assembly.all_resources().items():
        if resource.get("Type", "").startswith("AWS::ApiGateway::") and logical_id not in ids:
            # A stage's Ref is its name; other API Gateway ids only need to be unique.
            ids[logical_id] = resource.get("Properties", {}).get("StageName", logical_id)
    for logical_id in assembly.resources(FUNCTION):
        name = f"{assembly.stack_name}-{logical_id}"[:64]
        arn = f"arn:aws:lambda:{region}:{DEFAULT_ACCOUNT}:function:{name}"
        ids[logical_id] = {"Ref": name, "Arn": arn}
    return rest_api_ids


def _function_ids_by_arn(assembly: Assembly, ids: dict[str, Any]) -> dict[str, str]:
    return {ids[logical_id]["Arn"]: logical_id for logical_id in assembly.resources(FUNCTION)}


def _refuse(_token: str) -> dict[str, Any]:
    raise PermissionError("this API does not accept user pool tokens")


def _route_list(routes: RestRoutes) -> list[str]:
    return [f"{m.http_method} {m.resource_path}" for m in routes.methods]


def write_outputs(path: Path, stack_name: str, outputs: dict[str, str]) -> None:
    """The `cdk deploy --outputs-file` shape: {stack name: {output key: value}}."""
    path.write_text(json.dumps({stack_name: outputs}, indent=2) + "\n", encoding="utf-8")
