"""The function's asset holds the handler and its dependencies, built for Lambda."""

import _imp
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.infra.cdk_synth import LAMBDA_SRC, PROJECT_ROOT, Synthesized

pytestmark = pytest.mark.infra

WHEEL_TAG = re.compile(r"^Tag: (\S+)$", re.MULTILINE)
LAMBDA_BINARY_TAG = re.compile(r"^cp314-(cp314|abi3)-manylinux\w*_x86_64$")
PURE_TAGS = {"py3-none-any", "py2-none-any"}
# importlib.util.MAGIC_NUMBER of CPython 3.14 (3627, Lib/importlib/_bootstrap_external.py).
CPYTHON_314_MAGIC = (3627).to_bytes(2, "little") + b"\r\n"
# PEP 552: the header's flags word; bit 0 = hash-based, bit 1 = check the source.
CHECKED_HASH = 0b11
CONSTRAINT = re.compile(r"^([A-Za-z0-9_.\-]+)==(\S+)$", re.MULTILINE)


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


def test_every_module_ships_checked_cpython_314_bytecode_of_its_source(asset: Path) -> None:
    sources = sorted(asset.rglob("*.py"))
    assert len(sources) > 100
    for source in sources:
        pyc = source.parent / "__pycache__" / f"{source.stem}.cpython-314.pyc"
        header = pyc.read_bytes()
        assert header[:4] == CPYTHON_314_MAGIC, pyc
        assert int.from_bytes(header[4:8], "little") == CHECKED_HASH, pyc
        # THEN the recorded hash is the source's (keyed by 3.14's magic, as importlib does)
        key = int.from_bytes(CPYTHON_314_MAGIC, "little")
        assert header[8:16] == _imp.source_hash(key, source.read_bytes()), pyc
        # AND the code names the source where Lambda unpacks it
        lambda_path = "/var/task/" + source.relative_to(asset).as_posix()
        assert lambda_path.encode() in header, pyc


def test_asset_holds_no_other_bytecode(asset: Path) -> None:
    stray = [p for p in asset.rglob("*.pyc") if not p.name.endswith(".cpython-314.pyc")]
    assert not stray
    orphans = [p for p in asset.rglob("*.pyc") if not _source_of(p).is_file()]
    assert not orphans


def _source_of(pyc: Path) -> Path:
    return pyc.parent.parent / (pyc.name.split(".", 1)[0] + ".py")


@pytest.mark.parametrize(
    "trimmed",
    [
        "aws_lambda_powertools/event_handler/openapi/swagger_ui/swagger-ui-bundle.min.js",
        "aws_lambda_powertools/event_handler/openapi/swagger_ui/swagger-ui.min.css",
        "dateutil",
        "six.py",
        "bin",
        "wrapt-stubs",
    ],
)
def test_asset_leaves_out_what_the_function_never_uses(asset: Path, trimmed: str) -> None:
    assert (asset / trimmed).parent.is_dir()  # the path is real, not a typo
    assert not (asset / trimmed).exists()


def test_the_function_never_imports_what_the_asset_leaves_out() -> None:
    # WHEN the handler module is loaded and serves one request's worth of imports
    code = (
        "import sys, json, todo_api.handler\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('dateutil', 'six') or 'swagger_ui' in m)))"
    )
    env = {
        **os.environ,
        "GRAPHQL_URL": "https://example.appsync-api.eu-west-1.amazonaws.com/graphql",
        "AWS_REGION": "eu-west-1",
        "POWERTOOLS_SERVICE_NAME": "todo-api",
        "POWERTOOLS_METRICS_NAMESPACE": "TodoApp",
        "POWERTOOLS_TRACE_DISABLED": "true",
        # what config.py requires at import (the stack sets them; see test_deployment_settings)
        "IDEMPOTENCY_TABLE_NAME": "IdempotencyTable",
        "CORS_ALLOW_ORIGIN": "*",
    }
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=LAMBDA_SRC, env=env, capture_output=True, text=True,
        check=True,
    )  # fmt: skip
    # THEN none of the trimmed modules was needed
    assert json.loads(result.stdout) == []
    handler_sources = "".join(p.read_text() for p in (LAMBDA_SRC / "todo_api").glob("*.py"))
    assert "enable_swagger" not in handler_sources


def test_every_installed_distribution_is_pinned_by_the_constraints(asset: Path) -> None:
    pins = {
        _normalized(name): version
        for name, version in CONSTRAINT.findall((PROJECT_ROOT / "constraints.txt").read_text())
    }
    installed = [p.name.removesuffix(".dist-info") for p in asset.glob("*.dist-info")]
    assert installed
    for name, _, version in (entry.rpartition("-") for entry in installed):
        assert pins.get(_normalized(name)) == version, (name, version)


def _normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


@pytest.mark.parametrize("package", ["boto3", "botocore", "s3transfer"])
def test_asset_leaves_out_the_sdk_the_runtime_provides(asset: Path, package: str) -> None:
    assert not (asset / package).exists()
    assert not list(asset.glob(f"{package}-*.dist-info"))


def test_the_dependency_cache_key_follows_the_constraints(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from stacks import bundling

    requirements = LAMBDA_SRC / "requirements.txt"
    constraints = tmp_path / "constraints.txt"
    constraints.write_text("urllib3==2.8.0\n")
    monkeypatch.setattr(bundling, "CONSTRAINTS", constraints)
    before = bundling._deps_key(requirements)
    constraints.write_text("urllib3==2.7.0\n")
    assert bundling._deps_key(requirements) != before
