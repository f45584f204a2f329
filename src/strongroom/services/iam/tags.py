"""IAM tags on users, roles and managed policies: AWS's rules and messages.

Tag keys are case-insensitive in IAM: one request may not name a key twice in any letter
case, and a tag replaces the entity's tag of the same key in any case. At most 50 tags,
and none under the reserved `aws:` prefix. Lengths and characters are model constraints,
checked at the edge. A refused request changes nothing.
"""

from __future__ import annotations

from typing import Any

from strongroom.errors import IamLimitExceededException, InvalidInputException
from strongroom.services.iam.paging import page

MAX_TAGS = 50
_RESERVED = "aws:"


def merged_tags(current: list[dict[str, str]], new: list[dict[str, str]]) -> list[dict[str, str]]:
    """`current` with `new` added or replacing (by key in any case), refused as AWS does."""
    keys = [tag["Key"].lower() for tag in new]
    if len(set(keys)) < len(keys):
        raise InvalidInputException(
            "Duplicate tag keys found. Please note that Tag keys are case insensitive."
        )
    if any(key.startswith(_RESERVED) for key in keys):
        raise InvalidInputException("User-defined tags may not begin with 'aws:'.")
    kept = [tag for tag in current if tag["Key"].lower() not in keys]
    result = kept + [{"Key": tag["Key"], "Value": tag["Value"]} for tag in new]
    if len(result) > MAX_TAGS:
        raise IamLimitExceededException("The number of tags has reached the maximum limit.")
    return result


def without_tags(current: list[dict[str, str]], keys: list[str]) -> list[dict[str, str]]:
    """`current` less the tags whose keys (in any case) are in `keys`."""
    gone = {key.lower() for key in keys}
    return [tag for tag in current if tag["Key"].lower() not in gone]


def tag_page(
    tags: list[dict[str, str]], marker: str | None, max_items: int | None
) -> dict[str, Any]:
    """A List*Tags result: the tags in key order, a page at a time."""
    chosen, more = page(tags, lambda tag: tag["Key"], marker, max_items)
    return {"Tags": [dict(tag) for tag in chosen], **more}
