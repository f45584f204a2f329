"""The SigV4 canonical request, built from a request as the server received it.

`canonical_request` joins method, canonical URI, canonical query, canonical headers,
signed header names and payload hash with newlines, as every SDK does before signing.

Invariants:
- Canonical URI as for every service but S3: dot segments and repeated slashes removed,
  then each segment URI-encoded as sent (a percent-encoded path is encoded twice, as the
  SDKs sign it).
- Canonical query: names and values percent-decoded (`query_pairs`; '+' stays '+'),
  re-encoded leaving only A-Z a-z 0-9 - _ . ~ bare, sorted by name then value; a presigned
  request's X-Amz-Signature is left out.
- Canonical headers: the signed names sent, values trimmed and inner runs of spaces
  collapsed; the values of a repeated name joined with ',' in the order sent.
- The signed payload hash is always sha256(body): every service served here (KMS and the
  /sys operator API, JSON and query protocols) hashes its payload, as AWS's own JSON and
  query services do. X-Amz-Content-Sha256, when sent, must be exactly that hash; any
  other value, UNSIGNED-PAYLOAD and the STREAMING-* forms included (S3's alone), is the
  `InvalidSignatureException` of a mismatched signature, which is what AWS answers a
  non-S3 request signed over UNSIGNED-PAYLOAD. (That the header is itself signed is
  checked by `sigv4`.)
- The result is never put in a message: it is only hashed. hashlib serves here because
  SigV4 is a wire protocol, not key material.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from urllib.parse import quote, unquote_to_bytes

from strongroom.errors import InvalidSignatureException

__all__ = ["MISMATCH", "canonical_request", "query_pairs"]

MISMATCH = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. "
    "Consult the service documentation for details."
)


def canonical_request(
    method: str,
    raw_path: str,
    pairs: list[tuple[bytes, bytes]],
    presigned: bool,
    names: Sequence[bytes],
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
                _canonical_query(pairs, presigned),
                *_canonical_headers(names, first, _repeated(headers, first)),
                b"",
                b";".join(names),
                _payload_hash(first.get(b"x-amz-content-sha256"), body),
            ]
        )
    except UnicodeEncodeError:  # a method or path no client could have signed
        raise InvalidSignatureException(MISMATCH) from None


def query_pairs(query: bytes) -> list[tuple[bytes, bytes]]:
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
    names: Sequence[bytes], first: dict[bytes, bytes], repeated: dict[bytes, list[bytes]] | None
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
    """The signed payload hash: the body's, which X-Amz-Content-Sha256 must equal if sent
    (UNSIGNED-PAYLOAD is refused: the body of a JSON or query request is always signed)."""
    digest = hashlib.sha256(body).hexdigest().encode("ascii")
    if declared is None:
        return digest
    declared = declared.strip()
    if declared.lower() != digest:
        raise InvalidSignatureException(MISMATCH)
    return declared
