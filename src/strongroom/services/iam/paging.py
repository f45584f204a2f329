"""IAM's pagination: `Marker` and `MaxItems` in, `IsTruncated` and `Marker` out.

A marker is the sort key of the last item handed out (a lower-case name, a version id);
the next page starts after it, so a listing stays correct while items come and go. Keys
are plain names, never secrets, so handing them back as markers reveals nothing the page
did not.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

ItemT = TypeVar("ItemT")

DEFAULT_MAX_ITEMS = 100


def page(
    items: Iterable[ItemT],
    key: Callable[[ItemT], str],
    marker: str | None,
    max_items: int | None,
) -> tuple[list[ItemT], dict[str, Any]]:
    """The items after `marker` (in `key` order), at most `max_items` of them, and the
    `IsTruncated` / `Marker` members of the result."""
    limit = DEFAULT_MAX_ITEMS if max_items is None else max_items
    ordered = sorted(items, key=key)
    if marker is not None:
        ordered = [item for item in ordered if key(item) > marker]
    chosen = ordered[:limit]
    if len(ordered) > limit:
        return chosen, {"IsTruncated": True, "Marker": key(chosen[-1])}
    return chosen, {"IsTruncated": False}
