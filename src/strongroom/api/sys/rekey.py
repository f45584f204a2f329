"""`operator rekey`: a new root key and new unseal shares, from a quorum of the old shares.

Vault's rekey with verification, as its operators know it:
1. `start` names the new share count and threshold and returns a nonce;
2. `submit` takes the current shares one by one, each naming the nonce; once the current
   threshold rebuilds the current root key, a new root key is made and its shares are
   returned, and nothing is stored yet;
3. `verify` takes the new shares back; once the new threshold rebuilds the new root key,
   the keyring is sealed under it together with the new seal configuration in one
   transaction, then the storage is scrubbed.

Invariants:
- Nothing changes until the new shares have come back: shares lost on the way (a
  dropped connection, a closed terminal) cost a `cancel` and a fresh start, never the
  data; a commit that fails lets the new shares be given again. After the commit, the old
  shares rebuild a key that opens nothing, and once the scrub has run no file in the data
  directory holds the keyring sealed under the old root key (a scrub held up by a reader
  is owed, retried by the scheduler, and the answer says `scrubbed: false`).
- One rekey at a time; it expires after `ttl_seconds` without a share; `forget` (on
  seal) drops it with every share it holds. Every call is signed and authorized by the
  router; the shares prove the quorum.
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
from strongroom.crypto import RandomBytes, equal
from strongroom.errors import StrongroomError, ValidationException
from strongroom.seal import Progress, SealConfig, ShamirSeal, Unsealer

__all__ = ["Rekey", "RekeyFailed", "RekeyInProgress"]


class RekeyFailed(StrongroomError):
    """The shares given do not rebuild the key they must, or rekey is impossible here."""

    code = "InvalidUnsealKeys"


class RekeyInProgress(StrongroomError):
    """Another rekey has not finished."""

    code = "RekeyInProgress"


@dataclass(slots=True)
class _Pending:
    """A rekey under way: the current shares collected so far, the new split asked for,
    and, once the current quorum is met, the new root key awaiting its shares back."""

    old: Unsealer
    new: SealConfig
    root_key: bytes | None = None
    returned: Unsealer | None = None


class Rekey:
    """The one rekey of this server process."""

    def __init__(self, barrier: Barrier, random: RandomBytes, now: Callable[[], float]) -> None:
        self._barrier = barrier
        self._random = random
        self._attempts: Attempts[_Pending] = Attempts(random, now, limit=1, per_client=1)
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
            attempt = self._attempts.start(_Pending(Unsealer(current), new))
        return {"nonce": attempt.nonce, "progress": 0, "required": current.threshold}

    def submit(self, nonce: Any, share: Any) -> dict[str, Any]:
        """Add one current share; once they rebuild the current root key, make the new
        root key and hand out its shares (stored nowhere until `verify`)."""
        with self._lock:
            pending = self._pending(nonce, share)
            if pending.root_key is not None:
                raise ValidationException(
                    "The current keys are all in: give the new keys back with "
                    "`strongroom operator rekey verify`."
                )
            progress = pending.old.submit(share)
            if not progress.done:
                return _progress(nonce, progress)
            if not self._barrier.opens_keyring(pending.old.candidate() or b""):
                self._attempts.drop(nonce)
                raise RekeyFailed(
                    "A share was refused: the shares given do not reconstruct the current root "
                    "key. The rekey is cancelled; the current unseal keys stay valid."
                )
            pending.root_key, new_shares = ShamirSeal(self._random).initialize(
                pending.new.shares, pending.new.threshold
            )
            pending.returned = Unsealer(pending.new)
        return {
            "nonce": nonce,
            "keys": new_shares,
            "shares": pending.new.shares,
            "threshold": pending.new.threshold,
            "complete": False,
        }

    def verify(self, nonce: Any, share: Any) -> dict[str, Any]:
        """Take one new share back; once they rebuild the new root key, replace the root
        key for good."""
        with self._lock:
            pending = self._pending(nonce, share)
            if pending.root_key is None or pending.returned is None:
                raise ValidationException("Give the current keys first (`rekey submit`).")
            progress = pending.returned.submit(share)
            if not progress.done:
                return _progress(nonce, progress)
            if not equal(pending.returned.candidate() or b"", pending.root_key):
                pending.returned = Unsealer(pending.new)
                raise RekeyFailed(
                    "A share was refused: the new keys given do not reconstruct the new root "
                    "key. Give the new keys again; the current unseal keys stay valid."
                )
            try:
                self._barrier.replace_root_key(
                    pending.root_key, {SEAL_CONFIG: pending.new.to_json()}
                )
            except StrongroomError:
                pending.returned = Unsealer(pending.new)  # nothing stored: give them again
                raise
            self._attempts.drop(nonce)
        scrubbed = self._barrier.scrub_or_owe()  # the new root key is in: never fail now
        return {
            "complete": True,
            "shares": pending.new.shares,
            "threshold": pending.new.threshold,
            "scrubbed": scrubbed,
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

    def forget(self) -> None:
        """Drop the rekey in progress and every share it holds (on seal)."""
        with self._lock:
            self._attempts.clear()

    def expire(self) -> None:
        """Forget a rekey idle past its TTL (run on every operator API call)."""
        with self._lock:
            self._attempts.expire()

    def _pending(self, nonce: Any, share: Any) -> _Pending:
        if not isinstance(nonce, str) or not isinstance(share, str):
            raise ValidationException("Give the rekey 'nonce' and one share as 'key'.")
        self._current()
        attempt = self._attempts.get(nonce)
        self._attempts.accepted(attempt)  # signed by an operator: any call keeps it alive
        return attempt.collector

    def _current(self) -> SealConfig:
        config = read_seal_config(self._barrier)
        if config is None:
            raise RekeyFailed(
                "This server's root key is not split into shares (dev mode keeps it in a key "
                "file): there is nothing to rekey."
            )
        return config


def _progress(nonce: str, progress: Progress) -> dict[str, Any]:
    """The answer while a rekey step still needs shares."""
    return {"nonce": nonce, "progress": progress.submitted, "required": progress.threshold}
