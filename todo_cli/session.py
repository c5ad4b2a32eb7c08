"""The signed-in user's Cognito tokens, kept in a file only its owner can read (0600)."""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from todo_cli.errors import CliError

APP_DIR = "appsync-lambda-todo"
REFRESH_MARGIN_S = 60  # refresh a token that expires within a minute


@dataclass(frozen=True)
class Session:
    email: str
    id_token: str
    access_token: str
    refresh_token: str | None
    expires_at: float  # epoch seconds

    @property
    def expired(self) -> bool:
        return time.time() + REFRESH_MARGIN_S >= self.expires_at


def default_session_path(client_id: str) -> Path:
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / APP_DIR / f"{client_id}.json"


def save_session(path: Path, session: Session) -> None:
    """Write the tokens with mode 0600 (the directory 0700), replacing any older file."""
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        partial = path.with_name(path.name + ".tmp")
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            json.dump(asdict(session), file)
        os.chmod(partial, 0o600)
        os.replace(partial, path)
    except OSError as error:
        raise CliError(f"cannot save the session in {path}: {error.strerror or error}") from None


def load_session(path: Path) -> Session:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Session(**data)
    except FileNotFoundError:
        raise CliError("not signed in: run `todo signin --email <email>`") from None
    except (ValueError, TypeError):
        raise CliError(f"unreadable session file {path}: run `todo signin` again") from None
    except OSError as error:  # a directory, no permission
        raise CliError(f"cannot read the session file {path}: {error.strerror or error}") from None


def delete_session(path: Path) -> bool:
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    except OSError as error:
        raise CliError(
            f"cannot remove the session file {path}: {error.strerror or error}"
        ) from None
    return True
