"""A fresh signed-in user for a benchmark, through the same Cognito calls as the `todo` CLI."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from todo_cli import cognito
from todo_cli.config import StackConfig
from todo_cli.watch import token_subject

PASSWORD = "Bench-Mark-Passw0rd!"


@dataclass(frozen=True)
class SignedIn:
    sub: str
    id_token: str


def signed_in_user(outputs: dict[str, str]) -> SignedIn:
    config = StackConfig.from_outputs("local", outputs)
    email = f"bench-{secrets.token_hex(4)}@example.com"
    cognito.create_user(config, email, PASSWORD, admin=False)
    session = cognito.sign_in(config, email, PASSWORD)
    return SignedIn(token_subject(session.id_token), session.id_token)
