"""The software key store: AES-256 material kept in the barrier, used in this process.

Material is stored at `<key id>/<version>` in its view and cached in memory once read
(material never changes, so the cache needs no invalidation except on destroy).
`destroy` deletes the records inside the caller's transaction; `scrub` (after the commit)
then erases them from storage's files (`View.scrub`). Whether a scrub is owed is kept in
memory and starts true, so the first scrub of every process runs: a process that crashed
between a destruction's commit and its scrub is covered by the next one.

Payload (version 1):  salt (16) | nonce (12) | AES-256-GCM ciphertext || tag (16)
The message key is HKDF-SHA256 with the material as input key, `EXTRACT_SALT` as salt and
`INFO || salt` as info, where salt is 16 fresh random bytes per message: every message has
its own key, so no nonce-reuse bound limits how many messages one key may encrypt. Extract
runs once per material version; each message pays only for Expand.
"""

from __future__ import annotations

from strongroom.barrier import View
from strongroom.crypto import Aead, AuthenticationFailed, HkdfExpander, RandomBytes, system_random
from strongroom.errors import InternalFailure

SALT_BYTES = 16
NONCE_BYTES = 12
EXTRACT_SALT = b"strongroom kms material v1"
INFO = b"strongroom kms message key v1"
_MIN_PAYLOAD = SALT_BYTES + NONCE_BYTES + 16


class KeyMaterialExists(InternalFailure):
    """A key version's material was about to be generated twice (a bug, never overwritten)."""


def _path(key_id: str, version: int) -> str:
    return f"{key_id}/{version:010d}"


class SoftwareKeyStore:
    """Key material encrypted at rest by the barrier, used in process memory."""

    name = "software"

    def __init__(self, view: View, random: RandomBytes = system_random) -> None:
        self._view = view
        self._random = random
        self._material: dict[tuple[str, int], HkdfExpander] = {}
        self._scrub_owed = True  # a previous process may have died before its scrub

    def generate(self, key_id: str, version: int) -> None:
        """Make 256 random bits for `version` of `key_id` and store them."""
        path = _path(key_id, version)
        if self._view.get(path) is not None:  # never overwrite material: it would be lost
            raise KeyMaterialExists(f"material for version {version} already exists")
        material = self._random(32)
        self._view.put(path, material)
        self._material[(key_id, version)] = HkdfExpander(material, EXTRACT_SALT)

    def _load(self, key_id: str, version: int) -> HkdfExpander:
        expander = self._material.get((key_id, version))
        if expander is None:
            material = self._view.get(_path(key_id, version))
            if material is None:
                raise AuthenticationFailed()
            expander = HkdfExpander(material, EXTRACT_SALT)
            self._material[(key_id, version)] = expander
        return expander

    def encrypt(self, key_id: str, version: int, plaintext: bytes, aad: bytes) -> bytes:
        """salt | nonce | ciphertext under a key derived for this message alone."""
        expander = self._load(key_id, version)
        salt_and_nonce = self._random(SALT_BYTES + NONCE_BYTES)
        message_key = expander.expand(INFO + salt_and_nonce[:SALT_BYTES])
        nonce = salt_and_nonce[SALT_BYTES:]
        return salt_and_nonce + Aead(message_key).encrypt(nonce, plaintext, aad)

    def decrypt(self, key_id: str, version: int, payload: bytes, aad: bytes) -> bytes:
        """Open a payload made by `encrypt`, or `AuthenticationFailed`."""
        if len(payload) < _MIN_PAYLOAD:
            raise AuthenticationFailed()
        expander = self._load(key_id, version)
        message_key = expander.expand(INFO + payload[:SALT_BYTES])
        nonce = payload[SALT_BYTES : SALT_BYTES + NONCE_BYTES]
        return Aead(message_key).decrypt(nonce, payload[SALT_BYTES + NONCE_BYTES :], aad)

    def destroy(self, key_id: str) -> None:
        """Delete every stored version of `key_id` and forget the cached ones."""
        with self._view.transaction() as txn:
            for path, _ in list(txn.scan(key_id + "/")):
                txn.delete(path)
        self._scrub_owed = True
        for cached in [k for k in self._material if k[0] == key_id]:
            del self._material[cached]

    def scrub(self) -> None:
        """Erase destroyed material from storage's files, if a scrub is owed.

        One is owed after a `destroy` and when the process starts. Call it outside any
        transaction; if it fails, it stays owed.
        """
        if not self._scrub_owed:
            return
        self._scrub_owed = False  # cleared first: a destroy meanwhile owes another scrub
        try:
            self._view.scrub()
        except BaseException:
            self._scrub_owed = True
            raise

    def forget(self) -> None:
        """Drop cached material (on seal, or after state was wiped underneath)."""
        self._material.clear()
