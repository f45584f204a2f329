"""The SigV4 signature parameters of a request, read from its header or its query.

`header_auth` reads `Authorization: AWS4-HMAC-SHA256 Credential=..., SignedHeaders=...,
Signature=...` plus the request time from X-Amz-Date (or Date); `query_auth` reads a
presigned request's X-Amz-Algorithm, -Credential, -Date, -Expires, -SignedHeaders and
-Signature. Both return an `Auth` holding the parameters as sent, not yet trusted.

Invariants: a missing or malformed parameter is an `IncompleteSignatureException` with
AWS's message, which may echo what the client sent and nothing else; an unknown
algorithm in the header is an IncompleteSignatureException, in the query a
`MissingAuthenticationToken`, as on AWS. In the header the last parameter of a name
wins, in the query the first. X-Amz-Expires is a whole number of seconds up to a week.
"""

from __future__ import annotations

from typing import NamedTuple

from strongroom.errors import IncompleteSignatureException, MissingAuthenticationToken

__all__ = ["ALGORITHM", "MISSING_TOKEN", "Auth", "first_value", "header_auth", "query_auth"]

ALGORITHM = b"AWS4-HMAC-SHA256"
MISSING_TOKEN = "Missing Authentication Token"
_MAX_EXPIRES = 604800  # one week, as AWS allows
_HEADER_REQUIRES = "Authorization header requires '{}' parameter."
_HEADER_REQUIRES_DATE = (
    "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."
)
_QUERY_REQUIRES = "AWS query-string parameters must include '{}'."
_REEXAMINE_QUERY = "Re-examine the query-string parameters."


class Auth(NamedTuple):
    """The signature parameters of one request, as sent (not yet trusted)."""

    credential: bytes
    signed_headers: bytes
    signature: bytes
    stamp: bytes  # the request time as sent: ISO 8601 basic, or an HTTP Date
    presigned: bool  # query auth (its X-Amz-Signature is not part of the canonical query)
    expires: int | None  # presigned lifetime in seconds, if X-Amz-Expires was sent


def first_value(pairs: list[tuple[bytes, bytes]], name: bytes) -> bytes | None:
    """The first value of a query parameter, or None."""
    for key, value in pairs:
        if key == name:
            return value
    return None


def header_auth(value: bytes, first: dict[bytes, bytes]) -> Auth:
    """The parameters of an `Authorization: AWS4-HMAC-SHA256 ...` header."""
    text = value.strip()
    algorithm, _, rest = text.partition(b" ")
    if algorithm != ALGORITHM:
        raise IncompleteSignatureException(
            f"Unsupported AWS 'algorithm': '{algorithm.decode('latin-1')}'."
        )
    params: dict[bytes, bytes] = {}
    for item in rest.split(b","):
        name, equals, param = item.strip().partition(b"=")
        if not equals:
            if not name:
                continue  # an empty item, as after a trailing comma
            raise IncompleteSignatureException(
                f"'{name.decode('latin-1')}' not a valid key=value pair (missing equal-sign) "
                f"in Authorization header: '{text.decode('latin-1')}'."
            )
        params[name] = param  # the last one of a name wins, as AWS does
    credential = params.get(b"Credential")
    signature = params.get(b"Signature")
    signed_headers = params.get(b"SignedHeaders")
    stamp = first.get(b"x-amz-date")
    if stamp is None:
        stamp = first.get(b"date")
    if credential is None or signature is None or signed_headers is None or stamp is None:
        missing = [
            _HEADER_REQUIRES.format(name.decode("ascii"))
            for name in (b"Credential", b"Signature", b"SignedHeaders")
            if name not in params
        ]
        if stamp is None:
            missing.append(_HEADER_REQUIRES_DATE)
        missing.append(f"Authorization={text.decode('latin-1')}")
        raise IncompleteSignatureException(" ".join(missing))
    return Auth(credential, signed_headers, signature, stamp, False, None)


def query_auth(algorithm: bytes, pairs: list[tuple[bytes, bytes]]) -> Auth:
    """The parameters of a presigned request (X-Amz-* in the query)."""
    if algorithm != ALGORITHM:
        raise MissingAuthenticationToken(MISSING_TOKEN)
    params = dict(reversed(pairs))  # the first one of a name wins
    wanted = (b"X-Amz-Credential", b"X-Amz-Signature", b"X-Amz-SignedHeaders", b"X-Amz-Date")
    missing = [
        _QUERY_REQUIRES.format(name.decode("ascii")) for name in wanted if name not in params
    ]
    if missing:
        missing.append(_REEXAMINE_QUERY)
        raise IncompleteSignatureException(" ".join(missing))
    expires = params.get(b"X-Amz-Expires")
    return Auth(
        params[b"X-Amz-Credential"],
        params[b"X-Amz-SignedHeaders"],
        params[b"X-Amz-Signature"],
        params[b"X-Amz-Date"],
        True,
        None if expires is None else _expires(expires),
    )


def _expires(sent: bytes) -> int:
    """X-Amz-Expires as seconds: a whole number up to a week."""
    if not sent.isdigit():
        if sent[:1] == b"-" and sent[1:].isdigit():
            raise IncompleteSignatureException("X-Amz-Expires must be non-negative")
        raise IncompleteSignatureException("X-Amz-Expires should be a number")
    # int() refuses over 4300 digits; anything past a handful is over a week anyway
    seconds = int(sent) if len(sent) <= 12 else _MAX_EXPIRES + 1
    if seconds > _MAX_EXPIRES:
        raise IncompleteSignatureException(
            f"X-Amz-Expires must be less than a week (in seconds) that is {_MAX_EXPIRES}"
        )
    return seconds
