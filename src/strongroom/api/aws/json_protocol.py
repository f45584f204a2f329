"""AWS JSON 1.1 on the server side: request body in, response body out, errors, X-Amz-Target.

- `parse_body` turns request bytes into the top-level JSON object (an empty body is `{}`),
  or raises `SerializationException` in Coral's words: for bytes that are not JSON, not
  UTF-8, escape a lone surrogate, hold a number beyond a double, or nest deeper than
  orjson's fixed limit (1024 levels; orjson parses without Python recursion). Member types
  and constraints are the model's job (`model.py`), not this module's.
- `encode_body` turns a service result into JSON bytes: `bytes` become base64 strings and
  `datetime`s epoch seconds (naive ones are UTC), as botocore's JSON parser expects.
- `encode_error` writes `{"__type": code, "message": message}`: KMS, SSM and Secrets
  Manager send a lowercase "message" (botocore reads either case); no message, no key.

Invariants: no message here echoes the body (it may hold a plaintext); orjson does all the
JSON work, once per request; `encode_error` never raises (text that is not valid Unicode,
such as a path decoded with surrogateescape, is written with "?" in its place).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import orjson
import pybase64

from strongroom.errors import SerializationException

__all__ = ["CONTENT_TYPE", "encode_body", "encode_error", "parse_body"]

CONTENT_TYPE = "application/x-amz-json-1.1"

_NOT_JSON = "Could not parse request body into json"
_NOT_OBJECT = "Could not parse request body into json: expected a JSON object"
_LIST = "Start of list found where not expected"


def parse_body(body: bytes | bytearray | memoryview) -> dict[str, Any]:
    """The request's top-level JSON object; `SerializationException` when there is none."""
    if not body:
        return {}
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise SerializationException(_NOT_JSON) from None
    if type(document) is dict:
        return document
    raise SerializationException(_LIST if type(document) is list else _NOT_OBJECT)


def _default(value: Any) -> Any:
    """What orjson cannot write itself: blobs, timestamps and read-only mappings."""
    if isinstance(value, bytes | bytearray | memoryview):
        return pybase64.b64encode_as_string(value)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.timestamp()
    if isinstance(value, Mapping):
        return dict(value)
    raise TypeError(f"cannot encode {type(value).__name__} as AWS JSON")


_DUMP_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME


def encode_body(result: Mapping[str, Any]) -> bytes:
    """A service result as a JSON 1.1 response body."""
    return orjson.dumps(result, default=_default, option=_DUMP_OPTIONS)


def encode_error(code: str, message: str, *, message_key: str = "message") -> bytes:
    """An error body as AWS JSON services send it: `{"__type": code, "message": message}`,
    or `{"__type": code}` alone for an error that says nothing (InvalidCiphertextException,
    KMSInvalidSignatureException, ...), as AWS sends those."""
    if not message:
        return orjson.dumps({"__type": _valid(code)})
    try:
        return orjson.dumps({"__type": code, message_key: message})
    except orjson.JSONEncodeError:  # a lone surrogate: orjson writes only valid UTF-8
        return orjson.dumps({"__type": _valid(code), message_key: _valid(message)})


def _valid(text: str) -> str:
    """`text` with every code point UTF-8 cannot hold (lone surrogates) replaced by "?"."""
    return text.encode("utf-8", "replace").decode("utf-8")
