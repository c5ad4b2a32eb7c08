"""Module-scoped synths of the dev and prod stages: each test module synthesizes once.

The prod stage is synthesized as a deployment would be: with its browser origin, and as a
second stack in an account whose API Gateway CloudWatch role the dev stack already owns.
"""

import sys
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[2]
if str(PROJECT_ROOT) not in sys.path:  # `tests.infra.cdk_synth` and app.py's `stacks`
    sys.path.insert(0, str(PROJECT_ROOT))

from tests.infra.cdk_synth import Synthesized, synthesize  # noqa: E402

PROD_ORIGIN = "https://todo.example.com"
PROD_CONTEXT = {"corsOrigin": PROD_ORIGIN, "apiGatewayAccount": "false"}


@pytest.fixture(scope="module")
def dev(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    return synthesize("dev", tmp_path_factory.mktemp("cdk-dev"))


@pytest.fixture(scope="module")
def prod(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    return synthesize("prod", tmp_path_factory.mktemp("cdk-prod"), PROD_CONTEXT)
