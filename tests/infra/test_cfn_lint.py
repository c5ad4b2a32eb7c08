"""cfn-lint finds no errors in the synthesized templates."""

import json

import pytest
from cfnlint.api import ManualArgs, lint

from tests.infra.cdk_synth import Synthesized

pytestmark = pytest.mark.infra

REGIONS = ["us-east-1", "eu-west-1"]


def _errors(synthesized: Synthesized) -> list[str]:
    matches = lint(json.dumps(synthesized.template), config=ManualArgs(regions=REGIONS))
    return [f"{m.rule.id} {m.message}" for m in matches if m.rule.id.startswith("E")]


def test_dev_template_has_no_cfn_lint_errors(dev: Synthesized) -> None:
    assert _errors(dev) == []


def test_prod_template_has_no_cfn_lint_errors(prod: Synthesized) -> None:
    assert _errors(prod) == []
