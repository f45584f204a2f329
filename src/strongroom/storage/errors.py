"""Errors a storage backend raises: its own failures, never a caller's mistake.

Messages name the store (file path or database) and what is wrong with it, so an operator can
act; they never hold a stored value. Driver exceptions are chained (`from`) for debugging but
never shown as the message. Programmer mistakes (a bad path, a value that is not bytes, using a
finished transaction) stay `TypeError` / `ValueError` / `RuntimeError`.
"""

from __future__ import annotations

from strongroom.errors import InternalFailure

__all__ = ["StorageCorruptError", "StorageError", "StorageUnavailableError"]


class StorageError(InternalFailure):
    """The store failed; to a client this is the service's internal error, without detail."""


class StorageCorruptError(StorageError):
    """The file or database is not a Strongroom store, is damaged, or is from a newer version."""


class StorageUnavailableError(StorageError):
    """The store cannot be reached now: closed, locked past the busy timeout, or unreachable."""

    code = "ServiceUnavailableException"
