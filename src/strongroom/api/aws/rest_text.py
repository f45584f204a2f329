"""Text on the REST wire: URI labels, query values and headers, read and written by shape.

A member bound to the URI, the query string or a header travels as text; `reader` turns
that text into the JSON value the model's validator expects, `writer` a result value into
header text, each as botocore's REST serializer and parser write and read them:
integers, floats and booleans ("true"/"false") as their text; timestamps as ISO 8601 in
the query and RFC 822 in headers unless the member names another `timestampFormat`
(ISO 8601 is left to the validator, which reads it); `jsonvalue` strings as base64 JSON;
header lists comma-separated, items with a comma or a quote quoted; strings and base64
blobs as they are.

Invariants: a reading error is a `SerializationException` naming the location and the
type, never the value (it may be sensitive); nothing here keeps state.
"""

from __future__ import annotations

import base64
import binascii
import email.utils
import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from strongroom.api.aws.validation import ShapeCompiler
from strongroom.errors import SerializationException

__all__ = ["Convert", "header_value", "reader", "split_list", "writer"]

Convert = Callable[[str], Any]


def header_value(raw: bytes) -> str:
    """A header's text: UTF-8 when it is, else Latin-1 (HTTP's historical charset)."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def split_list(value: str) -> list[str]:
    """A header list: items split on commas outside double quotes, unquoted, trimmed."""
    items, item, quoted, escaped = [], [], False, False
    for char in value:
        if escaped:
            item.append(char)
            escaped = False
        elif quoted and char == "\\":
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char == "," and not quoted:
            items.append("".join(item).strip())
            item = []
        else:
            item.append(char)
    items.append("".join(item).strip())
    return [item for item in items if item]


def reader(shapes: ShapeCompiler, shape: Mapping[str, Any], where: str) -> Convert:
    """Text (from the URI, query or a header) to the JSON value the validator expects."""
    kind = shape["type"]
    if kind in ("integer", "long"):
        return _number(int, "an Integer" if kind == "integer" else "a Long", where)
    if kind in ("float", "double"):
        return _number(float, "a Float" if kind == "float" else "a Double", where)
    if kind == "boolean":
        return lambda text: _boolean(text, where)
    if kind == "timestamp":
        default = "rfc822" if where == "header" else "iso8601"
        return _timestamp_reader(shape.get("timestampFormat", default), where)
    if kind == "string" and shape.get("jsonvalue") and where == "header":
        return _json_header
    return str  # strings, and blobs as base64 text (the validator decodes them)


def _number(kind: Callable[[str], Any], target: str, where: str) -> Convert:
    def convert(text: str) -> Any:
        try:
            return kind(text.strip())
        except ValueError:
            raise SerializationException(
                f"A value in the {where} can not be converted to {target}"
            ) from None

    return convert


def _boolean(text: str, where: str) -> bool:
    lowered = text.strip().lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    raise SerializationException(f"A value in the {where} can not be converted to a Boolean")


def _timestamp_reader(form: str, where: str) -> Convert:
    """ISO 8601 text goes to the validator as is; the other forms become epoch seconds."""
    if form == "iso8601":
        return str

    def convert(text: str) -> Any:
        try:
            if form == "unixTimestamp":
                return float(text)
            return email.utils.parsedate_to_datetime(text).timestamp()
        except (ValueError, TypeError):
            raise SerializationException(
                f"A value in the {where} can not be converted to a Timestamp"
            ) from None

    return convert


def _json_header(text: str) -> Any:
    try:
        return json.loads(base64.b64decode(text, validate=True))
    except (binascii.Error, ValueError):
        raise SerializationException(
            "A value in the header can not be converted to a JSON value"
        ) from None


def writer(shapes: ShapeCompiler, shape: Mapping[str, Any]) -> Callable[[Any], str]:
    """A result value to header text, as botocore's REST parser reads it back."""
    kind = shape["type"]
    if kind == "boolean":
        return lambda value: "true" if value else "false"
    if kind == "timestamp":
        form = shape.get("timestampFormat", "rfc822")
        return lambda value: _timestamp_text(value, form)
    if kind == "list":
        item = writer(shapes, shapes.shape(shape["member"]["shape"]))
        return lambda values: ",".join(_quoted(item(value)) for value in values)
    if kind == "string" and shape.get("jsonvalue"):
        return lambda value: base64.b64encode(json.dumps(value).encode()).decode("ascii")
    return str


def _quoted(text: str) -> str:
    if '"' in text or "," in text:
        return '"' + text.replace('"', '\\"') + '"'
    return text


def _timestamp_text(value: Any, form: str) -> str:
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
    else:
        moment = datetime.fromtimestamp(float(value), UTC)
    if form == "unixTimestamp":
        return str(moment.timestamp())
    if form == "iso8601":
        return moment.isoformat().replace("+00:00", "Z")
    return email.utils.format_datetime(moment, usegmt=True)
