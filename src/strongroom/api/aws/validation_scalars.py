r"""Scalar shapes compiled: conversion from JSON, then constraints in AWS's order.

A botocore scalar shape (string, blob, boolean, integer, long, float, double, timestamp)
becomes a `Scalar`: the function that converts a JSON value, the constraints (length,
range, pattern, enum) as `Rule`s worded as AWS words them, and the same constraints as
bounds, matcher and allowed set for a fast all-hold check.

Invariants: a conversion takes a JSON value of the right type or raises
`SerializationException` in Coral's words, never echoing blob contents. Blobs arrive as
base64 and leave as bytes; timestamps (epoch number or ISO 8601) as float epoch seconds;
integers given as decimals are truncated, as Coral does. Patterns are Java regular
expressions, translated once (`java_pattern`) and matched against the whole value; one
that cannot be translated is a ValueError when its shape compiles. (JSON never gives
bytes: a blob given as bytes is a REST payload, taken as it is.) Nothing here keeps
state beyond the compiled `Scalar`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, NamedTuple

import pybase64

from strongroom.api.aws.java_regex import java_pattern
from strongroom.api.aws.validation_messages import Rule, wrong_type
from strongroom.errors import SerializationException

__all__ = ["SCALAR_TYPES", "Scalar", "length_constraints", "scalar_spec"]

SCALAR_TYPES = frozenset(
    {"string", "blob", "boolean", "integer", "long", "float", "double", "timestamp"}
)
_NUMBERS = frozenset({"integer", "long", "float", "double"})
_INF = float("inf")


class Scalar(NamedTuple):
    """A scalar shape compiled: conversion, then its constraints in AWS's order."""

    convert: Callable[[Any], Any]
    rules: tuple[Rule, ...]  # (description, check); empty when unconstrained
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


def length_constraints(
    shape: Mapping[str, Any],
) -> tuple[Callable[[Any], bool] | None, tuple[Rule, ...]]:
    """Length constraints of a string, blob, list or map: (all hold, or None; rules)."""
    low, high = shape.get("min"), shape.get("max")
    rules: list[Rule] = []
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


def scalar_spec(shape: Mapping[str, Any]) -> Scalar:
    """Compile a scalar shape: conversion, bounds, pattern and enum."""
    kind = shape["type"]
    low, high = shape.get("min"), shape.get("max")
    rules: list[Rule] = []
    if kind in ("string", "blob"):
        rules.extend(length_constraints(shape)[1])
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
    return Scalar(
        _CONVERTERS[kind], tuple(rules), floor, _INF if high is None else high, matcher, allowed
    )


# --- conversions: JSON value -> Python value, or SerializationException ------------


def _string(value: Any) -> str:
    if type(value) is not str:
        wrong_type(value, "a String")
    return value


def _integer(target: str) -> Callable[[Any], int]:
    def convert(value: Any) -> int:
        kind = type(value)
        if kind is int:
            return value  # type: ignore[no-any-return]
        if kind is float:
            return int(value)
        wrong_type(value, target)

    return convert


def _floating(target: str) -> Callable[[Any], float]:
    def convert(value: Any) -> float:
        if type(value) is int or type(value) is float:
            return float(value)
        wrong_type(value, target)

    return convert


def _boolean(value: Any) -> bool:
    if type(value) is not bool:
        wrong_type(value, "a Boolean")
    return value


def _blob(value: Any) -> bytes:
    if type(value) is not str:
        if type(value) is bytes:  # a REST payload: the body itself, never base64
            return value
        wrong_type(value, "a Blob")
    try:
        if len(value) % 4:  # pybase64 (SIMD; 12x faster at 4 KiB) would accept "AAAA="
            raise ValueError(value)
        return pybase64.b64decode(value, validate=True)
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
    wrong_type(value, "a Timestamp")


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
