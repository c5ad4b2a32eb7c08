"""The CDK constructs of the todo backend: one concern per module, wired by TodoStack."""
