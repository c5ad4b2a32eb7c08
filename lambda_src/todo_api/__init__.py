"""The REST API's Lambda function: handler -> logic -> AppSync client.

Entry point: `todo_api.handler.lambda_handler`.
"""
