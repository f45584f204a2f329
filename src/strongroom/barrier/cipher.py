"""The unsealed keyring at work: records sealed under the active term, opened under any.

Invariants:
- The keyring state (active term, keys by term) is one immutable tuple, replaced whole by
  `adopt`: a record is always labelled with the term whose key encrypted it, however a
  rotation interleaves with writers on other threads. The active term never goes back.
- A record under a term this process does not know yet (another process rotated the
  keyring) makes it adopt the stored keyring once, through `reload`.
- Every failure to open a record is one detail-free `IntegrityError`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from strongroom.barrier import record as record_format
from strongroom.barrier.keyring import Keyring
from strongroom.crypto import Aead, AuthenticationFailed, RandomBytes
from strongroom.errors import InternalFailure

__all__ = ["Cipher", "IntegrityError", "term_of"]


class IntegrityError(InternalFailure):
    """A stored record failed authentication: the storage was altered."""


class Cipher:
    """Seals and opens barrier records with the keyring it was given (or last adopted)."""

    __slots__ = ("_random", "_reload", "_state")

    def __init__(
        self, keyring: Keyring, random: RandomBytes, reload: Callable[[], Keyring]
    ) -> None:
        self._random = random
        self._reload = reload
        self._state: tuple[int, Mapping[int, Aead]] = (0, {})
        self.adopt(keyring)

    @property
    def active_term(self) -> int:
        """The term new records are sealed under."""
        return self._state[0]

    @property
    def terms(self) -> list[int]:
        """Every term this cipher can open, ascending."""
        return sorted(self._state[1])

    def adopt(self, keyring: Keyring) -> None:
        """Use `keyring` from now on (one assignment: readers see old or new, never a mix),
        unless its active term is older than the one in use: terms only move forward, so
        that is a keyring read before a rotation and adopted after it."""
        if keyring.active_term < self._state[0]:
            return
        aeads = {term: Aead(key) for term, key in keyring.keys.items()}
        self._state = (keyring.active_term, aeads)

    def seal(self, path: str, plaintext: bytes) -> bytes:
        """The record of `plaintext` at `path`, under the active term."""
        term, aeads = self._state
        nonce = self._random(record_format.NONCE_BYTES)
        header = record_format.Record(term, b"", b"").header()
        aad = record_format.associated_data(header, path)
        ciphertext = aeads[term].encrypt(nonce, plaintext, aad)
        return record_format.encode(record_format.Record(term, nonce, ciphertext))

    def open(self, path: str, data: bytes) -> bytes:
        """The plaintext of the record at `path`, or `IntegrityError`."""
        try:
            rec = record_format.decode(data)
            aead = self._state[1].get(rec.term)
            if aead is None:
                self.adopt(self._reload())
                aead = self._state[1][rec.term]  # KeyError: no keyring has this term
            aad = record_format.associated_data(rec.header(), path)
            return aead.decrypt(rec.nonce, rec.ciphertext, aad)
        except (record_format.MalformedRecord, KeyError, AuthenticationFailed):
            raise IntegrityError("A stored record failed its integrity check.") from None


def term_of(data: bytes) -> int | None:
    """The keyring term a stored record names, read without decrypting it."""
    try:
        return record_format.decode(data).term
    except record_format.MalformedRecord:
        return None
