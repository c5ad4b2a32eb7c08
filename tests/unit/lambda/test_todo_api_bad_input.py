"""Bad input is refused at the edge: 400 (or 413) with a clear message, and no upstream call."""

from __future__ import annotations

import base64
import json

import pytest
from todo_api_fakes import ALICE, TODO_ID, FakeTodoClient, invoke, load_event, make_todo

pytestmark = pytest.mark.filterwarnings("ignore:No application metrics to publish")


def _with_body(event_name: str, body: str | None) -> dict:
    event = load_event(event_name)
    event["body"] = body
    return event


def _with_query(event_name: str, query: dict[str, list[str]] | None) -> dict:
    event = load_event(event_name)
    event["multiValueQueryStringParameters"] = query
    event["queryStringParameters"] = {k: v[-1] for k, v in query.items()} if query else None
    return event


def _with_path_id(event_name: str, todo_id: str) -> dict:
    event = load_event(event_name)
    event["path"] = f"/items/{todo_id}"
    event["pathParameters"] = {"id": todo_id}
    return event


CREATE = "create_item.json"
UPDATE = "update_item.json"
LIST = "list_items.json"
DELETE = "delete_item.json"
GET = "get_item.json"

# (kind of bad input, event, words the message must contain)
BAD_INPUTS = [
    ("missing body", _with_body(CREATE, None), "body is required"),
    ("empty body", _with_body(CREATE, ""), "body is required"),
    ("invalid JSON", _with_body(CREATE, '{"title": "x",}'), "not valid JSON"),
    ("truncated JSON", _with_body(CREATE, '{"title": "x"'), "not valid JSON"),
    ("JSON array body", _with_body(CREATE, '["title"]'), "must be a JSON object, not an array"),
    ("JSON string body", _with_body(CREATE, '"title"'), "must be a JSON object, not a string"),
    ("JSON null body", _with_body(CREATE, "null"), "must be a JSON object, not null"),
    ("duplicate key", _with_body(CREATE, '{"title": "a", "title": "b"}'), "duplicate key"),
    ("NaN in JSON", _with_body(CREATE, '{"title": "a", "completed": NaN}'), "NaN"),
    ("missing title", _with_body(CREATE, '{"completed": true}'), "title: is required"),
    ("empty title", _with_body(CREATE, '{"title": ""}'), "title: must not be empty"),
    ("whitespace title", _with_body(CREATE, '{"title": " \\t\\n "}'), "must not be empty"),
    ("too long title", _with_body(CREATE, json.dumps({"title": "x" * 257})), "at most 256"),
    ("control character", _with_body(CREATE, '{"title": "a\\u0007b"}'), "control characters"),
    ("C1 control char", _with_body(CREATE, '{"title": "a\\u0085b"}'), "control characters"),
    ("lone surrogate", _with_body(CREATE, '{"title": "a\\ud800b"}'), "control characters"),
    ("numeric title", _with_body(CREATE, '{"title": 42}'), "title: must be a string"),
    ("string completed", _with_body(CREATE, '{"title": "a", "completed": "yes"}'), "true or false"),
    ("numeric completed", _with_body(CREATE, '{"title": "a", "completed": 1}'), "true or false"),
    ("unknown field", _with_body(CREATE, '{"title": "a", "priority": 1}'), "priority: is not a"),
    ("owner in body", _with_body(CREATE, '{"title": "a", "owner": "x"}'), "owner: is not a"),
    ("query on create", _with_query(CREATE, {"dryRun": ["1"]}), "dryRun: is not a known"),
    ("limit zero", _with_query(LIST, {"limit": ["0"]}), "limit: must be between 1 and 100"),
    ("limit too big", _with_query(LIST, {"limit": ["101"]}), "limit: must be between 1 and 100"),
    ("limit not a number", _with_query(LIST, {"limit": ["abc"]}), "limit: must be a whole number"),
    ("negative limit", _with_query(LIST, {"limit": ["-5"]}), "limit: must be a whole number"),
    ("decimal limit", _with_query(LIST, {"limit": ["2.5"]}), "limit: must be a whole number"),
    ("repeated limit", _with_query(LIST, {"limit": ["5", "6"]}), "limit: must be given once"),
    ("unknown query param", _with_query(LIST, {"owner": ["someone"]}), "owner: is not a known"),
    (
        "bad scope",
        _with_query(LIST, {"scope": ["everyone"]}),
        'scope: the only accepted value is "all"',
    ),
    ("empty nextToken", _with_query(LIST, {"nextToken": [""]}), "nextToken: must be 1 to"),
    ("missing version on PATCH", _with_body(UPDATE, '{"title": "a"}'), "version: is required"),
    ("string version", _with_body(UPDATE, '{"title": "a", "version": "1"}'), "must be an integer"),
    (
        "boolean version",
        _with_body(UPDATE, '{"title": "a", "version": true}'),
        "must be an integer",
    ),
    ("float version", _with_body(UPDATE, '{"title": "a", "version": 1.5}'), "must be an integer"),
    (
        "zero version",
        _with_body(UPDATE, '{"title": "a", "version": 0}'),
        "version: must be between",
    ),
    (
        "version over Int",
        _with_body(UPDATE, '{"completed": true, "version": 2147483648}'),
        "between",
    ),
    ("nothing to update", _with_body(UPDATE, '{"version": 1}'), "at least one of title, completed"),
    ("null title on PATCH", _with_body(UPDATE, '{"title": null, "version": 1}'), "not null"),
    ("unknown field on PATCH", _with_body(UPDATE, '{"done": true, "version": 1}'), "done: is not"),
    ("bad DELETE version", _with_query(DELETE, {"version": ["abc"]}), "version: must be a whole"),
    ("zero DELETE version", _with_query(DELETE, {"version": ["0"]}), "version: must be between"),
    ("unknown DELETE param", _with_query(DELETE, {"force": ["true"]}), "force: is not a known"),
    ("query on GET item", _with_query(GET, {"fields": ["title"]}), "fields: is not a known"),
    ("bad id characters", _with_path_id(GET, "a%20b"), "id: must be 1 to 128"),
    ("too long id", _with_path_id(GET, "a" * 129), "id: must be 1 to 128"),
]


@pytest.mark.parametrize(
    ("event", "expected_words"),
    [pytest.param(event, words, id=kind) for kind, event, words in BAD_INPUTS],
)
def test_bad_input_is_400_with_a_clear_message_and_no_upstream_call(
    fake_client: FakeTodoClient, event: dict, expected_words: str
):
    # GIVEN Alice's todo exists (so only the input can be at fault)
    fake_client.add(make_todo(TODO_ID, ALICE))

    # WHEN the bad request is handled
    response = invoke(event)

    # THEN it is a 400 in the error shape, saying what is wrong, and AppSync was never called
    assert response.status == 400, response.text
    assert response.json["code"] in {"bad_request", "validation_failed"}
    assert expected_words in response.json["message"]
    assert fake_client.calls == []


def test_bad_input_kinds_are_at_least_twenty():
    assert len({kind for kind, _, _ in BAD_INPUTS}) >= 20


def test_validation_errors_list_every_problem_in_details(fake_client: FakeTodoClient):
    # GIVEN a body that breaks three rules at once
    event = _with_body(CREATE, json.dumps({"title": "", "completed": "no", "tags": []}))

    # WHEN it is handled
    response = invoke(event)

    # THEN each broken rule is listed by field
    assert response.status == 400
    assert response.json["code"] == "validation_failed"
    assert {detail["field"] for detail in response.json["details"]} == {
        "title",
        "completed",
        "tags",
    }


def test_a_title_of_exactly_256_characters_is_accepted(fake_client: FakeTodoClient):
    event = _with_body(CREATE, json.dumps({"title": "x" * 256}))

    response = invoke(event)

    assert response.status == 201


def test_a_body_over_16_kib_is_413_without_upstream_call(fake_client: FakeTodoClient):
    # GIVEN a body just over 16 KiB
    event = _with_body(CREATE, json.dumps({"title": "a", "pad": "x" * 16 * 1024}))

    # WHEN it is handled
    response = invoke(event)

    # THEN it is refused as too large
    assert response.status == 413
    assert response.json["code"] == "payload_too_large"
    assert fake_client.calls == []


def test_a_base64_body_is_decoded_before_parsing(fake_client: FakeTodoClient):
    # GIVEN API Gateway passed the body base64-encoded
    event = _with_body(CREATE, base64.b64encode(b'{"title": "From base64"}').decode())
    event["isBase64Encoded"] = True

    # WHEN it is handled
    response = invoke(event)

    # THEN it is read like a plain body
    assert response.status == 201
    assert response.json["title"] == "From base64"
