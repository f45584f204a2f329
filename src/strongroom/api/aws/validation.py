r"""Compiles a botocore shape into a decoder that validates and converts a JSON value.

`ShapeCompiler(shapes).decoder(name, False)` turns shape `name` of a botocore model into
nested closures (`Decoder`s) that convert the JSON-decoded request and check it in one
pass; scalars are compiled by `validation_scalars`, errors worded by `validation_messages`.

- A member of the wrong JSON type raises `SerializationException` at once; it wins over
  constraint errors, as on AWS.
- Constraint breaks (required, length, range, pattern, enum) are appended to the `errors`
  list in AWS's order, for the caller to raise as one `ValidationException` (`summary`).
  A path is the member names, first letter lowercased; list items are
  `<list>.<n>.member`, counted from 1. Lists of scalars and maps report their items once
  ("Member must satisfy constraint: [...]", "Map keys/value must satisfy constraint:
  [...]"); a container's own size errors come before its items'.
- A value is echoed only when nothing in its shape is sensitive or a blob (blobs are never
  echoed, as KMS does): otherwise the message reads "Value at 'plaintext' failed ...".
- JSON nulls count as absent; unknown members are dropped; document shapes and `jsonvalue`
  strings pass through.
- A structure finds each member under `member_key`: its JSON name, or, for a REST request's
  member bound to the URI, query string or headers, or its payload, a (location, name)
  pair, which no JSON key can equal (so a body cannot stand in for a header). A payload
  blob arrives as the body's bytes, not base64.

Invariants: no message holds a sensitive value or blob bytes; decoders are memoized per
(shape, hidden), recursive shapes included; compiling is idempotent and lock-free (a race
builds the same closures twice).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from typing import Any

from strongroom.api.aws.validation_messages import (
    bracket,
    member_path,
    report,
    show,
    violation,
    wrong_container,
    wrong_type,
)
from strongroom.api.aws.validation_scalars import (
    SCALAR_TYPES,
    Scalar,
    length_constraints,
    scalar_spec,
)

__all__ = ["Decoder", "ShapeCompiler", "member_key"]

Decoder = Callable[[Any, str, str, list[str]], Any]
"""(JSON value, parent path, member name, errors) -> converted value."""


class ShapeCompiler:
    """Turns botocore shapes into decoders; memoizes per shape (recursive shapes too)."""

    def __init__(self, shapes: Mapping[str, Any]) -> None:
        self._shapes = shapes
        self._decoders: dict[tuple[str, bool], Decoder] = {}
        self._scalars: dict[str, Scalar] = {}
        self._reach: dict[tuple[str, bool], bool] = {}

    def members(self, name: str) -> Mapping[str, Any]:
        """The members of structure `name`, as botocore models them."""
        members: Mapping[str, Any] = self._shapes[name].get("members", {})
        return members

    def shape(self, name: str) -> Mapping[str, Any]:
        """Shape `name` as botocore models it."""
        shape: Mapping[str, Any] = self._shapes[name]
        return shape

    def reaches(self, name: str, *, blobs: bool) -> bool:
        """Whether `name` or a shape inside it is sensitive (or, with `blobs`, a blob)."""
        key = (name, blobs)
        if key not in self._reach:
            seen, todo, hit = {name}, [name], False
            while todo and not hit:
                shape = self._shapes[todo.pop()]
                hit = bool(shape.get("sensitive")) or (blobs and shape["type"] == "blob")
                for ref in _children(shape):
                    hit = hit or bool(ref.get("sensitive"))
                    if ref["shape"] not in seen:
                        seen.add(ref["shape"])
                        todo.append(ref["shape"])
            self._reach[key] = hit
        return self._reach[key]

    def scalar(self, name: str) -> Scalar:
        """Scalar shape `name` compiled, once."""
        found = self._scalars.get(name)
        if found is None:
            found = self._scalars[name] = scalar_spec(self._shapes[name])
        return found

    def decoder(self, name: str, hidden: bool) -> Decoder:
        """The decoder of shape `name`; `hidden` when an enclosing member is sensitive."""
        key = (name, hidden)
        found = self._decoders.get(key)
        if found is not None:
            return found
        shape = self._shapes[name]
        hidden = hidden or bool(shape.get("sensitive"))
        echo = not hidden and not self.reaches(name, blobs=True)
        kind = shape["type"]
        if kind == "string" and shape.get("jsonvalue"):
            found = _passthrough  # any JSON value (REST headers carry it as base64 JSON)
        elif kind in SCALAR_TYPES:
            found = _scalar_decoder(kind, self.scalar(name), echo)
        elif kind in ("structure", "list", "map"):
            late: list[Decoder] = []
            self._decoders[key] = lambda v, p, n, e: late[0](v, p, n, e)  # a recursive shape
            build = {"structure": self._structure, "list": self._list, "map": self._map}[kind]
            found = build(shape, hidden, echo)
            late.append(found)
        else:  # document and future types: passed through as JSON
            found = _passthrough
        self._decoders[key] = found
        return found

    def _item(self, ref: Mapping[str, Any], hidden: bool) -> tuple[Scalar | None, Decoder]:
        """A list item or map value: its scalar spec when it is one, and its decoder."""
        decoder = self.decoder(ref["shape"], hidden or bool(ref.get("sensitive")))
        scalar = self._shapes[ref["shape"]]["type"] in SCALAR_TYPES
        return (self.scalar(ref["shape"]) if scalar else None), decoder

    def _structure(self, shape: Mapping[str, Any], hidden: bool, echo: bool) -> Decoder:
        required = frozenset(shape.get("required", ()))
        members = tuple(
            (
                member_key(shape, member, ref),
                member,
                member[:1].lower() + member[1:],
                self.decoder(ref["shape"], hidden or bool(ref.get("sensitive"))),
                member in required,
            )
            for member, ref in shape["members"].items()
        )

        def decode(value: Any, parent: str, name: str, errors: list[str]) -> Any:
            if type(value) is not dict:
                wrong_container(value, "structure")
            here = f"{parent}.{name}" if parent else name
            out = {}
            for key, member, wire, member_decoder, needed in members:
                item = value.get(key)
                if item is not None:
                    out[member] = member_decoder(item, here, wire, errors)
                elif needed:
                    errors.append(
                        f"Value null at '{member_path(here, wire)}' failed to satisfy "
                        "constraint: Member must not be null"
                    )
            return out

        return decode

    def _list(self, shape: Mapping[str, Any], hidden: bool, echo: bool) -> Decoder:
        size_ok, size_rules = length_constraints(shape)
        scalar, item_decoder = self._item(shape["member"], hidden)
        if scalar is not None:
            convert, item_ok = scalar.convert, (scalar.ok if scalar.rules else None)
            items = bracket("Member must satisfy constraint", scalar.rules)

            def decode(value: Any, parent: str, name: str, errors: list[str]) -> Any:
                if type(value) is not list:
                    wrong_container(value, "list")
                out = [convert(item) for item in value if item is not None]
                if size_ok is not None and not size_ok(out):
                    report(out, echo, size_rules, parent, name, errors)
                if item_ok is not None and not all(map(item_ok, out)):
                    errors.append(violation(show(out) if echo else None, parent, name, items))
                return out

            return decode

        def decode_nested(value: Any, parent: str, name: str, errors: list[str]) -> Any:
            if type(value) is not list:
                wrong_container(value, "list")
            here, mark = member_path(parent, name), len(errors)
            out = [
                item_decoder(item, f"{here}.{index}", "member", errors)
                for index, item in enumerate(value, 1)
                if item is not None
            ]
            if size_ok is not None and not size_ok(out):
                report(out, echo, size_rules, parent, name, errors, mark)
            return out

        return decode_nested

    def _map(self, shape: Mapping[str, Any], hidden: bool, echo: bool) -> Decoder:
        size_ok, size_rules = length_constraints(shape)
        key = self.scalar(shape["key"]["shape"])
        key_ok = key.ok if key.rules else None
        keys = bracket("Map keys must satisfy constraint", key.rules)
        scalar, item_decoder = self._item(shape["value"], hidden)
        convert = scalar.convert if scalar is not None else None
        value_ok = scalar.ok if scalar is not None and scalar.rules else None
        values = bracket("Map value must satisfy constraint", scalar.rules if scalar else ())

        def decode(value: Any, parent: str, name: str, errors: list[str]) -> Any:
            if type(value) is not dict:
                wrong_container(value, "map")
            mark = len(errors)
            if convert is not None:
                out = {k: convert(v) for k, v in value.items() if v is not None}
            else:
                here = member_path(parent, name)
                out = {
                    k: item_decoder(v, f"{here}.{k}", "member", errors)
                    for k, v in value.items()
                    if v is not None
                }
            if size_ok is not None and not size_ok(out):
                report(out, echo, size_rules, parent, name, errors, mark)
            if key_ok is not None and not all(map(key_ok, out)):
                errors.append(violation(show(out) if echo else None, parent, name, keys))
            if value_ok is not None and not all(map(value_ok, out.values())):
                errors.append(violation(show(out) if echo else None, parent, name, values))
            return out

        return decode


def member_key(structure: Mapping[str, Any], member: str, ref: Mapping[str, Any]) -> Hashable:
    """The key under which a structure's decoder finds `member`: its JSON name, or a
    (location, name) pair for a member bound to the URI, query string or headers (header
    names lowercase) or to a REST payload ("payload", member)."""
    location = ref.get("location")
    if location is None:
        if structure.get("payload") == member:
            return ("payload", member)
        key: str = ref.get("locationName", member)
        return key
    name = ref.get("locationName", member)
    return (location, name.lower() if location in ("header", "headers") else name)


def _children(shape: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    kind = shape["type"]
    if kind == "structure":
        return list(shape["members"].values())
    if kind == "list":
        return [shape["member"]]
    if kind == "map":
        return [shape["key"], shape["value"]]
    return []


def _passthrough(value: Any, *_: Any) -> Any:
    return value


def _scalar_decoder(kind: str, scalar: Scalar, echo: bool) -> Decoder:
    """A member's decoder, specialised so the common shapes cost one call."""
    convert, rules, low, high, matcher, allowed = (
        scalar.convert,
        scalar.rules,
        scalar.low,
        scalar.high,
        scalar.matcher,
        scalar.allowed,
    )
    if not rules:
        return _PLAIN.get(kind) or (lambda value, parent, name, errors: convert(value))
    if kind == "string" and matcher is None and not allowed:

        def decode_sized(value: Any, parent: str, name: str, errors: list[str]) -> Any:
            if type(value) is not str:
                wrong_type(value, "a String")
            if not low <= len(value) <= high:
                report(value, echo, rules, parent, name, errors)
            return value

        return decode_sized
    if kind == "blob":

        def decode_blob(value: Any, parent: str, name: str, errors: list[str]) -> Any:
            value = convert(value)  # the blob conversion: base64 to bytes
            if not low <= len(value) <= high:
                report(value, False, rules, parent, name, errors)
            return value

        return decode_blob
    ok = scalar.ok

    def decode(value: Any, parent: str, name: str, errors: list[str]) -> Any:
        value = convert(value)
        if not ok(value):
            report(value, echo, rules, parent, name, errors)
        return value

    return decode


def _plain_string(value: Any, parent: str, name: str, errors: list[str]) -> Any:
    if type(value) is not str:
        wrong_type(value, "a String")
    return value


def _plain_boolean(value: Any, parent: str, name: str, errors: list[str]) -> Any:
    if type(value) is not bool:
        wrong_type(value, "a Boolean")
    return value


_PLAIN: dict[str, Decoder] = {"string": _plain_string, "boolean": _plain_boolean}
