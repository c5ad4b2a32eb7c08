"""What the local stack keeps across restarts, in one directory (`.local/<stack name>/`).

Kept: the template's Cognito user pools (users, passwords, groups, app clients and the tokens
they issued), its DynamoDB tables with their items, the RSA key Cognito tokens are signed with
(so a token issued before a restart is still valid after it) and the key that signs AppSync
nextTokens. Made again from the template on every start: IAM roles and policies, STS
credentials, the AppSync and REST endpoints.

A saved pool or table comes back only while its definition in the template is unchanged (for a
pool: the pool, its app clients and its groups); after an edit it starts empty, as a resource
CloudFormation replaces would, and the log says so once.

The state is one pickle of moto's own model objects, written atomically (a temporary file,
fsync, rename): within about a second of a request that may have changed something, and on a
clean stop; reads cost nothing. A crash loses at most the last second of writes and never leaves
a half-written file. A lock file keeps two runners from sharing one directory.
"""

from __future__ import annotations

import copyreg
import fcntl
import hashlib
import io
import json
import logging
import os
import pickle
import secrets
import shutil
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import moto
from joserfc import jwk
from moto.cognitoidp.models import cognitoidp_backends
from moto.dynamodb.models import dynamodb_backends

from local.appsync import dynamodb as appsync_dynamodb
from local.aws.provision import Restore
from local.cognito.signing_key import SigningKey
from local.template import DEFAULT_ACCOUNT, Assembly

log = logging.getLogger("local.state")

FORMAT_VERSION = 1
STATE_FILE = "state.pickle"
LOCK_FILE = "lock"
SAVE_INTERVAL_S = 1.0
USER_POOL = "AWS::Cognito::UserPool"
TABLES = ("AWS::DynamoDB::Table", "AWS::DynamoDB::GlobalTable")
POOL_MEMBERS = ("AWS::Cognito::UserPoolClient", "AWS::Cognito::UserPoolGroup")


class StateError(Exception):
    """The state directory cannot be used (another runner holds it, or it is not writable)."""


@dataclass
class _Unit:
    """A pool (with its clients and groups) or a table: what is restored or dropped as one."""

    root: str  # the pool's or table's logical id
    type_name: str
    fingerprint: str  # of the Type and Properties of every member in the template
    ids: dict[str, Any]  # member logical id -> the ids provisioning recorded for it
    model: Any = None  # moto's CognitoIdpUserPool or Table


class LocalState:
    """The keys of this run and, unless throw-away, the saved pools and tables."""

    def __init__(self, directory: Path | None, region: str) -> None:
        self.directory = directory
        self.region = region
        self._signing_key: SigningKey | None = None  # the saved one, else made when first asked
        self.token_key = secrets.token_bytes(32)
        self._saved: dict[str, _Unit] = {}
        self._live: dict[str, _Unit] = {}
        self._restorable: dict[str, _Unit] = {}  # member logical id -> its saved unit
        self._lock: IO[str] | None = None
        self._last_digest = ""
        self._changed = False  # set after each write request; the saver clears it, then saves
        self._save_lock = threading.Lock()
        self._stop = threading.Event()
        self._saver: threading.Thread | None = None

    @classmethod
    def open(cls, directory: Path | None, region: str) -> LocalState:
        """Throw-away when `directory` is None; else lock it and read what it holds."""
        state = cls(directory, region)
        if directory is not None:
            state._acquire()
            state._load()
        return state

    @property
    def signing_key(self) -> SigningKey:
        """The key Cognito tokens are signed with: the saved one, else one made for this state.

        Made only when no saved key was loaded: generating an RSA key takes ~0.2 s of start-up."""
        if self._signing_key is None:
            self._signing_key = SigningKey.generate()
        return self._signing_key

    @property
    def persistent(self) -> bool:
        return self.directory is not None

    @property
    def path(self) -> Path | None:
        return self.directory / STATE_FILE if self.directory else None

    def use_token_key(self) -> None:
        """Sign AppSync nextTokens with this state's key, so saved page tokens stay valid."""
        if self.persistent:
            appsync_dynamodb.use_token_key(self.token_key)

    # -- provisioning ------------------------------------------------------------------------

    def restorer(self, assembly: Assembly) -> Restore:
        """Decide what comes back (unchanged definitions only) and return provisioning's hook."""
        current = {unit.root: unit for unit in _units(assembly)}
        self._restorable = {}
        for root, saved in self._saved.items():
            unit = current.get(root)
            if unit is None:
                log.info("%s is no longer in the template: its saved data is dropped", root)
            elif unit.fingerprint != saved.fingerprint or unit.type_name != saved.type_name:
                log.warning(
                    "%s changed in the template since the last run: it starts empty "
                    "(`make reset` clears everything)",
                    root,
                )
            else:
                self._restorable.update(dict.fromkeys(saved.ids, saved))
        restored = {unit.root for unit in self._restorable.values()}
        if restored:
            log.info("restored from %s: %s", self.directory, ", ".join(sorted(restored)))
        return self._restore

    def _restore(self, logical_id: str, resource: dict[str, Any]) -> dict[str, Any] | None:
        unit = self._restorable.get(logical_id)
        if unit is None:
            return None
        if logical_id == unit.root:
            _install(unit, self.region)
        ids: dict[str, Any] = unit.ids[logical_id]
        return ids

    def track(self, assembly: Assembly, physical_ids: Mapping[str, Any]) -> None:
        """After provisioning: the live pools and tables that `save` writes."""
        live = {}
        for unit in _units(assembly):
            if unit.root not in physical_ids:  # its Condition is false: not provisioned
                continue
            unit.ids = {
                member: physical_ids[member] for member in unit.ids if member in physical_ids
            }
            unit.model = _model(unit, self.region)
            live[unit.root] = unit
        self._live = live

    # -- saving ------------------------------------------------------------------------------

    def changed(self) -> None:
        """A request that may have changed a pool or table has been handled."""
        self._changed = True

    def start_autosave(self, interval_s: float = SAVE_INTERVAL_S) -> None:
        if not self.persistent or self._saver is not None:
            return

        def run() -> None:
            while not self._stop.wait(interval_s):
                if self._changed:
                    self._changed = False  # a write finishing during the save sets it again
                    self._save_quietly()

        self._saver = threading.Thread(target=run, name="local-state", daemon=True)
        self._saver.start()

    def close(self) -> None:
        """Stop saving in the background, save once more (if the start got that far), unlock."""
        self._stop.set()
        if self._saver is not None:
            self._saver.join(10)
            self._saver = None
        if self._live:
            self._save_quietly()
        if self._lock is not None:
            self._lock.close()  # closing the file releases the lock
            self._lock = None

    def save(self) -> bool:
        """Write the state if it changed since the last write; True when written."""
        if self.path is None or not self._live:
            return False
        with self._save_lock:
            data = self._dump()
            digest = hashlib.sha256(data).hexdigest()
            if digest == self._last_digest:
                return False
            _write_atomically(self.path, data)
            self._last_digest = digest
            return True

    def _save_quietly(self) -> None:
        for _attempt in range(3):
            try:
                self.save()
                return
            except RuntimeError:  # a request changed a dict while it was being pickled
                continue
            except OSError as error:
                log.error("could not save the local state to %s: %s", self.path, error)
                break
        self._changed = True  # not saved: try again on the next round

    def _dump(self) -> bytes:
        envelope = {
            "format": FORMAT_VERSION,
            "moto": moto.__version__,
            "region": self.region,
            "signing_key": self.signing_key.key.as_dict(private=True),
            "token_key": self.token_key,
            "units": self._live,
        }
        buffer = io.BytesIO()
        pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
        # The pools hold the signing key object, which cannot be pickled; it is saved above as
        # a JWK and put back into every restored pool.
        pickler.dispatch_table = {
            **copyreg.dispatch_table,
            type(self.signing_key.key): _reduce_signing_key,
        }
        pickler.dump(envelope)
        return buffer.getvalue()

    # -- loading -----------------------------------------------------------------------------

    def _acquire(self) -> None:
        assert self.directory is not None
        self._lock = _lock(
            self.directory, "or run this one with --ephemeral or another --state-dir"
        )
        self._lock.seek(0)
        self._lock.truncate()
        self._lock.write(str(os.getpid()))
        self._lock.flush()

    def _load(self) -> None:
        path = self.path
        assert path is not None
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return
        try:
            envelope = _unpickle(data)
            problem = self._incompatibility(envelope)
        except Exception as error:  # a damaged file must not stop the stack: set it aside
            problem = f"it cannot be read ({type(error).__name__}: {error})"
        if problem:
            aside = path.with_name(f"{STATE_FILE}.unreadable")
            os.replace(path, aside)
            log.warning("saved state not used, %s; starting empty (kept as %s)", problem, aside)
            return
        self._signing_key = SigningKey(jwk.RSAKey.import_key(envelope["signing_key"]))
        self.token_key = envelope["token_key"]
        self._saved = envelope["units"]
        for unit in self._saved.values():
            if unit.type_name == USER_POOL:
                unit.model.json_web_key = self.signing_key.key
        self._last_digest = hashlib.sha256(data).hexdigest()

    def _incompatibility(self, envelope: Any) -> str:
        if not isinstance(envelope, dict) or envelope.get("format") != FORMAT_VERSION:
            return "it was written by another version of the local runner"
        if envelope.get("moto") != moto.__version__:
            return f"it was written with moto {envelope.get('moto')}, not {moto.__version__}"
        if envelope.get("region") != self.region:
            return f"it is for region {envelope.get('region')}, not {self.region}"
        return ""


def reset(state_dir: Path) -> list[Path]:
    """Delete each stack's saved state under `state_dir` (nothing else there); refused while a
    stack is using it. Returns the directories removed."""
    stacks = sorted(
        {p.parent for name in (LOCK_FILE, STATE_FILE) for p in state_dir.glob(f"*/{name}")}
    )
    locks = [_lock(directory, "before resetting") for directory in stacks]
    try:
        for directory in stacks:
            shutil.rmtree(directory)
    finally:
        for lock in locks:
            lock.close()
    return stacks


def _lock(directory: Path, advice: str) -> IO[str]:
    """The directory's lock, held until the returned file is closed."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        lock = (directory / LOCK_FILE).open("a+", encoding="utf-8")
    except OSError as error:
        raise StateError(f"cannot use the state directory {directory}: {error}") from None
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        lock.seek(0)
        holder = lock.read().strip() or "another process"
        lock.close()
        raise StateError(
            f"another local stack (pid {holder}) is using {directory}: stop it first, {advice}"
        ) from None
    return lock


def _units(assembly: Assembly) -> Iterator[_Unit]:
    """The template's pools (each with the clients and groups that name it) and tables."""
    resources = assembly.all_resources()
    for logical_id, resource in resources.items():
        type_name = resource.get("Type")
        if type_name != USER_POOL and type_name not in TABLES:
            continue
        members = [logical_id]
        if type_name == USER_POOL:
            members += [
                other
                for other, candidate in resources.items()
                if candidate.get("Type") in POOL_MEMBERS
                and candidate.get("Properties", {}).get("UserPoolId") == {"Ref": logical_id}
            ]
        definition = {
            member: {k: resources[member].get(k) for k in ("Type", "Properties", "Condition")}
            for member in members
        }
        text = json.dumps(definition, sort_keys=True, separators=(",", ":"))
        yield _Unit(
            root=logical_id,
            type_name=type_name,
            fingerprint=hashlib.sha256(text.encode()).hexdigest(),
            ids=dict.fromkeys(members),
        )


def _model(unit: _Unit, region: str) -> Any:
    physical = unit.ids[unit.root]["Ref"]
    if unit.type_name == USER_POOL:
        return cognitoidp_backends[DEFAULT_ACCOUNT][region].user_pools[physical]
    return dynamodb_backends[DEFAULT_ACCOUNT][region].tables[physical]


def _install(unit: _Unit, region: str) -> None:
    """Put a saved pool or table back into moto, where provisioning would have created it."""
    if unit.type_name == USER_POOL:
        backend = cognitoidp_backends[DEFAULT_ACCOUNT][region]
        backend.user_pools[unit.model.id] = unit.model
    else:
        dynamodb_backends[DEFAULT_ACCOUNT][region].tables[unit.model.name] = unit.model


def _restore_signing_key_here() -> None:
    """Stands in for the signing key in a saved pool; `_unpickle` puts the real one back."""
    return None


def _reduce_signing_key(_key: Any) -> tuple[Callable[[], None], tuple[()]]:
    return _restore_signing_key_here, ()


def _unpickle(data: bytes) -> Any:
    return pickle.loads(data)  # noqa: S301 - only ever a file this module wrote


def _write_atomically(path: Path, data: bytes) -> None:
    partial = path.with_name(path.name + ".tmp")
    with partial.open("wb") as file:
        file.write(data)
        file.flush()
        os.fsync(file.fileno())
    os.replace(partial, path)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)  # the rename itself survives a power loss
    finally:
        os.close(directory)
