"""`python -m local`: run the synthesized stack on 127.0.0.1 until Ctrl-C or SIGTERM."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
import time
from pathlib import Path

from local.appsync.faults import KINDS, FaultPlan, FaultPlanError
from local.lambda_pool import InvocationError
from local.stack import LocalStack, Settings, write_outputs
from local.template import TemplateError, stack_name_for_stage


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m local", description=__doc__)
    parser.add_argument("--cdk-out", type=Path, default=Path("cdk.out"))
    parser.add_argument("--stage", default="dev", help="picks the stack named <app>-<stage>")
    parser.add_argument("--stack", help="stack name (overrides --stage)")
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument("--outputs", type=Path, default=Path("local-outputs.json"))
    parser.add_argument("--aws-port", type=int, default=4566)
    parser.add_argument("--graphql-port", type=int, default=4000)
    parser.add_argument("--rest-port", type=int, default=3000)
    parser.add_argument("--lambda-workers", type=int, default=4)
    parser.add_argument(
        "--index-delay-ms",
        type=int,
        default=0,
        help="make global secondary index reads see writes this many ms late, as DynamoDB's "
        "eventually consistent indexes may (e.g. 300); 0 shows them at once",
    )
    parser.add_argument(
        "--tls", action="store_true", help="serve HTTPS/WSS with a local CA (see --tls-dir)"
    )
    parser.add_argument("--tls-dir", type=Path, default=Path(".local/tls"))
    parser.add_argument("--web-dir", type=Path, help="serve this built web client (clients/web)")
    parser.add_argument("--web-port", type=int, default=8080)
    parser.add_argument(
        "--appsync-faults",
        metavar="PLAN",
        help=f"inject faults into a share of AppSync requests, e.g. '5xx=0.2,hang=0.01' "
        f"(kinds: {', '.join(KINDS)}; only=GetTodo+ListTodos limits them to those GraphQL "
        "operations; delay=SECONDS holds each injected fault)",
    )
    parser.add_argument("--fault-seed", type=int, help="seed for the fault draw (repeatable runs)")
    parser.add_argument("--verbose", action="store_true")
    return parser.parse_args(argv)


async def serve(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    try:
        stack_name = args.stack or stack_name_for_stage(args.cdk_out, args.stage)
    except TemplateError as error:
        print(f"local stack failed to start: {error}", file=sys.stderr)
        return 1
    try:
        faults = (
            FaultPlan.parse(args.appsync_faults, args.fault_seed) if args.appsync_faults else None
        )
    except FaultPlanError as error:
        print(f"--appsync-faults: {error}", file=sys.stderr)
        return 2
    stack = LocalStack(
        Settings(
            cdk_out=args.cdk_out,
            stack_name=stack_name,
            region=args.region,
            aws_port=args.aws_port,
            graphql_port=args.graphql_port,
            rest_port=args.rest_port,
            lambda_workers=args.lambda_workers,
            index_delay_ms=args.index_delay_ms,
            tls_dir=args.tls_dir if args.tls else None,
            web_dir=args.web_dir,
            web_port=args.web_port,
            appsync_faults=faults,
        )
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        outputs = await stack.start()
    except (TemplateError, InvocationError, OSError, ValueError) as error:
        await stack.stop()
        print(f"local stack failed to start: {error}", file=sys.stderr)
        return 1
    write_outputs(args.outputs, stack_name, outputs)
    if faults is not None:
        print(f"AppSync fault injection on: {args.appsync_faults}", file=sys.stderr)
    print(
        f"Local stack ready in {time.perf_counter() - started:.1f}s: "
        + "".join(f"{k} {v} " for k, v in outputs.items() if k in ("RestApiUrl", "GraphQLUrl"))
        + f"(outputs in {args.outputs}; Ctrl-C stops)",
        flush=True,
    )
    if stack.web_url:
        print(f"Web client: {stack.web_url}", flush=True)
    if stack.tls:
        print(f"TLS: trust {stack.tls.ca_file} (NODE_EXTRA_CA_CERTS, browser)", flush=True)
    try:
        await stop.wait()
    finally:
        await stack.stop()
    print("Local stack stopped.", flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
        stream=sys.stderr,
    )
    for noisy in ("werkzeug", "botocore", "urllib3", "aiohttp.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    return asyncio.run(serve(args))


if __name__ == "__main__":
    sys.exit(main())
