"""The software key store: key material kept in the barrier, used in this process.

Material is stored at `<key id>/<version>` in its view and cached in memory once read
(material never changes, so the cache needs no invalidation except on destroy). Symmetric
material is its 32 raw bytes; HMAC keys and private keys are `material_format` records.
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

from collections.abc import Iterable

from strongroom.barrier import View
from strongroom.crypto import Aead, AuthenticationFailed, HkdfExpander, RandomBytes, system_random
from strongroom.crypto.asymmetric import PrivateKey, PublicKey, generate
from strongroom.crypto.message_auth import hmac
from strongroom.errors import InternalFailure
from strongroom.keystores import material_format
from strongroom.keystores.base import MaterialForm, MaterialMissing, PreparedKey

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
        self._private: dict[tuple[str, int], PrivateKey] = {}
        self._hmac: dict[tuple[str, int], bytes] = {}
        self._scrub_owed = True  # a previous process may have died before its scrub

    def _store(self, key_id: str, version: int, stored: bytes) -> None:
        path = _path(key_id, version)
        if self._view.get(path) is not None:  # never overwrite material: it would be lost
            raise KeyMaterialExists(f"material for version {version} already exists")
        self._view.put(path, stored)

    def generate(self, key_id: str, version: int) -> None:
        """Make 256 random bits for `version` of `key_id` and store them."""
        material = self._random(32)
        self._store(key_id, version, material)
        self._material[(key_id, version)] = HkdfExpander(material, EXTRACT_SALT)

    def generate_hmac(self, key_id: str, version: int, length: int) -> None:
        """Make a random HMAC key of `length` bytes and store it."""
        self.put(key_id, version, "hmac", self._random(length))

    def prepare_private(self, kind: str) -> PreparedKey:
        """A new private key of `kind` (PKCS#8 DER, in memory only), for `generate_private`."""
        return PreparedKey(generate(kind))

    def generate_private(
        self, key_id: str, version: int, kind: str, prepared: PreparedKey | None = None
    ) -> PublicKey:
        """Store `prepared` (or a private key of `kind` made now); its public key."""
        secret = prepared.secret() if prepared is not None else generate(kind)
        if not isinstance(secret, bytes):
            raise TypeError("not a key this store prepared")
        self.put(key_id, version, "private", secret)
        return self.private_key(key_id, version).public

    def put(self, key_id: str, version: int, form: MaterialForm, material: bytes) -> None:
        """Store material made elsewhere (imported), never over existing material."""
        for cache in (self._material, self._private, self._hmac):  # none from a rollback
            cache.pop((key_id, version), None)
        if form == "symmetric":
            if len(material) != 32:
                raise ValueError("symmetric material is 32 bytes")
            self._store(key_id, version, material)
        else:
            self._store(key_id, version, material_format.encode(form, material))

    def has(self, key_id: str, version: int) -> bool:
        """Whether material for `version` of `key_id` is stored."""
        return self._view.get(_path(key_id, version)) is not None

    def _record(self, key_id: str, version: int, form: MaterialForm) -> bytes:
        stored = self._view.get(_path(key_id, version))
        if stored is None:
            raise MaterialMissing()
        try:
            found, material = material_format.decode(stored)
        except material_format.MalformedMaterial:
            raise MaterialMissing() from None
        if found != form:
            raise MaterialMissing()
        return material

    def private_key(self, key_id: str, version: int) -> PrivateKey:
        """The private key of `version` (cached once loaded), or `MaterialMissing`."""
        key = self._private.get((key_id, version))
        if key is None:
            # checked when made or imported, and authenticated by the barrier since
            key = PrivateKey(self._record(key_id, version, "private"), trusted=True)
            self._private[(key_id, version)] = key
        return key

    def mac(self, key_id: str, version: int, hash_name: str, message: bytes) -> bytes:
        """The HMAC of `message` under `version`'s HMAC key, or `MaterialMissing`."""
        key = self._hmac.get((key_id, version))
        if key is None:
            key = self._record(key_id, version, "hmac")
            self._hmac[(key_id, version)] = key
        return hmac(hash_name, key, message)

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

    def destroy(self, key_id: str, versions: Iterable[int] | None = None) -> None:
        """Delete `versions` of `key_id` (every stored one if None) and forget them."""
        with self._view.transaction() as txn:
            if versions is None:
                paths = [path for path, _ in txn.scan(key_id + "/")]
            else:
                paths = [_path(key_id, version) for version in versions]
            for path in paths:
                txn.delete(path)
        self._scrub_owed = True
        for cache in (self._material, self._private, self._hmac):
            for cached in [k for k in list(cache) if k[0] == key_id]:  # others may add
                cache.pop(cached, None)

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
        self._private.clear()
        self._hmac.clear()
