"""Where each statement of a policy document sits in its text, as the policy simulator
reports it (`MatchedStatements[].StartPosition` / `EndPosition`).

A position is (line, column), both counted from 1, columns in characters: the start is
the statement's opening `{`, the end its closing `}`. (AWS gives line and column too; its
documentation does not say whether the end column is the brace or one past it: here it is
the brace.)

Invariant: only for a text that `policy.parse_policy` accepted (one top-level object with
one "Statement", an object or an array of objects; JSON has no comments); for any other
text `statement_spans` returns no spans rather than raise.
"""

from __future__ import annotations

import bisect
import json
from typing import Final

Position = tuple[int, int]
Span = tuple[Position, Position]

_SPACE: Final = " \t\n\r"
_SCALAR_END: Final = ",}]" + _SPACE


def statement_spans(text: str) -> list[Span]:
    """(start, end) of each statement, in document order; [] if the text is not a policy."""
    try:
        offsets = _statement_offsets(text)
    except (IndexError, ValueError):
        return []
    lines = [0] + [i + 1 for i, char in enumerate(text) if char == "\n"]
    return [(_position(lines, start), _position(lines, end)) for start, end in offsets]


def _position(lines: list[int], offset: int) -> Position:
    line = bisect.bisect_right(lines, offset)
    return line, offset - lines[line - 1] + 1


def _statement_offsets(text: str) -> list[tuple[int, int]]:
    """Offsets of each statement's `{` and `}`."""
    i = _skip(text, 0)
    _expect(text, i, "{")
    i = _skip(text, i + 1)
    while text[i] != "}":
        end = _string_end(text, i)
        key, i = json.loads(text[i:end]), _skip(text, end)
        _expect(text, i, ":")
        i = _skip(text, i + 1)
        if key == "Statement":
            return _objects(text, i)
        i = _skip(text, _value_end(text, i))
        if text[i] == ",":
            i = _skip(text, i + 1)
    raise ValueError("no Statement")


def _objects(text: str, i: int) -> list[tuple[int, int]]:
    """The statement object at `i`, or each object of the array at `i`."""
    if text[i] == "{":
        return [(i, _value_end(text, i) - 1)]
    _expect(text, i, "[")
    found: list[tuple[int, int]] = []
    i = _skip(text, i + 1)
    while text[i] != "]":
        end = _value_end(text, i)
        found.append((i, end - 1))
        i = _skip(text, end)
        if text[i] == ",":
            i = _skip(text, i + 1)
    return found


def _value_end(text: str, i: int) -> int:
    """The offset just past the JSON value that starts at `i`."""
    char = text[i]
    if char == '"':
        return _string_end(text, i)
    if char not in "{[":
        while text[i] not in _SCALAR_END:
            i += 1
        return i
    depth = 0
    while True:
        char = text[i]
        if char == '"':
            i = _string_end(text, i)
            continue
        if char in "{[":
            depth += 1
        elif char in "}]":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1


def _string_end(text: str, i: int) -> int:
    """The offset just past the JSON string whose opening quote is at `i`."""
    i += 1
    while text[i] != '"':
        i += 2 if text[i] == "\\" else 1
    return i + 1


def _skip(text: str, i: int) -> int:
    while text[i] in _SPACE:
        i += 1
    return i


def _expect(text: str, i: int, char: str) -> None:
    if text[i] != char:
        raise ValueError(f"expected {char!r}")
