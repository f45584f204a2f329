"""The barrier: encryption at rest between the services and untrusted storage."""

from strongroom.barrier.barrier import (
    SEALED_MESSAGE,
    AlreadyInitialized,
    Barrier,
    InvalidRootKey,
    NotInitialized,
)
from strongroom.barrier.cached_view import CachedView
from strongroom.barrier.cipher import IntegrityError
from strongroom.barrier.term_rotation import TermRotation
from strongroom.barrier.view import View, ViewTransaction

__all__ = [
    "SEALED_MESSAGE",
    "AlreadyInitialized",
    "Barrier",
    "CachedView",
    "IntegrityError",
    "InvalidRootKey",
    "NotInitialized",
    "TermRotation",
    "View",
    "ViewTransaction",
]
