r"""Request schema from botocore's service models: loaded once, validators compiled once.

`ServiceModel.load("kms")` reads botocore's bundled model once per process. Each
`OperationModel` compiles its input shape, on first use (or `ServiceModel.compile_all`),
into nested closures that convert the JSON-decoded request and check it in one pass:

- A member of the wrong JSON type raises `SerializationException` at once, in Coral's
  words ("NUMBER_VALUE can not be converted to a String", "Start of list found where not
  expected", "Expected list or null", ...); it wins over constraint errors, as on AWS.
- Constraint breaks (required, length, range, pattern, enum) are gathered into one
  `ValidationException` in AWS's form: "2 validation errors detected: Value 'x' at
  'tags.1.member.tagKey' failed to satisfy constraint: ...; ...". A path is the member
  names, first letter lowercased; list items are `<list>.<n>.member`, counted from 1.
  Lists of scalars and maps report their items once ("Member must satisfy constraint:
  [...]", "Map keys/value must satisfy constraint: [...]"). At most 10 errors are listed.
- A value is echoed only when nothing in its shape is sensitive or a blob (blobs are never
  echoed, as KMS does): otherwise the message reads "Value at 'plaintext' failed ...".
- JSON nulls count as absent; unknown members are dropped. Blobs arrive as base64 and
  leave as bytes; timestamps (epoch number or ISO 8601) as float epoch seconds; integers
  given as decimals are truncated, as Coral does.
- Patterns are Java regular expressions, translated once to Python `re` (ASCII `\w\d\s`,
  Java's `.`, `\p{..}` expanded to ranges) and matched against the whole value. A
  pattern that cannot be translated is a ValueError when its operation compiles.

Invariants: no message holds a sensitive value or blob bytes; compiling is idempotent and
lock-free (a race builds the same closures twice); the first `\p{..}` pattern costs one
~0.1 s pass over Unicode, so servers call `compile_all` at start.
"""

from __future__ import annotations

from binascii import a2b_base64
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, ClassVar, NamedTuple, NoReturn

from botocore.loaders import Loader

from strongroom.api.aws.java_regex import java_pattern
from strongroom.api.aws.json_protocol import encode_body, parse_body
from strongroom.errors import SerializationException, ValidationException

__all__ = ["Decoder", "OperationModel", "ServiceModel"]

Decoder = Callable[[Any, str, str, list[str]], Any]
"""(JSON value, parent path, member name, errors) -> converted value."""

_Rule = tuple[str, Callable[[Any], bool]]
_NUMBERS = frozenset({"integer", "long", "float", "double"})
_SCALARS = frozenset(
    {"string", "blob", "boolean", "integer", "long", "float", "double", "timestamp"}
)
_MAX_LISTED = 10
_INF = float("inf")
_LOADER = Loader(extra_search_paths=[Loader.BUILTIN_DATA_PATH], include_default_search_paths=False)


class ServiceModel:
    """One AWS JSON service as botocore models it: wire names and operations."""

    _loaded: ClassVar[dict[str, ServiceModel]] = {}

    def __init__(self, name: str, data: Mapping[str, Any]) -> None:
        meta = data["metadata"]
        if meta.get("protocol") != "json":
            raise ValueError(f"{name} does not speak the AWS JSON protocol")
        self.name = name
        self.target_prefix: str = meta["targetPrefix"]
        self.signing_name: str = meta.get("signingName", meta["endpointPrefix"])
        shapes = _Compiler(data["shapes"])
        self._operations = {
            op: OperationModel(op, spec.get("input", {}).get("shape"), shapes)
            for op, spec in data["operations"].items()
        }

    @classmethod
    def load(cls, service_name: str) -> ServiceModel:
        """The model of `service_name` ("kms", "secretsmanager", "ssm"), read once."""
        model = cls._loaded.get(service_name)
        if model is None:
            data = _LOADER.load_service_model(service_name, "service-2")
            model = cls._loaded.setdefault(service_name, cls(service_name, data))
        return model

    def operation(self, name: str) -> OperationModel | None:
        """The operation called `name` ("Encrypt"), or None."""
        return self._operations.get(name)

    def operation_names(self) -> list[str]:
        """Every operation of the service, sorted."""
        return sorted(self._operations)

    def compile_all(self) -> None:
        """Compile every operation's validator now rather than on its first request."""
        for operation in self._operations.values():
            operation.compile()


class OperationModel:
    """One operation: decode and validate its request, encode its result."""

    __slots__ = ("_compiler", "_decoder", "_input", "input_members", "name", "sensitive_input")

    def __init__(self, name: str, input_shape: str | None, compiler: _Compiler) -> None:
        self.name = name
        self._input = input_shape
        self._compiler = compiler
        self._decoder: Decoder | None = None
        members = compiler.members(input_shape) if input_shape else {}
        self.input_members = frozenset(members)
        self.sensitive_input = frozenset(
            member
            for member, ref in members.items()
            if ref.get("sensitive") or compiler.reaches(ref["shape"], blobs=False)
        )

    def compile(self) -> Decoder:
        """The input validator, built on first call and kept."""
        if self._decoder is None:
            if self._input is None:
                self._decoder = _no_input
            else:
                self._decoder = self._compiler.decoder(self._input, False)
        return self._decoder

    def decode(self, body: bytes) -> dict[str, Any]:
        """The request body as validated parameters keyed by model member name."""
        params = parse_body(body)
        decoder = self._decoder or self.compile()
        errors: list[str] = []
        try:
            result: dict[str, Any] = decoder(params, "", "", errors)
        except RecursionError:
            raise SerializationException("Request nesting is too deep") from None
        if errors:
            raise ValidationException(_summary(errors))
        return result

    def encode(self, result: Mapping[str, Any]) -> bytes:
        """The service's result as the response body."""
        return encode_body(result)


def _no_input(value: Any, parent: str, name: str, errors: list[str]) -> Any:
    return {}


# --- messages ----------------------------------------------------------------------


def _summary(errors: list[str]) -> str:
    listed = errors[:_MAX_LISTED]
    plural = "s" if len(listed) > 1 else ""
    return f"{len(listed)} validation error{plural} detected: " + "; ".join(listed)


def _path(parent: str, name: str) -> str:
    return f"{parent}.{name}" if parent else name


def _violation(shown: str | None, parent: str, name: str, constraint: str) -> str:
    value = "Value" if shown is None else f"Value '{shown}'"
    return f"{value} at '{_path(parent, name)}' failed to satisfy constraint: {constraint}"


def _show(value: Any) -> str:
    """A value as Coral prints it (Java's toString of strings, numbers, lists, maps)."""
    if type(value) is str:
        return value
    if type(value) is bool:
        return "true" if value else "false"
    if type(value) is list:
        return "[" + ", ".join(map(_show, value)) + "]"
    if type(value) is dict:
        return "{" + ", ".join(f"{k}={_show(v)}" for k, v in value.items()) + "}"
    return str(value)


def _wrong_type(value: Any, target: str) -> NoReturn:
    kind = type(value)
    if kind is list:
        raise SerializationException("Start of list found where not expected")
    if kind is dict:
        raise SerializationException("Start of structure or map found where not expected.")
    token = {str: "STRING", bool: "TRUE" if value else "FALSE"}.get(kind, "NUMBER")
    raise SerializationException(f"{token}_VALUE can not be converted to {target}")


def _wrong_container(value: Any, expected: str) -> NoReturn:
    if type(value) is list and expected != "list":
        raise SerializationException("Start of list found where not expected")
    if type(value) is dict and expected == "list":
        raise SerializationException("Start of structure or map found where not expected.")
    raise SerializationException(
        {"list": "Expected list or null", "map": "Expected map or null"}.get(
            expected, "Expected null"
        )
    )


# --- scalar conversions: JSON value -> Python value, or SerializationException -----


def _string(value: Any) -> str:
    if type(value) is not str:
        _wrong_type(value, "a String")
    return value


def _integer(target: str) -> Callable[[Any], int]:
    def convert(value: Any) -> int:
        kind = type(value)
        if kind is int:
            return value  # type: ignore[no-any-return]
        if kind is float:
            return int(value)
        _wrong_type(value, target)

    return convert


def _floating(target: str) -> Callable[[Any], float]:
    def convert(value: Any) -> float:
        if type(value) is int or type(value) is float:
            return float(value)
        _wrong_type(value, target)

    return convert


def _boolean(value: Any) -> bool:
    if type(value) is not bool:
        _wrong_type(value, "a Boolean")
    return value


def _blob(value: Any) -> bytes:
    if type(value) is not str:
        _wrong_type(value, "a Blob")
    try:
        return a2b_base64(value, strict_mode=True)
    except ValueError:
        reason = (
            f"Base64 encoded length is expected a multiple of 4 bytes but found: {len(value)}"
            if len(value) % 4
            else "Invalid Base64 character"
        )
        raise SerializationException(f"'***' can not be converted to a Blob: {reason}") from None


def _timestamp(value: Any) -> float:
    kind = type(value)
    if kind is int or kind is float:
        return float(value)
    if kind is str:
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            raise SerializationException(
                "STRING_VALUE can not be converted to a Timestamp"
            ) from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.timestamp()
    _wrong_type(value, "a Timestamp")


_CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "string": _string,
    "blob": _blob,
    "boolean": _boolean,
    "integer": _integer("an Integer"),
    "long": _integer("a Long"),
    "float": _floating("a Float"),
    "double": _floating("a Double"),
    "timestamp": _timestamp,
}


# --- the compiler ------------------------------------------------------------------


class _Scalar(NamedTuple):
    """A scalar shape compiled: conversion, then its constraints in AWS's order."""

    convert: Callable[[Any], Any]
    rules: tuple[_Rule, ...]  # (description, check); empty when unconstrained
    low: float  # bounds on the length (strings, blobs) or the value (numbers)
    high: float
    matcher: Callable[[str], Any] | None
    allowed: frozenset[str]

    def ok(self, value: Any) -> bool:
        """Whether every constraint holds (the fast path; `rules` explain a failure)."""
        size = len(value) if type(value) in (str, bytes) else value
        return (
            self.low <= size <= self.high
            and (self.matcher is None or self.matcher(value) is not None)
            and (not self.allowed or value in self.allowed)
        )


class _Compiler:
    """Turns botocore shapes into decoders; memoizes per shape (recursive shapes too)."""

    def __init__(self, shapes: Mapping[str, Any]) -> None:
        self._shapes = shapes
        self._decoders: dict[tuple[str, bool], Decoder] = {}
        self._scalars: dict[str, _Scalar] = {}
        self._reach: dict[tuple[str, bool], bool] = {}

    def members(self, name: str) -> Mapping[str, Any]:
        members: Mapping[str, Any] = self._shapes[name].get("members", {})
        return members

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

    def scalar(self, name: str) -> _Scalar:
        found = self._scalars.get(name)
        if found is None:
            found = self._scalars[name] = _scalar(self._shapes[name])
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
        if kind in _SCALARS:
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

    def _item(self, ref: Mapping[str, Any], hidden: bool) -> tuple[_Scalar | None, Decoder]:
        """A list item or map value: its scalar spec when it is one, and its decoder."""
        decoder = self.decoder(ref["shape"], hidden or bool(ref.get("sensitive")))
        scalar = self._shapes[ref["shape"]]["type"] in _SCALARS
        return (self.scalar(ref["shape"]) if scalar else None), decoder

    def _structure(self, shape: Mapping[str, Any], hidden: bool, echo: bool) -> Decoder:
        required = frozenset(shape.get("required", ()))
        members = tuple(
            (
                ref.get("locationName", member),
                member,
                member[:1].lower() + member[1:],
                self.decoder(ref["shape"], hidden or bool(ref.get("sensitive"))),
                member in required,
            )
            for member, ref in shape["members"].items()
        )

        def decode(value: Any, parent: str, name: str, errors: list[str]) -> Any:
            if type(value) is not dict:
                _wrong_container(value, "structure")
            here = f"{parent}.{name}" if parent else name
            out = {}
            for key, member, wire, member_decoder, needed in members:
                item = value.get(key)
                if item is not None:
                    out[member] = member_decoder(item, here, wire, errors)
                elif needed:
                    errors.append(
                        f"Value null at '{_path(here, wire)}' failed to satisfy constraint: "
                        "Member must not be null"
                    )
            return out

        return decode

    def _list(self, shape: Mapping[str, Any], hidden: bool, echo: bool) -> Decoder:
        size_ok, size_rules = _size(shape)
        scalar, item_decoder = self._item(shape["member"], hidden)
        if scalar is not None:
            convert, item_ok = scalar.convert, (scalar.ok if scalar.rules else None)
            items = _bracket("Member must satisfy constraint", scalar.rules)

            def decode(value: Any, parent: str, name: str, errors: list[str]) -> Any:
                if type(value) is not list:
                    _wrong_container(value, "list")
                out = [convert(item) for item in value if item is not None]
                if size_ok is not None and not size_ok(out):
                    _report(out, echo, size_rules, parent, name, errors)
                if item_ok is not None and not all(map(item_ok, out)):
                    errors.append(_violation(_show(out) if echo else None, parent, name, items))
                return out

            return decode

        def decode_nested(value: Any, parent: str, name: str, errors: list[str]) -> Any:
            if type(value) is not list:
                _wrong_container(value, "list")
            here, mark = _path(parent, name), len(errors)
            out = [
                item_decoder(item, f"{here}.{index}", "member", errors)
                for index, item in enumerate(value, 1)
                if item is not None
            ]
            if size_ok is not None and not size_ok(out):
                _report(out, echo, size_rules, parent, name, errors, mark)
            return out

        return decode_nested

    def _map(self, shape: Mapping[str, Any], hidden: bool, echo: bool) -> Decoder:
        size_ok, size_rules = _size(shape)
        key = self.scalar(shape["key"]["shape"])
        key_ok = key.ok if key.rules else None
        keys = _bracket("Map keys must satisfy constraint", key.rules)
        scalar, item_decoder = self._item(shape["value"], hidden)
        convert = scalar.convert if scalar is not None else None
        value_ok = scalar.ok if scalar is not None and scalar.rules else None
        values = _bracket("Map value must satisfy constraint", scalar.rules if scalar else ())

        def decode(value: Any, parent: str, name: str, errors: list[str]) -> Any:
            if type(value) is not dict:
                _wrong_container(value, "map")
            mark = len(errors)
            if convert is not None:
                out = {k: convert(v) for k, v in value.items() if v is not None}
            else:
                here = _path(parent, name)
                out = {
                    k: item_decoder(v, f"{here}.{k}", "member", errors)
                    for k, v in value.items()
                    if v is not None
                }
            if size_ok is not None and not size_ok(out):
                _report(out, echo, size_rules, parent, name, errors, mark)
            if key_ok is not None and not all(map(key_ok, out)):
                errors.append(_violation(_show(out) if echo else None, parent, name, keys))
            if value_ok is not None and not all(map(value_ok, out.values())):
                errors.append(_violation(_show(out) if echo else None, parent, name, values))
            return out

        return decode


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


def _bracket(prefix: str, rules: tuple[_Rule, ...]) -> str:
    return f"{prefix}: [" + ", ".join(description for description, _ in rules) + "]"


def _size(shape: Mapping[str, Any]) -> tuple[Callable[[Any], bool] | None, tuple[_Rule, ...]]:
    """Length constraints of a string, blob, list or map: (all hold, or None; rules)."""
    low, high = shape.get("min"), shape.get("max")
    rules: list[_Rule] = []
    if high is not None:
        text = f"Member must have length less than or equal to {high}"
        rules.append((text, lambda v: len(v) <= high))
    if low is not None:
        text = f"Member must have length greater than or equal to {low}"
        rules.append((text, lambda v: len(v) >= low))
    if not rules:
        return None, ()
    lo, hi = low or 0, _INF if high is None else high
    return (lambda v: lo <= len(v) <= hi), tuple(rules)


def _scalar(shape: Mapping[str, Any]) -> _Scalar:
    """Compile a scalar shape: conversion, bounds, pattern and enum."""
    kind = shape["type"]
    low, high = shape.get("min"), shape.get("max")
    rules: list[_Rule] = []
    if kind in ("string", "blob"):
        rules.extend(_size(shape)[1])
    elif kind in _NUMBERS:
        if high is not None:
            text = f"Member must have value less than or equal to {high}"
            rules.append((text, lambda v: v <= high))
        if low is not None:
            text = f"Member must have value greater than or equal to {low}"
            rules.append((text, lambda v: v >= low))
    else:
        low = high = None
    pattern = shape.get("pattern") if kind == "string" else None
    matcher = None if pattern is None else java_pattern(pattern).fullmatch
    if matcher is not None:
        text = f"Member must satisfy regular expression pattern: {pattern}"
        rules.append((text, lambda v: matcher(v) is not None))
    enum = shape.get("enum", ()) if kind == "string" else ()
    allowed = frozenset(enum)
    if enum:
        rules.append(
            (f"Member must satisfy enum value set: [{', '.join(enum)}]", allowed.__contains__)
        )
    floor = (0 if kind in ("string", "blob") else -_INF) if low is None else low
    return _Scalar(
        _CONVERTERS[kind], tuple(rules), floor, _INF if high is None else high, matcher, allowed
    )


def _report(
    value: Any,
    echo: bool,
    rules: tuple[_Rule, ...],
    parent: str,
    name: str,
    errors: list[str],
    mark: int | None = None,
) -> None:
    """Add one error per broken rule, at the end or at `mark` (a container before its items)."""
    shown = _show(value) if echo else None
    found = [_violation(shown, parent, name, text) for text, check in rules if not check(value)]
    at = len(errors) if mark is None else mark
    errors[at:at] = found


def _scalar_decoder(kind: str, scalar: _Scalar, echo: bool) -> Decoder:
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
                _wrong_type(value, "a String")
            if not low <= len(value) <= high:
                _report(value, echo, rules, parent, name, errors)
            return value

        return decode_sized
    if kind == "blob":

        def decode_blob(value: Any, parent: str, name: str, errors: list[str]) -> Any:
            value = _blob(value)
            if not low <= len(value) <= high:
                _report(value, False, rules, parent, name, errors)
            return value

        return decode_blob
    ok = scalar.ok

    def decode(value: Any, parent: str, name: str, errors: list[str]) -> Any:
        value = convert(value)
        if not ok(value):
            _report(value, echo, rules, parent, name, errors)
        return value

    return decode


def _plain_string(value: Any, parent: str, name: str, errors: list[str]) -> Any:
    if type(value) is not str:
        _wrong_type(value, "a String")
    return value


def _plain_boolean(value: Any, parent: str, name: str, errors: list[str]) -> Any:
    if type(value) is not bool:
        _wrong_type(value, "a Boolean")
    return value


_PLAIN: dict[str, Decoder] = {"string": _plain_string, "boolean": _plain_boolean}
