"""Aliases and tags through boto3, with AWS's error codes and messages.

Tag rules as AWS enforces them on CreateKey and TagResource: duplicate keys, more than 50
tags (per request, and per key once merged), the reserved `aws:` prefix in any letter
case, key length 1-128 and value length 0-256; a refused request changes nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest

from tests.e2e.harness import ACCOUNT_ID, REGION, ServerProcess
from tests.e2e.kms_support import error_of, new_key


def _name() -> str:
    return f"alias/t-{uuid.uuid4().hex[:10]}"


def test_alias_life_cycle(kms: Any) -> None:
    first, second = new_key(kms), new_key(kms)
    name = _name()
    kms.create_alias(AliasName=name, TargetKeyId=first["Arn"])
    listed = kms.list_aliases(KeyId=first["KeyId"])["Aliases"]
    assert [(a["AliasName"], a["TargetKeyId"]) for a in listed] == [(name, first["KeyId"])]
    assert listed[0]["AliasArn"] == f"arn:aws:kms:{REGION}:{ACCOUNT_ID}:{name}"
    kms.update_alias(AliasName=name, TargetKeyId=second["KeyId"])
    assert kms.describe_key(KeyId=name)["KeyMetadata"]["KeyId"] == second["KeyId"]
    assert kms.list_aliases(KeyId=first["KeyId"])["Aliases"] == []
    kms.delete_alias(AliasName=name)
    assert error_of(kms.describe_key, KeyId=name)["Code"] == "NotFoundException"
    assert kms.describe_key(KeyId=second["KeyId"])["KeyMetadata"]["KeyState"] == "Enabled"


def test_alias_errors_change_nothing(kms: Any, raw_kms: Any) -> None:
    key = new_key(kms)
    name = _name()
    kms.create_alias(AliasName=name, TargetKeyId=key["KeyId"])
    before = kms.list_aliases()["Aliases"]
    duplicate = error_of(kms.create_alias, AliasName=name, TargetKeyId=key["KeyId"])
    assert duplicate["Code"] == "AlreadyExistsException"
    assert duplicate["Message"] == (
        f"An alias with the name arn:aws:kms:{REGION}:{ACCOUNT_ID}:{name} already exists"
    )
    reserved = error_of(kms.create_alias, AliasName="alias/aws/ebs", TargetKeyId=key["KeyId"])
    assert reserved["Code"] == "NotAuthorizedException"
    assert error_of(kms.create_alias, AliasName="wrong/x", TargetKeyId=key["KeyId"])["Code"] == (
        "ValidationException"
    )
    bad_chars = error_of(raw_kms.create_alias, AliasName="alias/bad!", TargetKeyId=key["KeyId"])
    assert bad_chars["Code"] == "ValidationException"
    assert "regular expression pattern" in bad_chars["Message"]
    to_alias = error_of(kms.create_alias, AliasName=_name(), TargetKeyId=name)
    assert to_alias == {
        **to_alias,
        "Code": "ValidationException",
        "Message": "Aliases must refer to keys. Not aliases",
    }
    missing_key = error_of(kms.create_alias, AliasName=_name(), TargetKeyId=str(uuid.uuid4()))
    assert missing_key["Code"] == "NotFoundException"
    missing = error_of(kms.delete_alias, AliasName="alias/never-made")
    assert missing["Code"] == "NotFoundException"
    assert missing["Message"] == (
        f"Alias arn:aws:kms:{REGION}:{ACCOUNT_ID}:alias/never-made is not found."
    )
    assert (
        error_of(kms.update_alias, AliasName="alias/never-made", TargetKeyId=key["KeyId"])["Code"]
        == "NotFoundException"
    )
    assert kms.list_aliases()["Aliases"] == before


def test_list_aliases_paginates(start_server: Any) -> None:
    kms = start_server().client("kms")
    key = new_key(kms)
    names = sorted(f"alias/page-{i}" for i in range(5))
    for name in names:
        kms.create_alias(AliasName=name, TargetKeyId=key["KeyId"])
    seen: list[str] = []
    page = kms.list_aliases(Limit=2)
    while True:
        seen += [a["AliasName"] for a in page["Aliases"]]
        if not page["Truncated"]:
            break
        page = kms.list_aliases(Limit=2, Marker=page["NextMarker"])
    assert seen == names


def test_tags(kms: Any, raw_kms: Any) -> None:
    key_id = new_key(kms)["KeyId"]
    kms.tag_resource(
        KeyId=key_id, Tags=[{"TagKey": "a", "TagValue": "1"}, {"TagKey": "b", "TagValue": "2"}]
    )
    kms.tag_resource(KeyId=key_id, Tags=[{"TagKey": "a", "TagValue": "3"}])
    tags = kms.list_resource_tags(KeyId=key_id)["Tags"]
    assert sorted((t["TagKey"], t["TagValue"]) for t in tags) == [("a", "3"), ("b", "2")]
    kms.untag_resource(KeyId=key_id, TagKeys=["a", "missing"])
    assert kms.list_resource_tags(KeyId=key_id)["Tags"] == [{"TagKey": "b", "TagValue": "2"}]
    reserved = error_of(kms.tag_resource, KeyId=key_id, Tags=[{"TagKey": "aws:x", "TagValue": "1"}])
    assert reserved["Code"] == "TagException"
    long_key = error_of(
        raw_kms.tag_resource, KeyId=key_id, Tags=[{"TagKey": "k" * 129, "TagValue": "1"}]
    )
    assert long_key["Code"] == "ValidationException"
    assert kms.list_resource_tags(KeyId=key_id)["Tags"] == [{"TagKey": "b", "TagValue": "2"}]


@pytest.mark.parametrize("limit", [1, 2])
def test_list_resource_tags_paginates(kms: Any, limit: int) -> None:
    key_id = new_key(kms)["KeyId"]
    kms.tag_resource(KeyId=key_id, Tags=[{"TagKey": f"k{i}", "TagValue": "v"} for i in range(3)])
    seen: list[str] = []
    page = kms.list_resource_tags(KeyId=key_id, Limit=limit)
    while True:
        seen += [t["TagKey"] for t in page["Tags"]]
        if not page["Truncated"]:
            break
        page = kms.list_resource_tags(KeyId=key_id, Limit=limit, Marker=page["NextMarker"])
    assert seen == ["k0", "k1", "k2"]


def _tags(*keys: str, value: str = "v") -> list[dict[str, str]]:
    return [{"TagKey": key, "TagValue": value} for key in keys]


def _tag_error(message: str) -> dict[str, Any]:
    return {"Code": "TagException", "Message": message, "Status": 400}


def _length_error(value: str, where: str, bound: str) -> str:
    return (
        f"1 validation error detected: Value '{value}' at '{where}' failed to satisfy "
        f"constraint: Member must have length {bound}"
    )


RESERVED = ["aws:x", "AWS:x", "Aws:x", "aWS:name", "aws:"]


def test_create_key_tag_rules(start_server: Callable[..., ServerProcess]) -> None:
    kms = start_server().client("kms")
    fifty_one = _tags(*(f"k{i}" for i in range(51)))
    assert error_of(kms.create_key, Tags=fifty_one) == _tag_error("Too many tags")
    duplicate = _tags("team", "team")
    assert error_of(kms.create_key, Tags=duplicate) == _tag_error("Duplicate tag keys")
    for key in RESERVED:
        refused = error_of(kms.create_key, Tags=_tags("ok", key))
        assert refused == _tag_error("Tags beginning with aws: are reserved"), key
    assert kms.list_keys()["Keys"] == []
    key_id = new_key(kms, Tags=_tags(*(f"k{i}" for i in range(50)), value=""))["KeyId"]
    listed = kms.list_resource_tags(KeyId=key_id, Limit=50)
    assert len(listed["Tags"]) == 50 and not listed["Truncated"]
    assert {t["TagValue"] for t in listed["Tags"]} == {""}
    assert new_key(kms, Tags=_tags("awsx", "x-aws:y", "AWS"))["KeyId"]


def test_tag_lengths_are_checked_at_the_edge(strongroom_server: ServerProcess) -> None:
    raw = strongroom_server.client("kms", validate=False)
    long_key, long_value = "k" * 129, "v" * 257
    too_long = error_of(raw.create_key, Tags=[{"TagKey": long_key, "TagValue": "v"}])
    assert too_long == {
        "Code": "ValidationException",
        "Message": _length_error(long_key, "tags.1.member.tagKey", "less than or equal to 128"),
        "Status": 400,
    }
    key_id = new_key(raw)["KeyId"]
    empty = error_of(raw.tag_resource, KeyId=key_id, Tags=_tags("a") + _tags(""))
    assert empty["Code"] == "ValidationException"
    assert empty["Message"] == _length_error(
        "", "tags.2.member.tagKey", "greater than or equal to 1"
    )
    value = error_of(raw.tag_resource, KeyId=key_id, Tags=_tags("a", value=long_value))
    assert value["Message"] == _length_error(
        long_value, "tags.1.member.tagValue", "less than or equal to 256"
    )
    raw.tag_resource(KeyId=key_id, Tags=_tags("k" * 128, value="v" * 256))
    assert raw.list_resource_tags(KeyId=key_id)["Tags"] == _tags("k" * 128, value="v" * 256)


def test_tag_resource_rules_change_nothing(kms: Any) -> None:
    key_id = new_key(kms, Tags=_tags(*(f"k{i:02}" for i in range(40))))["KeyId"]

    def tags() -> list[dict[str, str]]:
        return kms.list_resource_tags(KeyId=key_id, Limit=50)["Tags"]  # type: ignore[no-any-return]

    before = tags()
    assert error_of(kms.tag_resource, KeyId=key_id, Tags=_tags("new", "new")) == _tag_error(
        "Duplicate tag keys"
    )
    for key in RESERVED:
        refused = error_of(kms.tag_resource, KeyId=key_id, Tags=_tags("new", key))
        assert refused == _tag_error("Tags beginning with aws: are reserved"), key
    request = _tags(*(f"n{i}" for i in range(51)))
    assert error_of(kms.tag_resource, KeyId=key_id, Tags=request) == _tag_error("Too many tags")
    past_fifty = _tags(*(f"n{i:02}" for i in range(11)))
    assert error_of(kms.tag_resource, KeyId=key_id, Tags=past_fifty) == _tag_error("Too many tags")
    assert tags() == before
    kms.tag_resource(KeyId=key_id, Tags=past_fifty[:10])
    assert len(tags()) == 50
    kms.tag_resource(KeyId=key_id, Tags=_tags("k00", "n00", value="changed"))
    after = {t["TagKey"]: t["TagValue"] for t in tags()}
    assert len(after) == 50 and after["k00"] == after["n00"] == "changed"


def test_update_alias_keeps_the_key_type_and_usage(kms: Any) -> None:
    """An alias moves only to a key its callers can use the same way (AWS's rule)."""
    symmetric = new_key(kms)
    other_symmetric = new_key(kms)
    signing = new_key(kms, KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")
    kms.create_alias(AliasName="alias/same-kind", TargetKeyId=symmetric["KeyId"])
    error = error_of(kms.update_alias, AliasName="alias/same-kind", TargetKeyId=signing["KeyId"])
    assert error["Code"] == "ValidationException"
    assert kms.describe_key(KeyId="alias/same-kind")["KeyMetadata"]["KeyId"] == symmetric["KeyId"]
    kms.update_alias(AliasName="alias/same-kind", TargetKeyId=other_symmetric["KeyId"])
    moved = kms.describe_key(KeyId="alias/same-kind")["KeyMetadata"]["KeyId"]
    assert moved == other_symmetric["KeyId"]
