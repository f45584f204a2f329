"""Resource tags on keys: TagResource, UntagResource, ListResourceTags."""

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


def tag_dict(tags: list[dict[str, str]]) -> dict[str, str]:
    """Tags as a dict, refusing reserved and duplicate keys."""
    result: dict[str, str] = {}
    for tag in tags:
        key = tag["TagKey"]
        if key.startswith("aws:"):
            raise TagException("Tags beginning with aws: are reserved")
        if key in result:
            raise TagException("Duplicate tag keys")
        result[key] = tag["TagValue"]
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
        raise TagException(f"A key may have at most {MAX_TAGS} tags")
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
