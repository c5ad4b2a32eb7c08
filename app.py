#!/usr/bin/env python3
"""The CDK app: `cdk synth -c stage=<name>` (default dev) builds the stack TodoApp-<stage>.

The context keys a deployment may set are listed in stacks/settings.py.
"""

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks

from stacks.settings import settings_from_context
from stacks.todo_stack import TodoStack


def build(app: cdk.App) -> TodoStack:
    """Add the stage's stack to `app` and check it with cdk-nag's AwsSolutions pack."""
    settings = settings_from_context(app.node.get_all_context())
    stack = TodoStack(
        app,
        f"TodoApp-{settings.stage}",
        settings=settings,
        description=f"Todo backend ({settings.stage})",
    )
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return stack


if __name__ == "__main__":
    app = cdk.App()
    build(app)
    app.synth()
