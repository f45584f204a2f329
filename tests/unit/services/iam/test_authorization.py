"""Every IAM operation authorizes first: one question, its action on its resource, and a
refusal changes nothing stored."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from tests.unit.services.iam.iam_world import ACCOUNT, TRUST, World, allow, arn

from strongroom.services.iam import OPERATIONS

POLICY = f"arn:aws:iam::{ACCOUNT}:policy/m"
USER, GROUP, ROLE = arn("user", "u"), arn("group", "g"), arn("role", "r")
DOC = allow(["s3:*"])


def populated(world: World) -> str:
    """A user (in a group, with a key and policies), a role, a managed policy."""
    world.call("CreateUser", UserName="u")
    world.call("CreateGroup", GroupName="g")
    world.call("AddUserToGroup", GroupName="g", UserName="u")
    world.call("CreateRole", RoleName="r", AssumeRolePolicyDocument=TRUST)
    world.call("CreatePolicy", PolicyName="m", PolicyDocument=DOC)
    world.call("CreatePolicyVersion", PolicyArn=POLICY, PolicyDocument=DOC)
    for kind, name in (("User", "u"), ("Group", "g"), ("Role", "r")):
        world.call(f"Put{kind}Policy", **{f"{kind}Name": name}, PolicyName="p", PolicyDocument=DOC)
        world.call(f"Attach{kind}Policy", **{f"{kind}Name": name}, PolicyArn=POLICY)
    key = world.call("CreateAccessKey", UserName="u")["AccessKey"]["AccessKeyId"]
    return str(key)


Case = Callable[[str], tuple[dict[str, Any], str]]
TAGS = [{"Key": "k", "Value": "v"}]
CASES: dict[str, Case] = {
    "CreateUser": lambda k: ({"UserName": "n", "Path": "/x/"}, arn("user", "n", "/x/")),
    "GetUser": lambda k: ({"UserName": "u"}, USER),
    "ListUsers": lambda k: ({}, "*"),
    "SimulatePrincipalPolicy": lambda k: (
        {"PolicySourceArn": USER, "ActionNames": ["s3:GetObject"]},
        USER,
    ),
    "SimulateCustomPolicy": lambda k: (
        {"PolicyInputList": [DOC], "ActionNames": ["s3:GetObject"]},
        "*",
    ),
    "UpdateUser": lambda k: ({"UserName": "u", "NewUserName": "v"}, USER),
    "DeleteUser": lambda k: ({"UserName": "u"}, USER),
    "TagUser": lambda k: ({"UserName": "u", "Tags": TAGS}, USER),
    "UntagUser": lambda k: ({"UserName": "u", "TagKeys": ["k"]}, USER),
    "ListUserTags": lambda k: ({"UserName": "u"}, USER),
    "CreateAccessKey": lambda k: ({"UserName": "u"}, USER),
    "ListAccessKeys": lambda k: ({"UserName": "u"}, USER),
    "UpdateAccessKey": lambda k: ({"UserName": "u", "AccessKeyId": k, "Status": "Inactive"}, USER),
    "DeleteAccessKey": lambda k: ({"UserName": "u", "AccessKeyId": k}, USER),
    "GetAccessKeyLastUsed": lambda k: ({"AccessKeyId": k}, USER),
    "CreateGroup": lambda k: ({"GroupName": "n"}, arn("group", "n")),
    "GetGroup": lambda k: ({"GroupName": "g"}, GROUP),
    "ListGroups": lambda k: ({}, "*"),
    "AddUserToGroup": lambda k: ({"GroupName": "g", "UserName": "u"}, GROUP),
    "RemoveUserFromGroup": lambda k: ({"GroupName": "g", "UserName": "u"}, GROUP),
    "ListGroupsForUser": lambda k: ({"UserName": "u"}, USER),
    "DeleteGroup": lambda k: ({"GroupName": "g"}, GROUP),
    "CreateRole": lambda k: (
        {"RoleName": "n", "AssumeRolePolicyDocument": TRUST},
        arn("role", "n"),
    ),
    "GetRole": lambda k: ({"RoleName": "r"}, ROLE),
    "ListRoles": lambda k: ({}, "*"),
    "UpdateRole": lambda k: ({"RoleName": "r", "Description": "d"}, ROLE),
    "UpdateAssumeRolePolicy": lambda k: ({"RoleName": "r", "PolicyDocument": TRUST}, ROLE),
    "DeleteRole": lambda k: ({"RoleName": "r"}, ROLE),
    "TagRole": lambda k: ({"RoleName": "r", "Tags": TAGS}, ROLE),
    "UntagRole": lambda k: ({"RoleName": "r", "TagKeys": ["k"]}, ROLE),
    "ListRoleTags": lambda k: ({"RoleName": "r"}, ROLE),
    "CreatePolicy": lambda k: (
        {"PolicyName": "n", "PolicyDocument": DOC},
        f"arn:aws:iam::{ACCOUNT}:policy/n",
    ),
    "GetPolicy": lambda k: ({"PolicyArn": POLICY}, POLICY),
    "GetPolicyVersion": lambda k: ({"PolicyArn": POLICY, "VersionId": "v1"}, POLICY),
    "CreatePolicyVersion": lambda k: ({"PolicyArn": POLICY, "PolicyDocument": DOC}, POLICY),
    "SetDefaultPolicyVersion": lambda k: ({"PolicyArn": POLICY, "VersionId": "v2"}, POLICY),
    "DeletePolicyVersion": lambda k: ({"PolicyArn": POLICY, "VersionId": "v2"}, POLICY),
    "ListPolicyVersions": lambda k: ({"PolicyArn": POLICY}, POLICY),
    "ListPolicies": lambda k: ({}, "*"),
    "DeletePolicy": lambda k: ({"PolicyArn": POLICY}, POLICY),
    "ListEntitiesForPolicy": lambda k: ({"PolicyArn": POLICY}, POLICY),
    "PutUserPermissionsBoundary": lambda k: (
        {"UserName": "u", "PermissionsBoundary": POLICY},
        USER,
    ),
    "DeleteUserPermissionsBoundary": lambda k: ({"UserName": "u"}, USER),
    "PutRolePermissionsBoundary": lambda k: (
        {"RoleName": "r", "PermissionsBoundary": POLICY},
        ROLE,
    ),
    "DeleteRolePermissionsBoundary": lambda k: ({"RoleName": "r"}, ROLE),
}
for _kind, _name, _arn in (("User", "u", USER), ("Group", "g", GROUP), ("Role", "r", ROLE)):
    _member = {f"{_kind}Name": _name}
    CASES |= {
        f"Put{_kind}Policy": lambda k, m=_member, a=_arn: (
            {**m, "PolicyName": "q", "PolicyDocument": DOC},
            a,
        ),
        f"Get{_kind}Policy": lambda k, m=_member, a=_arn: ({**m, "PolicyName": "p"}, a),
        f"Delete{_kind}Policy": lambda k, m=_member, a=_arn: ({**m, "PolicyName": "p"}, a),
        f"List{_kind}Policies": lambda k, m=_member, a=_arn: (dict(m), a),
        f"Attach{_kind}Policy": lambda k, m=_member, a=_arn: ({**m, "PolicyArn": POLICY}, a),
        f"Detach{_kind}Policy": lambda k, m=_member, a=_arn: ({**m, "PolicyArn": POLICY}, a),
        f"ListAttached{_kind}Policies": lambda k, m=_member, a=_arn: (dict(m), a),
    }


def test_every_operation_has_a_case() -> None:
    assert set(CASES) == set(OPERATIONS)


@pytest.mark.parametrize("name", sorted(CASES))
def test_refused_first_and_nothing_changes(world: World, name: str) -> None:
    key = populated(world)
    params, resource = CASES[name](key)
    world.refused(name, f"iam:{name}", resource, **params)


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_missing_entity_is_still_refused_first(world: World, name: str) -> None:
    """Without the entity, a refused caller learns nothing: AccessDenied, not NoSuchEntity."""
    params, resource = CASES[name]("AKIANOSUCHKEYNOSUCH0")
    if name == "GetAccessKeyLastUsed":
        resource = f"arn:aws:iam::{ACCOUNT}:user/*"
    world.refused(name, f"iam:{name}", resource, **params)


IN_USE = {"DeleteUser", "DeleteGroup", "DeleteRole", "DeletePolicy"}
"""Refused while something hangs on them: see the conflict tests."""


@pytest.mark.parametrize("name", sorted(set(CASES) - IN_USE))
def test_the_same_parameters_succeed_when_allowed(world: World, name: str) -> None:
    key = populated(world)
    params, _ = CASES[name](key)
    assert isinstance(world.call(name, **params), dict)
