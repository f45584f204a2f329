"""boto3 answers as values a test compares: the state before a call against after it.

`plain` drops the response envelope (`ResponseMetadata`, which differs every time) and
any `moving` keys (fields that change on their own, as LastAccessedDate on a read), at
every depth; `answer` is a call's plain response, or its error code when it fails.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError


def plain(value: Any, *moving: str) -> Any:
    """`value` without the response envelope, nor the `moving` keys, at every depth."""
    if isinstance(value, dict):
        dropped = ("ResponseMetadata", *moving)
        return {k: plain(v, *moving) for k, v in value.items() if k not in dropped}
    if isinstance(value, list):
        return [plain(v, *moving) for v in value]
    return value


def answer(call: Callable[..., Any], *moving: str, **params: Any) -> Any:
    """`call(**params)` as a plain value, or its error code when it fails."""
    try:
        response = call(**params)
    except ClientError as error:
        return error.response["Error"]["Code"]
    return plain(response, *moving)
