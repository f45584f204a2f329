"""Comparing secrets: in time that does not depend on where two byte strings differ."""

from __future__ import annotations

import hmac


def equal(a: bytes, b: bytes) -> bool:
    """Whether `a` and `b` are the same bytes, compared in constant time.

    The time taken depends only on the lengths, never on the contents, so comparing a
    secret (a share, a MAC, a signature) leaks nothing about where a guess goes wrong.
    """
    return hmac.compare_digest(a, b)
