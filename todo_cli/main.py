"""`todo`: sign in with Cognito, then list, add, complete and delete todos over the REST API.

The stack comes from an outputs file: `--outputs`, else local-outputs.json when the local
runner wrote one, else cdk-outputs.json from `cdk deploy --outputs-file`.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from todo_cli import cognito
from todo_cli.api import TodoApi
from todo_cli.config import StackConfig, load_config
from todo_cli.errors import CliError
from todo_cli.session import (
    default_session_path,
    delete_session,
    save_session,
)
from todo_cli.watch import cmd_watch

Command = Callable[[argparse.Namespace, StackConfig], int]


class Output:
    """Human lines by default; one JSON document per command with --json."""

    def __init__(self, as_json: bool) -> None:
        self.as_json = as_json

    def emit(self, data: Any, human: str) -> None:
        print(json.dumps(data, indent=2) if self.as_json else human)


def todo_line(todo: dict[str, Any], show_owner: bool = False) -> str:
    mark = "x" if todo.get("completed") else " "
    owner = f", owner {todo.get('owner')}" if show_owner else ""
    return f"[{mark}] {todo.get('title')}  ({todo.get('id')}, v{todo.get('version')}{owner})"


# -- commands -------------------------------------------------------------------------------


def cmd_signin(args: argparse.Namespace, config: StackConfig) -> int:
    password = args.password or read_password(f"Password for {args.email}: ")
    session = cognito.sign_in(config, args.email, password)
    path = session_path(args, config)
    save_session(path, session)
    Output(args.json).emit(
        {"email": session.email, "session": str(path), "expiresAt": session.expires_at},
        f"signed in as {session.email} (session saved in {path})",
    )
    return 0


def cmd_signout(args: argparse.Namespace, config: StackConfig) -> int:
    removed = delete_session(session_path(args, config))
    Output(args.json).emit({"signedOut": removed}, "signed out" if removed else "not signed in")
    return 0


def cmd_list(args: argparse.Namespace, config: StackConfig) -> int:
    todos = list(api(args, config).list_all(all_owners=args.all, limit=args.limit))
    lines = [todo_line(todo, show_owner=args.all) for todo in todos]
    human = "\n".join(lines) if lines else "no todos"
    Output(args.json).emit({"items": todos}, human)
    return 0


def cmd_add(args: argparse.Namespace, config: StackConfig) -> int:
    todo = api(args, config).add(args.title)
    Output(args.json).emit(todo, f"added {todo_line(todo)}")
    return 0


def cmd_complete(args: argparse.Namespace, config: StackConfig) -> int:
    client = api(args, config)
    current = client.get(args.id)
    todo = client.update(args.id, current["version"], completed=True)
    Output(args.json).emit(todo, f"completed {todo_line(todo)}")
    return 0


def cmd_delete(args: argparse.Namespace, config: StackConfig) -> int:
    api(args, config).delete(args.id, args.version)
    Output(args.json).emit({"deleted": args.id}, f"deleted {args.id}")
    return 0


def cmd_create_user(args: argparse.Namespace, config: StackConfig) -> int:
    password = args.password or read_password(f"Password for the new user {args.email}: ")
    cognito.create_user(config, args.email, password, args.admin)
    role = "administrator" if args.admin else "user"
    Output(args.json).emit(
        {"email": args.email, "admin": args.admin}, f"created {role} {args.email}"
    )
    return 0


def cmd_token(args: argparse.Namespace, config: StackConfig) -> int:
    path = session_path(args, config)
    session = cognito.current_session(config, path)
    Output(args.json).emit(
        {"idToken": session.id_token, "expiresAt": session.expires_at, "session": str(path)},
        session.id_token,
    )
    return 0


def cmd_output(args: argparse.Namespace, config: StackConfig) -> int:
    if args.key is None:
        Output(args.json).emit(
            dict(config.outputs), "\n".join(f"{k} = {v}" for k, v in config.outputs.items())
        )
        return 0
    if args.key not in config.outputs:
        known = ", ".join(sorted(config.outputs))
        raise CliError(f"stack {config.stack_name} has no output {args.key!r} (it has {known})")
    value = config.outputs[args.key]
    Output(args.json).emit({args.key: value}, value)
    return 0


# -- plumbing -------------------------------------------------------------------------------


def read_password(prompt: str) -> str:
    """Ask without echo on a terminal; otherwise (a pipe, a script) read one line of input."""
    if sys.stdin is None or not sys.stdin.isatty():
        line = sys.stdin.readline() if sys.stdin is not None else ""
        if not line.strip():
            raise CliError("no password given: pass --password, or type it in a terminal")
        return line.rstrip("\r\n")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", getpass.GetPassWarning)
            return getpass.getpass(prompt)
    except EOFError:
        raise CliError("no password given (the input ended): pass --password") from None
    except getpass.GetPassWarning:
        raise CliError("cannot ask for a password without echoing it: pass --password") from None


def session_path(args: argparse.Namespace, config: StackConfig) -> Path:
    return args.session or default_session_path(config.user_pool_client_id)


def api(args: argparse.Namespace, config: StackConfig) -> TodoApi:
    session = cognito.current_session(config, session_path(args, config))
    return TodoApi(config.rest_api_url, session.id_token)


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def add_common_options(parser: argparse.ArgumentParser, **defaults: Any) -> None:
    parser.add_argument("--outputs", type=Path, help="stack outputs file", **defaults)
    parser.add_argument("--stack", help="stack name, when the file holds several", **defaults)
    parser.add_argument("--session", type=Path, help="session file", **defaults)
    parser.add_argument("--json", action="store_true", help="print JSON for scripts", **defaults)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="todo", description=__doc__)
    add_common_options(parser)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    # The same options are accepted after the command; SUPPRESS keeps those given before it.
    after = argparse.ArgumentParser(add_help=False)
    add_common_options(after, default=argparse.SUPPRESS)

    def command(name: str, handler: Command, help_text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, parents=[after])
        sub.set_defaults(handler=handler)
        return sub

    signin = command("signin", cmd_signin, "sign in with email and password")
    signin.add_argument("--email", required=True)
    signin.add_argument("--password", help="prompted for when omitted")
    command("signout", cmd_signout, "forget the saved session")
    listing = command("list", cmd_list, "list your todos (all pages)")
    listing.add_argument("--all", action="store_true", help="every owner's todos (admins only)")
    listing.add_argument("--limit", type=positive_int, help="show at most N todos")
    add = command("add", cmd_add, "add a todo")
    add.add_argument("title")
    complete = command("complete", cmd_complete, "mark a todo completed")
    complete.add_argument("id")
    delete = command("delete", cmd_delete, "delete a todo")
    delete.add_argument("id")
    delete.add_argument("--version", type=positive_int, help="fail with 409 unless current")
    command("watch", cmd_watch, "print changes to your todos as they happen (Ctrl-C stops)")
    command("token", cmd_token, "print your ID token (for curl and the GraphQL explorer)")
    output = command("output", cmd_output, "print a stack output, e.g. RestApiUrl (all if none)")
    output.add_argument("key", nargs="?")
    create_user = command("create-user", cmd_create_user, "create a user (needs admin rights)")
    create_user.add_argument("--email", required=True)
    create_user.add_argument("--password", help="prompted for when omitted")
    create_user.add_argument("--admin", action="store_true", help="add to the admins group")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        config = load_config(args.outputs, args.stack)
        code: int = args.handler(args, config)
        return code
    except CliError as error:
        print(f"error: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as error:  # never a traceback for the user
        print(f"error: unexpected {type(error).__name__}: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
