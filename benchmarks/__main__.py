"""`python -m benchmarks [NAME ...] [--runs N]`: run the named benchmarks (default: all).

Each benchmark is a function taking the parsed arguments and returning an exit code; add a
new one to BENCHMARKS.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from benchmarks import coldstart, local_stack, realtime_latency

BENCHMARKS: dict[str, Callable[[argparse.Namespace], int]] = {
    "coldstart": coldstart.run,
    "local_stack": local_stack.run,
    "realtime": realtime_latency.run,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("names", nargs="*", metavar="NAME", help=f"any of {', '.join(BENCHMARKS)}")
    parser.add_argument("--runs", type=int, default=15, help="timed runs per case (default 15)")
    args = parser.parse_args(argv)
    unknown = set(args.names) - set(BENCHMARKS)
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}")
    status = 0
    for name in args.names or list(BENCHMARKS):
        print(f"== {name}")
        status = BENCHMARKS[name](args) or status
    return status


if __name__ == "__main__":
    sys.exit(main())
