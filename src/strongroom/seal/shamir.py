"""The Shamir seal: the root key split into operator shares at init, rebuilt at unseal.

Share string format, version 1 (stable; golden vectors in tests/vectors/shamir/):
``base64(0x01 | y bytes | x byte)``, standard alphabet with padding, where ``y bytes | x``
is a share from `strongroom.crypto.shamir`. For a 32-byte root key that is 34 bytes, 48
characters. A new layout gets a new version byte; version 1 never changes.

Invariants:
- The root key exists only in memory: `ShamirSeal.initialize` returns it once, with its
  shares; `Unsealer.candidate` rebuilds it from ``threshold`` shares. Neither knows whether
  a candidate is right: the caller checks it by decrypting the keyring and, if that fails,
  calls `Unsealer.reset`.
- Share count and threshold are not secret; the caller persists them as a `SealConfig`.
- Errors about shares never echo the share.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass

from strongroom.crypto import shamir
from strongroom.crypto.compare import equal
from strongroom.crypto.random import RandomBytes, system_random
from strongroom.seal.base import ROOT_KEY_BYTES, InvalidShareError, SealError

__all__ = [
    "SHARE_VERSION",
    "Progress",
    "SealConfig",
    "ShamirSeal",
    "Unsealer",
    "decode_share",
    "encode_share",
]

SHARE_VERSION = 1
_CONFIG_VERSION = 1
_MAX_SHARE_CHARS = 1024  # far above any real share; bounds work on operator input


def encode_share(share: bytes) -> str:
    """Encode a raw share (y bytes | x byte) as a version-1 printable string."""
    if len(share) < 2 or share[-1] == 0:
        raise ValueError("not a share: need at least one y byte and a nonzero x byte")
    return base64.b64encode(bytes([SHARE_VERSION]) + share).decode("ascii")


def decode_share(text: str) -> bytes:
    """Decode a share string to its raw share; raise InvalidShareError if it is not one.

    Surrounding whitespace is ignored (shares are pasted by people).
    """
    if not isinstance(text, str) or len(text) > _MAX_SHARE_CHARS:
        raise InvalidShareError("the unseal share is not a share string")
    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise InvalidShareError("the unseal share is not valid base64") from None
    if len(raw) < 3:
        raise InvalidShareError("the unseal share is too short")
    if raw[0] != SHARE_VERSION:
        raise InvalidShareError("the unseal share has an unknown format version")
    if raw[-1] == 0:
        raise InvalidShareError("the unseal share is malformed")
    return raw[1:]


@dataclass(frozen=True, slots=True)
class SealConfig:
    """How the root key was split: not secret, persisted by the caller next to the keyring."""

    shares: int
    threshold: int

    def __post_init__(self) -> None:
        _check_counts(self.shares, self.threshold)

    def to_json(self) -> bytes:
        """Canonical JSON bytes, versioned."""
        body = {"version": _CONFIG_VERSION, "shares": self.shares, "threshold": self.threshold}
        return json.dumps(body, sort_keys=True, separators=(",", ":")).encode("ascii")

    @classmethod
    def from_json(cls, data: bytes) -> SealConfig:
        """Parse `to_json` output; raise SealError if it is not a valid seal config."""
        try:
            body = json.loads(data)
        except (ValueError, UnicodeDecodeError):
            raise SealError("the stored seal configuration is not JSON") from None
        if (
            not isinstance(body, dict)
            or set(body) != {"version", "shares", "threshold"}
            or not all(type(value) is int for value in body.values())
            or body["version"] != _CONFIG_VERSION
        ):
            raise SealError("the stored seal configuration is malformed")
        try:
            return cls(shares=body["shares"], threshold=body["threshold"])
        except ValueError:
            raise SealError("the stored seal configuration is malformed") from None


def _check_counts(shares: int, threshold: int) -> None:
    if not 1 <= threshold <= shares <= shamir.MAX_SHARES:
        raise ValueError(
            f"need 1 <= threshold <= shares <= {shamir.MAX_SHARES}, "
            f"got shares={shares}, threshold={threshold}"
        )


@dataclass(frozen=True, slots=True)
class Progress:
    """How far an unseal has come."""

    submitted: int
    threshold: int
    done: bool


class Unsealer:
    """Collects shares until ``threshold`` of them rebuild a candidate root key.

    Not thread-safe: the caller serialises submissions (one unseal at a time).
    """

    def __init__(self, config: SealConfig) -> None:
        self._threshold = config.threshold
        self._shares: list[bytes] = []

    @property
    def progress(self) -> Progress:
        """The current progress, without submitting anything."""
        submitted = len(self._shares)
        return Progress(submitted, self._threshold, submitted >= self._threshold)

    def submit(self, share: str) -> Progress:
        """Add one share string. Raise InvalidShareError for a bad or repeated share.

        Raises ValueError if the threshold is already met: check or reset first.
        """
        if self.progress.done:
            raise ValueError("the threshold is already met; call reset() to start over")
        raw = decode_share(share)
        if len(raw) != ROOT_KEY_BYTES + 1:
            raise InvalidShareError("the unseal share is not a share of a root key")
        x = shamir.x_coordinate(raw)
        for seen in self._shares:
            if shamir.x_coordinate(seen) != x:
                continue
            if equal(seen, raw):
                raise InvalidShareError("this unseal share was already submitted")
            raise InvalidShareError(
                "this unseal share conflicts with one already submitted (same index, "
                "different value); one of them is not a genuine share"
            )
        self._shares.append(raw)
        return self.progress

    def candidate(self) -> bytes | None:
        """The root key the submitted shares define once the threshold is met, else None.

        Whether it is the right key is for the caller to check.
        """
        if not self.progress.done:
            return None
        return shamir.combine(self._shares)

    def reset(self) -> None:
        """Forget every submitted share."""
        self._shares.clear()


class ShamirSeal:
    """Operator-unsealed seal: the root key lives only as Shamir shares held by people."""

    def __init__(self, rng: RandomBytes = system_random) -> None:
        self._rng = rng

    @property
    def kind(self) -> str:
        return "shamir"

    @property
    def auto_unseal(self) -> bool:
        return False

    def initialize(self, shares: int, threshold: int) -> tuple[bytes, list[str]]:
        """Make a fresh root key and its share strings; raise ValueError for bad counts.

        The caller encrypts the keyring with the root key, persists
        ``SealConfig(shares, threshold)``, hands out the strings and forgets both.
        """
        _check_counts(shares, threshold)
        root_key = self._rng(ROOT_KEY_BYTES)
        if len(root_key) != ROOT_KEY_BYTES:
            raise ValueError("rng returned a root key of the wrong length")
        raw_shares = shamir.split(root_key, shares, threshold, self._rng)
        return root_key, [encode_share(raw) for raw in raw_shares]

    def unsealer(self, config: SealConfig) -> Unsealer:
        """A fresh share collector for a root key split as ``config`` says."""
        return Unsealer(config)
