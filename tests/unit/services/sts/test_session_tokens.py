"""GetSessionToken: credentials that act as the calling user, with exactly its rights,
for the asked duration (the root's at most an hour); refused with session credentials
and with MFA parameters; expired, tampered or tokenless credentials do not sign."""

from __future__ import annotations

import json
from typing import Any

import orjson
import pytest
from tests.unit.services.iam.iam_world import RefuseAll
from tests.unit.services.sts.sts_world import ACCOUNT, REGION, ROOT, Asks, StsWorld

from strongroom.crypto import system_random
from strongroom.errors import AccessDeniedException, ExpiredTokenException, ValidationException
from strongroom.identity import FunctionCredentials, Principal, SessionStore
from strongroom.identity.sessions import EXPIRED_KEPT_SECONDS
from strongroom.services.caller import Caller
from strongroom.services.iam.authorizer import IamAuthorizer

FUNCTION_ARN = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:rotate-db"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/rotation-role"


def credentials(world: StsWorld, principal: Principal, **params: Any) -> dict[str, Any]:
    asks = Asks()
    answer = world.call("GetSessionToken", principal, asks, **params)["Credentials"]
    assert asks.asked == []  # no permission is needed, and no policy controls it
    return dict(answer)


def test_a_users_session_is_the_user_and_signs_with_its_token(world: StsWorld) -> None:
    alice, _ = world.user("alice", "/team/")
    got = credentials(world, alice)
    key_id, secret, token = got["AccessKeyId"], got["SecretAccessKey"], got["SessionToken"]
    assert key_id.startswith("ASIA") and len(key_id) == 20 and len(secret) == 40
    assert got["Expiration"] == world.clock.now() + 43_200  # AWS's default: 12 hours
    assert world.keys.secret_for(key_id, token.encode()) == secret
    tampered = token.encode()[:-1] + (b"x" if not token.endswith("x") else b"y")
    assert world.keys.secret_for(key_id, tampered) is None
    principal = world.principal_of(key_id)
    assert principal == Principal(key_id, ACCOUNT, "alice", None)
    assert principal.arn() == f"arn:aws:iam::{ACCOUNT}:user/alice"


def test_a_users_session_does_not_sign_without_its_token(world: StsWorld) -> None:
    alice, _ = world.user("alice")
    key_id = credentials(world, alice)["AccessKeyId"]
    assert world.keys.secret_for(key_id) is None


def test_another_process_reads_the_same_session(world: StsWorld) -> None:
    alice, _ = world.user("alice")
    key_id = credentials(world, alice)["AccessKeyId"]
    other = SessionStore(world.identity, system_random, world.clock.now)
    found = other.find(key_id)
    assert found is not None and found.principal == Principal(key_id, ACCOUNT, "alice", None)


def test_function_sessions_are_stored_and_read_as_before(world: StsWorld) -> None:
    key_id, _, _ = FunctionCredentials(world.sessions).issue(ACCOUNT, FUNCTION_ARN, ROLE_ARN, 60)
    found = world.principal_of(key_id)
    assert found == Principal(key_id, ACCOUNT, "rotation-role/rotate-db", "rotation-role/rotate-db")
    # a record written before user sessions existed has no user name: a role session
    view = world.identity
    record = orjson.loads(view.get(f"sessions/{key_id}"))
    del record["user_name"]
    view.put(f"sessions/{key_id}", orjson.dumps(record))
    fresh = SessionStore(view, system_random, world.clock.now).find(key_id)
    assert fresh is not None and fresh.principal == found


def test_the_duration_is_as_asked(world: StsWorld) -> None:
    alice, _ = world.user("alice")
    for seconds in (900, 129_600):
        got = credentials(world, alice, DurationSeconds=seconds)
        assert got["Expiration"] == world.clock.now() + seconds


def test_the_roots_sessions_last_an_hour_at_most(world: StsWorld) -> None:
    now = world.clock.now()
    assert credentials(world, ROOT)["Expiration"] == now + 3600
    assert credentials(world, ROOT, DurationSeconds=7200)["Expiration"] == now + 3600
    assert credentials(world, ROOT, DurationSeconds=900)["Expiration"] == now + 900
    key_id = credentials(world, ROOT)["AccessKeyId"]
    assert world.principal_of(key_id).arn() == f"arn:aws:iam::{ACCOUNT}:root"


def test_a_session_expires(world: StsWorld) -> None:
    alice, _ = world.user("alice")
    got = credentials(world, alice, DurationSeconds=900)
    key_id, token = got["AccessKeyId"], got["SessionToken"].encode()
    world.clock.current += 899
    assert world.keys.secret_for(key_id, token) == got["SecretAccessKey"]
    world.clock.current += 1
    with pytest.raises(ExpiredTokenException):
        world.keys.secret_for(key_id, token)
    assert world.keys.find(key_id) is None
    world.clock.current += EXPIRED_KEPT_SECONDS
    assert world.sessions.purge_expired() == 1


def test_session_credentials_cannot_get_a_session_token(world: StsWorld) -> None:
    alice, _ = world.user("alice")
    user_session = world.principal_of(credentials(world, alice)["AccessKeyId"])
    root_session = world.principal_of(credentials(world, ROOT)["AccessKeyId"])
    function_key, _, _ = FunctionCredentials(world.sessions).issue(
        ACCOUNT, FUNCTION_ARN, ROLE_ARN, 60
    )
    for session in (user_session, root_session, world.principal_of(function_key)):
        before = world.iam.raw()
        with pytest.raises(AccessDeniedException) as refused:
            world.call("GetSessionToken", session)
        assert refused.value.message == "Cannot call GetSessionToken with session credentials"
        assert world.iam.raw() == before


def test_mfa_parameters_are_refused_not_ignored(world: StsWorld) -> None:
    alice, _ = world.user("alice")
    before = world.iam.raw()
    serial = f"arn:aws:iam::{ACCOUNT}:mfa/alice"
    for params in ({"SerialNumber": serial, "TokenCode": "123456"}, {"TokenCode": "123456"}):
        with pytest.raises(ValidationException, match="MFA"):
            world.call("GetSessionToken", alice, **params)
    assert world.iam.raw() == before


def test_no_policy_controls_it(world: StsWorld) -> None:
    alice, _ = world.user("alice")
    got = world.call("GetSessionToken", alice, RefuseAll())["Credentials"]
    assert got["AccessKeyId"].startswith("ASIA")


def test_the_session_has_exactly_the_users_rights(world: StsWorld) -> None:
    alice, _ = world.user("alice")
    document = {"Effect": "Allow", "Action": "kms:Encrypt", "Resource": "*"}
    world.iam.call(
        "PutUserPolicy",
        UserName="alice",
        PolicyName="encrypt",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [document]}),
    )
    authorizer = IamAuthorizer(world.clock)
    authorizer.attach(world.iam.iam)
    session = Caller(
        world.principal_of(credentials(world, alice)["AccessKeyId"]), REGION, authorizer
    )
    user = Caller(alice, REGION, authorizer)
    for caller in (user, session):
        caller.authorize("kms:Encrypt", "*")
        with pytest.raises(AccessDeniedException) as refused:
            caller.authorize("kms:Decrypt", "*")
        assert f"User: arn:aws:iam::{ACCOUNT}:user/alice is not" in refused.value.message
