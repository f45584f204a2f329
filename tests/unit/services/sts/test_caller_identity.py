"""GetCallerIdentity names the root, a user (with its path), a user's session and a
function's assumed-role session as AWS does, and asks the authorizer nothing."""

from __future__ import annotations

import pytest
from tests.unit.services.iam.iam_world import TRUST, RefuseAll
from tests.unit.services.sts.sts_world import ACCOUNT, ROOT, Asks, StsWorld

from strongroom.errors import UnrecognizedClientException
from strongroom.identity import FunctionCredentials, Principal

FUNCTION_ARN = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:rotate-db"


def identity(world: StsWorld, principal: Principal) -> dict[str, str]:
    asks = Asks()
    answer = world.call("GetCallerIdentity", principal, asks)
    assert asks.asked == []  # no permission is needed, so none is asked for
    return dict(answer)


def test_the_root_is_its_account(world: StsWorld) -> None:
    assert identity(world, ROOT) == {
        "UserId": ACCOUNT,
        "Account": ACCOUNT,
        "Arn": f"arn:aws:iam::{ACCOUNT}:root",
    }


def test_a_user_is_named_by_its_id_and_its_arn_with_path(world: StsWorld) -> None:
    alice, user = world.user("alice", "/team/blue/")
    assert user["UserId"].startswith("AIDA")
    assert identity(world, alice) == {
        "UserId": user["UserId"],
        "Account": ACCOUNT,
        "Arn": f"arn:aws:iam::{ACCOUNT}:user/team/blue/alice",
    }
    assert user["Arn"] == identity(world, alice)["Arn"]


def test_a_users_session_is_the_user(world: StsWorld) -> None:
    alice, _ = world.user("alice", "/ops/")
    key_id = world.call("GetSessionToken", alice)["Credentials"]["AccessKeyId"]
    session = world.principal_of(key_id)
    assert identity(world, session) == identity(world, alice)


def test_a_policy_cannot_deny_it(world: StsWorld) -> None:
    alice, _ = world.user("alice")
    answer = world.call("GetCallerIdentity", alice, RefuseAll())
    assert answer["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/alice"


def test_a_function_session_is_its_roles_assumed_role(world: StsWorld) -> None:
    role = world.iam.call(
        "CreateRole", RoleName="rotation-role", Path="/svc/", AssumeRolePolicyDocument=TRUST
    )["Role"]
    functions = FunctionCredentials(world.sessions)
    key_id, _, _ = functions.issue(ACCOUNT, FUNCTION_ARN, role["Arn"], 60)
    assert identity(world, world.principal_of(key_id)) == {
        "UserId": f"{role['RoleId']}:rotate-db",
        "Account": ACCOUNT,
        "Arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/rotation-role/rotate-db",
    }
    # a role IAM does not know (the function's configuration names any ARN): its name
    role_arn = f"arn:aws:iam::{ACCOUNT}:role/unknown-role"
    key_id, _, _ = functions.issue(ACCOUNT, FUNCTION_ARN, role_arn, 60)
    assert identity(world, world.principal_of(key_id))["UserId"] == "unknown-role:rotate-db"


def test_a_session_of_a_deleted_user_is_no_valid_caller(world: StsWorld) -> None:
    alice, _ = world.user("alice")
    key_id = world.call("GetSessionToken", alice)["Credentials"]["AccessKeyId"]
    session = world.principal_of(key_id)
    world.iam.call("DeleteAccessKey", UserName="alice", AccessKeyId=alice.access_key_id)
    world.iam.call("DeleteUser", UserName="alice")
    with pytest.raises(UnrecognizedClientException):
        world.call("GetCallerIdentity", session)
