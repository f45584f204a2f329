"""The operator's view of the seal: status, unseal by shares, seal.

Unseal shares are held only in memory until the threshold is met; the combined candidate
is checked by opening the keyring, and a wrong one resets progress without saying which
share was bad.

When several processes share the storage (`--workers N`), sealing one seals them all: the
seal writes a core marker, and every process looks for it whenever the storage's data
version moves (and on its first look), before it serves a request. The marker goes when
the server starts again in dev mode or is unsealed with shares.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from strongroom.barrier import Barrier, InvalidRootKey
from strongroom.errors import StrongroomError
from strongroom.seal import SealConfig, Unsealer

SEAL_CONFIG = "seal-config"
SEALED_MARKER = "operator-sealed"


class UnsealFailed(StrongroomError):
    """The shares submitted do not reconstruct the root key."""

    code = "InvalidUnsealKeys"


class Operator:
    """Seal state of one server process."""

    def __init__(
        self,
        barrier: Barrier,
        on_unseal: Callable[[], None],
        on_seal: Callable[[], None],
        auto_unseal: bool,
        shared: bool = False,
    ) -> None:
        self._barrier = barrier
        self._on_unseal = on_unseal
        self._on_seal = on_seal
        self._auto_unseal = auto_unseal
        self._shared = shared
        self._seen_version: int | None = None
        self._lock = threading.Lock()
        self._unsealer: Unsealer | None = None

    def is_sealed(self) -> bool:
        """Whether this process is sealed, after following a seal made by another process."""
        if self._shared:
            self._barrier.refresh_data_version()
            version = self._barrier.data_version()
            if version != self._seen_version:
                self._seen_version = version
                if not self._barrier.sealed and self._barrier.read_core(SEALED_MARKER):
                    self._seal_here()
        return self._barrier.sealed

    def _config(self) -> SealConfig | None:
        data = self._barrier.read_core(SEAL_CONFIG)
        return None if data is None else SealConfig.from_json(data)

    def status(self) -> dict[str, Any]:
        """What `strongroom operator status` shows."""
        config = self._config()
        status: dict[str, Any] = {
            "initialized": self._barrier.is_initialized(),
            "sealed": self.is_sealed(),
            "seal_type": "dev" if self._auto_unseal else "shamir",
        }
        if config is not None:
            status["threshold"] = config.threshold
            status["shares"] = config.shares
            status["progress"] = self._unsealer.progress.submitted if self._unsealer else 0
        return status

    def submit_share(self, share: str) -> dict[str, Any]:
        """Add one unseal share; unseal when the threshold is met."""
        with self._lock:
            if not self._barrier.sealed:
                return self.status()
            config = self._config()
            if config is None:
                raise UnsealFailed("This server has no Shamir seal to unseal with shares.")
            if self._unsealer is None:
                self._unsealer = Unsealer(config)
            progress = self._unsealer.submit(share)
            if progress.done:
                candidate = self._unsealer.candidate()
                self._unsealer = None
                try:
                    self._barrier.unseal(candidate or b"")
                except InvalidRootKey:
                    raise UnsealFailed(
                        "The unseal shares do not reconstruct the root key; "
                        "progress was reset. Submit the threshold of valid shares again."
                    ) from None
                self._barrier.delete_core(SEALED_MARKER)
                self._on_unseal()
        return self.status()

    def reset_progress(self) -> dict[str, Any]:
        """Forget the shares submitted so far."""
        with self._lock:
            self._unsealer = None
        return self.status()

    def seal(self) -> dict[str, Any]:
        """Close the barrier: every later call is refused until unsealed."""
        self._seal_here()
        if self._shared:  # after sealing here: a failed write must not leave this one open
            self._barrier.write_core(SEALED_MARKER, b"sealed")
        return self.status()

    def clear_shared_seal(self) -> None:
        """Forget a seal made before this start (dev mode auto-unseals on every start)."""
        self._barrier.delete_core(SEALED_MARKER)

    def _seal_here(self) -> None:
        with self._lock:
            self._barrier.seal()
            self._unsealer = None
            self._on_seal()
