"""Streaming: constant memory whatever the size, progress reporting, non-seekable streams."""

from __future__ import annotations

import hashlib
import io
import tracemalloc
from pathlib import Path

from strongroom_envelope import (
    AES_256_GCM_HKDF_SHA512_COMMIT_KEY,
    AES_256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384,
    RawAesKeyring,
    decrypt_stream,
    encrypt_stream,
)

SIZE = 48 * 1024 * 1024


class Pattern(io.RawIOBase):
    """`size` bytes of a repeating pattern, produced on demand (never held in memory)."""

    def __init__(self, size: int) -> None:
        self.left = size
        self.block = bytes(range(256)) * 4096

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        count = min(len(buffer), self.left, len(self.block))
        buffer[:count] = self.block[:count]
        self.left -= count
        return count


class Sink(io.RawIOBase):
    """Keeps only a hash and a count of what is written."""

    def __init__(self) -> None:
        self.digest = hashlib.sha256()
        self.count = 0

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:  # type: ignore[override]
        self.digest.update(data)
        self.count += len(data)
        return len(data)


def test_encrypt_and_decrypt_in_constant_memory(aes_keyring: RawAesKeyring, tmp_path: Path) -> None:
    message = tmp_path / "message"
    for suite in (
        AES_256_GCM_HKDF_SHA512_COMMIT_KEY,
        AES_256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384,
    ):
        tracemalloc.start()
        with message.open("wb") as out:
            encrypt_stream(Pattern(SIZE), out, aes_keyring, suite=suite)
        _, encrypt_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        sink = Sink()
        with message.open("rb") as source:
            info = decrypt_stream(source, sink, aes_keyring)
        _, decrypt_peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        expected = hashlib.sha256()
        pattern = Pattern(SIZE)
        block = bytearray(1 << 20)
        while got := pattern.readinto(memoryview(block)):
            expected.update(block[:got])
        assert sink.count == SIZE == info.plaintext_length
        assert sink.digest.digest() == expected.digest()
        assert encrypt_peak < 6 * 1024 * 1024, encrypt_peak
        assert decrypt_peak < 6 * 1024 * 1024, decrypt_peak


def test_progress_is_reported_up_to_the_total(aes_keyring: RawAesKeyring) -> None:
    seen: list[int] = []
    encrypted = io.BytesIO()
    encrypt_stream(Pattern(5 * 1024 * 1024 + 3), encrypted, aes_keyring, progress=seen.append)
    assert seen == sorted(seen) and seen[-1] == 5 * 1024 * 1024 + 3 and len(seen) > 2
    seen.clear()
    decrypt_stream(io.BytesIO(encrypted.getvalue()), Sink(), aes_keyring, progress=seen.append)
    assert seen == sorted(seen) and seen[-1] == len(encrypted.getvalue())
