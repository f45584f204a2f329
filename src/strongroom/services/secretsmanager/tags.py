"""Tags on secrets: TagResource, UntagResource, and AWS's tag rules.

TagResource is authorized with `aws:RequestTag/<key>` and `aws:TagKeys` of the tags it
sets, UntagResource with `aws:TagKeys` of the keys it removes.

Rules (AWS's): at most 50 tags per secret; keys 1-127 and values 0-255 characters of
letters, digits, spaces and `+ - = . _ : / @`; the `aws:` prefix is AWS's own. A refused
change changes nothing: the whole new tag set is checked before anything is saved.
"""

from __future__ import annotations

import re
from typing import Any

from strongroom.errors import InvalidParameterException, LimitExceededException
from strongroom.services.caller import Caller, request_tag_keys
from strongroom.services.secretsmanager import replication
from strongroom.services.secretsmanager.secret_access import tag_pairs
from strongroom.services.secretsmanager.service import (
    Operation,
    SecretsManager,
    require_changeable,
    secret_to_change,
    touch,
    writes,
)

MAX_TAGS = 50
_ALLOWED = re.compile(r"[\w\s+\-=._:/@]*")


def _check_tag(key: str, value: str) -> None:
    if not 1 <= len(key) <= 127 or len(value) > 255:
        raise InvalidParameterException(
            "A tag key must be 1 to 127 characters long and a tag value at most 255."
        )
    if not _ALLOWED.fullmatch(key) or not _ALLOWED.fullmatch(value):
        raise InvalidParameterException(
            "Tag keys and values may contain only letters, digits, spaces and + - = . _ : / @"
        )
    if key.lower().startswith("aws:"):
        raise InvalidParameterException("Tag keys beginning with aws: are reserved for AWS use.")


def merged_tags(current: list[list[str]] | None, new: list[dict[str, str]]) -> list[list[str]]:
    """`current` with `new` added (a repeated key takes the new value), once every rule
    holds for the result."""
    tags = {key: value for key, value in current or []}
    for tag in new:
        key, value = tag.get("Key"), tag.get("Value", "")
        if key is None:
            raise InvalidParameterException("A tag must have a Key.")
        _check_tag(key, value)
        tags[key] = value
    if len(tags) > MAX_TAGS:
        raise LimitExceededException(f"A secret can have at most {MAX_TAGS} tags.")
    return [[key, value] for key, value in tags.items()]


@writes
def tag_resource(
    sm: SecretsManager, caller: Caller, *, SecretId: str, Tags: list[dict[str, str]]
) -> dict[str, Any]:
    """TagResource: add tags, or give existing keys new values."""
    record = secret_to_change(
        sm,
        caller,
        "secretsmanager:TagResource",
        SecretId,
        check=require_changeable,
        context=request_tag_keys(tag_pairs(Tags)),
    )
    record.tags = merged_tags(record.tags, Tags)
    touch(sm, record)
    sm.repository.save(record)
    replication.follow(sm, caller, record)
    return {}


@writes
def untag_resource(
    sm: SecretsManager, caller: Caller, *, SecretId: str, TagKeys: list[str]
) -> dict[str, Any]:
    """UntagResource: remove tags by key; keys the secret does not have are ignored."""
    record = secret_to_change(
        sm,
        caller,
        "secretsmanager:UntagResource",
        SecretId,
        check=require_changeable,
        context={"aws:TagKeys": tuple(TagKeys)},
    )
    removed = set(TagKeys)
    record.tags = [[key, value] for key, value in record.tags or [] if key not in removed]
    touch(sm, record)
    sm.repository.save(record)
    replication.follow(sm, caller, record)
    return {}


OPERATIONS: dict[str, Operation] = {
    "TagResource": tag_resource,
    "UntagResource": untag_resource,
}
