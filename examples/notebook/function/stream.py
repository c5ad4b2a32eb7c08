"""Keeps each notebook's `words` total from the Notes table's stream.

Wired as a DynamoDB event source (notebook_stack.py) whose filter passes only INSERT records,
so every new note adds its word count to its notebook. A record that cannot be applied is
reported as a batch item failure, so the stream retries from it and no count is lost.
"""

from __future__ import annotations

import os
from typing import Any

import boto3

TABLE = boto3.resource("dynamodb").Table(os.environ["NOTEBOOKS_TABLE"])


def handler(event: dict[str, Any], _context: Any) -> dict[str, list[dict[str, str]]]:
    for record in event["Records"]:
        image = record["dynamodb"]["NewImage"]
        try:
            TABLE.update_item(
                Key={"id": image["notebookId"]["S"]},
                UpdateExpression="ADD words :n",
                ConditionExpression="attribute_exists(id)",
                ExpressionAttributeValues={":n": len(image["text"]["S"].split())},
            )
        except TABLE.meta.client.exceptions.ConditionalCheckFailedException:
            continue  # the notebook is gone: nothing to count
        except Exception:
            failed = record["dynamodb"]["SequenceNumber"]
            return {"batchItemFailures": [{"itemIdentifier": failed}]}
    return {"batchItemFailures": []}
