"""The operator's view of the seal: status, unseal by shares, seal, key-term rotation.

Unseal shares are held only in memory, per attempt (`share_attempts`): the first share
starts an attempt and returns its nonce, later shares name it. When an attempt reaches the
threshold its candidate root key is checked by opening the keyring; a wrong one discards
that attempt alone and says that a share was refused, without saying which.

When several processes share the storage (`--workers N`), sealing one seals them all: the
seal writes a core marker, and every process looks for it whenever the storage's data
version moves (and on its first look): `refresh`, the explicit step that begins every
request and scheduler tick. `is_sealed` is then a pure query. The marker goes when
the server starts again in dev mode or is unsealed with shares.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable
from typing import Any

from strongroom.api.sys.share_attempts import Attempts
from strongroom.barrier import Barrier, InvalidRootKey
from strongroom.barrier.term_rotation import TermRotation
from strongroom.crypto import RandomBytes
from strongroom.errors import StrongroomError
from strongroom.seal import SealConfig, Unsealer

log = logging.getLogger("strongroom.api")

SEAL_CONFIG = "seal-config"
SEALED_MARKER = "operator-sealed"


class UnsealFailed(StrongroomError):
    """The shares of an attempt do not reconstruct the root key."""

    code = "InvalidUnsealKeys"


def read_seal_config(barrier: Barrier) -> SealConfig | None:
    """How the root key is split, or None for a seal without shares (dev key file)."""
    data = barrier.read_core(SEAL_CONFIG)
    return None if data is None else SealConfig.from_json(data)


class Operator:
    """Seal state of one server process."""

    def __init__(
        self,
        barrier: Barrier,
        rotation: TermRotation,
        on_unseal: Callable[[], None],
        on_seal: Callable[[], None],
        auto_unseal: bool,
        random: RandomBytes,
        now: Callable[[], float],
        shared: bool = False,
    ) -> None:
        self._barrier = barrier
        self._rotation = rotation
        self._on_unseal = on_unseal
        self._on_seal = on_seal
        self._auto_unseal = auto_unseal
        self._shared = shared
        self._seen_version: int | None = None
        self._lock = threading.Lock()
        self._attempts: Attempts[Unsealer] = Attempts(random, now)

    def refresh(self) -> None:
        """Follow what other processes sharing the storage did: once at the start of each
        request and each scheduler tick, before `is_sealed` is asked.

        Asks the storage for its data version (which every cache above the barrier then
        follows), and when it moved (or on the first look), seals this process too if
        another one sealed. Nothing to do for a single process.
        """
        if self._shared:
            self._barrier.refresh_data_version()
            version = self._barrier.data_version()
            if version != self._seen_version:
                self._seen_version = version
                if not self._barrier.sealed and self._barrier.read_core(SEALED_MARKER):
                    self._seal_here()

    def is_sealed(self) -> bool:
        """Whether this process is sealed, as of the last `refresh` (no I/O, no effect)."""
        return self._barrier.sealed

    def status(self) -> dict[str, Any]:
        """What `strongroom operator status` shows (no credentials needed: nothing secret)."""
        config = read_seal_config(self._barrier)
        sealed = self.is_sealed()
        status: dict[str, Any] = {
            "initialized": self._barrier.is_initialized(),
            "sealed": sealed,
            "seal_type": "dev" if self._auto_unseal else "shamir",
        }
        if config is not None:
            status["threshold"] = config.threshold
            status["shares"] = config.shares
        if sealed:
            status["unseal_attempts"] = len(self._attempts)
        else:
            with contextlib.suppress(StrongroomError):  # sealed meanwhile
                status.update(self._rotation.status())
        return status

    def submit_share(
        self, share: str, nonce: str | None, client: str | None = None
    ) -> dict[str, Any]:
        """Add one unseal share to the attempt `nonce` names, or start an attempt with it;
        unseal when the attempt reaches the threshold."""
        with self._lock:
            if not self._barrier.sealed:
                return self.status()
            config = read_seal_config(self._barrier)
            if config is None:
                raise UnsealFailed("This server has no Shamir seal to unseal with shares.")
            if nonce is None:  # a refused first share starts (and crowds out) nothing
                collector = Unsealer(config)
                progress = collector.submit(share)
                attempt = self._attempts.start(collector, client)
            else:
                attempt = self._attempts.get(nonce)
                progress = attempt.collector.submit(share)
            self._attempts.accepted(attempt)
            if progress.done:
                self._attempts.drop(attempt.nonce)
                self._unseal_with(attempt.collector.candidate() or b"")
        return {**self.status(), "nonce": attempt.nonce, "progress": progress.submitted}

    def _unseal_with(self, candidate: bytes) -> None:
        try:
            self._barrier.unseal(candidate)
        except InvalidRootKey:
            raise UnsealFailed(
                "A share was refused: the shares of this unseal attempt do not reconstruct "
                "the root key, so at least one of them is not an unseal key of this server. "
                "The attempt is discarded; other attempts are untouched."
            ) from None
        self._attempts.clear()
        self._barrier.delete_core(SEALED_MARKER)
        self._on_unseal()
        try:
            self._rotation.resume()
        except StrongroomError as error:  # unsealed all the same; the scheduler resumes it
            log.error("could not resume the key-term rotation after unseal: %s", error.message)

    def expire_attempts(self) -> None:
        """Forget unseal attempts idle past their TTL (run on every operator API call)."""
        with self._lock:
            self._attempts.expire()

    def reset_attempt(self, nonce: str) -> dict[str, Any]:
        """Discard the unseal attempt `nonce` names, and its shares."""
        with self._lock:
            self._attempts.get(nonce)  # an unknown nonce is an error, not a silent no-op
            self._attempts.drop(nonce)
        return self.status()

    def seal(self) -> dict[str, Any]:
        """Close the barrier: every later call is refused until unsealed."""
        self._seal_here()
        if self._shared:  # after sealing here: a failed write must not leave this one open
            self._barrier.write_core(SEALED_MARKER, b"sealed")
        return self.status()

    def rotate(self) -> dict[str, Any]:
        """Start a new barrier key term (`operator rotate`)."""
        self._rotation.rotate()
        return self.status()

    def clear_shared_seal(self) -> None:
        """Forget a seal made before this start (dev mode auto-unseals on every start)."""
        self._barrier.delete_core(SEALED_MARKER)

    def _seal_here(self) -> None:
        with self._lock:
            self._rotation.stop(timeout=0)  # its next batch finds the barrier sealed
            self._barrier.seal()
            self._attempts.clear()
            self._on_seal()
