"""Synthesize the real app (app.py, with the cdk.json context) into a given cloud assembly dir.

app.py's `build` runs in this process, so every synth in a test session shares one jsii kernel;
the Lambda asset comes from the dependency cache in .build/ after the first build.
"""

import json
import runpy
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aws_cdk as cdk

PROJECT_ROOT = Path(__file__).resolve().parents[2]
APP_FILE = PROJECT_ROOT / "app.py"
CDK_JSON = PROJECT_ROOT / "cdk.json"
RESOLVERS_DIR = PROJECT_ROOT / "schema" / "resolvers"
LAMBDA_SRC = PROJECT_ROOT / "lambda_src"

if str(PROJECT_ROOT) not in sys.path:  # app.py imports the `stacks` package from the root
    sys.path.insert(0, str(PROJECT_ROOT))


@dataclass(frozen=True)
class Synthesized:
    """One synthesized cloud assembly and the app object that produced it."""

    stage: str
    outdir: Path
    app: Any  # aws_cdk.App, typed loosely so importing this module needs no jsii

    @property
    def stack_name(self) -> str:
        return f"TodoApp-{self.stage}"

    @property
    def template(self) -> dict[str, Any]:
        path = self.outdir / f"{self.stack_name}.template.json"
        return json.loads(path.read_text())

    @property
    def resources(self) -> dict[str, dict[str, Any]]:
        return self.template["Resources"]

    def of_type(self, resource_type: str) -> dict[str, dict[str, Any]]:
        return {k: v for k, v in self.resources.items() if v["Type"] == resource_type}

    def single(self, resource_type: str) -> tuple[str, dict[str, Any]]:
        matches = self.of_type(resource_type)
        assert len(matches) == 1, f"expected one {resource_type}, found {sorted(matches)}"
        return next(iter(matches.items()))

    def asset_path(self, s3_location: Any) -> Path:
        """The cdk.out file or directory behind an S3 location/key the template points at."""
        text = json.dumps(s3_location)
        object_key = text.rsplit("/", 1)[-1].strip('"}]')
        asset_hash, _, _ = object_key.partition(".")
        matches = sorted(self.outdir.glob(f"asset.{asset_hash}*"))
        assert matches, f"no asset in {self.outdir} for {s3_location}"
        return matches[0]


def cdk_context(stage: str, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """The context the CDK CLI would pass: cdk.json's context plus `-c stage=...` and `extra`."""
    context = json.loads(CDK_JSON.read_text()).get("context", {})
    return {**context, "stage": stage, **(extra or {})}


def synthesize(stage: str, outdir: Path, extra: dict[str, Any] | None = None) -> Synthesized:
    """Build the app the way app.py does under `cdk synth -c stage=<stage> -c k=v...`."""
    build = runpy.run_path(str(APP_FILE))["build"]
    app = cdk.App(outdir=str(outdir), context=cdk_context(stage, extra))
    build(app)
    app.synth()
    return Synthesized(stage=stage, outdir=outdir, app=app)


def render(value: Any) -> str:
    """A CloudFormation string expression as text: Ref -> ${X}, GetAtt -> ${X.Attr}."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and "Ref" in value:
        return "${" + value["Ref"] + "}"
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        return "${" + ".".join(value["Fn::GetAtt"]) + "}"
    if isinstance(value, dict) and "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return separator.join(render(part) for part in parts)
    if isinstance(value, dict) and "Fn::Sub" in value:
        return str(value["Fn::Sub"])
    raise AssertionError(f"cannot render {value!r}")
