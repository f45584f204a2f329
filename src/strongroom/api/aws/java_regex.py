r"""Java regular expressions (as botocore's models write them) translated to Python `re`.

Java semantics kept: `\w`, `\d`, `\s` are ASCII-only; `.` stops at every line terminator;
`\p{..}` Unicode categories become explicit ranges (Python's `re` has none); backreferences
read Java's way. Translation happens once per pattern (cached); a pattern that cannot be
translated raises ValueError when its operation compiles.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from itertools import groupby

__all__ = ["java_pattern"]


_JAVA_DOT = r"[^\n\r\x85\u2028\u2029]"  # Java's `.` stops at every line terminator
_JAVA_END = r"(?=(?:\r\n|[\n\r\x85\u2028\u2029])?\Z)"  # Java's `\Z`
_POSIX = {
    "Lower": "a-z",
    "Upper": "A-Z",
    "ASCII": r"\x00-\x7f",
    "Alpha": "a-zA-Z",
    "Digit": "0-9",
    "Alnum": "a-zA-Z0-9",
    "Punct": r"!-/:-@\[-`{-~",
    "Graph": "!-~",
    "Print": " -~",
    "Blank": r" \t",
    "Cntrl": r"\x00-\x1f\x7f",
    "XDigit": "0-9a-fA-F",
    "Space": r" \t\n\x0b\f\r",
}


@cache
def java_pattern(pattern: str) -> re.Pattern[str]:
    """A model pattern (Java syntax) as a compiled Python pattern; ValueError if untranslatable."""
    try:
        return re.compile(_JavaRegex(pattern).translate(), re.ASCII)
    except re.error as error:
        raise ValueError(f"cannot translate Java pattern {pattern!r}: {error}") from None


def _char(code: int) -> str:
    """One code point as a pattern atom that means only itself, in or out of a class."""
    char = chr(code)
    return char if char.isascii() and char.isalnum() else f"\\U{code:08x}"


@cache
def _category_runs() -> dict[str, list[tuple[int, int]]]:
    """Code point runs per two-letter general category, from one pass over Unicode."""
    # Planes 4-13 are unassigned and planes 15-16 private use, bar each plane's last two.
    runs: dict[str, list[tuple[int, int]]] = {
        "Cn": [(0x40000, 0xDFFFF), (0xE1000, 0xEFFFF), (0xFFFFE, 0xFFFFF), (0x10FFFE, 0x10FFFF)],
        "Co": [(0xF0000, 0xFFFFD), (0x100000, 0x10FFFD)],
    }
    for span in (range(0x40000), range(0xE0000, 0xE1000)):
        code = span.start
        for category, group in groupby(map(unicodedata.category, map(chr, span))):
            size = sum(1 for _ in group)
            runs.setdefault(category, []).append((code, code + size - 1))
            code += size
    return runs


@cache
def _unicode_class(category: str) -> str:
    """Class ranges of a general category (`\\p{L}`, `\\p{..}`), which `re` lacks."""
    found = sorted(
        run for name, runs in _category_runs().items() if name.startswith(category) for run in runs
    )
    merged: list[list[int]] = []
    for first, last in found:
        if merged and merged[-1][1] == first - 1:
            merged[-1][1] = last
        else:
            merged.append([first, last])
    return "".join(_char(a) if a == b else f"{_char(a)}-{_char(b)}" for a, b in merged)


class _JavaRegex:
    """A one-pass translator of the java.util.regex syntax the AWS models use."""

    def __init__(self, source: str) -> None:
        self.source, self.at = source, 0
        self.groups = _count_groups(source)

    def translate(self) -> str:
        source, out = self.source, []
        while self.at < len(source):
            char = source[self.at]
            if char == "\\":
                out.append(self._escape(in_class=False)[0])
            elif char == "[":
                out.append(self._char_class())
            elif char == ".":
                out.append(_JAVA_DOT)
                self.at += 1
            elif (
                source.startswith("(?<", self.at) and source[self.at + 3 : self.at + 4] not in "=!"
            ):
                out.append("(?P<")  # a named group
                self.at += 3
            else:
                out.append(char)
                self.at += 1
        return "".join(out)

    def _take(self, count: int) -> str:
        text = self.source[self.at : self.at + count]
        if len(text) != count:
            raise ValueError(f"truncated escape in {self.source!r}")
        self.at += count
        return text

    def _escape(self, in_class: bool) -> tuple[str, bool]:
        """The escape at `at` as (Python text, whether it is exactly one character)."""
        self.at += 1
        char = self._take(1)
        if char in "pP":
            name = self._take(1)
            if name == "{":
                end = self.source.index("}", self.at)
                name, self.at = self.source[self.at : end], end + 1
            content = _property(name)
            if in_class and char == "P":
                raise ValueError("\\P inside a character class is not supported")
            if in_class:
                return content, False
            return ("[^" if char == "P" else "[") + content + "]", False
        if char == "Q":
            end = self.source.find("\\E", self.at)
            end = len(self.source) if end < 0 else end
            text, self.at = self.source[self.at : end], end + 2
            return "".join(_char(ord(c)) for c in text), len(text) == 1
        if char in "dDsSwW" or (char in "bBA" and not in_class):
            return "\\" + char, False
        if char in "zZ" and not in_class:
            return ("\\Z" if char == "z" else _JAVA_END), False
        simple = {"t": 9, "n": 10, "r": 13, "f": 12, "a": 7, "e": 27}
        if char in simple:
            return _char(simple[char]), True
        if char == "u":
            return _char(int(self._take(4), 16)), True
        if char == "x":
            if self.source.startswith("{", self.at):
                end = self.source.index("}", self.at)
                digits, self.at = self.source[self.at + 1 : end], end + 1
                return _char(int(digits, 16)), True
            return _char(int(self._take(2), 16)), True
        if char == "0":
            digits = ""
            while len(digits) < 3 and self.source[self.at : self.at + 1] in tuple("01234567"):
                if int(digits + self.source[self.at], 8) > 0o377:
                    break
                digits += self._take(1)
            return _char(int(digits or "0", 8)), True
        if char == "c":
            return _char(ord(self._take(1)) ^ 64), True
        if char == "k" and not in_class and self.source.startswith("<", self.at):
            end = self.source.index(">", self.at)
            name, self.at = self.source[self.at + 1 : end], end + 1
            return f"(?P={name})", False
        if char.isdigit() and not in_class:  # Java takes the longest group number that exists
            number = int(char)
            while self.source[self.at : self.at + 1].isdigit():
                longer = number * 10 + int(self.source[self.at])
                if longer > self.groups:
                    break
                number, self.at = longer, self.at + 1
            return f"(?:\\{number})", False
        if char.isascii() and char.isalnum():
            raise ValueError(f"unsupported Java escape \\{char} in {self.source!r}")
        return _char(ord(char)), True

    def _char_class(self) -> str:
        """A `[...]` class; literal specials are escaped so `re` sees no set operations."""
        source = self.source
        self.at += 1
        negate = source.startswith("^", self.at)
        self.at += negate
        atoms: list[tuple[str, bool | None]] = []  # (text, single char); None marks a bare "-"
        while True:
            if self.at >= len(source):
                raise ValueError(f"unclosed character class in {source!r}")
            char = source[self.at]
            if char == "]" and atoms:
                self.at += 1
                break
            if char == "[" or source.startswith("&&", self.at):
                raise ValueError(f"nested classes and intersections are not supported: {source!r}")
            if char == "\\":
                atoms.append(self._escape(in_class=True))
                continue
            atoms.append(("-", None) if char == "-" else (_char(ord(char)), True))
            self.at += 1
        body, index = [], 0
        while index < len(atoms):
            text, single = atoms[index]
            if single is None:
                body.append(_char(ord("-")))
            elif (
                single
                and index + 2 < len(atoms)
                and atoms[index + 1][1] is None
                and atoms[index + 2][1]
            ):
                body.append(f"{text}-{atoms[index + 2][0]}")
                index += 2
            else:
                body.append(text)
            index += 1
        return ("[^" if negate else "[") + "".join(body) + "]"


def _property(name: str) -> str:
    """Class content of `\\p{name}`: a POSIX class (ASCII, as in Java) or a Unicode category."""
    if name in _POSIX:
        return _POSIX[name]
    category = name.removeprefix("Is").removeprefix("general_category=").removeprefix("gc=")
    content = _unicode_class(category) if re.fullmatch("[CLMNPSZ][a-z]?", category) else ""
    if not content:
        raise ValueError(f"unsupported Java property \\p{{{name}}}")
    return content


def _count_groups(source: str) -> int:
    """Capturing groups in a Java pattern, so `\\17` can be read as Java reads it."""
    count, index, in_class = 0, 0, False
    while index < len(source):
        char = source[index]
        if char == "\\":
            index += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        elif char == "(" and (
            not source.startswith("(?", index)
            or (source.startswith("(?<", index) and source[index + 3 : index + 4] not in "=!")
        ):
            count += 1
        index += 1
    return count
