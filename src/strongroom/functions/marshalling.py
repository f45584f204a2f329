"""The event in and the response out, marshalled as AWS's Python runtime does.

Child side, standard library only. The event is parsed as JSON (an empty payload is
`{}`); a response is JSON, non-ASCII characters kept as they are (as the python3.12
runtime does), Decimal written as a number; bytes are passed through unchanged. What
cannot be marshalled is `Runtime.MarshalError`, what cannot be parsed
`Runtime.UnmarshalError`.
"""

from __future__ import annotations

import decimal
import json
import math

from strongroom.functions.faults import MARSHAL_ERROR, UNMARSHAL_ERROR, Fault


def unmarshal(event: bytes) -> object:
    """The handler's `event` from the payload's bytes."""
    if not event.strip():
        return {}
    try:
        return json.loads(event)
    except (ValueError, UnicodeDecodeError) as error:
        raise Fault(UNMARSHAL_ERROR, f"Unable to unmarshal input: {error}") from None


def marshal(response: object) -> bytes:
    """The payload for the handler's return value."""
    if isinstance(response, bytes):
        return response
    try:
        return json.dumps(response, ensure_ascii=False, default=_number).encode()
    except (TypeError, ValueError, UnicodeEncodeError, RecursionError) as error:
        raise Fault(MARSHAL_ERROR, f"Unable to marshal response: {error}") from None


def _number(value: object) -> object:
    if isinstance(value, decimal.Decimal):
        if value.is_nan():
            return math.nan
        if value.is_finite() and value == value.to_integral_value():
            return int(value)
        return float(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")
