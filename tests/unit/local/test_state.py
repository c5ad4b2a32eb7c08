"""Local state across restarts: what comes back, what starts empty, and what a crash leaves.

Each "run" is what `python -m local` does at start-up: open the state directory, start moto
with the saved signing key, provision the template with the state's restore hook. A restart
is simulated in one process by removing the pool and table from moto, as a new process would
not have them.
"""

from __future__ import annotations

import copy
import dataclasses
import logging
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from moto.cognitoidp.models import cognitoidp_backends
from moto.dynamodb.models import dynamodb_backends

from local.appsync import dynamodb as appsync_dynamodb
from local.aws.kinds import LocalResources
from local.aws.provision import provision
from local.aws.server import LocalAws
from local.cognito.tokens import ID_OR_ACCESS_TOKEN, CognitoTokenVerifier
from local.state import STATE_FILE, LocalState, StateError, reset
from local.template import DEFAULT_ACCOUNT, Assembly, load_assembly

REGION = "ap-southeast-2"  # a region no other test module provisions into
FIXTURE = Path(__file__).parent / "fixtures" / "cdk.out"
API = "TodoGraphqlApiC0FFEE01"
API_ARN = f"arn:aws:appsync:{REGION}:123456789012:apis/localapi"
KNOWN_IDS = {API: {"Ref": API_ARN, "Arn": API_ARN, "ApiId": "localapi", "GraphQLUrl": "u"}}
POOL = "TodoAuthUserPool3C7E0B8F"
PASSWORD = "Correct-Horse-42-Battery"


@dataclass
class Run:
    state: LocalState
    aws: LocalAws
    resources: LocalResources

    def cognito(self) -> Any:
        return self.aws.client("cognito-idp")

    def dynamodb(self) -> Any:
        return self.aws.client("dynamodb")


@pytest.fixture
def assembly() -> Assembly:
    return load_assembly(FIXTURE)


@pytest.fixture
def runs() -> Iterator[list[Run]]:
    started: list[Run] = []
    yield started
    for run in started:
        stop(run)


def start(directory: Path | None, assembly: Assembly, runs: list[Run]) -> Run:
    state = LocalState.open(directory, REGION)
    state.use_token_key()
    aws = LocalAws(REGION, signing_key=state.signing_key).start()
    aws.observe_writes(state.changed)
    resources = provision(
        assembly, aws.endpoint, REGION, KNOWN_IDS, restore=state.restorer(assembly)
    )
    state.track(assembly, resources.physical_ids)
    run = Run(state, aws, resources)
    runs.append(run)
    return run


def stop(run: Run) -> None:
    """A clean stop, then forget what a new process would not have."""
    run.state.close()
    run.aws.stop()
    cognitoidp_backends[DEFAULT_ACCOUNT][REGION].user_pools.clear()
    dynamodb_backends[DEFAULT_ACCOUNT][REGION].tables.clear()
    appsync_dynamodb._TOKEN_KEY = os.urandom(32)


def sign_up(run: Run, email: str) -> dict[str, str]:
    cognito, pool = run.cognito(), run.resources.user_pool_id
    cognito.admin_create_user(UserPoolId=pool, Username=email, MessageAction="SUPPRESS")
    cognito.admin_set_user_password(
        UserPoolId=pool, Username=email, Password=PASSWORD, Permanent=True
    )
    cognito.admin_add_user_to_group(UserPoolId=pool, Username=email, GroupName="admins")
    return cognito.initiate_auth(
        ClientId=run.resources.user_pool_client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": email, "PASSWORD": PASSWORD},
    )["AuthenticationResult"]


def put_todo(run: Run, todo_id: str) -> None:
    table = next(iter(run.resources.tables.values()))
    run.dynamodb().put_item(TableName=table, Item={"id": {"S": todo_id}})


def changed_pool(assembly: Assembly) -> Assembly:
    template = copy.deepcopy(assembly.template)
    policies = template["Resources"][POOL]["Properties"].setdefault("Policies", {})
    policies["PasswordPolicy"] = {"MinimumLength": 12}
    return dataclasses.replace(assembly, template=template)


def test_users_groups_items_and_tokens_survive_a_restart(tmp_path: Path, assembly, runs):
    # GIVEN a run that signed a user up (in a group) and stored a todo, then stopped cleanly
    first = start(tmp_path, assembly, runs)
    tokens = sign_up(first, "ana@example.com")
    put_todo(first, "t1")
    before = first.resources
    stop(first)
    # WHEN the stack starts again from the same directory
    second = start(tmp_path, assembly, runs)
    # THEN the pool, client and table keep their ids, so outputs and saved sessions still fit
    after = second.resources
    assert (after.user_pools, after.user_pool_clients, after.tables) == (
        before.user_pools,
        before.user_pool_clients,
        before.tables,
    )
    # AND the user, their group and the item are there
    groups = second.cognito().admin_list_groups_for_user(
        UserPoolId=after.user_pool_id, Username="ana@example.com"
    )["Groups"]
    assert [g["GroupName"] for g in groups] == ["admins"]
    table = next(iter(after.tables.values()))
    item = second.dynamodb().get_item(TableName=table, Key={"id": {"S": "t1"}})
    assert item["Item"] == {"id": {"S": "t1"}}
    # AND the ID token issued before the restart still verifies against the pool's keys
    verifier = CognitoTokenVerifier(
        REGION, after.user_pool_id, jwks=second.state.signing_key.public_jwks
    )
    claims = verifier.verify(tokens["IdToken"], token_uses=ID_OR_ACCESS_TOKEN)
    # AND Cognito itself still accepts the access token (of the same user) and the password
    user = second.cognito().get_user(AccessToken=tokens["AccessToken"])
    sub = next(a["Value"] for a in user["UserAttributes"] if a["Name"] == "sub")
    assert claims["sub"] == sub
    again = second.cognito().initiate_auth(
        ClientId=after.user_pool_client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "ana@example.com", "PASSWORD": PASSWORD},
    )
    assert "IdToken" in again["AuthenticationResult"]


def test_page_tokens_are_signed_with_the_same_key_after_a_restart(tmp_path: Path, assembly, runs):
    # GIVEN a run whose nextTokens are signed with its state's key
    first = start(tmp_path, assembly, runs)
    key = appsync_dynamodb._TOKEN_KEY
    assert key == first.state.token_key
    stop(first)  # also gives the process a new key, as a new process would have
    # WHEN the stack restarts from the saved state
    start(tmp_path, assembly, runs)
    # THEN tokens are signed (and checked) with the same key, so earlier ones stay valid
    signing_now = appsync_dynamodb._TOKEN_KEY
    assert signing_now == key


def test_a_pool_whose_definition_changed_starts_empty(tmp_path: Path, assembly, runs, caplog):
    first = start(tmp_path, assembly, runs)
    sign_up(first, "ana@example.com")
    put_todo(first, "t1")
    old_pool = first.resources.user_pool_id
    stop(first)
    # WHEN the template's pool changes (a new password policy) before the next start
    with caplog.at_level(logging.INFO, logger="local.state"):
        second = start(tmp_path, changed_pool(assembly), runs)
    # THEN the pool is a new, empty one, and the log says why in one line
    assert second.resources.user_pool_id != old_pool
    users = second.cognito().list_users(UserPoolId=second.resources.user_pool_id)["Users"]
    assert users == []
    assert any(POOL in r.message and "starts empty" in r.message for r in caplog.records)
    # AND the unchanged table keeps its items
    table = next(iter(second.resources.tables.values()))
    assert second.dynamodb().scan(TableName=table)["Count"] == 1


def test_a_crash_while_saving_leaves_the_previous_state_readable(
    tmp_path: Path, assembly, runs, monkeypatch
):
    # GIVEN a saved state with one todo
    first = start(tmp_path, assembly, runs)
    put_todo(first, "t1")
    assert first.state.save()
    saved = (tmp_path / STATE_FILE).read_bytes()
    # WHEN the process dies between writing the new file and putting it in place
    put_todo(first, "t2")

    def crash(*_args: Any) -> None:
        raise OSError("killed")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="killed"):
        first.state.save()
    monkeypatch.undo()
    # THEN the state file is the previous, complete one
    assert (tmp_path / STATE_FILE).read_bytes() == saved


def test_an_unreadable_state_file_is_set_aside_and_the_stack_starts_empty(
    tmp_path: Path, assembly, runs, caplog
):
    directory = tmp_path / "TodoStack-test"
    directory.mkdir()
    (directory / STATE_FILE).write_bytes(b"not a saved state")
    with caplog.at_level(logging.WARNING, logger="local.state"):
        run = start(directory, assembly, runs)
    assert run.cognito().list_users(UserPoolId=run.resources.user_pool_id)["Users"] == []
    assert (directory / f"{STATE_FILE}.unreadable").read_bytes() == b"not a saved state"
    assert any("cannot be read" in r.message for r in caplog.records)


def test_a_second_runner_on_the_same_directory_is_refused_with_what_to_do(tmp_path: Path):
    held = LocalState.open(tmp_path, REGION)
    try:
        with pytest.raises(StateError, match="--ephemeral"):
            LocalState.open(tmp_path, REGION)
    finally:
        held.close()
    LocalState.open(tmp_path, REGION).close()  # free again once the first one stopped


def test_a_throw_away_run_writes_nothing(tmp_path: Path, assembly, runs, monkeypatch):
    monkeypatch.chdir(tmp_path)
    run = start(None, assembly, runs)
    put_todo(run, "t1")
    assert run.state.save() is False
    stop(run)
    runs.clear()
    assert list(tmp_path.iterdir()) == []


def test_a_write_is_saved_by_itself_and_reads_rewrite_nothing(tmp_path: Path, assembly, runs):
    # GIVEN a running stack saving in the background
    run = start(tmp_path, assembly, runs)
    run.state.start_autosave(interval_s=0.05)
    path = tmp_path / STATE_FILE
    # WHEN a todo is written through the moto endpoint
    put_todo(run, "written-by-a-request")
    # THEN the state file soon holds it, without a stop
    deadline = time.monotonic() + 30
    while not (path.exists() and b"written-by-a-request" in path.read_bytes()):
        assert time.monotonic() < deadline, "the write was never saved"
        time.sleep(0.05)
    # AND requests that only read leave the file alone
    written = path.stat().st_mtime_ns
    table = next(iter(run.resources.tables.values()))
    run.dynamodb().scan(TableName=table)
    run.cognito().list_users(UserPoolId=run.resources.user_pool_id)
    time.sleep(0.5)  # ten rounds of the saver
    assert path.stat().st_mtime_ns == written


def test_reset_refuses_while_a_stack_runs_then_deletes_only_the_saved_stacks(tmp_path: Path):
    state_dir = tmp_path / ".local"
    held = LocalState.open(state_dir / "TodoApp-dev", REGION)
    (state_dir / "TodoApp-dev" / STATE_FILE).write_bytes(b"saved")
    (state_dir / "tls").mkdir()  # something else kept in the same directory
    try:
        with pytest.raises(StateError, match="stop it first"):
            reset(state_dir)
        assert (state_dir / "TodoApp-dev" / STATE_FILE).exists()
    finally:
        held.close()
    assert reset(state_dir) == [state_dir / "TodoApp-dev"]
    assert [p.name for p in state_dir.iterdir()] == ["tls"]
    assert reset(state_dir) == []  # nothing left to reset
