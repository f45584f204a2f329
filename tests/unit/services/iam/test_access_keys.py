"""IAM users' access keys, kept in the identity store that SigV4 reads."""

from __future__ import annotations

from tests.unit.services.iam.iam_world import ACCOUNT, World

from strongroom.errors import (
    IamLimitExceededException,
    InvalidInputException,
    NoSuchEntityException,
)
from strongroom.identity import Principal


def test_a_users_key_signs_as_that_user(world: World) -> None:
    world.call("CreateUser", UserName="alice")
    made = world.call("CreateAccessKey", UserName="alice")["AccessKey"]
    assert made["UserName"] == "alice" and made["Status"] == "Active"
    assert world.keys.secret_for(made["AccessKeyId"]) == made["SecretAccessKey"]
    key = world.keys.find(made["AccessKeyId"])
    assert key is not None and key.principal.arn() == f"arn:aws:iam::{ACCOUNT}:user/alice"
    listed = world.call("ListAccessKeys", UserName="alice")["AccessKeyMetadata"]
    assert listed == [
        {
            "UserName": "alice",
            "AccessKeyId": made["AccessKeyId"],
            "Status": "Active",
            "CreateDate": made["CreateDate"],
        }
    ]
    assert "SecretAccessKey" not in listed[0]


def test_two_keys_per_user_at_most(world: World) -> None:
    world.call("CreateUser", UserName="alice")
    world.call("CreateAccessKey", UserName="alice")
    world.call("CreateAccessKey", UserName="alice")
    world.fails(IamLimitExceededException, "CreateAccessKey", UserName="alice")


def test_keys_of_a_missing_user(world: World) -> None:
    world.fails(NoSuchEntityException, "CreateAccessKey", UserName="ghost")
    world.fails(NoSuchEntityException, "ListAccessKeys", UserName="ghost")


def test_update_and_delete_only_the_users_own_keys(world: World) -> None:
    world.call("CreateUser", UserName="alice")
    world.call("CreateUser", UserName="bob")
    key = world.call("CreateAccessKey", UserName="alice")["AccessKey"]["AccessKeyId"]
    world.fails(
        NoSuchEntityException, "UpdateAccessKey", UserName="bob", AccessKeyId=key, Status="Inactive"
    )
    world.fails(NoSuchEntityException, "DeleteAccessKey", UserName="bob", AccessKeyId=key)
    world.fails(
        InvalidInputException,
        "UpdateAccessKey",
        UserName="alice",
        AccessKeyId=key,
        Status="Expired",
    )
    world.call("UpdateAccessKey", UserName="alice", AccessKeyId=key, Status="Inactive")
    assert world.keys.secret_for(key) is None
    world.call("DeleteAccessKey", UserName="alice", AccessKeyId=key)
    assert world.keys.find(key) is None


def test_without_a_user_name_the_callers_own_keys(world: World) -> None:
    world.call("CreateUser", UserName="alice")
    alice = Principal("AKIAALICEALICEALICE0", ACCOUNT, "alice")
    made = world.call("CreateAccessKey", as_=alice)["AccessKey"]
    assert made["UserName"] == "alice"
    root_keys = world.call("ListAccessKeys")["AccessKeyMetadata"]
    assert [k["AccessKeyId"] for k in root_keys] == ["AKIAROOTROOTROOTROOT"]
    assert "UserName" not in root_keys[0]


def test_last_used(world: World) -> None:
    world.call("CreateUser", UserName="alice")
    key = world.call("CreateAccessKey", UserName="alice")["AccessKey"]["AccessKeyId"]
    never = world.call("GetAccessKeyLastUsed", AccessKeyId=key)
    assert never == {
        "UserName": "alice",
        "AccessKeyLastUsed": {"ServiceName": "N/A", "Region": "N/A"},
    }
    world.keys.note_use(key, "eu-west-1", "kms")
    used = world.call("GetAccessKeyLastUsed", AccessKeyId=key)["AccessKeyLastUsed"]
    assert used["ServiceName"] == "kms" and used["Region"] == "eu-west-1"
    world.fails(NoSuchEntityException, "GetAccessKeyLastUsed", AccessKeyId="AKIANOTAKEYNOTAKEY00")
