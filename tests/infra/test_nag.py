"""cdk-nag's AwsSolutions pack runs on the app and finds nothing left unacknowledged."""

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_dynamodb as dynamodb
from cdk_nag import AwsSolutionsChecks

from tests.infra.cdk_synth import Synthesized

pytestmark = pytest.mark.infra

ACKNOWLEDGED_RULES = "aws:cdk:acknowledged-rules"


def _violations(report: Any) -> list[str]:
    return [
        f"{v.rule_name} at {r.construct_path}"
        for v in report.violations
        for r in v.violating_resources
    ]


def _acknowledgements(synthesized: Synthesized) -> dict[str, str]:
    metadata_file = synthesized.outdir / f"{synthesized.stack_name}.metadata.json"
    entries = json.loads(metadata_file.read_text())
    return {
        f"{path} {rule}": reason
        for path, items in entries.items()
        for item in items
        if item["type"] == ACKNOWLEDGED_RULES
        for rule, reason in item["data"].items()
    }


def test_app_synth_reports_no_policy_violations(dev: Synthesized) -> None:
    # GIVEN app.py synthesized (it registers AwsSolutionsChecks, so findings fail the synth)
    # WHEN reading the validation report it wrote
    report = json.loads((dev.outdir / "validation-report.json").read_text())
    # THEN no plugin reported anything
    assert report["pluginReports"] == []


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_aws_solutions_pack_finds_nothing_unacknowledged(
    dev: Synthesized, prod: Synthesized, stage: str
) -> None:
    app = {"dev": dev, "prod": prod}[stage].app
    report = AwsSolutionsChecks().validate_scope(app)
    assert _violations(report) == []


def test_pack_reports_a_non_compliant_construct(tmp_path: Path) -> None:
    # GIVEN a throwaway app whose table has no point-in-time recovery
    app = cdk.App(outdir=str(tmp_path))
    stack = cdk.Stack(app, "Throwaway")
    attribute = dynamodb.Attribute(name="id", type=dynamodb.AttributeType.STRING)
    dynamodb.Table(stack, "Table", partition_key=attribute)
    # WHEN the same pack checks it
    report = AwsSolutionsChecks().validate_scope(app)
    # THEN the finding is reported against the table
    assert "AwsSolutions-DDB3 at Throwaway/Table/Resource" in _violations(report)


def test_every_acknowledgement_names_a_finding_and_gives_a_reason(dev: Synthesized) -> None:
    acknowledgements = _acknowledgements(dev)
    assert acknowledgements
    for where, reason in acknowledgements.items():
        assert "AwsSolutions-" in where
        assert len(reason.split()) >= 10, f"{where}: reason too thin: {reason!r}"
