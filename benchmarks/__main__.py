"""`python -m benchmarks [NAME ...] [--runs N]`: run the named benchmarks (default: all).

Each benchmark is a function taking the parsed arguments and returning an exit code; add a
new one to BENCHMARKS. A run of all of them also writes what they printed, with the date and
the machine, into docs/performance.md between its `make bench` markers.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import platform
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from benchmarks import coldstart, local_stack, notebook, realtime_latency

BENCHMARKS: dict[str, Callable[[argparse.Namespace], int]] = {
    "coldstart": coldstart.run,
    "local_stack": local_stack.run,
    "realtime": realtime_latency.run,
    "notebook": notebook.run,
}
REPORT = Path(__file__).resolve().parents[1] / "docs" / "performance.md"
BEGIN = "<!-- make bench: begin (written by python -m benchmarks) -->"
END = "<!-- make bench: end -->"


class _Tee(io.TextIOBase):
    """Prints as usual and keeps a copy."""

    def __init__(self, stream: io.TextIOBase | object) -> None:
        self._stream = stream
        self.copy = io.StringIO()

    def write(self, text: str) -> int:
        self._stream.write(text)  # type: ignore[attr-defined]
        self._stream.flush()  # type: ignore[attr-defined]
        return self.copy.write(text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("names", nargs="*", metavar="NAME", help=f"any of {', '.join(BENCHMARKS)}")
    parser.add_argument("--runs", type=int, default=15, help="timed runs per case (default 15)")
    args = parser.parse_args(argv)
    unknown = set(args.names) - set(BENCHMARKS)
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}")
    status = 0
    sections: list[tuple[str, str]] = []
    header = _machine()
    print(header)
    for name in args.names or list(BENCHMARKS):
        print(f"== {name}")
        tee = _Tee(sys.stdout)
        with contextlib.redirect_stdout(tee):  # type: ignore[type-var]
            status = BENCHMARKS[name](args) or status
        sections.append((name, tee.copy.getvalue()))
    if not args.names and status == 0:
        _write_report(header, sections)
        print(f"figures written to {REPORT.relative_to(REPORT.parents[1])}")
    return status


def _machine() -> str:
    model = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return (
        f"Run {when} on {model}, {os.cpu_count()} cores, {platform.system()} "
        f"{platform.release()}; load average at start {load}"
    )


def _write_report(header: str, sections: list[tuple[str, str]]) -> None:
    """Replace the generated block of docs/performance.md with this run's output."""
    lines = [BEGIN, "", f"_{header}._", ""]
    for name, output in sections:
        lines += [f"### `make bench`: {name}", ""]
        lines += _markdown(output)
        lines.append("")
    lines.append(END)
    text = REPORT.read_text() if REPORT.exists() else f"# Performance\n\n{BEGIN}\n{END}\n"
    if BEGIN not in text or END not in text:
        text = text.rstrip() + f"\n\n{BEGIN}\n{END}\n"
    before, rest = text.split(BEGIN, 1)
    after = rest.split(END, 1)[1]
    REPORT.write_text(before + "\n".join(lines) + after)


def _markdown(output: str) -> list[str]:
    """Tables stay tables; other lines become fenced blocks, as printed."""
    lines: list[str] = []
    block: list[str] = []
    for line in output.rstrip().splitlines():
        if line.startswith("|") or not line.strip():
            if block:
                lines += ["```", *block, "```", ""]
                block = []
            if line.strip() or (lines and lines[-1]):
                lines.append(line)
        else:
            block.append(line)
    if block:
        lines += ["```", *block, "```"]
    return lines


if __name__ == "__main__":
    sys.exit(main())
