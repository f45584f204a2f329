"""The JSON object an operator API request carries (its body; empty means `{}`)."""

from __future__ import annotations

from typing import Any

import orjson

from strongroom.errors import SerializationException

__all__ = ["json_object"]


def json_object(body: bytes) -> dict[str, Any]:
    """The body as a JSON object, or `SerializationException` (nothing echoed back)."""
    try:
        value = orjson.loads(body or b"{}")
    except orjson.JSONDecodeError:
        value = None
    if not isinstance(value, dict):
        raise SerializationException("The request body must be a JSON object.")
    return value
