"""Temporary credentials: they sign only with their token, expire, are revoked, and every
process sharing the storage sees them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from strongroom.crypto import system_random
from strongroom.errors import ExpiredTokenException
from strongroom.identity import AccessKeyStore, FunctionCredentials, SessionStore
from strongroom.identity.sessions import EXPIRED_KEPT_SECONDS

ACCOUNT = "111122223333"
FUNCTION_ARN = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:rotate-db"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/rotation-role"
Start = Callable[[], Any]


def with_sessions(process: Any) -> tuple[SessionStore, AccessKeyStore]:
    """The process's session store, and an access-key store that knows it."""
    sessions = SessionStore(process.view, system_random, process.clock.now)
    return sessions, AccessKeyStore(process.view, clock=process.clock, sessions=sessions)


def test_a_session_signs_only_with_its_own_token(process: Start) -> None:
    sessions, keys = with_sessions(process())
    key_id, secret, token = FunctionCredentials(sessions).issue(ACCOUNT, FUNCTION_ARN, ROLE_ARN, 60)
    assert key_id.startswith("ASIA") and len(key_id) == 20
    assert keys.secret_for(key_id, token.encode()) == secret
    assert keys.secret_for(key_id) is None  # no token: unknown
    assert keys.secret_for(key_id, token.encode() + b"x") is None
    assert keys.secret_for(key_id, b"") is None
    long_term = keys.create(ACCOUNT)
    assert keys.secret_for(long_term.access_key_id, token.encode()) is None  # a key is no session


def test_the_principal_is_the_functions_assumed_role(process: Start) -> None:
    sessions, keys = with_sessions(process())
    key_id, secret, token = FunctionCredentials(sessions).issue(ACCOUNT, FUNCTION_ARN, ROLE_ARN, 60)
    found = keys.find(key_id)
    assert found is not None
    assert found.principal.arn() == f"arn:aws:sts::{ACCOUNT}:assumed-role/rotation-role/rotate-db"
    session = sessions.find(key_id)
    assert session is not None and secret not in repr(session) and token not in repr(session)


def test_an_expired_session_is_refused_as_expired(process: Start) -> None:
    one = process()
    sessions, keys = with_sessions(one)
    key_id, _, token = FunctionCredentials(sessions).issue(ACCOUNT, FUNCTION_ARN, ROLE_ARN, 30)
    one.clock.current += 31
    with pytest.raises(ExpiredTokenException):
        keys.secret_for(key_id, token.encode())
    assert keys.find(key_id) is None
    assert keys.secret_for(key_id, b"wrong") is None  # a wrong token says nothing of expiry


def test_revoked_and_purged_sessions_are_gone_from_storage(process: Start) -> None:
    one = process()
    sessions, keys = with_sessions(one)
    credentials = FunctionCredentials(sessions)
    revoked, _, token = credentials.issue(ACCOUNT, FUNCTION_ARN, ROLE_ARN, 300)
    short, _, _ = credentials.issue(ACCOUNT, FUNCTION_ARN, ROLE_ARN, 10)
    live, _, live_token = credentials.issue(ACCOUNT, FUNCTION_ARN, ROLE_ARN, 3700)
    credentials.revoke(revoked)
    assert keys.secret_for(revoked, token.encode()) is None
    assert one.barrier.get(f"identity/sessions/{revoked}") is None
    one.clock.current += 11
    assert sessions.purge_expired() == 0  # kept a while, so that it is refused as expired
    assert one.barrier.get(f"identity/sessions/{short}") is not None
    one.clock.current += EXPIRED_KEPT_SECONDS
    assert sessions.purge_expired() == 1
    assert one.barrier.get(f"identity/sessions/{short}") is None
    assert keys.secret_for(live, live_token.encode()) is not None


def test_other_processes_verify_and_see_revocation(process: Start) -> None:
    one, two = process(), process()
    sessions_one, _ = with_sessions(one)
    _, keys_two = with_sessions(two)
    key_id, secret, token = FunctionCredentials(sessions_one).issue(
        ACCOUNT, FUNCTION_ARN, ROLE_ARN, 60
    )
    two.next_request()
    assert keys_two.secret_for(key_id, token.encode()) == secret
    sessions_one.revoke(key_id)
    two.next_request()
    assert keys_two.secret_for(key_id, token.encode()) is None
