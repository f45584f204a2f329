"""Access keys: id, secret, status and the principal they stand for, kept in the barrier.

One JSON record per key at `identity/access-keys/<id>` (this store sees the `identity/`
view): `secret`, `account_id`, `user_name`, `status` (`Active` / `Inactive`), `created`
(epoch seconds) and `last_used` (`time`, `region`, `service`, as AWS's
GetAccessKeyLastUsed reports them). A record written before status existed loads as
Active with an unknown creation time.

Invariants:
- Secrets live only in barrier records and in this process's memory once read; never in
  logs, errors, audit records or a listing (an `AccessKey`'s repr leaves its secret out).
- `secret_for` answers only for an Active key: an Inactive or deleted key is refused
  exactly like an unknown one.
- The cache follows the barrier's data version: when another process sharing the storage
  commits anything, every cached key is read again before it is trusted. The edge
  refreshes that version once per request when several processes share the storage, so a
  key disabled or deleted through one process is refused by every process on its next
  request. This process's own writes update the cache directly.
- An account keeps an active key: disabling or deleting its last one is refused, and the
  check and the write share one transaction, so two concurrent calls cannot both pass it.
- Last use is noted in memory on every request (one dict update). It reaches the barrier
  at most once per `persist_use_every` seconds per key and process (the first use after a
  start writes at once), merged with what is stored (the newer wins), and that write never
  changes a key's status or secret nor brings back a deleted key. Listings merge this
  process's notes, so last use is exact for the process asked and at most
  `persist_use_every` seconds stale across processes (AWS reports it coarsely too).
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import orjson

from strongroom.barrier import View
from strongroom.barrier.view import ViewTransaction
from strongroom.clock import Clock
from strongroom.crypto import RandomBytes, system_random
from strongroom.errors import (
    DeleteConflictException,
    ExpiredTokenException,
    IamLimitExceededException,
    NoSuchEntityException,
    StrongroomError,
)
from strongroom.identity.principal import Principal

if TYPE_CHECKING:
    from strongroom.identity.sessions import SessionStore

log = logging.getLogger("strongroom.identity")

ACTIVE = "Active"
INACTIVE = "Inactive"
ACCESS_KEYS_PER_USER = 2
"""AWS's quota (AccessKeysPerUser), active and inactive keys alike."""
PERSIST_USE_SECONDS = 300.0
"""How often one process writes a key's last use to the barrier, at most."""

_PREFIX = "access-keys/"
_ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
_CACHE_LIMIT = 10_000
SESSION_ID_PREFIX = "ASIA"
"""How temporary credentials' key ids begin (see `identity.sessions`)."""
_EXPIRED = "The security token included in the request is expired"


@dataclass(frozen=True, slots=True)
class LastUsed:
    """When, where and for which service a key last signed a request."""

    time: float
    region: str
    service: str


@dataclass(frozen=True, slots=True)
class AccessKey:
    """An access key pair, its principal and its life cycle."""

    principal: Principal
    secret_access_key: str = field(repr=False)
    status: str = ACTIVE
    created: float | None = None  # None: made before creation times were kept
    last_used: LastUsed | None = None

    @property
    def access_key_id(self) -> str:
        """The key's id (also its principal's)."""
        return self.principal.access_key_id

    @property
    def active(self) -> bool:
        """Whether the key may sign requests."""
        return self.status == ACTIVE


def new_access_key_id(random: RandomBytes, prefix: str = "AKIA") -> str:
    """A 20-character id in AWS's style (`AKIA`, or `ASIA` for a session, and 16 base-32
    characters)."""
    return prefix + "".join(_ID_ALPHABET[b % 32] for b in random(16))


def new_secret_access_key(random: RandomBytes) -> str:
    """A 40-character secret in AWS's style."""
    return base64.b64encode(random(30), altchars=b"+/").decode()


def is_valid_id(access_key_id: str) -> bool:
    """Whether `access_key_id` could name a key (and is safe as a storage path part)."""
    return access_key_id.isascii() and access_key_id.isalnum() and len(access_key_id) <= 128


def _encode(key: AccessKey) -> bytes:
    record: dict[str, Any] = {
        "secret": key.secret_access_key,
        "account_id": key.principal.account_id,
        "user_name": key.principal.user_name,
        "status": key.status,
        "created": key.created,
    }
    if key.last_used is not None:
        use = key.last_used
        record["last_used"] = {"time": use.time, "region": use.region, "service": use.service}
    return orjson.dumps(record)


def _decode(access_key_id: str, data: bytes) -> AccessKey:
    record = orjson.loads(data)
    use = record.get("last_used")
    return AccessKey(
        Principal(access_key_id, record["account_id"], record["user_name"]),
        record["secret"],
        record.get("status", ACTIVE),
        record.get("created"),
        None if use is None else LastUsed(use["time"], use["region"], use["service"]),
    )


def _newer(first: LastUsed | None, second: LastUsed | None) -> LastUsed | None:
    if first is None or (second is not None and second.time > first.time):
        return second
    return first


class AccessKeyStore:
    """Access keys by id, cached in memory while no other process changes the storage."""

    def __init__(
        self,
        view: View,
        random: RandomBytes = system_random,
        clock: Clock | None = None,
        persist_use_every: float = PERSIST_USE_SECONDS,
        sessions: SessionStore | None = None,
    ) -> None:
        """`sessions`: temporary credentials, which sign like keys but need their token."""
        self._view = view
        self._sessions = sessions
        self._random = random
        self._clock = clock or Clock()
        self._persist_every = persist_use_every
        self._cache: dict[str, AccessKey | None] = {}
        self._seen_version = view.data_version()
        self._uses: dict[str, tuple[float, str, str]] = {}  # newest use noted here
        self._persisted: dict[str, float] = {}  # when this process last wrote a use

    # --- the hot path ----------------------------------------------------------------

    def find(self, access_key_id: str) -> AccessKey | None:
        """The access key with this id, whatever its status, or None; for a live session,
        an Active key standing for the session's principal."""
        if self._sessions is not None and access_key_id.startswith(SESSION_ID_PREFIX):
            session = self._sessions.find(access_key_id)
            if session is None or self._sessions.is_expired(session):
                return None
            return AccessKey(session.principal, session.secret_access_key)
        version = self._view.data_version()
        if version != self._seen_version:  # another process committed: trust nothing held
            self._cache.clear()
            self._seen_version = version
        try:
            return self._cache[access_key_id]
        except KeyError:
            pass
        if not is_valid_id(access_key_id):
            return None  # never a valid id, and never a storage path
        data = self._view.get(_PREFIX + access_key_id)
        key = None if data is None else _decode(access_key_id, data)
        self._remember(access_key_id, key)
        return key

    def secret_for(self, access_key_id: str, session_token: bytes | None = None) -> str | None:
        """The secret that signs for `access_key_id`, or None (for SigV4): an Active key's,
        sent without a token, or a session's, sent with its own token; an expired
        session's token raises ExpiredTokenException."""
        if session_token is None:
            if access_key_id.startswith(SESSION_ID_PREFIX):  # a session signs with its token
                return None
            key = self.find(access_key_id)
            if key is None or key.status != ACTIVE or key.principal.role_session is not None:
                return None
            return key.secret_access_key
        session = None if self._sessions is None else self._sessions.find(access_key_id)
        if session is None or not session.token_matches(session_token):
            return None
        assert self._sessions is not None
        if self._sessions.is_expired(session):
            raise ExpiredTokenException(_EXPIRED)
        return session.secret_access_key

    def note_use(self, access_key_id: str, region: str, service: str) -> None:
        """Remember that the key just signed a request (see the module's invariants);
        sessions are not noted (they live as long as one invocation)."""
        if access_key_id.startswith(SESSION_ID_PREFIX):
            return
        now = self._clock.now()
        self._uses[access_key_id] = (now, region, service)
        last = self._persisted.get(access_key_id)
        if last is None or not 0 <= now - last < self._persist_every:
            self._persisted[access_key_id] = now
            self._persist_use(access_key_id)

    # --- life cycle ----------------------------------------------------------------------

    def create(
        self,
        account_id: str,
        user_name: str = "root",
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
        *,
        limit: int | None = None,
    ) -> AccessKey:
        """Make (or, with fixed values, record) an Active key and return it.

        With `limit`, refuse (LimitExceeded) when the user already has that many keys.
        """
        key_id = access_key_id or new_access_key_id(self._random)
        if not is_valid_id(key_id):
            raise ValueError("an access key id is 1 to 128 ASCII letters and digits")
        secret = secret_access_key or new_secret_access_key(self._random)
        principal = Principal(key_id, account_id, user_name)
        key = AccessKey(principal, secret, ACTIVE, self._clock.now())
        with self._view.transaction() as txn:
            if limit is not None:
                owned = sum(
                    1
                    for k in _scan(txn)
                    if (k.principal.account_id, k.principal.user_name) == (account_id, user_name)
                )
                if owned >= limit:
                    raise IamLimitExceededException(
                        f"Cannot exceed quota for AccessKeysPerUser: {limit}"
                    )
            txn.put(_PREFIX + key_id, _encode(key))
        self._uses.pop(key_id, None)
        self._persisted.pop(key_id, None)
        self._remember(key_id, key)
        return key

    def list(self, account_id: str) -> list[AccessKey]:
        """The account's keys, oldest first, with the newest last use known here."""
        keys = [k for k in _scan(self._view) if k.principal.account_id == account_id]
        keys = [
            replace(k, last_used=_newer(k.last_used, self._noted(k.access_key_id))) for k in keys
        ]
        return sorted(keys, key=lambda k: (k.created or 0.0, k.access_key_id))

    def set_status(self, account_id: str, access_key_id: str, status: str) -> AccessKey:
        """Make the account's key Active or Inactive; refuse to disable its last active key."""
        if status not in (ACTIVE, INACTIVE):
            raise ValueError(f"an access key status is {ACTIVE} or {INACTIVE}")
        with self._view.transaction() as txn:
            key = _owned(txn, account_id, access_key_id)
            if status == INACTIVE and key.active:
                _keep_an_active_key(txn, key, "disable")
            key = replace(key, status=status)
            txn.put(_PREFIX + access_key_id, _encode(key))
        self._remember(access_key_id, key)
        return replace(key, last_used=_newer(key.last_used, self._noted(access_key_id)))

    def delete(self, account_id: str, access_key_id: str) -> None:
        """Delete the account's key for good; refuse to delete its last active key."""
        with self._view.transaction() as txn:
            key = _owned(txn, account_id, access_key_id)
            if key.active:
                _keep_an_active_key(txn, key, "delete")
            txn.delete(_PREFIX + access_key_id)
        self._forget(access_key_id)
        self._erase()

    def rename_user(self, account_id: str, old_name: str, new_name: str) -> int:
        """Make the keys of user `old_name` stand for `new_name` (IAM's UpdateUser), in one
        transaction (the caller's, when it has one); how many keys changed."""
        renamed: list[AccessKey] = []
        with self._view.transaction() as txn:
            for key in list(_scan(txn)):
                if (key.principal.account_id, key.principal.user_name) == (account_id, old_name):
                    key = replace(key, principal=replace(key.principal, user_name=new_name))
                    txn.put(_PREFIX + key.access_key_id, _encode(key))
                    renamed.append(key)
        for key in renamed:
            self._remember(key.access_key_id, key)
        return len(renamed)

    def revoke(self, access_key_id: str) -> bool:
        """Delete a key whatever its account and status (dev restarts); False if absent."""
        if not is_valid_id(access_key_id):
            return False
        with self._view.transaction() as txn:
            found = txn.get(_PREFIX + access_key_id) is not None
            if found:
                txn.delete(_PREFIX + access_key_id)
        self._forget(access_key_id)
        if found:
            self._erase()
        return found

    def forget_cache(self) -> None:
        """Drop cached secrets (on seal), the sessions' too."""
        self._cache.clear()
        if self._sessions is not None:
            self._sessions.forget_cache()

    # --- inside --------------------------------------------------------------------------

    def _erase(self) -> None:
        """Scrub the storage so a deleted key's secret is in no file (owed to the
        scheduler if readers hold it up)."""
        self._view.scrub_or_owe()

    def _remember(self, access_key_id: str, key: AccessKey | None) -> None:
        if len(self._cache) >= _CACHE_LIMIT:
            self._cache.clear()
        self._cache[access_key_id] = key

    def _forget(self, access_key_id: str) -> None:
        self._remember(access_key_id, None)
        self._uses.pop(access_key_id, None)
        self._persisted.pop(access_key_id, None)

    def _noted(self, access_key_id: str) -> LastUsed | None:
        use = self._uses.get(access_key_id)
        return None if use is None else LastUsed(*use)

    def _persist_use(self, access_key_id: str) -> None:
        """Merge this process's last use into the stored record (never failing a request)."""
        try:
            with self._view.transaction() as txn:
                data = txn.get(_PREFIX + access_key_id)
                if data is None:
                    return  # deleted meanwhile: a use note never brings a key back
                stored = _decode(access_key_id, data)
                use = _newer(stored.last_used, self._noted(access_key_id))
                if use == stored.last_used:
                    return
                key = replace(stored, last_used=use)
                txn.put(_PREFIX + access_key_id, _encode(key))
        except StrongroomError as error:
            log.warning("Could not record the last use of %s: %s", access_key_id, error.code)
            return
        self._remember(access_key_id, key)


def _scan(reader: View | ViewTransaction) -> Iterator[AccessKey]:
    for path, data in reader.scan(_PREFIX):
        yield _decode(path[len(_PREFIX) :], data)


def _owned(txn: ViewTransaction, account_id: str, access_key_id: str) -> AccessKey:
    """The key if it belongs to `account_id`; NoSuchEntity otherwise (other accounts' too)."""
    data = txn.get(_PREFIX + access_key_id) if is_valid_id(access_key_id) else None
    key = None if data is None else _decode(access_key_id, data)
    if key is None or key.principal.account_id != account_id:
        raise NoSuchEntityException(f"The Access Key with id {access_key_id} cannot be found.")
    return key


def _keep_an_active_key(txn: ViewTransaction, key: AccessKey, verb: str) -> None:
    """Refuse to take away the account's last active key: nothing could sign again."""
    account = key.principal.account_id
    others = (
        k
        for k in _scan(txn)
        if k.principal.account_id == account and k.active and k.access_key_id != key.access_key_id
    )
    if next(others, None) is None:
        raise DeleteConflictException(
            f"{key.access_key_id} is the last active access key of account {account}: "
            f"refusing to {verb} it, as nothing could sign requests again. "
            "Create and use another access key first."
        )
