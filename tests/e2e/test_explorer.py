"""The GraphQL explorer a browser gets on the local GraphQL URL, and the introspection it uses.

The dev stage leaves AppSync's IntrospectionConfig at ENABLED, so introspection answers any
caller the API admits:
https://docs.aws.amazon.com/appsync/latest/devguide/configuration-limits.html
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import requests
from e2e_support import RunningStack, User

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


class _Scripts(HTMLParser):
    """The text of each `<script id=...>` of the page."""

    def __init__(self) -> None:
        super().__init__()
        self.by_id: dict[str, str] = {}
        self._current: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script":
            self._current = dict(attrs).get("id") or ""
            self.by_id[self._current] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._current = None

    def handle_data(self, data: str) -> None:
        if self._current is not None:
            self.by_id[self._current] += data


def explorer_page(stack: RunningStack) -> str:
    response = requests.get(
        stack.outputs["GraphQLUrl"], headers={"Accept": BROWSER_ACCEPT}, timeout=10
    )
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    return response.text


def page_scripts(stack: RunningStack) -> dict[str, str]:
    parser = _Scripts()
    parser.feed(explorer_page(stack))
    return parser.by_id


def test_a_browser_gets_a_self_contained_explorer_with_a_token_field(stack: RunningStack):
    page = explorer_page(stack)
    # THEN it asks for an ID token, and loads nothing from anywhere else
    assert 'id="token"' in page and "ID token" in page
    assert re.search(r"https?://", page) is None
    assert re.search(r"<(script|link|img)[^>]+(src|href)=", page) is None


def test_the_explorers_introspection_reads_the_schema_as_a_user(stack: RunningStack, alice: User):
    scripts = page_scripts(stack)
    # WHEN a signed-in user sends the two queries the explorer sends to draw the schema
    first = alice.graphql(scripts["introspection-query"]).json()
    assert "errors" not in first, first
    names = [t["name"] for t in first["data"]["__schema"]["types"]]
    assert {"Query", "Mutation", "Subscription", "Todo", "CreateTodoInput"} <= set(names)
    selection = scripts["type-selection"]
    second = alice.graphql(
        "query SchemaFields {"
        f' q: __type(name: "Query") {{ name kind {selection} }}'
        f' t: __type(name: "Todo") {{ name kind {selection} }}'
        f' i: __type(name: "UpdateTodoInput") {{ name kind {selection} }} }}'
    ).json()
    # THEN both fit the dev stage's depth limit, and the fields and their types come back
    assert "errors" not in second, second
    query_fields = {f["name"]: f for f in second["data"]["q"]["fields"]}
    assert [a["name"] for a in query_fields["getTodo"]["args"]] == ["id"]
    todo_id = next(f for f in second["data"]["t"]["fields"] if f["name"] == "id")
    assert todo_id["type"] == {
        "kind": "NON_NULL",
        "name": None,
        "ofType": {"kind": "SCALAR", "name": "ID"},
    }
    inputs = {f["name"] for f in second["data"]["i"]["inputFields"]}
    assert inputs == {"id", "title", "completed", "expectedVersion"}


def test_the_explorers_starting_query_runs_on_any_api(stack: RunningStack, alice: User):
    # The explorer is part of the runner, which knows no API's fields: it starts with one that
    # every schema has.
    body = alice.graphql(page_scripts(stack)["default-query"]).json()
    assert body == {"data": {"__typename": "Query"}}


def test_introspection_without_a_token_is_refused_like_any_request(stack: RunningStack):
    response = requests.post(
        stack.outputs["GraphQLUrl"], json={"query": "{ __schema { types { name } } }"}, timeout=10
    )
    assert response.status_code == 401
    assert response.json()["errors"][0]["errorType"] == "UnauthorizedException"


def test_a_get_that_is_not_from_a_browser_still_reaches_the_realtime_endpoint(
    stack: RunningStack,
):
    response = requests.get(stack.outputs["GraphQLUrl"], timeout=10)
    assert response.status_code == 400
    assert "WebSocket" in response.json()["errors"][0]["message"]
