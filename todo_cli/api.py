"""The REST API client: one `requests.Session`, the ID token, timeouts, one error shape."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import requests

from todo_cli.errors import CliError

TIMEOUT = (5, 30)  # seconds to connect, seconds to read
MAX_PAGE = 100
# The function's title rule (lambda_src/todo_api/models.py; tests/unit/cli pins the two together).
TITLE_MAX_CHARS = 256
_CONTROL_OR_SURROGATE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def check_title(title: str) -> None:
    """Refuse a title the function would refuse, with the function's own message.

    API Gateway's body model stops an empty title before the function runs, with only
    "Invalid request body"; checking here tells the user what is wrong instead.
    """
    trimmed = title.strip()
    problem = None
    if not trimmed:
        problem = "must not be empty or only whitespace"
    elif len(trimmed) > TITLE_MAX_CHARS:
        problem = f"must be at most {TITLE_MAX_CHARS} characters (got {len(trimmed)})"
    elif _CONTROL_OR_SURROGATE.search(trimmed):
        problem = "must not contain control characters"
    if problem:
        raise CliError(f"Invalid input: title: {problem}.")


class ApiError(CliError):
    """The API answered with an error: `{"code", "message"}` (or API Gateway's `{"message"}`)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code


class TodoApi:
    def __init__(self, base_url: str, id_token: str, http: requests.Session | None = None):
        self.base_url = base_url.rstrip("/")
        self.http = http or requests.Session()
        # The Cognito authorizer reads the raw ID token from the Authorization header.
        self.http.headers.update({"Authorization": id_token, "Accept": "application/json"})

    def list_page(
        self, *, all_owners: bool, limit: int | None, next_token: str | None
    ) -> dict[str, Any]:
        params: dict[str, Any] = {}
        if all_owners:
            params["scope"] = "all"
        if limit is not None:
            params["limit"] = limit
        if next_token:
            params["nextToken"] = next_token
        return self._call("GET", "/items", params=params)

    def list_all(self, *, all_owners: bool = False, limit: int | None = None) -> Iterator[dict]:
        """Every todo, following `nextToken`; at most `limit` of them when given."""
        next_token: str | None = None
        remaining = limit
        while remaining is None or remaining > 0:
            page_size = None if remaining is None else min(remaining, MAX_PAGE)
            page = self.list_page(all_owners=all_owners, limit=page_size, next_token=next_token)
            items = page.get("items", [])
            if remaining is not None:
                items = items[:remaining]
                remaining -= len(items)
            yield from items
            next_token = page.get("nextToken")
            if not next_token:
                return

    def get(self, todo_id: str) -> dict[str, Any]:
        return self._call("GET", f"/items/{_segment(todo_id)}")

    def add(self, title: str) -> dict[str, Any]:
        check_title(title)
        return self._call("POST", "/items", json={"title": title})

    def update(self, todo_id: str, version: int, **changes: Any) -> dict[str, Any]:
        return self._call(
            "PATCH", f"/items/{_segment(todo_id)}", json={**changes, "version": version}
        )

    def delete(self, todo_id: str, version: int | None = None) -> None:
        params = {"version": version} if version is not None else None
        self._call("DELETE", f"/items/{_segment(todo_id)}", params=params)

    def _call(self, method: str, path: str, **options: Any) -> Any:
        url = self.base_url + path
        try:
            response = self.http.request(method, url, timeout=TIMEOUT, **options)
        except requests.Timeout:
            raise CliError(f"{method} {url} timed out") from None
        except requests.RequestException as error:
            raise CliError(f"cannot reach {url}: {type(error).__name__}") from None
        if response.status_code >= 400:
            raise _api_error(response)
        if response.status_code == 204 or not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            raise CliError(
                f"{method} {url} answered {response.status_code} with non-JSON"
            ) from None


def _api_error(response: requests.Response) -> ApiError:
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and "message" in body:
        code = str(body.get("code") or response.reason or "Error")
        return ApiError(response.status_code, code, str(body["message"]))
    text = response.text.strip().splitlines()[0][:200] if response.text.strip() else ""
    return ApiError(response.status_code, response.reason or "Error", text or "no details")


def _segment(value: str) -> str:
    return requests.utils.quote(value, safe="")
