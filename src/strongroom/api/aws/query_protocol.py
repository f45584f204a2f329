"""AWS query protocol on the server side (IAM, STS): a form in, XML out, XML errors.

Requests, as botocore's query serializer writes them (a POST body of
`application/x-www-form-urlencoded`, or a GET's query string, as AWS also takes for IAM):
`Action=CreateUser&Version=2010-05-08&UserName=alice&Tags.member.1.Key=k&...`.
- `form_pairs` reads the form: `+` is a space, `%XX` a byte, the whole UTF-8.
- `QueryProtocol.document` gathers the pairs into the operation's input document by its
  botocore shape: a structure's members by their wire name (`A.B` nests), lists as
  `Name.member.N` (`Name.N` when flattened; an empty list is `Name=`), maps as
  `Name.entry.N.key` / `.value`, items in index order. Integers, floats and booleans
  become numbers and `bool`s; timestamps (ISO 8601) and blobs (base64) stay text for the
  model's validator, which converts them as it does JSON's (timestamps to epoch seconds,
  blobs to bytes). Names no shape claims are ignored (Action, Version, X-Amz-*).
- `decode` then runs the operation's one validator (`OperationModel.validate`), so the
  model's constraints and messages are those of every other protocol.

Answers: `<{Op}Response xmlns=ns><{Op}Result>...</{Op}Result><ResponseMetadata>
<RequestId>id</RequestId></ResponseMetadata></{Op}Response>`, the wrapper as the model
names it (`result_wrappers`); list items as `<member>`, maps as
`<entry><key/><value/></entry>`, timestamps ISO 8601 in UTC with `Z`, booleans
lowercase, blobs base64. Only modeled members are written.

Errors: `<ErrorResponse xmlns=ns><Error><Type>Sender|Receiver</Type><Code/><Message/>
</Error><RequestId/></ErrorResponse>`, with the status the model declares for the code
(`error.httpStatusCode`), else the query services' common codes and statuses
(`_QUERY_CODES`: authentication and authorization failures are 403), else the status
given (500 and up is "Receiver").

Invariants: text is XML-escaped and a character XML 1.0 cannot hold (a control
character, a lone surrogate) is written as "?", so every answer is well-formed UTF-8; no
message here echoes a parameter value; `scope_service` only chooses whose words an
answer uses, never trusts: the verifier checks the scope.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote_to_bytes

import pybase64

from strongroom.api.answer import Answer
from strongroom.api.aws.model import OperationModel, ServiceModel
from strongroom.api.aws.validation import ShapeCompiler, member_key
from strongroom.errors import SerializationException

__all__ = ["CONTENT_TYPE", "FORM", "QueryProtocol", "form_pairs", "scope_service"]

CONTENT_TYPE = b"text/xml"
FORM = b"application/x-www-form-urlencoded"

_QUERY_CODES: dict[str, tuple[str, int]] = {
    "MissingAuthenticationTokenException": ("MissingAuthenticationToken", 403),
    "IncompleteSignatureException": ("IncompleteSignature", 400),
    "InvalidSignatureException": ("SignatureDoesNotMatch", 403),
    "UnrecognizedClientException": ("InvalidClientTokenId", 403),
    "ExpiredTokenException": ("ExpiredToken", 403),
    "AccessDeniedException": ("AccessDenied", 403),
    "ValidationException": ("ValidationError", 400),
    "SerializationException": ("InvalidParameterValue", 400),
    "UnknownOperationException": ("InvalidAction", 400),
    "ThrottlingException": ("Throttling", 400),
    "ServiceUnavailableException": ("ServiceUnavailable", 503),
}
"""Strongroom's codes as AWS's query services name them (before the model's own)."""

_NOT_XML = [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), *range(0xD800, 0xE000)]
_XML_TEXT = str.maketrans(
    {
        "&": "&amp;",
        "<": "&lt;",
        ">": "&gt;",
        "\r": "&#13;",  # kept: a parser would turn a bare CR into LF
        **{chr(c): "?" for c in (*_NOT_XML, 0xFFFE, 0xFFFF)},
    }
)


def _text(value: str) -> str:
    return value.translate(_XML_TEXT)


def form_pairs(data: bytes) -> list[tuple[str, str]]:
    """The (name, value) pairs of a form (or a query string), in order."""
    pairs = []
    try:
        for item in data.split(b"&"):
            if item:
                name, _, value = item.replace(b"+", b" ").partition(b"=")
                pairs.append((_unquote(name), _unquote(value)))
    except UnicodeDecodeError:
        raise SerializationException("The request is not valid UTF-8.") from None
    return pairs


def _unquote(text: bytes) -> str:
    return (unquote_to_bytes(text) if b"%" in text else text).decode("utf-8")


def scope_service(headers: Sequence[tuple[bytes, bytes]], query: bytes) -> str | None:
    """The service the request's SigV4 scope names (Authorization header, else presigned
    X-Amz-Credential), unverified; None when there is none to read."""
    credential = None
    for name, value in headers:
        if name == b"authorization":
            credential = value.partition(b"Credential=")[2].partition(b",")[0].strip()
            break
    if credential is None and b"X-Amz-Credential=" in query:
        for item in query.split(b"&"):
            if item.startswith(b"X-Amz-Credential="):
                credential = unquote_to_bytes(item[len(b"X-Amz-Credential=") :])
                break
    parts = credential.split(b"/") if credential else []
    return parts[3].decode("latin-1") if len(parts) == 5 else None


class _Node:
    """The form's names split on ".": a value and children by segment."""

    __slots__ = ("children", "value")

    def __init__(self) -> None:
        self.value: str | None = None
        self.children: dict[str, _Node] = {}

    def items(self) -> list[_Node]:
        """Children named by index (1, 2, ...), in index order."""
        found = [(int(k), n) for k, n in self.children.items() if k.isdigit() and len(k) < 10]
        return [node for _, node in sorted(found, key=lambda pair: pair[0])]


def _tree(pairs: Sequence[tuple[str, str]]) -> _Node:
    root = _Node()
    for name, value in pairs:
        node = root
        for segment in name.split("."):
            child = node.children.get(segment)
            if child is None:
                child = node.children[segment] = _Node()
            node = child
        node.value = value
    return root


class QueryProtocol:
    """The AWS query protocol for one service model."""

    def __init__(self, model: ServiceModel) -> None:
        self._model = model
        self._namespace = _text(str(model.metadata.get("xmlNamespace", "")))
        self.version: str = str(model.metadata.get("apiVersion", ""))
        """The API version the model speaks ("2010-05-08" for IAM)."""

    # --- requests ----------------------------------------------------------------------

    def decode(self, operation: OperationModel, pairs: Sequence[tuple[str, str]]) -> dict[str, Any]:
        """The request's pairs as validated parameters keyed by model member name."""
        return operation.validate(self.document(operation, pairs))

    def document(
        self, operation: OperationModel, pairs: Sequence[tuple[str, str]]
    ) -> dict[str, Any]:
        """The request's pairs as the input document the model's validator reads."""
        if operation.input_shape is None:
            return {}
        try:
            found = _read(operation.shapes, operation.input_shape, _tree(pairs))
        except RecursionError:
            raise SerializationException("Request nesting is too deep") from None
        return found if isinstance(found, dict) else {}

    # --- answers -----------------------------------------------------------------------

    def answer(
        self, operation: OperationModel, result: Mapping[str, Any], request_id: str
    ) -> Answer:
        """The operation's result as `<{Op}Response>`."""
        name = operation.name
        parts = [f'<{name}Response xmlns="{self._namespace}">']
        if operation.output_shape is not None:
            wrapper = self._model.result_wrappers.get(name)
            if wrapper:
                parts.append(f"<{wrapper}>")
            _write_structure(parts, operation.shapes, operation.output_shape, result)
            if wrapper:
                parts.append(f"</{wrapper}>")
        parts.append(
            f"<ResponseMetadata><RequestId>{_text(request_id)}</RequestId></ResponseMetadata>"
            f"</{name}Response>"
        )
        return Answer(200, CONTENT_TYPE, "".join(parts).encode("utf-8"), request_id)

    # --- errors ------------------------------------------------------------------------

    def error(self, status: int, code: str, message: str, request_id: str) -> Answer:
        """`<ErrorResponse>` with the status the model or the query services give `code`."""
        renamed = _QUERY_CODES.get(code)
        if renamed is not None:
            code, status = renamed
        else:
            declared = self._model.errors.get(code)
            if declared is not None:
                status = declared.status
        fault = "Sender" if status < 500 else "Receiver"
        said = f"<Message>{_text(message)}</Message>" if message else ""
        body = (
            f'<ErrorResponse xmlns="{self._namespace}"><Error><Type>{fault}</Type>'
            f"<Code>{_text(code)}</Code>{said}</Error>"
            f"<RequestId>{_text(request_id)}</RequestId></ErrorResponse>"
        )
        return Answer(status, CONTENT_TYPE, body.encode("utf-8"), request_id)


# --- reading a form by shape ----------------------------------------------------------


def _read(shapes: ShapeCompiler, name: str, node: _Node) -> Any:
    """Node `node` as shape `name`'s document value (None: nothing given)."""
    shape = shapes.shape(name)
    kind = shape["type"]
    if kind == "structure":
        if not node.children:
            return node.value  # a value where a structure belongs: the validator says so
        out = {}
        for member, ref in shape.get("members", {}).items():
            child = node.children.get(_wire_name(shapes, member, ref))
            if child is None:  # an empty flattened list is `Name=` even if its items are renamed
                child = node.children.get(ref.get("locationName", member))
            if child is not None:
                value = _read(shapes, ref["shape"], child)
                if value is not None:
                    out[member_key(shape, member, ref)] = value
        return out
    if kind == "list":
        if not node.children:
            return [] if node.value == "" else node.value
        if shape.get("flattened"):
            items = node.items()
        else:
            holder = node.children.get(shape["member"].get("locationName", "member"))
            items = holder.items() if holder is not None else []
        member = shape["member"]["shape"]
        return [value for item in items if (value := _read(shapes, member, item)) is not None]
    if kind == "map":
        if not node.children:
            return {} if node.value == "" else node.value
        holder = node if shape.get("flattened") else node.children.get("entry")
        key_name = shape["key"].get("locationName", "key")
        value_name = shape["value"].get("locationName", "value")
        out = {}
        for entry in holder.items() if holder is not None else []:
            key, value = entry.children.get(key_name), entry.children.get(value_name)
            if key is not None and key.value is not None and value is not None:
                out[key.value] = _read(shapes, shape["value"]["shape"], value)
        return out
    return None if node.value is None else _scalar(kind, node.value)


def _wire_name(shapes: ShapeCompiler, member: str, ref: Mapping[str, Any]) -> str:
    """A member's name on the wire (a flattened list's is its item name, when it has one)."""
    target = shapes.shape(ref["shape"])
    if target["type"] == "list" and target.get("flattened"):
        item: str | None = target["member"].get("locationName")
        if item:
            return item
    name: str = ref.get("locationName", member)
    return name


def _scalar(kind: str, text: str) -> Any:
    """A form value as its JSON counterpart (timestamps and blobs stay text)."""
    if kind in ("integer", "long"):
        body = text[1:] if text[:1] == "-" else text
        if not body.isdigit() or not body.isascii() or len(body) > 19:
            raise SerializationException(f"Value for a parameter of type {kind} is not one.")
        return int(text)
    if kind in ("float", "double"):
        try:
            return float(text)
        except ValueError:
            raise SerializationException(
                f"Value for a parameter of type {kind} is not one."
            ) from None
    if kind == "boolean":
        if text in ("true", "false"):
            return text == "true"
        raise SerializationException("Value for a parameter of type boolean is not one.")
    return text


# --- writing a result by shape --------------------------------------------------------


def _write_structure(
    parts: list[str], shapes: ShapeCompiler, name: str, value: Mapping[str, Any]
) -> None:
    for member, ref in shapes.shape(name).get("members", {}).items():
        item = value.get(member)
        if item is None:
            continue
        shape = shapes.shape(ref["shape"])
        tag = ref.get("locationName", member)
        if shape["type"] == "list" and shape.get("flattened"):
            item_tag = shape["member"].get("locationName", tag)
            for element in item:
                parts.append(f"<{item_tag}>")
                _write(parts, shapes, shape["member"]["shape"], element)
                parts.append(f"</{item_tag}>")
        elif shape["type"] == "map" and shape.get("flattened"):
            for key, element in item.items():
                parts.append(f"<{tag}>")
                _write_entry(parts, shapes, shape, key, element)
                parts.append(f"</{tag}>")
        else:
            parts.append(f"<{tag}>")
            _write(parts, shapes, ref["shape"], item)
            parts.append(f"</{tag}>")


def _write(parts: list[str], shapes: ShapeCompiler, name: str, value: Any) -> None:
    """The content of an element holding `value` as shape `name`."""
    shape = shapes.shape(name)
    kind = shape["type"]
    if kind == "structure":
        _write_structure(parts, shapes, name, value)
    elif kind == "list":
        tag = shape["member"].get("locationName", "member")
        for element in value:
            parts.append(f"<{tag}>")
            _write(parts, shapes, shape["member"]["shape"], element)
            parts.append(f"</{tag}>")
    elif kind == "map":
        for key, item in value.items():
            parts.append("<entry>")
            _write_entry(parts, shapes, shape, key, item)
            parts.append("</entry>")
    else:
        parts.append(_scalar_text(kind, value))


def _write_entry(
    parts: list[str], shapes: ShapeCompiler, shape: Mapping[str, Any], key: Any, value: Any
) -> None:
    """One map entry's `<key>` and `<value>` (or the names the model gives them)."""
    key_tag = shape["key"].get("locationName", "key")
    value_tag = shape["value"].get("locationName", "value")
    parts.append(f"<{key_tag}>{_text(str(key))}</{key_tag}><{value_tag}>")
    _write(parts, shapes, shape["value"]["shape"], value)
    parts.append(f"</{value_tag}>")


def _scalar_text(kind: str, value: Any) -> str:
    if kind == "boolean":
        return "true" if value else "false"
    if kind in ("integer", "long"):
        return str(int(value))
    if kind in ("float", "double"):
        return repr(float(value))
    if kind == "timestamp":
        return _timestamp(value)
    if kind == "blob":
        data = value.encode("utf-8") if isinstance(value, str) else bytes(value)
        return pybase64.b64encode_as_string(data)
    return _text(str(value))


def _timestamp(value: Any) -> str:
    """ISO 8601 in UTC with `Z`; microseconds only when there are some."""
    if isinstance(value, datetime):
        moment = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    elif isinstance(value, int | float):
        moment = datetime.fromtimestamp(value, UTC)
    else:
        return _text(str(value))
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    return f"{text}.{moment.microsecond:06d}Z" if moment.microsecond else f"{text}Z"
