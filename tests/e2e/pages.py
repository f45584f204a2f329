"""Every entry of a paginated AWS listing, following NextToken from page to page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def every_entry(call: Callable[..., Any], key: str, **params: Any) -> list[dict[str, Any]]:
    """The entries under `key` of every page `call(**params)` answers, in order."""
    entries: list[dict[str, Any]] = []
    while True:
        page = call(**params)
        entries += page[key]
        if "NextToken" not in page:
            return entries
        params["NextToken"] = page["NextToken"]
