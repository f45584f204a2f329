"""IAM roles: trust policies, session duration, tags and deletion."""

from __future__ import annotations

import json
import re

from tests.unit.services.iam.iam_world import TRUST, World, allow, arn

from strongroom.errors import (
    DeleteConflictException,
    EntityAlreadyExistsException,
    IamLimitExceededException,
    IamMalformedPolicyDocumentException,
    NoSuchEntityException,
)


def test_create_get_update_role(world: World) -> None:
    role = world.call("CreateRole", RoleName="App", AssumeRolePolicyDocument=TRUST, Path="/s/")[
        "Role"
    ]
    assert re.fullmatch(r"AROA[A-Z2-7]{16}", role["RoleId"])
    assert role["Arn"] == arn("role", "App", "/s/")
    assert role["MaxSessionDuration"] == 3600 and role["AssumeRolePolicyDocument"] == TRUST
    world.fails(
        EntityAlreadyExistsException, "CreateRole", RoleName="APP", AssumeRolePolicyDocument=TRUST
    )
    world.call("UpdateRole", RoleName="app", Description="d", MaxSessionDuration=7200)
    got = world.call("GetRole", RoleName="app")["Role"]
    assert got["Description"] == "d" and got["MaxSessionDuration"] == 7200
    listed = world.call("ListRoles")["Roles"]
    assert [r["RoleName"] for r in listed] == ["App"] and "RoleLastUsed" not in listed[0]


def test_trust_policy_is_a_resource_policy(world: World) -> None:
    identity_policy = allow(["s3:*"])  # names no principal: not a trust policy
    error = world.fails(
        IamMalformedPolicyDocumentException,
        "CreateRole",
        RoleName="r",
        AssumeRolePolicyDocument=identity_policy,
    )
    assert error.code == "MalformedPolicyDocument"
    world.fails(
        IamMalformedPolicyDocumentException,
        "CreateRole",
        RoleName="r",
        AssumeRolePolicyDocument="{",
    )
    world.call("CreateRole", RoleName="r", AssumeRolePolicyDocument=TRUST)
    world.fails(
        IamMalformedPolicyDocumentException,
        "UpdateAssumeRolePolicy",
        RoleName="r",
        PolicyDocument=identity_policy,
    )
    statement = json.loads(TRUST)["Statement"][0]
    big = json.dumps({"Version": "2012-10-17", "Statement": [{**statement, "Sid": "x" * 2100}]})
    world.fails(
        IamLimitExceededException, "UpdateAssumeRolePolicy", RoleName="r", PolicyDocument=big
    )
    other = TRUST.replace("root", "user/bob")
    world.call("UpdateAssumeRolePolicy", RoleName="r", PolicyDocument=other)
    assert world.call("GetRole", RoleName="r")["Role"]["AssumeRolePolicyDocument"] == other


def test_role_tags_and_delete(world: World) -> None:
    world.call(
        "CreateRole",
        RoleName="r",
        AssumeRolePolicyDocument=TRUST,
        Tags=[{"Key": "a", "Value": "1"}],
    )
    world.call("TagRole", RoleName="r", Tags=[{"Key": "b", "Value": "2"}])
    world.call("UntagRole", RoleName="r", TagKeys=["A"])
    assert world.call("ListRoleTags", RoleName="r")["Tags"] == [{"Key": "b", "Value": "2"}]
    world.call("PutRolePolicy", RoleName="r", PolicyName="p", PolicyDocument=allow(["s3:*"]))
    world.fails(DeleteConflictException, "DeleteRole", RoleName="r")
    world.call("DeleteRolePolicy", RoleName="r", PolicyName="p")
    world.call("DeleteRole", RoleName="r")
    world.fails(NoSuchEntityException, "GetRole", RoleName="r")
