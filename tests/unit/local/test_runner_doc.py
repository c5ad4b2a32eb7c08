"""docs/local-runner.md names every resource type the runner creates, serves or skips."""

from pathlib import Path

from local.aws.provision import HANDLED_ELSEWHERE, IGNORED_TYPES, KINDS

DOC = (Path(__file__).resolve().parents[3] / "docs" / "local-runner.md").read_text()


def test_every_known_resource_type_is_documented() -> None:
    known = set(KINDS) | set(HANDLED_ELSEWHERE) | set(IGNORED_TYPES)
    assert {name for name in known if f"`{name}`" not in DOC} == set()


def test_the_doc_names_no_type_the_runner_does_not_know() -> None:
    named = {word.strip("`,.():") for word in DOC.split() if word.startswith("`AWS::")}
    known = set(KINDS) | set(HANDLED_ELSEWHERE) | set(IGNORED_TYPES)
    assert named - known == set()
