"""`python -m local`: run the synthesized stack on 127.0.0.1 until Ctrl-C or SIGTERM.

Users, groups, table items and the token-signing key are kept in --state-dir (default .local/), so a
restart finds them again and tokens issued before it stay valid; `make reset` deletes it, and
--ephemeral runs without reading or writing it.
"""

# Only the standard library is imported before main() runs: a Ctrl-C during the slow imports
# then ends the run with one line, and `--help` works without the virtual environment's packages.
from __future__ import annotations

import argparse
import asyncio
import errno
import logging
import signal
import socket
import sys
import time
from pathlib import Path

HOST = "127.0.0.1"
# Each port: (option, the `make up` variable that sets it, what listens there).
PORTS = {
    "rest_port": ("--rest-port", "REST_PORT", "the REST API"),
    "graphql_port": ("--graphql-port", "GRAPHQL_PORT", "the GraphQL API"),
    "aws_port": ("--aws-port", "AWS_PORT", "the local AWS endpoint"),
    "web_port": ("--web-port", "WEB_PORT", "the web client"),
}
INTERRUPTED = 130  # the shell's code for a run ended by Ctrl-C


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m local",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--cdk-out", type=Path, default=Path("cdk.out"))
    parser.add_argument(
        "--stage", default="dev", help="picks the stack <app>-<stage> in cdk.out (or the only one)"
    )
    parser.add_argument("--stack", help="stack name (overrides --stage)")
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument("--outputs", type=Path, default=Path("local-outputs.json"))
    parser.add_argument("--aws-port", type=int, default=4566, help="0 picks a free port")
    parser.add_argument("--graphql-port", type=int, default=4000, help="0 picks a free port")
    parser.add_argument("--rest-port", type=int, default=3000, help="0 picks a free port")
    parser.add_argument("--lambda-workers", type=int, default=4)
    parser.add_argument(
        "--state-dir",
        type=Path,
        default=Path(".local"),
        help="where users, table items and keys survive restarts (default: .local)",
    )
    parser.add_argument(
        "--ephemeral",
        action="store_true",
        help="start empty and keep nothing when stopped (tests use this)",
    )
    parser.add_argument(
        "--reset",
        action="store_true",
        help="delete the stacks' saved state in --state-dir and exit (`make reset`); "
        "refused while a stack uses it",
    )
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
    parser.add_argument("--web-port", type=int, default=8080, help="0 picks a free port")
    parser.add_argument(
        "--appsync-faults",
        metavar="PLAN",
        help=f"inject faults into a share of AppSync requests, e.g. '5xx=0.2,hang=0.01' "
        f"(kinds: {_fault_kinds()}; only=OpA+OpB limits them to those GraphQL "
        "operations; delay=SECONDS holds each injected fault)",
    )
    parser.add_argument("--fault-seed", type=int, help="seed for the fault draw (repeatable runs)")
    parser.add_argument("--verbose", action="store_true")
    return parser.parse_args(argv)


def _fault_kinds() -> str:
    try:  # the fault module needs the virtual environment; --help must work without it
        from local.appsync.faults import KINDS
    except ModuleNotFoundError:
        return "see local/appsync/faults.py"
    return ", ".join(KINDS)


def busy_port(args: argparse.Namespace) -> str | None:
    """One line naming the first configured port something else already listens on."""
    for attribute, (option, variable, what) in PORTS.items():
        port = getattr(args, attribute)
        if port == 0 or (attribute == "web_port" and args.web_dir is None):
            continue
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((HOST, port))
            except OSError as error:
                reason = "is already in use" if error.errno == errno.EADDRINUSE else str(error)
                return (
                    f"port {port} ({what}) on {HOST} {reason}: is another `make up` running? "
                    f"Stop it, or choose another port with {option} N "
                    f"(make up {variable}=N)"
                )
    return None


async def serve(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    # Ctrl-C and SIGTERM only set `stop` from here on; a start under way finishes, then stops.
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    # Imported once Ctrl-C is handled: these take most of a second.
    from local.appsync.faults import FaultPlan, FaultPlanError
    from local.awslambda.pool import InvocationError
    from local.stack import LocalStack, Settings, write_outputs
    from local.state import StateError
    from local.template import TemplateError, stack_name_for_stage

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
            state_dir=None if args.ephemeral else args.state_dir,
            index_delay_ms=args.index_delay_ms,
            tls_dir=args.tls_dir if args.tls else None,
            web_dir=args.web_dir,
            web_port=args.web_port,
            appsync_faults=faults,
        )
    )
    try:
        outputs = await stack.start()
    except (TemplateError, InvocationError, StateError, OSError, ValueError) as error:
        await stack.stop()
        print(f"local stack failed to start: {error}", file=sys.stderr)
        return 1
    except asyncio.CancelledError:  # Ctrl-C in the instant before the handlers were in place
        await stack.stop()
        raise
    if stop.is_set():  # Ctrl-C while starting: stop without announcing a ready stack
        await stack.stop()
        print("Local stack stopped before it was ready.", flush=True)
        return INTERRUPTED
    write_outputs(args.outputs, stack_name, outputs)
    if faults is not None:
        print(f"AppSync fault injection on: {args.appsync_faults}", file=sys.stderr)
    kept = "nothing is kept (--ephemeral)" if args.ephemeral else f"state in {args.state_dir}/"
    endpoints = "".join(
        f"{name} {outputs[key]} "
        for key, name in (("RestApiUrl", "REST"), ("GraphQLUrl", "GraphQL"))
        if key in outputs
    )
    print(
        f"Local stack ready in {time.perf_counter() - started:.1f}s: {endpoints}"
        f"(outputs in {args.outputs}; {kept}; Ctrl-C stops)",
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


def reset_state(state_dir: Path) -> int:
    from local.state import StateError, reset

    try:
        removed = reset(state_dir)
    except StateError as error:
        print(f"not reset: {error}", file=sys.stderr)
        return 1
    if removed:
        names = ", ".join(f"{directory}/" for directory in removed)
        print(f"Removed {names}: the next start has no users, table items or keys.")
    else:
        print(f"Nothing to reset: no saved stack in {state_dir}/.")
    return 0


def main(argv: list[str] | None = None) -> int:
    try:
        args = parse_args(argv)
        if args.reset:
            return reset_state(args.state_dir)
        problem = busy_port(args)
        if problem:
            print(f"local stack failed to start: {problem}", file=sys.stderr)
            return 1
        logging.basicConfig(
            level=logging.DEBUG if args.verbose else logging.INFO,
            format="%(asctime)s %(name)s %(levelname)s %(message)s",
            stream=sys.stderr,
        )
        for noisy in ("werkzeug", "botocore", "urllib3", "aiohttp.access"):
            logging.getLogger(noisy).setLevel(logging.WARNING)
        return asyncio.run(serve(args))
    except KeyboardInterrupt:  # before serve() handles the signal itself
        print("Interrupted before the local stack started.", file=sys.stderr)
        return INTERRUPTED
    except ModuleNotFoundError as error:
        print(
            f"local stack failed to start: {error}: run it with the project's Python "
            "(`make up`, or .venv/bin/python -m local after `make setup`)",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":
    sys.exit(main())
