"""Temporary credentials: an access key id, a secret and a session token that expire.

Strongroom issues them to each function invocation (a rotation function calls back with
them, as an AWS Lambda function uses its execution role's session) and revokes them when
the invocation ends; to an IAM user or the account root that asks STS for a session
token (`issue_for_user`: the session then acts as that user, not as a role); and to a
principal that assumes a role through STS (`issue_for_role`: the session carries a
`RoleScope`, its role, session policies and tags, which the authorizer reads). One JSON
record per session at `identity/sessions/<ASIA id>` (this store sees the `identity/`
view), so every process sharing the storage verifies them.

Invariants:
- A session signs only together with its token (`X-Amz-Security-Token`), compared in
  constant time; without it, or with another, it is an unknown key. Past its expiry it is
  refused as expired, whatever else is right.
- Expiry is the services' time (the `now` given; in dev mode the test clock moves it),
  as is the Expiration STS answers.
- Secrets and tokens live only in barrier records and memory; a revoked session's record
  is deleted at once, an expired one by the scheduler's `purge_expired` an hour after its
  expiry (until then its token is answered as expired, not as unknown).
- The cache follows the barrier's data version, as the access keys' does.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson

from strongroom.barrier import View
from strongroom.crypto import RandomBytes
from strongroom.identity.access_keys import (
    SESSION_ID_PREFIX,
    is_valid_id,
    new_access_key_id,
    new_secret_access_key,
)
from strongroom.identity.principal import Principal

_PREFIX = "sessions/"
_CACHE_LIMIT = 10_000
EXPIRED_KEPT_SECONDS = 3600.0
"""How long an expired session's record is kept, so that its token is refused as expired."""


@dataclass(frozen=True, slots=True)
class RoleScope:
    """What an AssumeRole session carries: its role, session policies and session tags.

    `policies` are the session policies' texts (the inline Policy and the managed ones
    named by PolicyArns, read when the role was assumed); None when none was passed (the
    role's policies then apply unlimited), empty to allow nothing.
    """

    role_arn: str
    role_id: str
    policies: tuple[str, ...] | None = None
    tags: tuple[tuple[str, str], ...] = ()
    transitive_tag_keys: tuple[str, ...] = ()
    """Keys of `tags` that a session assumed from this one inherits (role chaining)."""
    source_identity: str | None = None
    """Set once (SourceIdentity), then carried by every session chained from this one."""


@dataclass(frozen=True, slots=True)
class Session:
    """One set of temporary credentials."""

    principal: Principal
    secret_access_key: str = field(repr=False)
    session_token: str = field(repr=False)
    expires: float
    scope: RoleScope | None = None
    """Set for AssumeRole sessions; None for function invocations and user sessions."""

    @property
    def access_key_id(self) -> str:
        """The session's access key id (`ASIA...`)."""
        return self.principal.access_key_id

    def token_matches(self, token: bytes) -> bool:
        """Whether `token` is this session's token (constant time)."""
        return hmac.compare_digest(token, self.session_token.encode())


def is_session_id(access_key_id: str) -> bool:
    """Whether the id names temporary credentials."""
    return access_key_id.startswith(SESSION_ID_PREFIX)


def _encode(session: Session) -> bytes:
    principal = session.principal
    return orjson.dumps(
        {
            "secret": session.secret_access_key,
            "token": session.session_token,
            "account_id": principal.account_id,
            "role_session": principal.role_session,
            "user_name": principal.user_name,
            "expires": session.expires,
            "scope": None if session.scope is None else _scope_json(session.scope),
        }
    )


def _scope_json(scope: RoleScope) -> dict[str, object]:
    return {
        "role_arn": scope.role_arn,
        "role_id": scope.role_id,
        "policies": None if scope.policies is None else list(scope.policies),
        "tags": [list(tag) for tag in scope.tags],
        "transitive_tag_keys": list(scope.transitive_tag_keys),
        "source_identity": scope.source_identity,
    }


def _scope(record: dict[str, Any] | None) -> RoleScope | None:
    if record is None:
        return None
    policies = record["policies"]
    return RoleScope(
        record["role_arn"],
        record["role_id"],
        None if policies is None else tuple(policies),
        tuple((key, value) for key, value in record["tags"]),
        tuple(record.get("transitive_tag_keys", ())),
        record.get("source_identity"),
    )


def _decode(access_key_id: str, data: bytes) -> Session:
    record = orjson.loads(data)
    role_session = record["role_session"]
    user_name = record.get("user_name", role_session)  # older records: role sessions only
    principal = Principal(access_key_id, record["account_id"], user_name, role_session)
    return Session(
        principal, record["secret"], record["token"], record["expires"], _scope(record.get("scope"))
    )


class SessionStore:
    """Temporary credentials by access key id."""

    def __init__(self, view: View, random: RandomBytes, now: Callable[[], float]) -> None:
        self._view = view
        self._random = random
        self._now = now
        self._cache: dict[str, Session | None] = {}
        self._seen_version = view.data_version()

    def issue(self, account_id: str, role_session: str, ttl_seconds: float) -> Session:
        """New credentials for `<role name>/<session name>` in the account, valid for
        `ttl_seconds`."""
        return self._issue(account_id, role_session, role_session, ttl_seconds)

    def issue_for_user(self, account_id: str, user_name: str, ttl_seconds: float) -> Session:
        """New credentials acting as the account's IAM user `user_name` (`root`: the
        account root), with no role session, valid for `ttl_seconds`."""
        return self._issue(account_id, user_name, None, ttl_seconds)

    def issue_for_role(
        self, account_id: str, role_session: str, ttl_seconds: float, scope: RoleScope
    ) -> Session:
        """New credentials for an AssumeRole session `<role name>/<session name>`, limited
        and tagged as `scope` says, valid for `ttl_seconds`."""
        return self._issue(account_id, role_session, role_session, ttl_seconds, scope)

    def _issue(
        self,
        account_id: str,
        user_name: str,
        role_session: str | None,
        ttl_seconds: float,
        scope: RoleScope | None = None,
    ) -> Session:
        key_id = new_access_key_id(self._random, SESSION_ID_PREFIX)
        token = new_secret_access_key(self._random) + new_secret_access_key(self._random)
        principal = Principal(key_id, account_id, user_name, role_session)
        session = Session(
            principal,
            new_secret_access_key(self._random),
            token,
            self._now() + ttl_seconds,
            scope,
        )
        self._view.put(_PREFIX + key_id, _encode(session))
        self._remember(key_id, session)
        return session

    def find(self, access_key_id: str) -> Session | None:
        """The session with this id, expired or not, or None."""
        version = self._view.data_version()
        if version != self._seen_version:
            self._cache.clear()
            self._seen_version = version
        try:
            return self._cache[access_key_id]
        except KeyError:
            pass
        if not (is_session_id(access_key_id) and is_valid_id(access_key_id)):
            return None
        data = self._view.get(_PREFIX + access_key_id)
        session = None if data is None else _decode(access_key_id, data)
        self._remember(access_key_id, session)
        return session

    def is_expired(self, session: Session) -> bool:
        """Whether the session's credentials no longer sign."""
        return session.expires <= self._now()

    def revoke(self, access_key_id: str) -> None:
        """End a session now (its record is deleted)."""
        if is_session_id(access_key_id) and is_valid_id(access_key_id):
            self._view.delete(_PREFIX + access_key_id)
        self._remember(access_key_id, None)

    def purge_expired(self) -> int:
        """Delete the record of every session expired more than `EXPIRED_KEPT_SECONDS`
        ago (a scheduled job); how many."""
        before = self._now() - EXPIRED_KEPT_SECONDS
        expired = [
            path
            for path, data in self._view.scan(_PREFIX)
            if orjson.loads(data)["expires"] <= before
        ]
        for path in expired:
            self.revoke(path[len(_PREFIX) :])
        return len(expired)

    def forget_cache(self) -> None:
        """Drop cached secrets (on seal)."""
        self._cache.clear()

    def _remember(self, access_key_id: str, session: Session | None) -> None:
        if len(self._cache) >= _CACHE_LIMIT:
            self._cache.clear()
        self._cache[access_key_id] = session


class FunctionCredentials:
    """Credentials for one function invocation (what the Lambda service asks for)."""

    def __init__(self, sessions: SessionStore) -> None:
        self._sessions = sessions

    def issue(
        self, account_id: str, function_arn: str, role_arn: str, ttl_seconds: float
    ) -> tuple[str, str, str]:
        """(access key id, secret, session token) acting as the function's role, with the
        function's name as the session name; valid for `ttl_seconds`."""
        role_name = role_arn.rsplit("/", 1)[-1] or "strongroom-function"
        function_name = function_arn.rsplit(":", 1)[-1]
        session = self._sessions.issue(account_id, f"{role_name}/{function_name}", ttl_seconds)
        return session.access_key_id, session.secret_access_key, session.session_token

    def revoke(self, access_key_id: str) -> None:
        """End the invocation's credentials."""
        self._sessions.revoke(access_key_id)
