"""Grant tokens: the opaque string CreateGrant returns, which names its grant.

Version 1 (before base64url without padding, as AWS writes its tokens):

    0x01 | account (12 ASCII digits) | len(region) (1 byte) | region |
    len(key id) (1 byte) | key id | grant id (32 bytes) | nonce (16 bytes)

The nonce makes every token CreateGrant returns unique, as AWS's are, even when a named
grant is returned again; any token of a grant names it. A token is not secret and grants
nothing by itself: RetireGrant still asks who the caller is. `decode` accepts only what
`encode` makes (canonical base64url, known version, exact lengths) and raises
`InvalidGrantTokenException` for anything else.
"""

from __future__ import annotations

import base64
import binascii
import functools
import inspect
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from strongroom.services.kms.grant_errors import InvalidGrantTokenException

VERSION = 1
NONCE_BYTES = 16
GRANT_ID_BYTES = 32
_ACCOUNT = re.compile(rb"[0-9]{12}")
_REGION = re.compile(rb"[a-z0-9-]{1,64}")
_KEY_ID = re.compile(
    rb"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32}"
)
_TEXT = re.compile(r"[A-Za-z0-9_-]+")


@dataclass(frozen=True, slots=True)
class GrantRef:
    """Where a token's grant lives."""

    account: str
    region: str
    key_id: str
    grant_id: str


def encode(ref: GrantRef, nonce: bytes) -> str:
    """The token for `ref`; `nonce` is 16 random bytes."""
    if len(nonce) != NONCE_BYTES:
        raise ValueError("a grant token's nonce is 16 bytes")
    region, key_id = ref.region.encode(), ref.key_id.encode()
    body = (
        bytes([VERSION])
        + ref.account.encode()
        + bytes([len(region)])
        + region
        + bytes([len(key_id)])
        + key_id
        + bytes.fromhex(ref.grant_id)
        + nonce
    )
    return base64.urlsafe_b64encode(body).rstrip(b"=").decode()


def decode(token: str) -> GrantRef:
    """The grant `token` names; `InvalidGrantTokenException` unless `encode` made it."""
    ref = _parse(token)
    if ref is None:
        raise InvalidGrantTokenException("Invalid grant token")
    return ref


def check_tokens(tokens: Iterable[str] | None) -> None:
    """InvalidGrantTokenException unless every token (a request's GrantTokens) has the
    shape `encode` gives. A well-formed token of a grant since retired passes: here a
    token never grants anything (grants are used at once), so only its shape counts."""
    for token in tokens or ():
        decode(token)


Operation = Callable[..., dict[str, Any]]


def checking_tokens(operations: dict[str, Operation]) -> dict[str, Operation]:
    """`operations`, each one that takes GrantTokens refusing first a request whose tokens
    `check_tokens` refuses (before the key is looked up: a token's shape tells nothing)."""
    return {
        name: _checks_tokens(operation)
        if "GrantTokens" in inspect.signature(operation).parameters
        else operation
        for name, operation in operations.items()
    }


def _checks_tokens(operation: Operation) -> Operation:
    @functools.wraps(operation)
    def run(context: object, caller: object, **params: Any) -> dict[str, Any]:
        check_tokens(params.get("GrantTokens"))
        return operation(context, caller, **params)

    return run


def is_token(token: str) -> bool:
    """Whether `token` has the shape of a token `encode` makes."""
    return _parse(token) is not None


def _parse(token: str) -> GrantRef | None:
    if not _TEXT.fullmatch(token) or len(token) % 4 == 1:
        return None
    try:
        body = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError):
        return None
    if base64.urlsafe_b64encode(body).rstrip(b"=").decode() != token:
        return None  # not canonical: unused bits set
    if len(body) < 15 or body[0] != VERSION:
        return None
    account, rest = body[1:13], body[13:]
    region, rest = _field(rest)
    key_id, rest = _field(rest)
    if len(rest) != GRANT_ID_BYTES + NONCE_BYTES or region is None or key_id is None:
        return None
    if not (_ACCOUNT.fullmatch(account) and _REGION.fullmatch(region)):
        return None
    if not _KEY_ID.fullmatch(key_id):
        return None
    grant_id = rest[:GRANT_ID_BYTES].hex()
    return GrantRef(account.decode(), region.decode(), key_id.decode(), grant_id)


def _field(data: bytes) -> tuple[bytes | None, bytes]:
    """A length-prefixed field and what follows it (None: too short)."""
    if not data or len(data) < 1 + data[0]:
        return None, b""
    return data[1 : 1 + data[0]], data[1 + data[0] :]
