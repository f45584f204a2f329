"""Policy variables: `${key}` placeholders in Resource/NotResource and condition values.

AWS's rules (IAM User Guide, "IAM policy elements: Variables and tags"):
- `${name}` stands for the value of condition key `name` in the request; key names are
  case-insensitive. Only a single-valued key can be a variable, so a key holding no value
  or several values has no value here.
- `${name, 'text'}` gives a default used when the key has no value. Whitespace around
  the comma is tolerated.
- A variable with no value and no default makes the whole text "effectively null":
  `substitute` returns None, and the caller decides what null means where it is used
  (a Resource never matches; a positive condition operator never matches; a negated one
  does, as AWS documents).
- `${*}`, `${?}` and `${$}` stand for a literal `*`, `?` and `$`.

Invariants:
- Substitution is one pass: text that came from a value or a default is never scanned
  for further variables, and in `wildcard_pattern` it is never a wildcard; only `*` and
  `?` written in the policy text itself are.
- A `${` that does not form a variable (no closing brace, empty name, a default without
  quotes) is kept as literal text, so a malformed variable matches only itself.
- Only the 2012-10-17 policy language has variables; for 2008-10-17 callers do not
  substitute at all (`wildcard_pattern(text, None)`).
- Matching takes time at most proportional to len(text) * len(pattern), whatever the
  pattern: no backtracking blow-up.
- Pure and stdlib only; parsing and pattern building are cached by text.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Final

from strongroom.policy.request import Request

# `${...}`: braces may appear inside the quoted default only.
_VARIABLE: Final = re.compile(r"\$\{((?:[^{}']|'[^']*')*)\}")
_NAME_AND_DEFAULT: Final = re.compile(r"\s*([^,'\s][^,']*?)\s*(?:,\s*'([^']*)'\s*)?")
_SPECIAL: Final = frozenset({"*", "?", "$"})


# Wildcard tokens; every other token is one literal character, so these never collide.
_ANY_RUN: Final = "<*>"
_ANY_ONE: Final = "<?>"


@dataclass(frozen=True, slots=True)
class WildcardPattern:
    """An IAM wildcard pattern: each token is a literal character, `*` or `?`.

    Matching is iterative, O(len(text) * len(tokens)) at worst, never exponential: a
    policy author cannot make matching slow (a regular expression could backtrack).
    """

    tokens: tuple[str, ...]
    literal: str | None = field(default=None, init=False, compare=False, repr=False)
    """The whole pattern when it holds no wildcard: matching is then string equality."""

    def __post_init__(self) -> None:
        if _ANY_RUN not in self.tokens and _ANY_ONE not in self.tokens:
            object.__setattr__(self, "literal", "".join(self.tokens))

    def matches(self, text: str) -> bool:
        """Whether the whole of `text` matches the pattern (case-sensitive)."""
        if self.literal is not None:
            return text == self.literal
        tokens = self.tokens
        t = s = 0
        star = -1  # the last `*` seen, and where in `text` it started to match
        star_s = 0
        while s < len(text):
            if t < len(tokens) and (tokens[t] == text[s] or tokens[t] == _ANY_ONE):
                t += 1
                s += 1
            elif t < len(tokens) and tokens[t] == _ANY_RUN:
                star, star_s = t, s
                t += 1
            elif star >= 0:  # let the last `*` take one more character, and retry
                star_s += 1
                t, s = star + 1, star_s
            else:
                return False
        while t < len(tokens) and tokens[t] == _ANY_RUN:
            t += 1
        return t == len(tokens)


@dataclass(frozen=True, slots=True)
class _Variable:
    """`${name}` or `${name, 'default'}` in policy text."""

    name: str
    default: str | None


# A parsed text: policy text (str, where * and ? are wildcards) and variables, in order.
_Part = str | _Variable
# A resolved text: (text, from_policy); only policy text may hold wildcards.
_Segment = tuple[str, bool]


def substitute(text: str, request: Request) -> str | None:
    """`text` with every variable replaced by its value; None when one has no value."""
    segments = _resolve(_parse(text), request)
    if segments is None:
        return None
    return "".join(piece for piece, _ in segments)


def wildcard_pattern(text: str, request: Request | None) -> WildcardPattern | None:
    """`text` as an IAM wildcard pattern, for matching whole strings.

    `*` matches any run of characters (none included) and `?` exactly one, but only where
    the policy text itself wrote them; values of variables are matched literally. With
    `request` None nothing is substituted (the 2008-10-17 language). None when a variable
    has no value: the pattern matches nothing.
    """
    if request is None:
        return _compile(((text, True),))
    segments = _resolve(_parse(text), request)
    return None if segments is None else _compile(segments)


@functools.lru_cache(maxsize=4096)
def _parse(text: str) -> tuple[_Part, ...]:
    """Split `text` into policy text and variables; malformed `${...}` stays text."""
    if "${" not in text:
        return (text,)
    parts: list[_Part] = []
    position = 0
    for match in _VARIABLE.finditer(text):
        variable = _variable(match.group(1))
        if variable is None:
            continue
        parts.append(text[position : match.start()])
        parts.append(variable)
        position = match.end()
    parts.append(text[position:])
    return tuple(part for part in parts if part != "")


def _variable(body: str) -> _Variable | None:
    """The variable that `${body}` spells, or None when it spells none."""
    if body in _SPECIAL:
        return _Variable(body, None)
    match = _NAME_AND_DEFAULT.fullmatch(body)
    if match is None:
        return None
    return _Variable(match.group(1), match.group(2))


def _resolve(parts: tuple[_Part, ...], request: Request) -> tuple[_Segment, ...] | None:
    """Each part as a segment; None when a variable has neither a value nor a default."""
    segments: list[_Segment] = []
    for part in parts:
        if isinstance(part, str):
            segments.append((part, True))
            continue
        if part.name in _SPECIAL:
            segments.append((part.name, False))
            continue
        value = _single_value(request, part.name)
        if value is None:
            value = part.default
        if value is None:
            return None
        segments.append((value, False))
    return tuple(segments)


def _single_value(request: Request, name: str) -> str | None:
    """The key's value when it has exactly one (AWS: multivalued keys are no variables)."""
    values = request.values(name)
    if values is None or len(values) != 1:
        return None
    return values[0]


@functools.lru_cache(maxsize=4096)
def _compile(segments: tuple[_Segment, ...]) -> WildcardPattern:
    """The pattern for the segments: wildcards only in policy text."""
    tokens: list[str] = []
    for text, from_policy in segments:
        if not from_policy:
            tokens.extend(text)
            continue
        for char in text:
            if char == "*":
                if not tokens or tokens[-1] != _ANY_RUN:  # "**" is "*"
                    tokens.append(_ANY_RUN)
            elif char == "?":
                tokens.append(_ANY_ONE)
            else:
                tokens.append(char)
    return WildcardPattern(tuple(tokens))


def required_variables(text: str) -> list[str]:
    """The names of the policy variables in `text` that have no default (`${aws:username}`,
    not `${aws:username, 'x'}` nor the escapes `${*}`, `${?}`, `${$}`)."""
    return [
        part.name
        for part in _parse(text)
        if isinstance(part, _Variable) and part.name not in _SPECIAL and part.default is None
    ]


def variable_names(text: str) -> frozenset[str]:
    """Every condition key a policy variable in `text` might read, lowercased: the name
    after each `${`, wherever it stands (inside a quoted default too), so that no way of
    cutting the text first (Arn values are split at colons before their variables are
    read) can find a variable whose name is not here. More than `_parse` finds, never
    fewer; not the escapes `${*}`, `${?}`, `${$}`."""
    names = set()
    for match in _ANY_NAME.finditer(text):
        name = match.group(1).strip()
        if name and name not in _SPECIAL:
            names.add(name.lower())
    return frozenset(names)


_ANY_NAME: Final = re.compile(r"(?=\$\{([^,'}]*))")
"""At each `${` (a lookahead, so one inside another's text is found too), what follows it
up to a comma, a quote or a closing brace."""
