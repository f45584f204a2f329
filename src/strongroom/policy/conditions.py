"""A statement's Condition element, decided against a request as AWS IAM decides it.

Rules (IAM User Guide: "Condition operators", "Conditions with multiple context keys or
values", "Single-valued vs. multivalued context keys", "Variables and tags"):
- Operators AND together; the keys under one operator AND together; the values of one key
  OR together, except under a negated operator (StringNotEquals, StringNotEqualsIgnoreCase,
  StringNotLike, NumericNotEquals, DateNotEquals, NotIpAddress, ArnNotEquals, ArnNotLike),
  where they NOR: the request value must match none of them.
- A key absent from the request (or holding no values, "a null data set"): positive
  operators are false, negated ones true; `...IfExists` is true; `ForAllValues:` is true
  and `ForAnyValue:` false; `Null` is "true" exactly when the key is absent.
- `ForAllValues:X` holds when every request value passes X; `ForAnyValue:X` when one does;
  for a negated X, "passes" means it matches none of the policy values. Without a set
  prefix a multivalued key behaves as ForAnyValue for positive operators and as its
  negation for negated ones.
- Condition key names are case-insensitive (`Request.values`). String and Arn values are
  case-sensitive, StringEqualsIgnoreCase compares character by character ignoring case,
  Bool ignores case. StringLike and Arn operators take `*` and `?` wildcards; ArnEquals
  and ArnLike are the same operator and compare the six colon-separated parts of an ARN
  each on its own (the last part keeps any further colons).
- Numeric values are integers or decimals (exact `Decimal` comparison). Date values are
  W3C ISO 8601 (YYYY-MM, YYYY-MM-DD, YYYY-MM-DDThh:mm[:ss[.s]][TZD]; no TZD means UTC) or
  epoch seconds (all digits, so a bare year "YYYY" reads as epoch seconds). Binary values
  are base64 on both sides, compared as bytes. IpAddress values are CIDR ranges, a bare
  address meaning /32 (IPv4) or /128 (IPv6); an address of the other family never matches.
- Policy variables are substituted in String, Arn and Bool values only (AWS: not in
  Numeric, Date, Binary, IP address or Null values, which are taken literally). A value
  whose variable has no value is null: it equals and is like nothing, so a positive
  operator does not match it and a negated one does.
- A value that does not parse, on either side, matches nothing.

Invariants: pure, stdlib only; the grammar was checked by `document.parse_policy`, so an
unknown operator is a programmer mistake (`ValueError`), never a silent False.
"""

from __future__ import annotations

import base64
import binascii
import functools
import ipaddress
import operator as op
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, Final

from strongroom.policy.request import Request
from strongroom.policy.variables import WildcardPattern, substitute, wildcard_pattern

ConditionValue = str | int | float | Sequence[str | int | float]
Matcher = Callable[[str], bool]

_FOR_ALL: Final = "ForAllValues:"
_FOR_ANY: Final = "ForAnyValue:"
_IF_EXISTS: Final = "IfExists"
# Negated operators and the positive operator each one negates.
_NEGATIONS: Final[Mapping[str, str]] = {
    "StringNotEquals": "StringEquals",
    "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
    "StringNotLike": "StringLike",
    "NumericNotEquals": "NumericEquals",
    "DateNotEquals": "DateEquals",
    "NotIpAddress": "IpAddress",
    "ArnNotEquals": "ArnLike",
    "ArnNotLike": "ArnLike",
}
_ALIASES: Final[Mapping[str, str]] = {"ArnEquals": "ArnLike"}  # AWS: "behave identically"
_ORDER: Final[Mapping[str, Callable[[Any, Any], bool]]] = {
    "Equals": op.eq,
    "LessThan": op.lt,
    "LessThanEquals": op.le,
    "GreaterThan": op.gt,
    "GreaterThanEquals": op.ge,
}
_NUMBER: Final = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_DATE: Final = re.compile(
    r"([0-9]{4})-([0-9]{2})(?:-([0-9]{2})(?:T([0-9]{2}):([0-9]{2})"
    r"(?::([0-9]{2})(?:\.([0-9]+))?)?(Z|[+-][0-9]{2}:[0-9]{2})?)?)?"
)


@dataclass(frozen=True, slots=True)
class _Operator:
    """A parsed operator name: its positive form, negation, set prefix and IfExists."""

    positive: str
    negated: bool
    prefix: str | None
    if_exists: bool


def condition_matches(
    block: Mapping[str, Mapping[str, ConditionValue]], request: Request, *, variables: bool = True
) -> bool:
    """Whether a whole Condition element holds for `request`.

    `variables` False evaluates the 2008-10-17 policy language, which has no policy
    variables: `${...}` in a value is then literal text.
    """
    for name, entries in block.items():
        operator = _operator(name)
        for key, raw in entries.items():
            policy_values = _policy_values(raw)
            if not _key_holds(operator, request.values(key), policy_values, request, variables):
                return False
    return True


@functools.lru_cache(maxsize=256)
def _operator(name: str) -> _Operator:
    """Parse `[ForAllValues:|ForAnyValue:]Operator[IfExists]`; ValueError when unknown."""
    prefix = next((p for p in (_FOR_ALL, _FOR_ANY) if name.startswith(p)), None)
    base = name.removeprefix(prefix) if prefix else name
    if_exists = base.endswith(_IF_EXISTS) and base != _IF_EXISTS
    base = base.removesuffix(_IF_EXISTS) if if_exists else base
    positive = _NEGATIONS.get(base) or _ALIASES.get(base) or base
    if not (positive in _BUILDERS or (positive == "Null" and not if_exists)):
        raise ValueError(f"unknown condition operator {name!r}")
    return _Operator(positive, base in _NEGATIONS, prefix, if_exists)


def _policy_values(raw: ConditionValue) -> tuple[str, ...]:
    """A condition's value(s) as text, as AWS reads JSON numbers and booleans."""
    items = [raw] if isinstance(raw, str | int | float) else list(raw)
    return tuple(_text(item) for item in items)


def _text(item: object) -> str:
    if isinstance(item, bool):  # before int: bool is an int
        return "true" if item else "false"
    if isinstance(item, str | int | float):
        return str(item)
    raise TypeError(f"a condition value must be a string, number or boolean, not {item!r}")


def _key_holds(
    operator: _Operator,
    values: tuple[str, ...] | None,
    policy_values: tuple[str, ...],
    request: Request,
    variables: bool,
) -> bool:
    """One key under one operator: the rules in the module docstring, in order."""
    if operator.positive == "Null":
        absent = "true" if not values else "false"
        return any(value.lower() == absent for value in policy_values)
    if not values:
        if operator.if_exists or operator.prefix == _FOR_ALL:
            return True
        return operator.negated and operator.prefix != _FOR_ANY
    build = _BUILDERS[operator.positive]  # only String, Arn and Bool builders substitute
    matchers = [build(value, request if variables else None) for value in policy_values]

    def positive(value: str) -> bool:
        return any(matcher(value) for matcher in matchers)

    if operator.prefix == _FOR_ALL:
        return all(positive(value) != operator.negated for value in values)
    if operator.prefix == _FOR_ANY:
        return any(positive(value) != operator.negated for value in values)
    return any(positive(value) for value in values) != operator.negated


def _never(_: str) -> bool:
    """The matcher of a null or unparseable policy value: it matches nothing."""
    return False


def _string(policy: str, request: Request | None) -> Matcher:
    text = policy if request is None else substitute(policy, request)
    return _never if text is None else text.__eq__


def _string_ignore_case(policy: str, request: Request | None) -> Matcher:
    text = policy if request is None else substitute(policy, request)
    if text is None:
        return _never
    return lambda value: _equal_ignoring_case(value, text)


def _equal_ignoring_case(a: str, b: str) -> bool:
    """Equal character by character, ignoring case (as Java's equalsIgnoreCase)."""
    return len(a) == len(b) and all(
        x == y or x.upper() == y.upper() or x.lower() == y.lower()
        for x, y in zip(a, b, strict=True)
    )


def _string_like(policy: str, request: Request | None) -> Matcher:
    pattern = wildcard_pattern(policy, request)
    return _never if pattern is None else pattern.matches


def _ordered(parse: Callable[[str], object | None], order: str) -> Callable[..., Matcher]:
    """A builder comparing request values with the policy value by `order`."""
    compare = _ORDER[order]

    def build(policy: str, request: Request | None) -> Matcher:
        bound = parse(policy)
        if bound is None:
            return _never

        def matches(value: str) -> bool:
            parsed = parse(value)
            return parsed is not None and compare(parsed, bound)

        return matches

    return build


@functools.lru_cache(maxsize=4096)
def _number(text: str) -> Decimal | None:
    """An integer or decimal (optionally with an exponent), or None."""
    return Decimal(text) if _NUMBER.fullmatch(text) else None


@functools.lru_cache(maxsize=4096)
def _instant(text: str) -> datetime | None:
    """A W3C ISO 8601 date/date-time or epoch seconds, as an aware UTC datetime, or None."""
    try:
        if text.isascii() and text.isdigit():
            return datetime.fromtimestamp(int(text), UTC)
        match = _DATE.fullmatch(text)
        if match is None:
            return None
        year, month, day, hour, minute, second, fraction, zone = match.groups()
        micros = int((fraction or "0")[:6].ljust(6, "0"))
        tz = UTC if zone in (None, "Z") else _offset(zone)
        moment = datetime(
            int(year), int(month), int(day or 1), int(hour or 0), int(minute or 0),
            int(second or 0), micros, tzinfo=tz,
        )  # fmt: skip
        return moment.astimezone(UTC)
    except (ValueError, OverflowError, OSError):
        return None


def _offset(zone: str) -> timezone:
    """A `+hh:mm` / `-hh:mm` offset."""
    sign = -1 if zone[0] == "-" else 1
    return timezone(sign * timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6])))


def _bool(policy: str, request: Request | None) -> Matcher:
    text = policy if request is None else substitute(policy, request)
    if text is None or text.lower() not in ("true", "false"):
        return _never
    expected = text.lower()
    return lambda value: value.lower() == expected


@functools.lru_cache(maxsize=4096)
def _bytes(text: str) -> bytes | None:
    """Base64 text decoded, or None when it is not base64."""
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None


def _binary(policy: str, request: Request | None) -> Matcher:
    expected = _bytes(policy)
    return _never if expected is None else lambda value: _bytes(value) == expected


def _ip_address(policy: str, request: Request | None) -> Matcher:
    try:
        network = ipaddress.ip_network(policy, strict=False)
    except ValueError:
        return _never

    def matches(value: str) -> bool:
        try:
            return ipaddress.ip_address(value) in network
        except ValueError:
            return False

    return matches


def _arn(policy: str, request: Request | None) -> Matcher:
    parts = _arn_parts(policy) if request is not None else policy.split(":", 5)
    if len(parts) != 6:
        return _never
    patterns: list[WildcardPattern] = []
    for part in parts:
        pattern = wildcard_pattern(part, request)
        if pattern is None:
            return _never
        patterns.append(pattern)

    def matches(value: str) -> bool:
        pieces = value.split(":", 5)
        return len(pieces) == 6 and all(p.matches(s) for p, s in zip(patterns, pieces, strict=True))

    return matches


def _arn_parts(text: str) -> list[str]:
    """An ARN pattern split at its first five colons outside `${...}`."""
    parts: list[str] = []
    start = index = 0
    inside = False
    while index < len(text) and len(parts) < 5:
        if text.startswith("${", index):
            inside, index = True, index + 2
            continue
        char = text[index]
        if inside and char == "}":
            inside = False
        elif not inside and char == ":":
            parts.append(text[start:index])
            start = index + 1
        index += 1
    parts.append(text[start:])
    return parts


_BUILDERS: Final[Mapping[str, Callable[[str, Request | None], Matcher]]] = {
    "StringEquals": _string,
    "StringEqualsIgnoreCase": _string_ignore_case,
    "StringLike": _string_like,
    "Bool": _bool,
    "BinaryEquals": _binary,
    "IpAddress": _ip_address,
    "ArnLike": _arn,
    **{f"Numeric{order}": _ordered(_number, order) for order in _ORDER},
    **{f"Date{order}": _ordered(_instant, order) for order in _ORDER},
}
