"""`operator rekey`: a new root key and new unseal shares, from a quorum of the old shares.

Vault's rekey, as its operators know it: `start` names the new share count and threshold
and returns a nonce; `submit` takes the current shares one by one, each naming the nonce;
once the current threshold is met and the shares rebuild the current root key, a new root
key is made, the keyring is sealed under it together with the new seal configuration in
one transaction, the storage is scrubbed, and the new shares are returned, once.

Invariants:
- One rekey at a time; it expires after `ttl_seconds` without a share. Every call is
  signed and authorized by the router; the shares prove the quorum.
- Until it completes nothing changes; afterwards the old shares rebuild a key that no
  longer opens the keyring, and no file in the data directory holds the old sealed
  keyring (`Barrier.scrub`).
- Shares and root keys live only in memory and in the one answer that hands the new
  shares out; no error holds a share.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from strongroom.api.sys.operator import SEAL_CONFIG, read_seal_config
from strongroom.api.sys.share_attempts import Attempts
from strongroom.barrier import Barrier
from strongroom.crypto import RandomBytes
from strongroom.errors import StrongroomError, ValidationException
from strongroom.seal import SealConfig, ShamirSeal, Unsealer

__all__ = ["Rekey", "RekeyFailed", "RekeyInProgress"]


class RekeyFailed(StrongroomError):
    """The shares given do not rebuild the current root key, or rekey is impossible here."""

    code = "InvalidUnsealKeys"


class RekeyInProgress(StrongroomError):
    """Another rekey has not finished."""

    code = "RekeyInProgress"


@dataclass(slots=True)
class _Pending:
    """A rekey under way: the old shares collected so far and the new split asked for."""

    old: Unsealer
    new: SealConfig
    required: int


class Rekey:
    """The one rekey of this server process."""

    def __init__(self, barrier: Barrier, random: RandomBytes, now: Callable[[], float]) -> None:
        self._barrier = barrier
        self._random = random
        self._attempts: Attempts[_Pending] = Attempts(random, now, limit=1)
        self._lock = threading.Lock()

    def start(self, shares: Any, threshold: Any) -> dict[str, Any]:
        """Begin a rekey to `shares` new shares, `threshold` of which will unseal."""
        if type(shares) is not int or type(threshold) is not int:
            raise ValidationException("Give 'shares' and 'threshold' as whole numbers.")
        try:
            new = SealConfig(shares, threshold)
        except ValueError as error:
            raise ValidationException(str(error)) from None
        with self._lock:
            current = self._current()
            if len(self._attempts):
                raise RekeyInProgress(
                    "A rekey is already in progress: finish it, or cancel it "
                    "(`strongroom operator rekey cancel`)."
                )
            pending = _Pending(Unsealer(current), new, current.threshold)
            attempt = self._attempts.start(pending)
        return {"nonce": attempt.nonce, "progress": 0, "required": current.threshold}

    def submit(self, nonce: Any, share: Any) -> dict[str, Any]:
        """Add one current share; when the threshold is met, replace the root key."""
        if not isinstance(nonce, str) or not isinstance(share, str):
            raise ValidationException("Give the rekey 'nonce' and one current share as 'key'.")
        with self._lock:
            self._current()
            attempt = self._attempts.get(nonce)
            pending = attempt.collector
            progress = pending.old.submit(share)
            if not progress.done:
                return {
                    "nonce": nonce,
                    "progress": progress.submitted,
                    "required": pending.required,
                }
            self._attempts.drop(nonce)
            candidate = pending.old.candidate() or b""
            if not self._barrier.opens_keyring(candidate):
                raise RekeyFailed(
                    "A share was refused: the shares given do not reconstruct the current root "
                    "key. The rekey is cancelled; the current unseal keys stay valid."
                )
            root_key, new_shares = ShamirSeal(self._random).initialize(
                pending.new.shares, pending.new.threshold
            )
            self._barrier.replace_root_key(root_key, {SEAL_CONFIG: pending.new.to_json()})
        self._barrier.scrub()
        return {
            "complete": True,
            "keys": new_shares,
            "shares": pending.new.shares,
            "threshold": pending.new.threshold,
        }

    def cancel(self, nonce: Any) -> dict[str, Any]:
        """Abandon the rekey in progress (the one `nonce` names, when given)."""
        with self._lock:
            if nonce is not None:
                if not isinstance(nonce, str):
                    raise ValidationException("The rekey 'nonce' is a string.")
                self._attempts.get(nonce)
            self._attempts.clear()
        return {"cancelled": True}

    def _current(self) -> SealConfig:
        config = read_seal_config(self._barrier)
        if config is None:
            raise RekeyFailed(
                "This server's root key is not split into shares (dev mode keeps it in a key "
                "file): there is nothing to rekey."
            )
        return config
