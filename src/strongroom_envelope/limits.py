"""Default sizes and limits of the envelope SDK, in one place.

The default frame is 64 KiB: large enough that per-frame work is noise next to AES-GCM,
small enough that decrypt holds little plaintext at once. Decrypt refuses frames above
16 MiB and more than 10 encrypted data keys unless the caller raises the limits, so a
hostile message cannot make it allocate or call KMS without bound.
"""

from __future__ import annotations

__all__ = [
    "CHUNK_SIZE",
    "DEFAULT_FRAME_LENGTH",
    "DEFAULT_MAX_ENCRYPTED_DATA_KEYS",
    "DEFAULT_MAX_FRAME_LENGTH",
    "MAX_FRAME_LENGTH",
]

DEFAULT_FRAME_LENGTH = 64 * 1024
DEFAULT_MAX_FRAME_LENGTH = 16 * 1024 * 1024
DEFAULT_MAX_ENCRYPTED_DATA_KEYS = 10
MAX_FRAME_LENGTH = 2**32 - 1
CHUNK_SIZE = 1024 * 1024
