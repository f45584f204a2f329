"""Inline and managed policies: grammar, size limits, versions, attachments."""

from __future__ import annotations

import json
import re

from tests.unit.services.iam.iam_world import ACCOUNT, TRUST, World, allow

from strongroom.errors import (
    DeleteConflictException,
    EntityAlreadyExistsException,
    IamLimitExceededException,
    IamMalformedPolicyDocumentException,
    InvalidInputException,
    NoSuchEntityException,
)


def sized(characters: int) -> str:
    """An identity policy of about `characters` non-white-space characters."""
    base = allow(["s3:GetObject"], "arn:aws:s3:::b/")
    pad = characters - len(base.replace(" ", ""))
    return allow(["s3:GetObject"], "arn:aws:s3:::b/" + "x" * pad)


def test_inline_policies_checked_and_listed(world: World) -> None:
    world.call("CreateUser", UserName="a")
    trust_like = TRUST  # names a principal: not an identity policy
    error = world.fails(
        IamMalformedPolicyDocumentException,
        "PutUserPolicy",
        UserName="a",
        PolicyName="p",
        PolicyDocument=trust_like,
    )
    assert error.code == "MalformedPolicyDocument"
    world.call("PutUserPolicy", UserName="a", PolicyName="z", PolicyDocument=allow(["s3:*"]))
    world.call("PutUserPolicy", UserName="a", PolicyName="b", PolicyDocument=allow(["kms:*"]))
    assert world.call("ListUserPolicies", UserName="a")["PolicyNames"] == ["b", "z"]
    got = world.call("GetUserPolicy", UserName="a", PolicyName="b")
    assert got == {"UserName": "a", "PolicyName": "b", "PolicyDocument": allow(["kms:*"])}
    world.fails(NoSuchEntityException, "GetUserPolicy", UserName="a", PolicyName="nope")
    world.fails(NoSuchEntityException, "DeleteUserPolicy", UserName="a", PolicyName="nope")
    world.fails(
        NoSuchEntityException,
        "PutUserPolicy",
        UserName="x",
        PolicyName="p",
        PolicyDocument=allow(["s3:*"]),
    )


def test_inline_size_limits_count_all_policies_without_white_space(world: World) -> None:
    world.call("CreateUser", UserName="u")
    world.call("PutUserPolicy", UserName="u", PolicyName="one", PolicyDocument=sized(1500))
    error = world.fails(
        IamLimitExceededException,
        "PutUserPolicy",
        UserName="u",
        PolicyName="two",
        PolicyDocument=sized(600),
    )
    assert "2048" in error.message
    # Replacing the same policy counts it once; white space is not counted.
    spaced = json.dumps(json.loads(sized(2000)), indent=8)
    assert len(spaced) > 2048
    world.call("PutUserPolicy", UserName="u", PolicyName="one", PolicyDocument=spaced)
    world.call("CreateGroup", GroupName="g")
    world.call("PutGroupPolicy", GroupName="g", PolicyName="p", PolicyDocument=sized(5000))
    world.fails(
        IamLimitExceededException,
        "PutGroupPolicy",
        GroupName="g",
        PolicyName="q",
        PolicyDocument=sized(200),
    )
    world.call("CreateRole", RoleName="r", AssumeRolePolicyDocument=TRUST)
    world.call("PutRolePolicy", RoleName="r", PolicyName="p", PolicyDocument=sized(10000))
    world.fails(
        IamLimitExceededException,
        "PutRolePolicy",
        RoleName="r",
        PolicyName="q",
        PolicyDocument=sized(300),
    )


def test_managed_policy_versions(world: World) -> None:
    policy = world.call("CreatePolicy", PolicyName="P", Path="/a/", PolicyDocument=allow(["s3:*"]))[
        "Policy"
    ]
    arn = f"arn:aws:iam::{ACCOUNT}:policy/a/P"
    assert policy["Arn"] == arn and re.fullmatch(r"ANPA[A-Z2-7]{16}", policy["PolicyId"])
    assert policy["DefaultVersionId"] == "v1" and policy["AttachmentCount"] == 0
    world.fails(
        EntityAlreadyExistsException, "CreatePolicy", PolicyName="p", PolicyDocument=allow(["s3:*"])
    )
    world.fails(
        IamLimitExceededException, "CreatePolicy", PolicyName="big", PolicyDocument=sized(6200)
    )
    for n in range(2, 6):
        made = world.call("CreatePolicyVersion", PolicyArn=arn, PolicyDocument=allow([f"s{n}:*"]))
        assert made["PolicyVersion"]["VersionId"] == f"v{n}"
    world.fails(
        IamLimitExceededException,
        "CreatePolicyVersion",
        PolicyArn=arn,
        PolicyDocument=allow(["x:*"]),
    )
    world.fails(DeleteConflictException, "DeletePolicyVersion", PolicyArn=arn, VersionId="v1")
    world.call("DeletePolicyVersion", PolicyArn=arn, VersionId="v2")
    made = world.call(
        "CreatePolicyVersion", PolicyArn=arn, PolicyDocument=allow(["y:*"]), SetAsDefault=True
    )
    assert made["PolicyVersion"] == {
        "VersionId": "v6",
        "IsDefaultVersion": True,
        "CreateDate": made["PolicyVersion"]["CreateDate"],
    }
    versions = world.call("ListPolicyVersions", PolicyArn=arn)["Versions"]
    assert [v["VersionId"] for v in versions] == ["v6", "v5", "v4", "v3", "v1"]
    world.call("SetDefaultPolicyVersion", PolicyArn=arn, VersionId="v3")
    got = world.call("GetPolicyVersion", PolicyArn=arn, VersionId="v3")["PolicyVersion"]
    assert got["Document"] == allow(["s3:*"]) and got["IsDefaultVersion"] is True
    world.fails(NoSuchEntityException, "SetDefaultPolicyVersion", PolicyArn=arn, VersionId="v2")
    world.fails(DeleteConflictException, "DeletePolicy", PolicyArn=arn)  # other versions left
    for v in ("v1", "v4", "v5", "v6"):
        world.call("DeletePolicyVersion", PolicyArn=arn, VersionId=v)
    world.call("DeletePolicy", PolicyArn=arn)
    world.fails(NoSuchEntityException, "GetPolicy", PolicyArn=arn)


def test_policy_arns(world: World) -> None:
    world.call("CreatePolicy", PolicyName="p", Path="/a/", PolicyDocument=allow(["s3:*"]))
    world.fails(InvalidInputException, "GetPolicy", PolicyArn="arn:aws:iam::nope")
    for wrong in (
        f"arn:aws:iam::{ACCOUNT}:policy/p",  # wrong path
        "arn:aws:iam::999988887777:policy/a/p",  # another account
        "arn:aws:iam::aws:policy/AdministratorAccess",  # AWS managed: none kept here
    ):
        world.fails(NoSuchEntityException, "GetPolicy", PolicyArn=wrong)


def test_attachments_counts_and_entities(world: World) -> None:
    arn = world.call("CreatePolicy", PolicyName="m", PolicyDocument=allow(["s3:*"]))["Policy"][
        "Arn"
    ]
    world.call("CreateUser", UserName="u", Path="/p/")
    world.call("CreateGroup", GroupName="g")
    world.call("CreateRole", RoleName="r", AssumeRolePolicyDocument=TRUST, PermissionsBoundary=arn)
    world.call("AttachUserPolicy", UserName="u", PolicyArn=arn)
    world.call("AttachUserPolicy", UserName="u", PolicyArn=arn)  # again: nothing changes
    world.call("AttachGroupPolicy", GroupName="g", PolicyArn=arn)
    policy = world.call("GetPolicy", PolicyArn=arn)["Policy"]
    assert (policy["AttachmentCount"], policy["PermissionsBoundaryUsageCount"]) == (2, 1)
    assert world.call("ListAttachedUserPolicies", UserName="u")["AttachedPolicies"] == [
        {"PolicyName": "m", "PolicyArn": arn}
    ]
    entities = world.call("ListEntitiesForPolicy", PolicyArn=arn)
    assert [u["UserName"] for u in entities["PolicyUsers"]] == ["u"]
    assert [g["GroupName"] for g in entities["PolicyGroups"]] == ["g"]
    assert [r["RoleName"] for r in entities["PolicyRoles"]] == ["r"]
    attached_only = world.call(
        "ListEntitiesForPolicy", PolicyArn=arn, PolicyUsageFilter="PermissionsPolicy"
    )
    assert attached_only["PolicyRoles"] == []
    in_p = world.call("ListEntitiesForPolicy", PolicyArn=arn, PathPrefix="/p/")
    assert len(in_p["PolicyUsers"]) == 1 and in_p["PolicyGroups"] == []
    assert [p["PolicyName"] for p in world.call("ListPolicies", OnlyAttached=True)["Policies"]] == [
        "m"
    ]
    assert world.call("ListPolicies", Scope="AWS")["Policies"] == []
    world.fails(DeleteConflictException, "DeletePolicy", PolicyArn=arn)
    world.call("DetachUserPolicy", UserName="u", PolicyArn=arn)
    world.fails(NoSuchEntityException, "DetachUserPolicy", UserName="u", PolicyArn=arn)
    world.call("DetachGroupPolicy", GroupName="g", PolicyArn=arn)
    world.fails(DeleteConflictException, "DeletePolicy", PolicyArn=arn)  # still a boundary
    world.call("DeleteRolePermissionsBoundary", RoleName="r")
    world.call("DeletePolicy", PolicyArn=arn)


def test_ten_attached_policies_at_most(world: World) -> None:
    world.call("CreateRole", RoleName="r", AssumeRolePolicyDocument=TRUST)
    arns = [
        world.call("CreatePolicy", PolicyName=f"p{i}", PolicyDocument=allow(["s3:*"]))["Policy"][
            "Arn"
        ]
        for i in range(11)
    ]
    for arn in arns[:10]:
        world.call("AttachRolePolicy", RoleName="r", PolicyArn=arn)
    error = world.fails(
        IamLimitExceededException, "AttachRolePolicy", RoleName="r", PolicyArn=arns[10]
    )
    assert error.message == "Cannot exceed quota for PoliciesPerRole: 10"
    world.fails(
        NoSuchEntityException,
        "AttachRolePolicy",
        RoleName="r",
        PolicyArn=arns[0].replace("p0", "zz"),
    )
