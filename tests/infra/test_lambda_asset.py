"""The function's asset holds the handler and its dependencies, built for Lambda."""

import re
from pathlib import Path

import pytest

from tests.infra.cdk_synth import LAMBDA_SRC, Synthesized

pytestmark = pytest.mark.infra

WHEEL_TAG = re.compile(r"^Tag: (\S+)$", re.MULTILINE)
LAMBDA_BINARY_TAG = re.compile(r"^cp314-(cp314|abi3)-manylinux\w*_x86_64$")
PURE_TAGS = {"py3-none-any", "py2-none-any"}


@pytest.fixture(scope="module")
def asset(dev: Synthesized) -> Path:
    _, function = dev.single("AWS::Lambda::Function")
    path = dev.asset_path(function["Properties"]["Code"]["S3Key"])
    assert path.is_dir()
    return path


def test_asset_holds_the_current_handler(asset: Path) -> None:
    handler = LAMBDA_SRC / "todo_api" / "handler.py"
    assert (asset / "todo_api" / "handler.py").read_bytes() == handler.read_bytes()


@pytest.mark.parametrize("package", ["requests", "requests_aws4auth", "aws_lambda_powertools"])
def test_asset_holds_the_dependencies(asset: Path, package: str) -> None:
    assert (asset / package / "__init__.py").is_file()


def test_compiled_extensions_target_cpython_314_x86_64_linux(asset: Path) -> None:
    extensions = [p.name for p in asset.rglob("*.so")]
    assert extensions, "expected at least one compiled extension (wrapt, charset_normalizer)"
    for name in extensions:
        assert name.endswith(".cpython-314-x86_64-linux-gnu.so") or ".abi3.so" in name, name


def test_wheels_are_for_the_lambda_platform(asset: Path) -> None:
    wheels = list(asset.glob("*.dist-info/WHEEL"))
    assert wheels
    for wheel in wheels:
        tags = set(WHEEL_TAG.findall(wheel.read_text()))
        binary = {t for t in tags if LAMBDA_BINARY_TAG.match(t)}
        # THEN a wheel is either pure Python 3 or built for CPython 3.14 on manylinux x86_64
        assert binary == tags or ("py3-none-any" in tags and tags <= PURE_TAGS), (wheel, tags)


def test_asset_holds_no_bytecode_from_the_build_machine(asset: Path) -> None:
    assert not list(asset.rglob("__pycache__"))


@pytest.mark.parametrize("package", ["boto3", "botocore", "s3transfer"])
def test_asset_leaves_out_the_sdk_the_runtime_provides(asset: Path, package: str) -> None:
    assert not (asset / package).exists()
    assert not list(asset.glob(f"{package}-*.dist-info"))
