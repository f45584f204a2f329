"""The wording of request errors, as Coral (the AWS JSON front end) words them.

A `SerializationException` names the JSON token that has the wrong type ("NUMBER_VALUE
can not be converted to a String", "Start of list found where not expected", "Expected
list or null", ...). Constraint breaks read "Value 'x' at 'tags.1.member.tagKey' failed
to satisfy constraint: ..." and are summed up as "2 validation errors detected: ...; ...".
A path is the member names joined by dots; `show` prints a value as Java's toString does.

Invariants: a value is echoed only when the caller passes it (`shown`, or `echo` true);
a summary lists at most 10 errors; nothing here keeps state.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NoReturn

from strongroom.errors import SerializationException

__all__ = [
    "Rule",
    "bracket",
    "member_path",
    "report",
    "show",
    "summary",
    "violation",
    "wrong_container",
    "wrong_type",
]

Rule = tuple[str, Callable[[Any], bool]]
"""(constraint as AWS words it, check that it holds)."""

_MAX_LISTED = 10


def summary(errors: list[str]) -> str:
    """The ValidationException message for the constraint breaks found."""
    listed = errors[:_MAX_LISTED]
    plural = "s" if len(listed) > 1 else ""
    return f"{len(listed)} validation error{plural} detected: " + "; ".join(listed)


def member_path(parent: str, name: str) -> str:
    """The path of member `name` under `parent` ('' at the top)."""
    return f"{parent}.{name}" if parent else name


def violation(shown: str | None, parent: str, name: str, constraint: str) -> str:
    """One constraint break; the value is left out when `shown` is None."""
    value = "Value" if shown is None else f"Value '{shown}'"
    return f"{value} at '{member_path(parent, name)}' failed to satisfy constraint: {constraint}"


def show(value: Any) -> str:
    """A value as Coral prints it (Java's toString of strings, numbers, lists, maps)."""
    if type(value) is str:
        return value
    if type(value) is bool:
        return "true" if value else "false"
    if type(value) is list:
        return "[" + ", ".join(map(show, value)) + "]"
    if type(value) is dict:
        return "{" + ", ".join(f"{k}={show(v)}" for k, v in value.items()) + "}"
    return str(value)


def wrong_type(value: Any, target: str) -> NoReturn:
    """Refuse a JSON value that cannot become `target` ("a String", "an Integer", ...)."""
    kind = type(value)
    if kind is list:
        raise SerializationException("Start of list found where not expected")
    if kind is dict:
        raise SerializationException("Start of structure or map found where not expected.")
    token = {str: "STRING", bool: "TRUE" if value else "FALSE"}.get(kind, "NUMBER")
    raise SerializationException(f"{token}_VALUE can not be converted to {target}")


def wrong_container(value: Any, expected: str) -> NoReturn:
    """Refuse a JSON value where a "structure", "list" or "map" was expected."""
    if type(value) is list and expected != "list":
        raise SerializationException("Start of list found where not expected")
    if type(value) is dict and expected == "list":
        raise SerializationException("Start of structure or map found where not expected.")
    raise SerializationException(
        {"list": "Expected list or null", "map": "Expected map or null"}.get(
            expected, "Expected null"
        )
    )


def bracket(prefix: str, rules: tuple[Rule, ...]) -> str:
    """The constraints of a container's items as one: "prefix: [rule, rule]"."""
    return f"{prefix}: [" + ", ".join(description for description, _ in rules) + "]"


def report(
    value: Any,
    echo: bool,
    rules: tuple[Rule, ...],
    parent: str,
    name: str,
    errors: list[str],
    mark: int | None = None,
) -> None:
    """Add one error per broken rule, at the end or at `mark` (a container before its items)."""
    shown = show(value) if echo else None
    found = [violation(shown, parent, name, text) for text, check in rules if not check(value)]
    at = len(errors) if mark is None else mark
    errors[at:at] = found
