"""The authorizer's read side: the policies that govern a principal."""

from __future__ import annotations

import json

from tests.unit.services.iam.iam_world import ACCOUNT, TRUST, World, allow

from strongroom.identity import Principal
from strongroom.services.iam import policies_for


def actions(documents: list[dict]) -> list[object]:
    return [d["Statement"][0]["Action"] for d in documents]


def test_a_users_own_and_group_policies_and_boundary(world: World) -> None:
    world.call("CreateUser", UserName="Alice")
    world.call("CreateGroup", GroupName="g")
    world.call("AddUserToGroup", GroupName="g", UserName="alice")
    managed = world.call("CreatePolicy", PolicyName="m", PolicyDocument=allow(["m:1"]))["Policy"]
    bound = world.call("CreatePolicy", PolicyName="b", PolicyDocument=allow(["b:1"]))["Policy"]
    world.call("PutUserPolicy", UserName="alice", PolicyName="i", PolicyDocument=allow(["i:1"]))
    world.call("AttachUserPolicy", UserName="alice", PolicyArn=managed["Arn"])
    world.call("PutGroupPolicy", GroupName="g", PolicyName="gi", PolicyDocument=allow(["gi:1"]))
    world.call("AttachGroupPolicy", GroupName="g", PolicyArn=managed["Arn"])
    world.call("PutUserPermissionsBoundary", UserName="alice", PermissionsBoundary=bound["Arn"])
    principal = Principal("AKIAALICEALICEALICE0", ACCOUNT, "Alice")
    documents, boundary = policies_for(world.iam, ACCOUNT, principal)
    assert actions(documents) == [["i:1"], ["m:1"], ["gi:1"], ["m:1"]]
    assert boundary == json.loads(allow(["b:1"]))
    # A new default version is what counts from then on.
    world.call(
        "CreatePolicyVersion",
        PolicyArn=managed["Arn"],
        PolicyDocument=allow(["m:2"]),
        SetAsDefault=True,
    )
    documents, _ = policies_for(world.iam, ACCOUNT, principal)
    assert actions(documents) == [["i:1"], ["m:2"], ["gi:1"], ["m:2"]]


def test_a_role_session(world: World) -> None:
    world.call("CreateRole", RoleName="app", AssumeRolePolicyDocument=TRUST)
    world.call("PutRolePolicy", RoleName="app", PolicyName="p", PolicyDocument=allow(["r:1"]))
    session = Principal("ASIAXXXXXXXXXXXXXXXX", ACCOUNT, "app", role_session="app/s1")
    assert policies_for(world.iam, ACCOUNT, session) == ([json.loads(allow(["r:1"]))], None)


def test_principals_without_iam_records_have_none(world: World) -> None:
    for principal in (
        Principal("AKIAROOTROOTROOTROOT", ACCOUNT, "root"),
        Principal.of_service(ACCOUNT, "secretsmanager.amazonaws.com"),
        Principal("AKIAOPERATORMADEKEY0", ACCOUNT, "operator-made"),
        Principal("AKIAOTHERACCOUNTKEY0", "999988887777", "alice"),
    ):
        assert policies_for(world.iam, principal.account_id, principal) == ([], None)
