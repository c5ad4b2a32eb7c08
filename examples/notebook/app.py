#!/usr/bin/env python3
"""The notebook example's CDK app: `cdk synth` here builds the stack NotebookApp."""

import aws_cdk as cdk
from notebook_stack import NotebookStack

STACK_NAME = "NotebookApp"

if __name__ == "__main__":
    app = cdk.App()
    NotebookStack(app, STACK_NAME, description="Notebook example backend")
    # Tags on every resource, as teams add them for cost allocation; the local runner skips them.
    cdk.Tags.of(app).add("project", "notebook-example")
    app.synth()
