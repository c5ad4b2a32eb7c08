"""Cold start as it deploys, side by side with the peers, as whole processes in one run.

Each case is one process that loads a function's code the way a Lambda init does and exits at
once (`os._exit` / `process.exit`, so neither interpreter's shutdown is counted), timed from
spawn to exit. Every timed round runs every case once, in a shuffled order, so a busy machine
weighs on all of them alike; a ratio is taken within each round and reported as its median,
min and max over the rounds.

Python runs on CPython 3.14 (the runtime's version; see benchmarks/python314.py) with
PYTHONDONTWRITEBYTECODE, in copies of the asset whose files all carry the 1980-01-01
timestamp a CDK asset zip gives them and are write-protected, as Lambda's /var/task is:
- shipped: the asset exactly as stacks/bundling.py builds it, with its checked-hash bytecode;
- no bytecode: the same files without __pycache__ (this project's asset before);
- typical CDK Python function: timestamp-based .pyc as pip writes them at install, made stale
  by the 1980 times (so ignored, and every module compiled again);
- floor: the mandated libraries alone (requests, requests-aws4auth, Powertools Logger, Metrics
  and the REST resolver), imported and set up from the shipped asset with its bytecode.
Node (this machine's) runs the peers, installed from benchmarks/node/ by `make bench`:
- tutorial: the 2019 tutorial's function (Express, aws-serverless-express, aws-sdk v2, the
  AppSync client) over its dependency set in node_modules, as that tutorial deploys it;
- Node today: Powertools Logger, @smithy/signature-v4 and fetch, bundled by esbuild.
Sizes are the deployment zips' (deflated, as CDK zips an asset) and their file counts.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks import python314

REPO = Path(__file__).resolve().parents[1]
LAMBDA_SRC = REPO / "lambda_src"
NODE_PEERS = REPO / "benchmarks" / "node"
PLOT = REPO / "docs" / "performance-coldstart.png"
WARMUP_ROUNDS = 2
# make bench's install stamp and npm's lock files are not part of what a deploy would zip.
SKIP_IN_ZIP = (".installed", "package-lock.json", ".package-lock.json")
ZIP_TIME = 315532800  # 1980-01-01T00:00:00Z, the time of every file in a CDK asset zip

FUNCTION_ENV = {
    "GRAPHQL_URL": "https://example1234567890.appsync-api.eu-west-1.amazonaws.com/graphql",
    "AWS_REGION": "eu-west-1",
    "POWERTOOLS_SERVICE_NAME": "todo-api",
    "POWERTOOLS_METRICS_NAMESPACE": "TodoApp",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "IDEMPOTENCY_TABLE_NAME": "TodoApp-bench-IdempotencyTable",
    "CORS_ALLOW_ORIGIN": "*",
    "AWS_ACCESS_KEY_ID": "ASIABENCHMARKKEY0001",
    "AWS_SECRET_ACCESS_KEY": "benchmark-secret-key",
    "AWS_SESSION_TOKEN": "benchmark-session-token",
    "PYTHONDONTWRITEBYTECODE": "1",
}
EXIT_PY = "import os; os._exit(0)"
EXIT_NODE = "process.exit(0)"
HANDLER_PY = f"import todo_api.handler; {EXIT_PY}"
FLOOR_PY = f"""
import requests
from requests_aws4auth import AWS4Auth
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, CORSConfig
logger = Logger()
metrics = Metrics()
app = APIGatewayRestResolver(cors=CORSConfig())
session = requests.Session()
auth = AWS4Auth("AKID", "secret", "eu-west-1", "appsync", session_token="token")
{EXIT_PY}
"""

LABELS = {
    "shipped": "this asset as shipped (3.14 checked-hash .pyc)",
    "no_bytecode": "same asset without bytecode (before)",
    "cdk_typical": "typical CDK Python function (stale timestamp .pyc)",
    "floor": "floor: mandated libraries alone, with bytecode",
    "tutorial": "2019 tutorial's Node stack (node_modules)",
    "modern": "Node today: Powertools + SigV4 + fetch (esbuild)",
}


@dataclass(frozen=True)
class Case:
    key: str
    label: str
    argv: list[str]
    cwd: Path


@dataclass
class Samples:
    ms: dict[str, list[float]] = field(default_factory=dict)

    def median(self, key: str) -> float:
        return statistics.median(self.ms[key])

    def ratios(self, numerator: str, denominator: str) -> list[float]:
        return [a / b for a, b in zip(self.ms[numerator], self.ms[denominator], strict=True)]


@dataclass(frozen=True)
class Package:
    label: str
    zip_bytes: int
    files: int


RATIOS = (
    ("shipped", "tutorial", "this asset, shipped / tutorial's Node stack"),
    ("shipped", "modern", "this asset, shipped / Node today (esbuild)"),
    ("floor", "tutorial", "floor: mandated libraries / tutorial's Node stack"),
    ("floor", "modern", "floor: mandated libraries / Node today (esbuild)"),
    ("shipped", "floor", "this asset, shipped / floor"),
    ("cdk_typical", "tutorial", "typical CDK Python function / tutorial's Node stack"),
    ("no_bytecode", "tutorial", "no bytecode (before) / tutorial's Node stack"),
)


def run(args: argparse.Namespace) -> int:
    runs = max(3, int(getattr(args, "runs", 15)))
    python, origin = python314.command()
    node = shutil.which("node")
    missing = [
        p for p in ("tutorial/node_modules", "modern/node_modules") if not (NODE_PEERS / p).is_dir()
    ]
    if node is None or missing:
        print(f"the Node peers are not installed ({', '.join(missing)}): run `make bench`")
        return 1
    with tempfile.TemporaryDirectory(prefix="coldstart-") as tmp:
        work = Path(tmp)
        shipped = _shipped_asset(work / "shipped")
        no_bytecode = _copy(shipped, work / "no-bytecode", drop_bytecode=True)
        typical = _copy(shipped, work / "cdk-typical", drop_bytecode=True)
        _compile_timestamp_bytecode(python, typical)
        modern = _esbuild_bundle(work / "modern")
        for tree in (shipped, no_bytecode, typical):
            _as_lambda_unpacks(tree)
        tutorial = NODE_PEERS / "tutorial"

        def py(code: str) -> list[str]:
            return [*python, "-c", code]

        def js(code: str) -> list[str]:
            return [node, "-e", f"{code}; {EXIT_NODE}"]

        cases = [
            Case("python", f"CPython 3.14 alone: -c pass ({origin})", py(EXIT_PY), shipped),
            Case("node", f"Node {_node_version(node)} alone: -e 0", js("0"), shipped),
            Case("shipped", LABELS["shipped"], py(HANDLER_PY), shipped),
            Case("no_bytecode", LABELS["no_bytecode"], py(HANDLER_PY), no_bytecode),
            Case("cdk_typical", LABELS["cdk_typical"], py(HANDLER_PY), typical),
            Case("floor", LABELS["floor"], py(FLOOR_PY), shipped),
            Case("tutorial", LABELS["tutorial"], js("require('./handler.js')"), tutorial),
            Case("modern", LABELS["modern"], js("require('./index.js')"), modern),
        ]
        samples = _measure(cases, runs)
        for tree in (shipped, no_bytecode, typical):
            written = list(tree.rglob("*.pyc.*")) + _newer_than_zip(tree)
            assert not written, f"a cold start wrote into the read-only asset: {written[:3]}"
        packages = [
            _zip_stats("this asset (zip)", shipped),
            _zip_stats("2019 tutorial: handler + node_modules (zip)", tutorial, skip=SKIP_IN_ZIP),
            _zip_stats("Node today: esbuild bundle (zip)", modern),
        ]
        for tree in (shipped, no_bytecode, typical):
            _make_writable(tree)  # so that the temporary directory can be removed
    _report(cases, samples, packages, runs)
    _plot(cases, samples, packages)
    return 0


def _shipped_asset(target: Path) -> Path:
    """The asset as `cdk synth` bundles it, from the same cache, so no second build.

    The bundle hard-links the cache's files, so the timed copy is made of real copies that
    can be re-dated and write-protected without touching the cache.
    """
    sys.path.insert(0, str(REPO))
    from stacks.bundling import LocalPipBundling

    bundled = target.with_name("bundled")
    bundled.mkdir(parents=True)
    LocalPipBundling(LAMBDA_SRC).try_bundle(str(bundled), None)  # type: ignore[arg-type]
    return _copy(bundled, target, drop_bytecode=False)


def _copy(source: Path, target: Path, *, drop_bytecode: bool) -> Path:
    ignore = shutil.ignore_patterns("__pycache__") if drop_bytecode else None
    shutil.copytree(source, target, ignore=ignore)
    return target


def _make_writable(tree: Path) -> None:
    for path in tree.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    tree.chmod(0o755)


def _compile_timestamp_bytecode(python: list[str], tree: Path) -> None:
    """What pip does at install by default: timestamp-based .pyc from the files as built."""
    command = [*python, "-m", "compileall", "-q", "-d", "/var/task", str(tree)]
    subprocess.run(command, check=True, capture_output=True)


def _as_lambda_unpacks(tree: Path) -> None:
    """Give every file the zip's 1980 time and take write permission away."""
    for path in sorted(tree.rglob("*"), reverse=True):
        os.utime(path, (ZIP_TIME, ZIP_TIME), follow_symlinks=False)
        path.chmod(0o555 if path.is_dir() else 0o444)
    tree.chmod(0o555)


def _newer_than_zip(tree: Path) -> list[Path]:
    return [p for p in tree.rglob("*") if p.is_file() and p.stat().st_mtime != ZIP_TIME]


def _esbuild_bundle(target: Path) -> Path:
    """Bundle the Node peer as CDK's NodejsFunction does: one CommonJS file for Node."""
    peer = NODE_PEERS / "modern"
    command = [
        str(peer / "node_modules" / ".bin" / "esbuild"), str(peer / "handler.mjs"), "--bundle",
        "--platform=node", "--target=node20", "--format=cjs", f"--outfile={target / 'index.js'}",
        "--log-level=warning",
    ]  # fmt: skip
    subprocess.run(command, check=True)
    return target


def _node_version(node: str) -> str:
    return subprocess.run(
        [node, "--version"], capture_output=True, text=True, check=True
    ).stdout.strip()


def _measure(cases: list[Case], runs: int) -> Samples:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "POWERTOOLS_", "NODE_"))
    }
    env.update(FUNCTION_ENV)
    samples = Samples({case.key: [] for case in cases})
    order = random.Random(14)  # noqa: S311 (a shuffle, not a secret)
    for round_ in range(WARMUP_ROUNDS + runs):
        shuffled = cases[:]
        order.shuffle(shuffled)
        for case in shuffled:
            wall = _spawn(case, env)
            if round_ >= WARMUP_ROUNDS:
                samples.ms[case.key].append(wall)
    return samples


def _spawn(case: Case, env: dict[str, str]) -> float:
    start = time.perf_counter()
    completed = subprocess.run(
        case.argv, cwd=case.cwd, env=env, capture_output=True, text=True, check=False
    )
    wall = (time.perf_counter() - start) * 1000
    if completed.returncode != 0:
        raise RuntimeError(f"{case.label} failed:\n{completed.stderr[-2000:]}")
    return wall


def _zip_stats(label: str, root: Path, skip: tuple[str, ...] = ()) -> Package:
    with tempfile.TemporaryFile() as raw:
        with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as archive:
            files = [p for p in sorted(root.rglob("*")) if p.is_file() and p.name not in skip]
            for path in files:
                archive.write(path, path.relative_to(root).as_posix())
        return Package(label, raw.tell(), len(files))


def _report(cases: list[Case], samples: Samples, packages: list[Package], runs: int) -> None:
    print(
        f"Cold start, whole processes side by side: {runs} shuffled rounds, {WARMUP_ROUNDS} warm-up"
    )
    print()
    print("| case | median | min | max |")
    print("| --- | ---: | ---: | ---: |")
    for case in cases:
        ms = samples.ms[case.key]
        median = statistics.median(ms)
        print(f"| {case.label} | {median:.1f} ms | {min(ms):.1f} ms | {max(ms):.1f} ms |")
    print()
    print("| ratio, within each round | median | min | max |")
    print("| --- | ---: | ---: | ---: |")
    for numerator, denominator, label in RATIOS:
        ratios = samples.ratios(numerator, denominator)
        print(
            f"| {label} | {statistics.median(ratios):.2f} | {min(ratios):.2f} | {max(ratios):.2f} |"
        )
    print()
    print("| deployment package | zip size | files |")
    print("| --- | ---: | ---: |")
    for package in packages:
        print(f"| {package.label} | {package.zip_bytes / 1e6:.2f} MB | {package.files} |")
    tutorial = packages[1]
    print()
    print(
        f"this asset's zip is {packages[0].zip_bytes / tutorial.zip_bytes:.2f}x the tutorial's, "
        f"with {packages[0].files / tutorial.files:.2f}x its files"
    )


def _plot(cases: list[Case], samples: Samples, packages: list[Package]) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed (make bench installs it): no plot written")
        return
    figure, (times, sizes) = plt.subplots(
        1, 2, figsize=(12, 4.8), gridspec_kw={"width_ratios": [2.2, 1]}, layout="constrained"
    )
    labels = [case.label for case in cases][::-1]
    medians = [samples.median(case.key) for case in cases][::-1]
    lows = [m - min(samples.ms[c.key]) for m, c in zip(medians, cases[::-1], strict=True)]
    highs = [max(samples.ms[c.key]) - m for m, c in zip(medians, cases[::-1], strict=True)]
    colors = [_color(case.key) for case in cases][::-1]
    times.barh(labels, medians, xerr=[lows, highs], color=colors, capsize=3)
    times.set_xlabel("cold start, spawn to handler loaded (ms): median, whiskers min-max")
    ratio = statistics.median(samples.ratios("shipped", "tutorial"))
    times.set_title(f"Cold start, side by side: this asset / 2019 tutorial = {ratio:.2f}x (median)")
    for y, (value, high) in enumerate(zip(medians, highs, strict=True)):
        times.text(value + high, y, f"  {value:.0f}", va="center", ha="left", fontsize=8)
    times.margins(x=0.12)
    names = ["this asset", "2019\ntutorial", "Node\ntoday"]
    sizes.bar(names, [p.zip_bytes / 1e6 for p in packages], color=["#1f77b4", "#d62728", "#2ca02c"])
    sizes.set_ylabel("deployment zip (MB)")
    sizes.set_title("Package size")
    for x, package in enumerate(packages):
        megabytes = package.zip_bytes / 1e6
        caption = f"{megabytes:.1f} MB\n{package.files} files"
        sizes.text(x, megabytes, caption, ha="center", va="bottom", fontsize=8)
    sizes.margins(y=0.2)
    PLOT.parent.mkdir(exist_ok=True)
    figure.savefig(PLOT, dpi=110)
    plt.close(figure)
    print(f"plot written to {PLOT.relative_to(REPO)}")


def _color(key: str) -> str:
    palette: dict[str, str] = {"tutorial": "#d62728", "modern": "#2ca02c", "node": "#98df8a"}
    return palette.get(
        key, "#aec7e8" if key in ("python", "no_bytecode", "cdk_typical") else "#1f77b4"
    )
