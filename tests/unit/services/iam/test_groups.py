"""IAM groups and memberships."""

from __future__ import annotations

import re

from tests.unit.services.iam.iam_world import World, allow, arn

from strongroom.errors import (
    DeleteConflictException,
    EntityAlreadyExistsException,
    IamLimitExceededException,
    NoSuchEntityException,
)


def test_groups_members_and_deletion(world: World) -> None:
    group = world.call("CreateGroup", GroupName="Dev", Path="/t/")["Group"]
    assert re.fullmatch(r"AGPA[A-Z2-7]{16}", group["GroupId"])
    assert group["Arn"] == arn("group", "Dev", "/t/")
    world.fails(EntityAlreadyExistsException, "CreateGroup", GroupName="dev")
    world.call("CreateUser", UserName="b")
    world.call("CreateUser", UserName="a")
    world.call("AddUserToGroup", GroupName="dev", UserName="b")
    world.call("AddUserToGroup", GroupName="Dev", UserName="a")
    world.call("AddUserToGroup", GroupName="Dev", UserName="a")  # again: nothing changes
    got = world.call("GetGroup", GroupName="Dev")
    assert got["Group"] == group and [u["UserName"] for u in got["Users"]] == ["a", "b"]
    assert [g["GroupName"] for g in world.call("ListGroupsForUser", UserName="a")["Groups"]] == [
        "Dev"
    ]
    world.fails(NoSuchEntityException, "AddUserToGroup", GroupName="Dev", UserName="ghost")
    world.fails(NoSuchEntityException, "AddUserToGroup", GroupName="ghost", UserName="a")
    error = world.fails(DeleteConflictException, "DeleteGroup", GroupName="Dev")
    assert "remove users from group" in error.message
    world.call("RemoveUserFromGroup", GroupName="Dev", UserName="a")
    world.call("RemoveUserFromGroup", GroupName="Dev", UserName="b")
    world.fails(NoSuchEntityException, "RemoveUserFromGroup", GroupName="Dev", UserName="b")
    world.call("PutGroupPolicy", GroupName="Dev", PolicyName="p", PolicyDocument=allow(["s3:*"]))
    world.fails(DeleteConflictException, "DeleteGroup", GroupName="Dev")
    world.call("DeleteGroupPolicy", GroupName="Dev", PolicyName="p")
    world.call("DeleteGroup", GroupName="Dev")
    assert world.call("ListGroups")["Groups"] == []


def test_ten_groups_per_user(world: World) -> None:
    world.call("CreateUser", UserName="a")
    for i in range(11):
        world.call("CreateGroup", GroupName=f"g{i:02}")
    for i in range(10):
        world.call("AddUserToGroup", GroupName=f"g{i:02}", UserName="a")
    world.fails(IamLimitExceededException, "AddUserToGroup", GroupName="g10", UserName="a")


def test_list_groups_by_path(world: World) -> None:
    world.call("CreateGroup", GroupName="a", Path="/x/")
    world.call("CreateGroup", GroupName="b")
    assert [g["GroupName"] for g in world.call("ListGroups", PathPrefix="/x")["Groups"]] == ["a"]
