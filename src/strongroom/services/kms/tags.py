"""Resource tags on keys: TagResource, UntagResource, ListResourceTags.

AWS's tag rules, with its `TagException` messages, checked in its order: duplicate keys in
one request, then more than 50 tags, then a key under the reserved `aws:` prefix in any
letter case. Lengths (key 1-128, value 0-256) are model constraints, checked at the edge
(`api/aws/model.py`) before an operation runs. A key never holds more than 50 tags: a
TagResource that would take it past that changes nothing.
"""

from __future__ import annotations

from typing import Any

from strongroom.errors import InvalidMarkerException, TagException
from strongroom.services.caller import Caller
from strongroom.services.kms.service import (
    Kms,
    Operation,
    authorized_key,
    key_to_change,
    require_not_pending_deletion,
    writes,
)

MAX_TAGS = 50
RESERVED_PREFIX = "aws:"


def tag_dict(tags: list[dict[str, str]]) -> dict[str, str]:
    """The tags of one request as a dict, refused as AWS refuses them."""
    result = {tag["TagKey"]: tag["TagValue"] for tag in tags}
    if len(result) < len(tags):
        raise TagException("Duplicate tag keys")
    if len(result) > MAX_TAGS:
        raise TagException("Too many tags")
    if any(key[: len(RESERVED_PREFIX)].lower() == RESERVED_PREFIX for key in result):
        raise TagException("Tags beginning with aws: are reserved")
    return result


@writes
def tag_resource(
    kms: Kms, caller: Caller, *, KeyId: str, Tags: list[dict[str, str]]
) -> dict[str, Any]:
    """TagResource: add or overwrite tags."""
    record = key_to_change(
        kms, caller, "kms:TagResource", KeyId, aliases=False, check=require_not_pending_deletion
    )
    merged = {**record.tags, **tag_dict(Tags)}
    if len(merged) > MAX_TAGS:
        raise TagException("Too many tags")
    record.tags = merged
    kms.repository.save(record)
    return {}


@writes
def untag_resource(kms: Kms, caller: Caller, *, KeyId: str, TagKeys: list[str]) -> dict[str, Any]:
    """UntagResource: remove tags by key; absent keys are ignored."""
    record = key_to_change(
        kms, caller, "kms:UntagResource", KeyId, aliases=False, check=require_not_pending_deletion
    )
    for key in TagKeys:
        record.tags.pop(key, None)
    kms.repository.save(record)
    return {}


def list_resource_tags(
    kms: Kms, caller: Caller, *, KeyId: str, Limit: int = 50, Marker: str | None = None
) -> dict[str, Any]:
    """ListResourceTags, in tag key order, paginated by the last key returned."""
    record = authorized_key(kms, caller, "kms:ListResourceTags", KeyId, aliases=False)
    keys = sorted(record.tags)
    start = 0
    if Marker is not None:
        if Marker not in record.tags:
            raise InvalidMarkerException("Invalid marker")
        start = keys.index(Marker) + 1
    page = keys[start : start + Limit]
    tags = [{"TagKey": key, "TagValue": record.tags[key]} for key in page]
    truncated = start + Limit < len(keys)
    result: dict[str, Any] = {"Tags": tags, "Truncated": truncated}
    if truncated:
        result["NextMarker"] = page[-1]
    return result


OPERATIONS: dict[str, Operation] = {
    "TagResource": tag_resource,
    "UntagResource": untag_resource,
    "ListResourceTags": list_resource_tags,
}
