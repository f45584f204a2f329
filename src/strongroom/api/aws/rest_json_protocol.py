"""AWS REST-JSON on the server side (Lambda): a request's URI, query, headers and body in,
validated parameters out; a result out as status, headers and body; errors as Lambda sends
them.

Requests, as botocore's REST-JSON serializer writes them:
- Members bound to the URI (labels of the matched template), the query string (repeated
  names for lists; a map takes every pair no other member names), a header (a list's
  items comma-separated) or a header prefix (a map) are read as text and converted by
  their shape's type (`rest_text`).
- The body is the JSON object of the unbound members, or the payload member alone: a blob
  (Invoke's Payload: the body's bytes, given only when the body is not empty), a string,
  or a structure's JSON.
- The whole is checked by the operation's one validator (`OperationModel.validate`), each
  bound member under `validation.member_key`'s (location, name) key, so a JSON body
  cannot supply a header's or the URI's member.

Answers: a `statusCode` member sets the status (else the operation's `responseCode`),
header members become headers, and the body is the JSON of the rest (bytes as base64,
datetimes as epoch seconds), or the payload member alone (a blob's bytes as they are).
Every answer is `application/json`, Invoke's raw payload included, as Lambda sends it.

Errors: body `{"Type": "User" | "Service", "message" | "Message": text}` (the key the
model's error shape uses), header `x-amzn-errortype: <code>`, status from
`errors.rest_status`.

Invariants: no error echoes a value read from the URI, query or headers unless the
validator would (it hides sensitive members); header values an answer sends cannot break
the head (`answer.header_lines`); plans are compiled once per operation, lock-free.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import Any, NamedTuple

import orjson

from strongroom.api.answer import Answer, header_lines
from strongroom.api.aws import errors as wire_errors
from strongroom.api.aws.json_protocol import encode_body, parse_body
from strongroom.api.aws.model import OperationModel, ServiceModel
from strongroom.api.aws.rest_text import Convert, header_value, reader, split_list, writer
from strongroom.api.aws.sigv4_canonical import query_pairs
from strongroom.api.aws.validation import ShapeCompiler, member_key

__all__ = ["CONTENT_TYPE", "RestJsonProtocol", "text_query"]

CONTENT_TYPE = b"application/json"


def text_query(query: bytes) -> list[tuple[str, str]]:
    """The query's (name, value) pairs in order, percent-decoded, as text."""
    return [
        (name.decode("utf-8", "surrogateescape"), value.decode("utf-8", "surrogateescape"))
        for name, value in query_pairs(query)
    ]


class _Bound(NamedTuple):
    key: Hashable  # where the validator looks for it
    name: str  # label, query name, or lowercase header name or prefix
    convert: Convert
    many: bool  # a list: every query value, or a header's comma-separated items


class _Request(NamedTuple):
    labels: tuple[_Bound, ...]
    query: tuple[_Bound, ...]
    query_map: Hashable | None
    headers: tuple[_Bound, ...]
    header_maps: tuple[_Bound, ...]
    payload: tuple[Hashable, str] | None  # (key, "blob" | "string" | "structure")
    body: bool  # unbound members are read from a JSON body


class _Response(NamedTuple):
    status_member: str | None
    status: int
    headers: tuple[tuple[str, str, Callable[[Any], str]], ...]  # member, name, to text
    header_maps: tuple[tuple[str, str], ...]  # member, prefix
    payload: tuple[str, str] | None  # (member, shape type)
    body: tuple[tuple[str, str], ...]  # member, JSON key


class RestJsonProtocol:
    """REST-JSON for one service model."""

    def __init__(self, model: ServiceModel) -> None:
        self._model = model
        self._requests: dict[str, _Request] = {}
        self._responses: dict[str, _Response] = {}

    # --- requests ----------------------------------------------------------------------

    def decode(
        self,
        operation: OperationModel,
        labels: Mapping[str, str],
        query: Sequence[tuple[str, str]],
        headers: Sequence[tuple[bytes, bytes]],
        body: bytes,
    ) -> dict[str, Any]:
        """The request as validated parameters keyed by model member name."""
        plan = self._requests.get(operation.name) or self._request_plan(operation)
        document: dict[Any, Any] = parse_body(body) if plan.body else {}
        for bound in plan.labels:
            value = labels.get(bound.name)
            if value is not None:
                document[bound.key] = bound.convert(value)
        if query:
            _read_query(plan, query, document)
        if plan.headers or plan.header_maps:
            _read_headers(plan, headers, document)
        if plan.payload is not None and body:
            key, kind = plan.payload
            if kind == "blob":
                document[key] = body
            elif kind == "string":
                document[key] = body.decode("utf-8", "surrogateescape")
            else:
                document[key] = parse_body(body)
        return operation.validate(document)

    def _request_plan(self, operation: OperationModel) -> _Request:
        shapes = operation.shapes
        labels, query, headers, maps = [], [], [], []
        query_map = payload = None
        body = False
        if operation.input_shape is not None:
            structure = shapes.shape(operation.input_shape)
            for member, ref in structure.get("members", {}).items():
                key = member_key(structure, member, ref)
                shape = shapes.shape(ref["shape"])
                location = ref.get("location")
                name = ref.get("locationName", member)
                if location == "uri":
                    labels.append(_Bound(key, name, reader(shapes, shape, "uri"), False))
                elif location == "querystring" and shape["type"] == "map":
                    query_map = key
                elif location == "querystring":
                    query.append(_bound(shapes, key, name, shape, "query"))
                elif location == "header":
                    headers.append(_bound(shapes, key, name.lower(), shape, "header"))
                elif location == "headers":
                    maps.append(_Bound(key, name.lower(), str, False))
                elif structure.get("payload") == member:
                    payload = (key, shape["type"])
                else:
                    body = True
        plan = _Request(
            tuple(labels), tuple(query), query_map, tuple(headers), tuple(maps), payload, body
        )
        self._requests[operation.name] = plan
        return plan

    # --- answers -----------------------------------------------------------------------

    def answer(
        self, operation: OperationModel, result: Mapping[str, Any], request_id: str
    ) -> Answer:
        """The operation's result as an answer."""
        plan = self._responses.get(operation.name) or self._response_plan(operation)
        status = result.get(plan.status_member) if plan.status_member else None
        lines = [
            (name, text(value))
            for member, name, text in plan.headers
            if (value := result.get(member)) is not None
        ]
        for member, prefix in plan.header_maps:
            lines += [(prefix + key, str(value)) for key, value in result.get(member, {}).items()]
        if plan.payload is not None:
            body = _payload(result.get(plan.payload[0]), plan.payload[1])
        elif plan.body:
            body = encode_body(
                {
                    key: value
                    for member, key in plan.body
                    if (value := result.get(member)) is not None
                }
            )
        else:
            body = b""
        extra = header_lines(lines) if lines else b""
        return Answer(status or plan.status, CONTENT_TYPE, body, request_id, extra)

    def _response_plan(self, operation: OperationModel) -> _Response:
        shapes = operation.shapes
        status_member = payload = None
        headers, maps, body = [], [], []
        if operation.output_shape is not None:
            structure = shapes.shape(operation.output_shape)
            for member, ref in structure.get("members", {}).items():
                shape = shapes.shape(ref["shape"])
                location = ref.get("location")
                name = ref.get("locationName", member)
                if location == "statusCode":
                    status_member = member
                elif location == "header":
                    headers.append((member, name, writer(shapes, shape)))
                elif location == "headers":
                    maps.append((member, name))
                elif structure.get("payload") == member:
                    payload = (member, shape["type"])
                elif location is None:
                    body.append((member, name))
        plan = _Response(
            status_member,
            int(operation.http.get("responseCode", 200)),
            tuple(headers),
            tuple(maps),
            payload,
            tuple(body),
        )
        self._responses[operation.name] = plan
        return plan

    # --- errors ------------------------------------------------------------------------

    def error(self, status: int, code: str, message: str, request_id: str) -> Answer:
        """An error answer: the model's status for a modeled error, else `status` as
        `errors.rest_status` adjusts it."""
        shape = self._model.errors.get(code)
        status = wire_errors.rest_status(code, status, shape.status if shape else None)
        if shape is not None:
            fault, key = ("User" if shape.sender_fault else "Service"), shape.message_key
        else:
            fault, key = ("User" if status < 500 else "Service"), "message"
        try:
            body = orjson.dumps({"Type": fault, key: message})
        except orjson.JSONEncodeError:  # a lone surrogate (a path decoded with surrogateescape)
            body = orjson.dumps({"Type": fault, key: _valid(message)})
        extra = header_lines([("x-amzn-errortype", code)])
        return Answer(status, CONTENT_TYPE, body, request_id, extra)


# --- reading bound members ------------------------------------------------------------


def _read_query(plan: _Request, query: Sequence[tuple[str, str]], document: dict[Any, Any]) -> None:
    claimed = set()
    for bound in plan.query:
        values = [value for name, value in query if name == bound.name]
        if values:
            claimed.add(bound.name)
            document[bound.key] = (
                [bound.convert(v) for v in values] if bound.many else bound.convert(values[0])
            )
    if plan.query_map is not None:
        found = {name: value for name, value in reversed(query) if name not in claimed}
        if found:
            document[plan.query_map] = found


def _read_headers(
    plan: _Request, headers: Sequence[tuple[bytes, bytes]], document: dict[Any, Any]
) -> None:
    sent: dict[str, list[str]] = {}
    for raw_name, raw_value in headers:
        sent.setdefault(raw_name.decode("latin-1").lower(), []).append(header_value(raw_value))
    for bound in plan.headers:
        values = sent.get(bound.name)
        if values:
            document[bound.key] = (
                [bound.convert(item) for value in values for item in split_list(value)]
                if bound.many
                else bound.convert(",".join(values))
            )
    for bound in plan.header_maps:
        found = {
            name[len(bound.name) :]: ",".join(values)
            for name, values in sent.items()
            if name.startswith(bound.name) and len(name) > len(bound.name)
        }
        if found:
            document[bound.key] = found


def _bound(
    shapes: ShapeCompiler, key: Hashable, name: str, shape: Mapping[str, Any], where: str
) -> _Bound:
    if shape["type"] == "list":
        member = shapes.shape(shape["member"]["shape"])
        return _Bound(key, name, reader(shapes, member, where), True)
    return _Bound(key, name, reader(shapes, shape, where), False)


# --- writing answers ------------------------------------------------------------------


def _payload(value: Any, kind: str) -> bytes:
    """The payload member as the whole body: a blob's bytes, a string's UTF-8, or JSON."""
    if value is None:
        return b""
    if kind == "blob":
        return value.encode("utf-8") if isinstance(value, str) else bytes(value)
    if kind == "string":
        return str(value).encode("utf-8")
    return encode_body(value)


def _valid(text: str) -> str:
    return text.encode("utf-8", "replace").decode("utf-8")
