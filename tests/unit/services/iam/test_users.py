"""IAM users: names, ids, ARNs, paths, tags, renames and what blocks a deletion."""

from __future__ import annotations

import re

from tests.unit.services.iam.iam_world import ACCOUNT, World, allow, arn

from strongroom.errors import (
    DeleteConflictException,
    EntityAlreadyExistsException,
    IamLimitExceededException,
    IamValidationError,
    InvalidInputException,
    NoSuchEntityException,
)
from strongroom.identity import Principal


def test_create_user_has_aws_ids_and_arn_with_its_path(world: World) -> None:
    user = world.call("CreateUser", UserName="Alice", Path="/eng/")["User"]
    assert user["Arn"] == arn("user", "Alice", "/eng/")
    assert re.fullmatch(r"AIDA[A-Z2-7]{16}", user["UserId"])
    assert user["Path"] == "/eng/" and user["UserName"] == "Alice"
    assert world.call("GetUser", UserName="alice")["User"] == user


def test_user_names_are_unique_in_any_case(world: World) -> None:
    world.call("CreateUser", UserName="alice")
    error = world.fails(EntityAlreadyExistsException, "CreateUser", UserName="ALICE")
    assert error.code == "EntityAlreadyExists"
    assert error.message == "User with name ALICE already exists."


def test_a_user_named_root_is_refused(world: World) -> None:
    world.fails(InvalidInputException, "CreateUser", UserName="Root")


def test_get_user_of_a_missing_user(world: World) -> None:
    error = world.fails(NoSuchEntityException, "GetUser", UserName="bob")
    assert error.code == "NoSuchEntity"
    assert error.message == "The user with name bob cannot be found."


def test_get_user_without_a_name_is_the_caller(world: World) -> None:
    created = world.call("CreateUser", UserName="alice")["User"]
    alice = Principal("AKIAALICEALICEALICE0", ACCOUNT, "alice")
    assert world.call("GetUser", as_=alice)["User"] == created
    root = world.call("GetUser")["User"]
    assert root["Arn"] == f"arn:aws:iam::{ACCOUNT}:root" and root["UserId"] == ACCOUNT
    session = Principal("ASIAXXXXXXXXXXXXXXXX", ACCOUNT, "r", role_session="r/s")
    world.fails(IamValidationError, "GetUser", as_=session)


def test_list_users_filters_by_path_and_pages(world: World) -> None:
    for name, path in [("c", "/eng/"), ("a", "/eng/"), ("b", "/ops/"), ("d", "/eng/x/")]:
        world.call("CreateUser", UserName=name, Path=path)
    first = world.call("ListUsers", PathPrefix="/eng/", MaxItems=2)
    assert [u["UserName"] for u in first["Users"]] == ["a", "c"]
    assert first["IsTruncated"] is True
    rest = world.call("ListUsers", PathPrefix="/eng/", Marker=first["Marker"])
    assert [u["UserName"] for u in rest["Users"]] == ["d"] and rest["IsTruncated"] is False
    assert len(world.call("ListUsers")["Users"]) == 4


def test_tags_are_case_insensitive_and_limited(world: World) -> None:
    world.call("CreateUser", UserName="alice", Tags=[{"Key": "Team", "Value": "a"}])
    world.call("TagUser", UserName="alice", Tags=[{"Key": "team", "Value": "b"}])
    assert world.call("ListUserTags", UserName="alice")["Tags"] == [{"Key": "team", "Value": "b"}]
    dup = [{"Key": "x", "Value": "1"}, {"Key": "X", "Value": "2"}]
    world.fails(InvalidInputException, "TagUser", UserName="alice", Tags=dup)
    world.fails(
        InvalidInputException, "TagUser", UserName="alice", Tags=[{"Key": "aws:x", "Value": ""}]
    )
    many = [{"Key": f"k{i}", "Value": ""} for i in range(50)]
    world.fails(IamLimitExceededException, "TagUser", UserName="alice", Tags=many)
    world.call("UntagUser", UserName="alice", TagKeys=["TEAM", "absent"])
    assert world.call("ListUserTags", UserName="alice")["Tags"] == []


def test_rename_moves_the_user_and_its_access_keys(world: World) -> None:
    world.call("CreateUser", UserName="alice")
    world.call("CreateUser", UserName="bob")
    key = world.call("CreateAccessKey", UserName="alice")["AccessKey"]
    world.fails(EntityAlreadyExistsException, "UpdateUser", UserName="alice", NewUserName="BOB")
    world.call("UpdateUser", UserName="alice", NewUserName="carol", NewPath="/x/")
    world.fails(NoSuchEntityException, "GetUser", UserName="alice")
    assert world.call("GetUser", UserName="carol")["User"]["Arn"] == arn("user", "carol", "/x/")
    found = world.keys.find(key["AccessKeyId"])
    assert found is not None and found.principal.user_name == "carol"
    listed = world.call("ListAccessKeys", UserName="carol")["AccessKeyMetadata"]
    assert [k["AccessKeyId"] for k in listed] == [key["AccessKeyId"]]


def test_rename_changing_only_letter_case(world: World) -> None:
    world.call("CreateUser", UserName="alice")
    world.call("UpdateUser", UserName="alice", NewUserName="Alice")
    assert [u["UserName"] for u in world.call("ListUsers")["Users"]] == ["Alice"]


def test_delete_user_conflicts_until_nothing_hangs_on_it(world: World) -> None:
    world.call("CreateUser", UserName="alice")
    key = world.call("CreateAccessKey", UserName="alice")["AccessKey"]["AccessKeyId"]
    world.call("PutUserPolicy", UserName="alice", PolicyName="p", PolicyDocument=allow(["s3:*"]))
    policy = world.call("CreatePolicy", PolicyName="m", PolicyDocument=allow(["s3:*"]))
    world.call("AttachUserPolicy", UserName="alice", PolicyArn=policy["Policy"]["Arn"])
    world.call("CreateGroup", GroupName="g")
    world.call("AddUserToGroup", GroupName="g", UserName="alice")

    def conflict(words: str) -> None:
        error = world.fails(DeleteConflictException, "DeleteUser", UserName="alice")
        assert error.code == "DeleteConflict" and words in error.message

    conflict("access keys")
    world.call("DeleteAccessKey", UserName="alice", AccessKeyId=key)
    conflict("delete policies")
    world.call("DeleteUserPolicy", UserName="alice", PolicyName="p")
    conflict("detach all policies")
    world.call("DetachUserPolicy", UserName="alice", PolicyArn=policy["Policy"]["Arn"])
    conflict("groups")
    world.call("RemoveUserFromGroup", GroupName="g", UserName="alice")
    world.call("DeleteUser", UserName="alice")
    world.fails(NoSuchEntityException, "GetUser", UserName="alice")


def test_permissions_boundary_must_be_an_existing_policy(world: World) -> None:
    missing = f"arn:aws:iam::{ACCOUNT}:policy/none"
    world.fails(NoSuchEntityException, "CreateUser", UserName="a", PermissionsBoundary=missing)
    world.fails(
        InvalidInputException, "CreateUser", UserName="a", PermissionsBoundary="not-an-arn-at-all"
    )
    policy = world.call("CreatePolicy", PolicyName="b", PolicyDocument=allow(["s3:*"]))["Policy"]
    user = world.call("CreateUser", UserName="a", PermissionsBoundary=policy["Arn"])["User"]
    assert user["PermissionsBoundary"] == {
        "PermissionsBoundaryType": "PermissionsBoundaryPolicy",
        "PermissionsBoundaryArn": policy["Arn"],
    }
    world.call("DeleteUserPermissionsBoundary", UserName="a")
    assert "PermissionsBoundary" not in world.call("GetUser", UserName="a")["User"]
    world.call("PutUserPermissionsBoundary", UserName="a", PermissionsBoundary=policy["Arn"])
    assert "PermissionsBoundary" in world.call("GetUser", UserName="a")["User"]
