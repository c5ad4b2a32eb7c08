"""The notebook API's Lambda function, behind three kinds of AppSync resolver.

- Query.wordCount: an APPSYNC_JS resolver invokes it with `{action: "wordCount", text}`;
- Query.readingMinutes: a direct Lambda resolver (no resolver code): the event is AppSync's
  context (`arguments`, `identity`, `info`, ...) and the return value is the field's value;
- Query.summarize: the last function of a pipeline, also direct: the notes the previous
  function read arrive in `prev.result`.

A raised exception is the field's error; its class name is the errorType clients see.
"""

from __future__ import annotations

from typing import Any


class InvalidArgument(Exception):
    """The caller asked for something this function cannot answer."""


def handler(event: dict[str, Any], _context: Any) -> Any:
    if "info" not in event:  # an Invoke from resolver code: the payload only
        return word_count(str(event["text"]))
    field = event["info"]["fieldName"]
    if field == "readingMinutes":
        return reading_minutes(event["arguments"])
    if field == "summarize":
        return summarize(event["arguments"]["notebookId"], event["prev"]["result"] or [])
    raise InvalidArgument(f"this function does not resolve {field}")


def word_count(text: str) -> dict[str, int]:
    return {"words": len(text.split()), "characters": len(text)}


def reading_minutes(arguments: dict[str, Any]) -> int:
    per_minute = int(arguments["wordsPerMinute"])
    if per_minute <= 0:
        raise InvalidArgument("wordsPerMinute must be positive")
    return -(-int(arguments["words"]) // per_minute)  # rounded up


def summarize(notebook_id: str, notes: list[dict[str, Any]]) -> dict[str, Any]:
    longest = max(notes, key=lambda note: len(note["text"]), default=None)
    return {
        "notebookId": notebook_id,
        "notes": len(notes),
        "words": sum(len(note["text"].split()) for note in notes),
        "longestNote": longest["text"] if longest else None,
    }
