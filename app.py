#!/usr/bin/env python3
"""The CDK app: `cdk synth -c stage=<name>` (default dev) builds the stack TodoApp-<stage>."""

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks

from stacks.constants import DEFAULT_STAGE
from stacks.todo_stack import TodoStack


def build(app: cdk.App) -> TodoStack:
    """Add the stage's stack to `app` and check it with cdk-nag's AwsSolutions pack."""
    stage = str(app.node.try_get_context("stage") or DEFAULT_STAGE)
    stack = TodoStack(app, f"TodoApp-{stage}", stage=stage, description=f"Todo backend ({stage})")
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return stack


if __name__ == "__main__":
    app = cdk.App()
    build(app)
    app.synth()
