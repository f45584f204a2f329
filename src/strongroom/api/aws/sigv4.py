"""AWS Signature Version 4 (AWS4-HMAC-SHA256), verified on the server side.

`SigV4Verifier.verify` takes a request as an ASGI server hands it over (method, raw path,
raw query, lowercase header pairs, body) and returns the caller's `Credential`, or raises
the error AWS raises, with AWS's message: `MissingAuthenticationToken` (no auth at all),
`IncompleteSignatureException` (malformed auth), `InvalidSignatureException` (wrong
signature, time or scope) or `UnrecognizedClientException` (unknown access key id).

Invariants:
- The signature is compared in constant time; no message holds the secret key, the
  expected signature or the canonical request (it may echo what the client sent).
- Header auth (Authorization + X-Amz-Date or Date) and presigned query auth
  (X-Amz-Algorithm, -Credential, -Date, -Expires, -SignedHeaders, -Signature) are both
  accepted, never together. `host` must be signed. X-Amz-Security-Token is only data.
- The request time lies within `max_skew_seconds` of the injected clock, both ways; a
  presigned request may be older, up to its X-Amz-Expires. The scope is
  `<key>/<request day>/<region>/<service>/aws4_request`; the caller checks region and
  service against what it serves.
- Canonical URI as for every service but S3: dot segments and repeated slashes removed,
  then each segment URI-encoded as sent (a percent-encoded path is encoded twice, as the
  SDKs sign it). Canonical query: names and values percent-decoded, re-encoded leaving
  only A-Z a-z 0-9 - _ . ~ bare, sorted by name then value.
- X-Amz-Content-Sha256, when sent, is the signed payload hash: UNSIGNED-PAYLOAD, or
  exactly sha256(body). Without it the body's own hash is signed.
- hashlib/hmac serve here because SigV4 is a wire protocol, not key material: no key that
  Strongroom protects passes through this module. HMAC-SHA256 is RFC 2104 over hashlib
  states; derived signing keys (per secret and scope), parsed scopes and request times are
  kept in small dicts emptied when full. Verification takes no lock.
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
from urllib.parse import quote, unquote_to_bytes

from strongroom.errors import (
    IncompleteSignatureException,
    InvalidSignatureException,
    MissingAuthenticationToken,
    UnrecognizedClientException,
)

__all__ = ["Credential", "SigV4Verifier"]

_ALGORITHM = b"AWS4-HMAC-SHA256"
_TERMINATOR = b"aws4_request"
_UNSIGNED_PAYLOAD = b"UNSIGNED-PAYLOAD"
_MAX_EXPIRES = 604800  # one week, as AWS allows
_CACHE_SIZE = 512
_SHA256_BLOCK = 64

_K = TypeVar("_K")
_V = TypeVar("_V")
if TYPE_CHECKING:
    from hashlib import _Hash

_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. "
    "Consult the service documentation for details."
)
_MISSING_TOKEN = "Missing Authentication Token"
_UNKNOWN_KEY = "The security token included in the request is invalid."
_HOST_UNSIGNED = "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."
_HEADER_REQUIRES = "Authorization header requires '{}' parameter."
_HEADER_REQUIRES_DATE = (
    "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."
)
_QUERY_REQUIRES = "AWS query-string parameters must include '{}'."
_REEXAMINE_QUERY = "Re-examine the query-string parameters."


@dataclass(frozen=True, slots=True)
class Credential:
    """Who signed, and the scope they signed for."""

    access_key_id: str
    date: str  # YYYYMMDD from the scope
    region: str
    service: str


class _Auth(NamedTuple):
    """The signature parameters of one request, as sent (not yet trusted)."""

    credential: bytes
    signed_headers: bytes
    signature: bytes
    stamp: bytes  # the request time as sent: ISO 8601 basic, or an HTTP Date
    presigned: bool  # query auth (its X-Amz-Signature is not part of the canonical query)
    expires: int | None  # presigned lifetime in seconds, if X-Amz-Expires was sent


class SigV4Verifier:
    """Checks AWS4-HMAC-SHA256 signatures against secrets from `lookup_secret`."""

    __slots__ = ("_clock", "_keys", "_lookup_secret", "_max_skew", "_scopes", "_stamps")

    def __init__(
        self,
        lookup_secret: Callable[[str], str | None],
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
        pairs = _query_pairs(query_string) if query_string else []
        presigned = _first_value(pairs, b"X-Amz-Algorithm") if pairs else None
        authorization = first.get(b"authorization")
        if authorization is not None:
            if presigned is not None:
                raise InvalidSignatureException(_MISMATCH)
            auth = _header_auth(authorization, first)
        elif presigned is not None:
            auth = _query_auth(presigned, pairs)
        else:
            raise MissingAuthenticationToken(_MISSING_TOKEN)
        names = auth.signed_headers.lower().split(b";")
        if b"host" not in names and b":authority" not in names:
            raise InvalidSignatureException(_HOST_UNSIGNED)
        stamp, when = self._request_time(auth.stamp)
        self._check_time(stamp, when, auth.expires)
        credential, scope = self._scope(auth.credential, stamp)
        secret = self._lookup_secret(credential.access_key_id)
        if secret is None:
            raise UnrecognizedClientException(_UNKNOWN_KEY)
        names.sort()
        canonical = _canonical_request(method, raw_path, pairs, auth, names, headers, first, body)
        inner, outer = self._signing_key(secret, scope)
        mac = inner.copy()  # HMAC-SHA256(kSigning, string to sign), from cached pad states
        mac.update(b"%s\n%s\n%s\n" % (_ALGORITHM, stamp, scope))
        mac.update(hashlib.sha256(canonical).hexdigest().encode("ascii"))
        expected = outer.copy()
        expected.update(mac.digest())
        if not hmac.compare_digest(expected.hexdigest().encode("ascii"), auth.signature):
            raise InvalidSignatureException(_MISMATCH)
        return credential

    def forget(self) -> None:
        """Drop every cached signing key, scope and time (call it when sealing)."""
        self._keys.clear()
        self._scopes.clear()
        self._stamps.clear()

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


def _header_auth(value: bytes, first: dict[bytes, bytes]) -> _Auth:
    """The parameters of an `Authorization: AWS4-HMAC-SHA256 ...` header."""
    text = value.strip()
    algorithm, _, rest = text.partition(b" ")
    if algorithm != _ALGORITHM:
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
    return _Auth(credential, signed_headers, signature, stamp, False, None)


def _query_auth(algorithm: bytes, pairs: list[tuple[bytes, bytes]]) -> _Auth:
    """The parameters of a presigned request (X-Amz-* in the query)."""
    if algorithm != _ALGORITHM:
        raise MissingAuthenticationToken(_MISSING_TOKEN)
    params = dict(reversed(pairs))  # the first one of a name wins
    wanted = (b"X-Amz-Credential", b"X-Amz-Signature", b"X-Amz-SignedHeaders", b"X-Amz-Date")
    missing = [
        _QUERY_REQUIRES.format(name.decode("ascii")) for name in wanted if name not in params
    ]
    if missing:
        missing.append(_REEXAMINE_QUERY)
        raise IncompleteSignatureException(" ".join(missing))
    expires = params.get(b"X-Amz-Expires")
    return _Auth(
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
    seconds = int(sent)
    if seconds > _MAX_EXPIRES:
        raise IncompleteSignatureException(
            f"X-Amz-Expires must be less than a week (in seconds) that is {_MAX_EXPIRES}"
        )
    return seconds


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


def _canonical_request(
    method: str,
    raw_path: str,
    pairs: list[tuple[bytes, bytes]],
    auth: _Auth,
    names: list[bytes],
    headers: Sequence[tuple[bytes, bytes]],
    first: dict[bytes, bytes],
    body: bytes,
) -> bytes:
    """The canonical request over the sorted signed header `names`."""
    try:
        return b"\n".join(
            [
                method.encode("ascii"),
                _canonical_uri(raw_path),
                _canonical_query(pairs, auth.presigned),
                *_canonical_headers(names, first, _repeated(headers, first)),
                b"",
                b";".join(names),
                _payload_hash(first.get(b"x-amz-content-sha256"), body),
            ]
        )
    except UnicodeEncodeError:  # a method or path no client could have signed
        raise InvalidSignatureException(_MISMATCH) from None


def _query_pairs(query: bytes) -> list[tuple[bytes, bytes]]:
    """The query's (name, value) pairs in order, percent-decoded ('+' stays '+')."""
    pairs = []
    for item in query.split(b"&"):
        if not item:
            continue
        name, _, value = item.partition(b"=")
        if b"%" in name:
            name = unquote_to_bytes(name)
        if b"%" in value:
            value = unquote_to_bytes(value)
        pairs.append((name, value))
    return pairs


def _first_value(pairs: list[tuple[bytes, bytes]], name: bytes) -> bytes | None:
    """The first value of a query parameter, or None."""
    for key, value in pairs:
        if key == name:
            return value
    return None


def _canonical_query(pairs: list[tuple[bytes, bytes]], presigned: bool) -> bytes:
    """Pairs AWS-encoded and sorted; a presigned request's X-Amz-Signature left out."""
    if not pairs:
        return b""
    encoded = sorted(
        (quote(name, safe=""), quote(value, safe=""))
        for name, value in pairs
        if not (presigned and name == b"X-Amz-Signature")
    )
    return "&".join([f"{name}={value}" for name, value in encoded]).encode("ascii")


def _canonical_uri(raw_path: str) -> bytes:
    """The path normalized (no dot segments, no repeated slashes), then URI-encoded."""
    if raw_path == "/" or not raw_path:
        return b"/"
    kept: list[str] = []
    for segment in raw_path.split("/"):
        if segment == "..":
            if kept:
                kept.pop()
        elif segment and segment != ".":
            kept.append(segment)
    path = "/".join(kept)
    if raw_path[0] == "/":
        path = "/" + path
    if kept and raw_path[-1] == "/":
        path += "/"
    return quote(path, safe="/", errors="surrogateescape").encode("ascii")


def _repeated(
    headers: Sequence[tuple[bytes, bytes]], first: dict[bytes, bytes]
) -> dict[bytes, list[bytes]] | None:
    """Every value, in order, of each header name sent more than once; None if none is."""
    if len(first) == len(headers):
        return None
    values: dict[bytes, list[bytes]] = {}
    for name, value in headers:
        values.setdefault(name, []).append(value)
    return {name: sent for name, sent in values.items() if len(sent) > 1}


def _canonical_headers(
    names: list[bytes], first: dict[bytes, bytes], repeated: dict[bytes, list[bytes]] | None
) -> list[bytes]:
    """`name:value` lines of the signed headers sent: values trimmed, inner runs of spaces
    collapsed, the values of a repeated name joined with ',' in order."""
    if repeated is None:
        return [name + b":" + b" ".join(first[name].split()) for name in names if name in first]
    lines = []
    for name in names:
        if name in repeated:
            lines.append(name + b":" + b",".join([b" ".join(v.split()) for v in repeated[name]]))
        elif name in first:
            lines.append(name + b":" + b" ".join(first[name].split()))
    return lines


def _payload_hash(declared: bytes | None, body: bytes) -> bytes:
    """The signed payload hash: X-Amz-Content-Sha256 if sent (UNSIGNED-PAYLOAD, or it must
    be the body's hash), else the body's hash."""
    if declared is None:
        return hashlib.sha256(body).hexdigest().encode("ascii")
    declared = declared.strip()
    if declared == _UNSIGNED_PAYLOAD:
        return declared
    if declared.lower() != hashlib.sha256(body).hexdigest().encode("ascii"):
        raise InvalidSignatureException(_MISMATCH)
    return declared


def _iso_basic(when: float) -> str:
    """`YYYYMMDDTHHMMSSZ` of an epoch time."""
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(when))


def _duration(seconds: int) -> str:
    """A window as AWS words it: '5 min.'."""
    return f"{seconds // 60} min." if seconds % 60 == 0 else f"{seconds} sec."
