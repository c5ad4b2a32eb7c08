"""The runner serves any stack: nothing in local/ names this project's todo domain."""

import re
from pathlib import Path

LOCAL = Path(__file__).resolve().parents[3] / "local"


def test_no_file_of_the_runner_names_the_todo_domain() -> None:
    named = [
        f"{path.relative_to(LOCAL)}:{number}"
        for path in sorted(LOCAL.rglob("*"))
        if path.is_file() and path.suffix in {".py", ".js", ".mjs", ".html", ".graphql", ".json"}
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if re.search(r"todo", line, re.IGNORECASE)
    ]
    assert named == []
