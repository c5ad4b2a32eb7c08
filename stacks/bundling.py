"""Build the Lambda asset without Docker: pip with `--platform` for the Lambda runtime.

The asset is `lambda_src/todo_api` plus the wheels of `lambda_src/requirements.txt`, resolved
for manylinux x86_64 and the runtime's CPython version, binary wheels only (so no compiled
extension of the build machine can slip in). Installed dependencies are cached in
`.build/lambda-deps/<hash of requirements and pip flags>`, so a synth after the first one links
(or copies) files instead of running pip. Docker (the runtime's SAM build image) is the fallback
when the local pip cannot run at all.
"""

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import jsii
from aws_cdk import AssetHashType, BundlingOptions, DockerImage, ILocalBundling
from aws_cdk import aws_lambda as lambda_

from stacks import lambda_defaults

PROJECT_ROOT = Path(__file__).resolve().parent.parent
LAMBDA_SRC = PROJECT_ROOT / "lambda_src"
PACKAGE_NAME = "todo_api"
REQUIREMENTS_FILE = "requirements.txt"
BUILD_DIR = PROJECT_ROOT / ".build"
PIP_CACHE_DIR = BUILD_DIR / "pip-cache"
DEPS_CACHE_DIR = BUILD_DIR / "lambda-deps"
EXCLUDE = ["__pycache__", "*.pyc", ".pytest_cache", ".mypy_cache"]
# The Lambda Python runtime ships the AWS SDK. aws-xray-sdk depends on botocore, which would
# otherwise add ~25 MB to the asset for a module the runtime already has.
RUNTIME_PROVIDED = ("boto3", "botocore", "s3transfer")

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


def _pip_install_args(requirements: Path, target: Path) -> list[str]:
    return [
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "--no-compile",
        "-r",
        str(requirements),
        "--target",
        str(target),
        *PLATFORM_FLAGS,
    ]


def _deps_key(requirements: Path) -> str:
    digest = hashlib.sha256(requirements.read_bytes())
    digest.update(" ".join(PLATFORM_FLAGS + RUNTIME_PROVIDED).encode())
    return digest.hexdigest()[:32]


def _pip_available() -> bool:
    probe = [sys.executable, "-m", "pip", "--version"]
    return subprocess.run(probe, capture_output=True, check=False).returncode == 0  # noqa: S603


def _install_dependencies(requirements: Path) -> Path:
    """Return a directory holding the installed dependencies, building it on first use."""
    cached = DEPS_CACHE_DIR / _deps_key(requirements)
    if cached.is_dir():
        return cached
    DEPS_CACHE_DIR.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix="building-", dir=DEPS_CACHE_DIR))
    command = [sys.executable, "-m", "pip", *_pip_install_args(requirements, staging)]
    env = {**os.environ, "PIP_CACHE_DIR": str(PIP_CACHE_DIR)}
    result = subprocess.run(command, capture_output=True, text=True, env=env, check=False)  # noqa: S603
    if result.returncode != 0:
        shutil.rmtree(staging, ignore_errors=True)
        raise RuntimeError(f"pip could not build the Lambda dependencies:\n{result.stderr}")
    _drop_runtime_provided(staging)
    try:
        staging.rename(cached)
    except OSError:  # another synth finished the same build first
        shutil.rmtree(staging, ignore_errors=True)
    return cached


def _drop_runtime_provided(target: Path) -> None:
    for entry in target.iterdir():
        name = entry.name.split("-", 1)[0].lower() if entry.suffix == ".dist-info" else entry.name
        if name in RUNTIME_PROVIDED:
            shutil.rmtree(entry)


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
        shutil.copytree(deps, output_dir, dirs_exist_ok=True, copy_function=_link_or_copy)
        shutil.copytree(
            self._source_dir / PACKAGE_NAME,
            Path(output_dir) / PACKAGE_NAME,
            ignore=shutil.ignore_patterns(*EXCLUDE),
            dirs_exist_ok=True,
        )
        return True


def _docker_command() -> list[str]:
    pip = " ".join(["pip", *_pip_install_args(Path(REQUIREMENTS_FILE), Path("/asset-output"))])
    return ["bash", "-c", f"{pip} && cp -r {PACKAGE_NAME} /asset-output/"]


def lambda_code(source_dir: Path = LAMBDA_SRC) -> lambda_.Code:
    """The function's code asset, hashed from its sources so an unchanged asset is reused."""
    image: DockerImage = lambda_defaults.RUNTIME.bundling_image
    return lambda_.Code.from_asset(
        str(source_dir),
        asset_hash_type=AssetHashType.SOURCE,
        exclude=EXCLUDE,
        bundling=BundlingOptions(
            image=image,
            command=_docker_command(),
            # jsii calls try_bundle(output_dir, options) with the options as one positional
            # struct, unlike the keyword form of the generated ILocalBundling stub.
            local=LocalPipBundling(source_dir),  # type: ignore[arg-type]
        ),
    )
