"""GetRandomPassword: build a random password from AWS's character classes.

Pure: no storage, no clock; randomness comes only from the injected `RandomBytes`.

Invariants:
- The result has exactly `PasswordLength` characters, every one from the pool (the union
  of the included classes, plus the space when asked, minus `ExcludeCharacters`).
- Every index is drawn by rejection sampling (`_below`), so no character is favoured by
  modulo bias.
- With `RequireEachIncludedType`, each included class (upper, lower, digits, punctuation)
  that keeps a character after exclusions appears at least once, at a position chosen
  uniformly at random. The space is never a required class.
"""

from __future__ import annotations

import string

from strongroom.crypto import RandomBytes
from strongroom.errors import InvalidParameterException

_EMPTY_POOL = "The password pool is empty: every character type is excluded."
_TOO_SHORT = "Password length is too short based on the required types."


def random_password(
    random: RandomBytes,
    *,
    PasswordLength: int = 32,
    ExcludeCharacters: str = "",
    ExcludeNumbers: bool = False,
    ExcludePunctuation: bool = False,
    ExcludeUppercase: bool = False,
    ExcludeLowercase: bool = False,
    IncludeSpace: bool = False,
    RequireEachIncludedType: bool = True,
) -> str:
    """A password as AWS GetRandomPassword makes it; the length range is checked at the edge."""
    excluded = set(ExcludeCharacters)
    classes = [
        _remaining(chars, excluded)
        for chars, skip in (
            (string.ascii_uppercase, ExcludeUppercase),
            (string.ascii_lowercase, ExcludeLowercase),
            (string.digits, ExcludeNumbers),
            (string.punctuation, ExcludePunctuation),
        )
        if not skip
    ]
    pool = "".join(classes) + (_remaining(" ", excluded) if IncludeSpace else "")
    if not pool:
        raise InvalidParameterException(_EMPTY_POOL)
    required = [chars for chars in classes if chars] if RequireEachIncludedType else []
    if PasswordLength < len(required):
        raise InvalidParameterException(_TOO_SHORT)
    password = [_choice(random, pool) for _ in range(PasswordLength)]
    positions = _positions(random, PasswordLength, len(required))
    for position, chars in zip(positions, required, strict=True):
        password[position] = _choice(random, chars)
    return "".join(password)


def _remaining(chars: str, excluded: set[str]) -> str:
    """`chars` without the excluded ones, order kept."""
    return "".join(c for c in chars if c not in excluded)


def _choice(random: RandomBytes, chars: str) -> str:
    """One character of `chars`, uniformly."""
    return chars[_below(random, len(chars))]


def _positions(random: RandomBytes, length: int, count: int) -> list[int]:
    """`count` distinct indices in range(length), uniformly: a partial Fisher-Yates shuffle."""
    indices = list(range(length))
    for i in range(count):
        j = i + _below(random, length - i)
        indices[i], indices[j] = indices[j], indices[i]
    return indices[:count]


def _below(random: RandomBytes, n: int) -> int:
    """A uniform integer in [0, n), by rejection sampling over masked random bytes."""
    if n < 1:
        raise ValueError("n must be at least 1")
    bits = (n - 1).bit_length()
    mask = (1 << bits) - 1
    size = (bits + 7) // 8
    while True:
        # Masking to the bit length of n-1 keeps each try's acceptance above one half.
        value = int.from_bytes(random(size), "big") & mask
        if value < n:
            return value
