"""AWS Signature Version 4 (AWS4-HMAC-SHA256), verified on the server side.

`SigV4Verifier.verify` takes a request as an ASGI server hands it over (method, raw path,
raw query, lowercase header pairs, body) and returns the caller's `Credential`, or raises
the error AWS raises, with AWS's message: `MissingAuthenticationToken` (no auth at all),
`IncompleteSignatureException` (malformed auth), `InvalidSignatureException` (wrong
signature, time or scope) or `UnrecognizedClientException` (unknown access key id).
The signature parameters are read by `sigv4_parse`, the canonical request built by
`sigv4_canonical`; this module checks time and scope and computes the signature.

Invariants:
- The signature is compared in constant time; no message holds the secret key, the
  expected signature or the canonical request (it may echo what the client sent).
- Header auth (Authorization + X-Amz-Date or Date) and presigned query auth
  (X-Amz-Algorithm, -Credential, -Date, -Expires, -SignedHeaders, -Signature) are both
  accepted, never together. X-Amz-Security-Token (header, or query when presigned) goes
  to `lookup_secret` with the key id: temporary credentials sign only with their own
  token, and a long-term key never with one.
- The signature covers everything the server acts on, in both forms: `host`, every
  `x-amz-*` header the request carries (X-Amz-Target names the operation, X-Amz-Date the
  time, X-Amz-Content-Sha256 the payload hash, X-Amz-Security-Token the session),
  `content-type` when sent, and in header auth the Date header when it gives the time.
  Any of them left out of SignedHeaders is an `InvalidSignatureException` naming it, as
  AWS words it for `host`; so no signed request can be replayed as another operation,
  at another time or with another body. It is checked on the header names as received,
  before the time, the scope or the access key, so it tells nothing about keys. (The
  query is always signed whole. `x-amzn-*` names are not `x-amz-*`: SDKs leave
  X-Amzn-Trace-Id unsigned.)
- The payload is always signed by its hash (every service served here is JSON or query,
  never S3): see `sigv4_canonical`.
- The request time lies within `max_skew_seconds` of the injected clock, both ways; a
  presigned request may be older, up to its X-Amz-Expires. The scope is
  `<key>/<request day>/<region>/<service>/aws4_request`; the caller checks region and
  service against what it serves.
- hashlib/hmac serve here because SigV4 is a wire protocol, not key material: no key that
  Strongroom protects passes through this module. HMAC-SHA256 is RFC 2104 over hashlib
  states; derived signing keys (per secret and scope), parsed scopes, request times and
  parsed SignedHeaders lists are kept in small dicts emptied when full. Verification
  takes no lock. The coverage check costs one C-level frozenset check over the header
  names for a request that carries no header outside the signed ones and the usual
  transport names (`_USUALLY_UNSIGNED`); only other requests take the exact, slower path.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from calendar import timegm
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from email.utils import mktime_tz, parsedate_tz
from typing import TYPE_CHECKING, NamedTuple, TypeVar

from strongroom.api.aws.sigv4_canonical import MISMATCH, canonical_request, query_pairs
from strongroom.api.aws.sigv4_parse import (
    ALGORITHM,
    MISSING_TOKEN,
    first_value,
    header_auth,
    query_auth,
)
from strongroom.errors import (
    IncompleteSignatureException,
    InvalidSignatureException,
    MissingAuthenticationToken,
    UnrecognizedClientException,
)

__all__ = ["Credential", "SigV4Verifier"]

_TERMINATOR = b"aws4_request"
_CACHE_SIZE = 512
_CACHED_LIST_BYTES = 512  # longer SignedHeaders lists are parsed each time, never kept
_SHA256_BLOCK = 64

_K = TypeVar("_K")
_V = TypeVar("_V")
if TYPE_CHECKING:
    from hashlib import _Hash

_UNKNOWN_KEY = "The security token included in the request is invalid."
_HOST_UNSIGNED = "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."
_MUST_BE_SIGNED = "'{}' must be a 'SignedHeader' in the AWS Authorization."
_COVERED_PREFIX = b"x-amz-"
# Names the coverage rule never applies to and that clients commonly leave unsigned (the
# transport's own, the SDKs' retry bookkeeping, what a reverse proxy adds). Only a fast
# path: a request carrying any other unsigned name gets the exact check.
_USUALLY_UNSIGNED = frozenset(
    [
        b"accept",
        b"accept-encoding",
        b"amz-sdk-invocation-id",
        b"amz-sdk-request",
        b"authorization",
        b"connection",
        b"content-length",
        b"expect",
        b"forwarded",
        b"keep-alive",
        b"te",
        b"transfer-encoding",
        b"user-agent",
        b"via",
        b"x-amzn-trace-id",
        b"x-forwarded-for",
        b"x-forwarded-host",
        b"x-forwarded-port",
        b"x-forwarded-proto",
        b"x-real-ip",
    ]
)


class _SignedHeaders(NamedTuple):
    """A SignedHeaders list, parsed once per distinct value sent."""

    names: tuple[bytes, ...]  # lowercased and sorted, as the canonical request lists them
    allowed: frozenset[bytes]  # `names` and `_USUALLY_UNSIGNED`: what may go unchecked


@dataclass(frozen=True, slots=True)
class Credential:
    """Who signed, and the scope they signed for."""

    access_key_id: str
    date: str  # YYYYMMDD from the scope
    region: str
    service: str


class SigV4Verifier:
    """Checks AWS4-HMAC-SHA256 signatures against secrets from `lookup_secret(access key
    id, session token or None)`: temporary credentials sign only with their token."""

    __slots__ = (
        "_clock",
        "_keys",
        "_lookup_secret",
        "_max_skew",
        "_scopes",
        "_signed",
        "_stamps",
    )

    def __init__(
        self,
        lookup_secret: Callable[[str, bytes | None], str | None],
        clock: Callable[[], float],
        max_skew_seconds: int = 300,
    ) -> None:
        self._lookup_secret = lookup_secret
        self._clock = clock
        self._max_skew = max_skew_seconds
        # Small bounded caches (cleared when full): parsing and key derivation cost more
        # than the rest of a verification, and a client repeats them on every request.
        self._stamps: dict[bytes, int] = {}
        self._scopes: dict[bytes, tuple[Credential, bytes]] = {}
        self._keys: dict[tuple[str, bytes], tuple[_Hash, _Hash]] = {}
        self._signed: dict[bytes, _SignedHeaders] = {}

    def verify(
        self,
        method: str,
        raw_path: str,
        query_string: bytes,
        headers: Sequence[tuple[bytes, bytes]],
        body: bytes,
    ) -> Credential:
        """The request's credential if its signature holds, else the AWS error."""
        first = dict(reversed(headers))  # the first value of each name wins
        pairs = query_pairs(query_string) if query_string else []
        presigned = first_value(pairs, b"X-Amz-Algorithm") if pairs else None
        authorization = first.get(b"authorization")
        if authorization is not None:
            if presigned is not None:
                raise InvalidSignatureException(MISMATCH)
            auth = header_auth(authorization, first)
        elif presigned is not None:
            auth = query_auth(presigned, pairs)
        else:
            raise MissingAuthenticationToken(MISSING_TOKEN)
        signed = self._signed.get(auth.signed_headers)
        if signed is None:
            signed = _parse_signed_headers(auth.signed_headers)
            if len(auth.signed_headers) <= _CACHED_LIST_BYTES:  # cached before it is trusted
                _remember(self._signed, auth.signed_headers, signed)
        if not signed.allowed.issuperset(first):
            _check_coverage(first, signed.allowed, auth.presigned)
        stamp, when = self._request_time(auth.stamp)
        self._check_time(stamp, when, auth.expires)
        credential, scope = self._scope(auth.credential, stamp)
        token = (
            first.get(b"x-amz-security-token")
            if not auth.presigned
            else (first_value(pairs, b"X-Amz-Security-Token"))
        )
        secret = self._lookup_secret(credential.access_key_id, token)
        if secret is None:
            raise UnrecognizedClientException(_UNKNOWN_KEY)
        canonical = canonical_request(
            method, raw_path, pairs, auth.presigned, signed.names, headers, first, body
        )
        inner, outer = self._signing_key(secret, scope)
        mac = inner.copy()  # HMAC-SHA256(kSigning, string to sign), from cached pad states
        mac.update(b"%s\n%s\n%s\n" % (ALGORITHM, stamp, scope))
        mac.update(hashlib.sha256(canonical).hexdigest().encode("ascii"))
        expected = outer.copy()
        expected.update(mac.digest())
        if not hmac.compare_digest(expected.hexdigest().encode("ascii"), auth.signature):
            raise InvalidSignatureException(MISMATCH)
        return credential

    def forget(self) -> None:
        """Drop every cached signing key, scope, time and header list (call it when sealing)."""
        self._keys.clear()
        self._scopes.clear()
        self._stamps.clear()
        self._signed.clear()

    def _request_time(self, sent: bytes) -> tuple[bytes, int]:
        """The request time as ISO 8601 basic and as epoch seconds (X-Amz-Date or Date)."""
        when = self._stamps.get(sent)
        if when is not None:
            return sent, when
        stamp = sent.strip()
        when = _epoch(stamp)
        if when is None:
            parsed = parsedate_tz(stamp.decode("latin-1"))
            if parsed is None or parsed[9] is None:  # an HTTP date must name its zone
                raise _bad_date(stamp)
            try:
                when = mktime_tz(parsed)
                return _iso_basic(when).encode("ascii"), when
            except (OverflowError, ValueError, OSError):
                raise _bad_date(stamp) from None
        if stamp == sent:
            _remember(self._stamps, sent, when)
        return stamp, when

    def _check_time(self, stamp: bytes, when: int, expires: int | None) -> None:
        """Refuse a request signed too far in the future, or too long ago."""
        now = self._clock()
        skew = self._max_skew
        if when > now + skew:
            raise InvalidSignatureException(
                f"Signature not yet current: {stamp.decode('ascii')} is still later than "
                f"{_iso_basic(now + skew)} ({_iso_basic(now)} + {_duration(skew)})"
            )
        window = skew if expires is None else expires
        if when < now - window:
            raise InvalidSignatureException(
                f"Signature expired: {stamp.decode('ascii')} is now earlier than "
                f"{_iso_basic(now - window)} ({_iso_basic(now)} - {_duration(window)})"
            )

    def _scope(self, credential: bytes, stamp: bytes) -> tuple[Credential, bytes]:
        """The credential and its scope `date/region/service/aws4_request`, checked."""
        known = self._scopes.get(credential)
        if known is None or known[1][:8] != stamp[:8]:
            known = _check_scope(credential, stamp)
            _remember(self._scopes, credential, known)
        return known

    def _signing_key(self, secret: str, scope: bytes) -> tuple[_Hash, _Hash]:
        """kSigning for a secret and scope, as HMAC inner and outer pad states (cached)."""
        cache_key = (secret, scope)
        states = self._keys.get(cache_key)
        if states is None:
            key = ("AWS4" + secret).encode("utf-8")
            for part in scope.split(b"/"):
                key = hmac.digest(key, part, "sha256")
            key = key.ljust(_SHA256_BLOCK, b"\0")  # RFC 2104: a 32-byte key, zero-padded
            states = (
                hashlib.sha256(bytes(byte ^ 0x36 for byte in key)),
                hashlib.sha256(bytes(byte ^ 0x5C for byte in key)),
            )
            _remember(self._keys, cache_key, states)
        return states


def _parse_signed_headers(sent: bytes) -> _SignedHeaders:
    """A SignedHeaders list as sent, lowercased and sorted; `host` must be in it."""
    names = sent.lower().split(b";")
    if b"host" not in names and b":authority" not in names:
        raise InvalidSignatureException(_HOST_UNSIGNED)
    return _SignedHeaders(tuple(sorted(names)), _USUALLY_UNSIGNED.union(names))


def _check_coverage(first: dict[bytes, bytes], allowed: frozenset[bytes], presigned: bool) -> None:
    """Refuse a request carrying an `x-amz-*` or Content-Type header left out of the
    signature, or (header auth) a Date header giving the time unsigned. `allowed` is the
    signed names and `_USUALLY_UNSIGNED` (which holds no covered name). Names the first
    such header in sorted order, so the message does not depend on header order."""
    date_is_time = not presigned and b"x-amz-date" not in first
    uncovered = [
        name
        for name in first
        if name not in allowed
        and (
            name.startswith(_COVERED_PREFIX)
            or name == b"content-type"
            or (name == b"date" and date_is_time)
        )
    ]
    if uncovered:
        raise InvalidSignatureException(_MUST_BE_SIGNED.format(min(uncovered).decode("latin-1")))


def _remember(cache: dict[_K, _V], key: _K, value: _V) -> None:
    """Store in a bounded cache, emptying it first when full."""
    if len(cache) >= _CACHE_SIZE:
        cache.clear()
    cache[key] = value


def _epoch(stamp: bytes) -> int | None:
    """Seconds since the epoch of a `YYYYMMDDTHHMMSSZ` stamp, or None if it is not one."""
    if len(stamp) != 16 or stamp[8] != 0x54 or stamp[15] != 0x5A:  # 'T', 'Z'
        return None
    if not (stamp[:8].isdigit() and stamp[9:15].isdigit()):
        return None
    try:
        moment = datetime(
            int(stamp[:4]),
            int(stamp[4:6]),
            int(stamp[6:8]),
            int(stamp[9:11]),
            int(stamp[11:13]),
            int(stamp[13:15]),
        )
    except ValueError:
        return None
    return timegm(moment.timetuple())


def _bad_date(stamp: bytes) -> IncompleteSignatureException:
    """AWS's error for a request time in neither ISO 8601 basic format nor HTTP-date."""
    return IncompleteSignatureException(
        f"Date must be in ISO-8601 'basic format'. Got '{stamp.decode('latin-1')}'. "
        "See http://en.wikipedia.org/wiki/ISO_8601"
    )


def _check_scope(credential: bytes, stamp: bytes) -> tuple[Credential, bytes]:
    """The credential and its scope (`date/region/service/aws4_request`), if well formed."""
    parts = credential.split(b"/")
    if len(parts) != 5:
        raise IncompleteSignatureException(
            "Credential must have exactly 5 slash-delimited elements, "
            f"e.g. keyid/date/region/service/term, got '{credential.decode('latin-1')}'"
        )
    key_id, day, region, service, terminator = (part.decode("latin-1") for part in parts)
    problems = []
    if parts[4] != _TERMINATOR:
        problems.append(
            f"Credential should be scoped with a valid terminator: 'aws4_request', "
            f"not '{terminator}'."
        )
    if parts[1] != stamp[:8]:
        problems.append(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date "
            f"from HTTP: '{day}' != '{stamp[:8].decode('ascii')}', "
            f"from '{stamp.decode('ascii')}'."
        )
    if problems:
        raise InvalidSignatureException(" ".join(problems))
    return Credential(key_id, day, region, service), credential[len(parts[0]) + 1 :]


def _iso_basic(when: float) -> str:
    """`YYYYMMDDTHHMMSSZ` of an epoch time."""
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(when))


def _duration(seconds: int) -> str:
    """A window as AWS words it: '5 min.'."""
    return f"{seconds // 60} min." if seconds % 60 == 0 else f"{seconds} sec."
