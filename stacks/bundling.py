"""Build the Lambda asset without Docker: pip with `--platform` for the Lambda runtime.

The asset is `lambda_src/todo_api` plus the wheels of `lambda_src/requirements.txt`, resolved
for manylinux x86_64 and the runtime's CPython version, binary wheels only (so no compiled
extension of the build machine can slip in), every transitive version pinned by
constraints.txt. Then:
- what the function never imports is left out (TRIMMED), as is the SDK the runtime provides;
- every module gets CPython 3.14 bytecode, hash-based and checked (PEP 552), recording the
  source path Lambda shows (/var/task/...). Lambda's /var/task is read-only and every file
  in a CDK asset zip carries a 1980 timestamp, so without shipped bytecode every cold start
  compiles each module from source, and ordinary timestamp-based .pyc files would be stale.
  The compiler is a `python3.14` on PATH or, failing that, Pyodide (CPython 3.14 built for
  WebAssembly, pinned in stacks/pyodide/) in the Node that the CDK CLI already needs.
Dependencies are cached in `.build/lambda-deps/<key>` and the compiled handler package in
`.build/lambda-app/<key>`, keyed by everything that shapes them, so a synth after the first
links (or copies) files instead of running pip or a compiler. Docker (the runtime's SAM build
image) is the fallback when the local pip cannot run at all.
"""

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import jsii
from aws_cdk import AssetHashType, BundlingOptions, DockerImage, ILocalBundling
from aws_cdk import aws_lambda as lambda_

from stacks import lambda_defaults

PROJECT_ROOT = Path(__file__).resolve().parent.parent
LAMBDA_SRC = PROJECT_ROOT / "lambda_src"
PACKAGE_NAME = "todo_api"
REQUIREMENTS_FILE = "requirements.txt"
CONSTRAINTS = PROJECT_ROOT / "constraints.txt"
PYODIDE_PROJECT = PROJECT_ROOT / "stacks" / "pyodide"
BUILD_DIR = PROJECT_ROOT / ".build"
PIP_CACHE_DIR = BUILD_DIR / "pip-cache"
DEPS_CACHE_DIR = BUILD_DIR / "lambda-deps"
APP_CACHE_DIR = BUILD_DIR / "lambda-app"
PYODIDE_CACHE_DIR = BUILD_DIR / "pyodide"
EXCLUDE = ["__pycache__", "*.pyc", ".pytest_cache", ".mypy_cache"]
# The Lambda Python runtime ships the AWS SDK. aws-xray-sdk depends on botocore, which would
# otherwise add ~25 MB to the asset for a module the runtime already has.
RUNTIME_PROVIDED = ("boto3", "botocore", "s3transfer")
# What the runtime's botocore brings with it, so TRIMMED may leave it out of the asset.
BOTOCORE_BRINGS = ("dateutil", "six")
# Installed but never imported by the function (globs relative to the asset root):
# Powertools' offline Swagger UI (1.7 MB of JavaScript and CSS for enable_swagger), dateutil
# and six (only botocore and Powertools' feature flags use them; the runtime's botocore brings
# its own), console scripts and type stubs.
TRIMMED = (
    "aws_lambda_powertools/event_handler/openapi/swagger_ui/*.min.js",
    "aws_lambda_powertools/event_handler/openapi/swagger_ui/*.min.css",
    "dateutil",
    "python_dateutil-*.dist-info",
    "six.py",
    "six-*.dist-info",
    "bin",
    "wrapt-stubs",
)
TASK_ROOT = "/var/task"  # where Lambda unpacks the asset
# Part of every cache key: change it when the shape of the compiled output changes.
BYTECODE = f"cpython-3.14 checked-hash {TASK_ROOT}"

_RUNTIME_VERSION = lambda_defaults.RUNTIME.name.removeprefix("python")  # "3.14"
PLATFORM_FLAGS = (
    "--platform",
    "manylinux2014_x86_64",
    "--only-binary=:all:",
    "--python-version",
    _RUNTIME_VERSION,
    "--implementation",
    "cp",
)


def _pip_install_args(requirements: Path, target: Path, constraints: Path | None) -> list[str]:
    return [
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "--no-compile",
        "-r",
        str(requirements),
        *(["-c", str(constraints)] if constraints else []),
        "--target",
        str(target),
        *PLATFORM_FLAGS,
    ]


def _key(*parts: bytes) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(hashlib.sha256(part).digest())
    return digest.hexdigest()[:32]


def _deps_key(requirements: Path) -> str:
    settings = " ".join((*PLATFORM_FLAGS, *RUNTIME_PROVIDED, *TRIMMED, BYTECODE))
    return _key(requirements.read_bytes(), CONSTRAINTS.read_bytes(), settings.encode())


def _tree_key(root: Path) -> str:
    files = sorted(p for p in root.rglob("*") if p.is_file() and not _excluded(p.relative_to(root)))
    parts = [f"{p.relative_to(root).as_posix()}\0".encode() + p.read_bytes() for p in files]
    return _key(BYTECODE.encode(), *parts)


def _excluded(relative: Path) -> bool:
    return any(part.match(pattern) for part in map(Path, relative.parts) for pattern in EXCLUDE)


def _pip_available() -> bool:
    probe = [sys.executable, "-m", "pip", "--version"]
    return subprocess.run(probe, capture_output=True, check=False).returncode == 0  # noqa: S603


def _cached(cache_dir: Path, key: str, build: Callable[[Path], None]) -> Path:
    """Return cache_dir/key, building it in a staging directory first if it is missing."""
    cached = cache_dir / key
    if cached.is_dir():
        return cached
    cache_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix="building-", dir=cache_dir))
    try:
        build(staging)
        staging.rename(cached)
    except OSError:
        if not cached.is_dir():  # not just another synth finishing the same build first
            raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return cached


def _install_dependencies(requirements: Path) -> Path:
    """A directory holding the installed, trimmed and compiled dependencies."""

    def build(target: Path) -> None:
        args = _pip_install_args(requirements, target, CONSTRAINTS)
        env = {**os.environ, "PIP_CACHE_DIR": str(PIP_CACHE_DIR)}
        command = [sys.executable, "-m", "pip", *args]
        result = subprocess.run(command, capture_output=True, text=True, env=env, check=False)  # noqa: S603
        if result.returncode != 0:
            raise RuntimeError(f"pip could not build the Lambda dependencies:\n{result.stderr}")
        _drop_runtime_provided(target)
        _trim(target)
        compile_bytecode(target)

    return _cached(DEPS_CACHE_DIR, _deps_key(requirements), build)


def _compiled_package(source: Path) -> Path:
    """A directory holding `source` (a package) with its bytecode, as `<dir>/<name>`."""

    def build(target: Path) -> None:
        shutil.copytree(source, target / source.name, ignore=shutil.ignore_patterns(*EXCLUDE))
        compile_bytecode(target)

    return _cached(APP_CACHE_DIR, _tree_key(source), build)


def _drop_runtime_provided(target: Path) -> None:
    for entry in target.iterdir():
        name = entry.name.split("-", 1)[0].lower() if entry.suffix == ".dist-info" else entry.name
        if name in RUNTIME_PROVIDED:
            shutil.rmtree(entry)


def _trim(target: Path) -> None:
    for pattern in TRIMMED:
        for entry in target.glob(pattern):
            if entry.is_dir():
                shutil.rmtree(entry)
            else:
                entry.unlink()


def compile_bytecode(root: Path) -> None:
    """Compile every .py under `root` (an asset folder) with CPython 3.14.

    Each .py gets `__pycache__/<name>.cpython-314.pyc`, checked-hash, naming its source as
    /var/task/<path below root>.
    """
    native = shutil.which("python3.14")
    if native:
        _run(
            [native, "-m", "compileall", "-q", "-j", "0", "--invalidation-mode", "checked-hash",
             "-d", TASK_ROOT, str(root)],
            "python3.14 could not compile the asset",
        )  # fmt: skip
        return
    node = shutil.which("node")
    if node is None:
        raise RuntimeError("compiling the Lambda asset needs python3.14 or Node.js on PATH")
    _run([node, str(_pyodide() / "compile.mjs"), str(root)], "Pyodide could not compile")


def _pyodide() -> Path:
    """A folder with stacks/pyodide's compile.mjs and its pinned node_modules installed."""
    files = ("package.json", "package-lock.json", "compile.mjs")

    def build(target: Path) -> None:
        for name in files:
            shutil.copy2(PYODIDE_PROJECT / name, target / name)
        npm = shutil.which("npm")
        if npm is None:
            raise RuntimeError("installing Pyodide needs npm on PATH")
        _run(
            [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error", "--prefix", str(target)],
            "npm could not install Pyodide",
        )

    key = _key(*((PYODIDE_PROJECT / name).read_bytes() for name in files))
    return _cached(PYODIDE_CACHE_DIR, key, build)


def _run(command: list[str], failure: str) -> None:
    result = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise RuntimeError(f"{failure}:\n{result.stdout[-3000:]}{result.stderr[-3000:]}")


def _link_or_copy(source: str, target: str) -> None:
    """Hard-link a cached file into the bundle (fast, same inode), or copy across devices."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


@jsii.implements(ILocalBundling)
class LocalPipBundling:
    """Bundles `source_dir` on this machine; returns False (use Docker) only without pip."""

    def __init__(self, source_dir: Path) -> None:
        self._source_dir = source_dir

    def try_bundle(self, output_dir: str, _options: BundlingOptions) -> bool:
        if not _pip_available():
            return False
        deps = _install_dependencies(self._source_dir / REQUIREMENTS_FILE)
        app = _compiled_package(self._source_dir / PACKAGE_NAME)
        for tree in (deps, app):
            shutil.copytree(tree, output_dir, dirs_exist_ok=True, copy_function=_link_or_copy)
        return True


def _docker_command() -> list[str]:
    """The same build in the runtime's image (its python is 3.14); constraints.txt lies outside
    the mounted lambda_src, so only the direct requirements are pinned there."""
    out = Path("/asset-output")
    pip = " ".join(["pip", *_pip_install_args(Path(REQUIREMENTS_FILE), out, None)])
    trim = " ".join(f"{out}/{pattern}" for pattern in TRIMMED)
    compile_ = f"python -m compileall -q --invalidation-mode checked-hash -d {TASK_ROOT} {out}"
    return ["bash", "-c", f"{pip} && cp -r {PACKAGE_NAME} {out}/ && rm -rf {trim} && {compile_}"]


def lambda_code(source_dir: Path = LAMBDA_SRC) -> lambda_.Code:
    """The function's code asset, hashed from what builds it so an unchanged asset is reused."""
    image: DockerImage = lambda_defaults.RUNTIME.bundling_image
    return lambda_.Code.from_asset(
        str(source_dir),
        # The sources and every setting that shapes the bundle: an asset whose pins, trim
        # list or bytecode changed gets a new hash, so cdk deploy ships it.
        asset_hash_type=AssetHashType.CUSTOM,
        asset_hash=_key(
            _tree_key(source_dir).encode(), _deps_key(source_dir / REQUIREMENTS_FILE).encode()
        ),
        exclude=EXCLUDE,
        bundling=BundlingOptions(
            image=image,
            command=_docker_command(),
            # jsii calls try_bundle(output_dir, options) with the options as one positional
            # struct, unlike the keyword form of the generated ILocalBundling stub.
            local=LocalPipBundling(source_dir),  # type: ignore[arg-type]
        ),
    )
