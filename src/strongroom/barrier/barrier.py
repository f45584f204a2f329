"""The barrier: the only door between Strongroom and its untrusted storage.

Every value passes through AES-256-GCM under the active keyring term, with the storage
path authenticated (see `record`). The keyring itself lives at `core/keyring`, encrypted
by the root key, which is never stored here. While sealed, nothing is read or written:
every call raises `ServiceUnavailable`. Paths under `core/` hold only what must be read
before unsealing (the sealed keyring, the seal's public configuration) and are not
reachable through the ordinary calls.

Inside `with barrier.transaction():` every call on this barrier, from any component (the
KMS repository, a key store), joins that one storage transaction: an operation's reads and
writes commit together or not at all, serialized against every other writer process.
Nested `transaction()` calls join the outer one.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar

from strongroom.barrier import keyring as keyring_format
from strongroom.barrier.cipher import Cipher, IntegrityError, term_of
from strongroom.barrier.keyring import Keyring, KeyringUnreadable
from strongroom.crypto import RandomBytes, system_random
from strongroom.errors import ServiceUnavailable, StrongroomError
from strongroom.storage.base import Reader, Storage, Transaction

log = logging.getLogger("strongroom.barrier")

CORE_PREFIX = "core/"
KEYRING_PATH = "core/keyring"
RAW_PREFIXES = (CORE_PREFIX, "lease/")
"""Paths whose values are not barrier records: plaintext core values, the scheduler lease."""
SEALED_MESSAGE = "Strongroom is sealed: unseal it with `strongroom operator unseal`."


class AlreadyInitialized(StrongroomError):
    """The storage already holds a keyring."""

    code = "AlreadyInitialized"


class NotInitialized(StrongroomError):
    """The storage holds no keyring yet: run `strongroom operator init`."""

    code = "NotInitialized"


class InvalidRootKey(StrongroomError):
    """The candidate root key does not open the keyring."""

    code = "InvalidUnsealKey"


def _check_path(path: str) -> None:
    if path.startswith(CORE_PREFIX):
        raise ValueError("core/ paths are reachable only through the barrier's own calls")


class _EncryptingTransaction:
    """A storage transaction whose values are sealed on write and opened on read."""

    def __init__(self, inner: Transaction, cipher: Cipher) -> None:
        self._inner = inner
        self._cipher = cipher

    @property
    def inner(self) -> Transaction:
        """The storage transaction underneath (for the barrier's own core reads)."""
        return self._inner

    def get(self, path: str) -> bytes | None:
        _check_path(path)
        data = self._inner.get(path)
        return None if data is None else self._cipher.open(path, data)

    def scan(
        self, prefix: str, *, start_after: str | None = None, limit: int | None = None
    ) -> Iterator[tuple[str, bytes]]:
        return _open_scan(self._inner, self._cipher, prefix, start_after, limit)

    def put(self, path: str, value: bytes) -> None:
        _check_path(path)
        self._inner.put(path, self._cipher.seal(path, value))

    def delete(self, path: str) -> None:
        _check_path(path)
        self._inner.delete(path)


def _open_scan(
    reader: Reader, cipher: Cipher, prefix: str, start_after: str | None, limit: int | None
) -> Iterator[tuple[str, bytes]]:
    _check_path(prefix) if prefix else None
    for path, data in reader.scan(prefix, start_after=start_after, limit=limit):
        if path.startswith(RAW_PREFIXES):
            continue
        yield path, cipher.open(path, data)


class Barrier:
    """Encrypting access to storage, closed while sealed."""

    def __init__(self, storage: Storage, random: RandomBytes = system_random) -> None:
        self._storage = storage
        self._random = random
        self._cipher: Cipher | None = None
        self._root: bytes | None = None  # held only while unsealed, to re-seal the keyring
        self._keyring_bytes: bytes | None = None  # the stored keyring this process uses
        self._lock = threading.Lock()
        self._last_version = 0
        self._scrub_owed = True
        self._active: ContextVar[_EncryptingTransaction | None] = ContextVar(
            f"barrier-transaction-{id(self)}", default=None
        )

    # --- life cycle --------------------------------------------------------------

    @property
    def storage(self) -> Storage:
        """The untrusted store underneath (for leases and raw health checks)."""
        return self._storage

    def is_initialized(self) -> bool:
        """Whether a keyring exists."""
        return self._storage.get(KEYRING_PATH) is not None

    @property
    def sealed(self) -> bool:
        """Whether the keyring is closed."""
        return self._cipher is None

    def initialize(self, root_key: bytes) -> None:
        """Create the first keyring under `root_key` and unseal with it."""
        with self._lock, self._storage.transaction() as txn:
            if txn.get(KEYRING_PATH) is not None:
                raise AlreadyInitialized("Strongroom is already initialized.")
            keyring = Keyring.fresh(self._random)
            stored = keyring_format.seal(keyring, root_key, self._random)
            txn.put(KEYRING_PATH, stored)
        self._open(keyring, root_key, stored)

    def unseal(self, root_key: bytes) -> None:
        """Open the keyring with `root_key`, or `InvalidRootKey` and stay sealed."""
        data = self._storage.get(KEYRING_PATH)
        if data is None:
            raise NotInitialized("Strongroom is not initialized: run `strongroom operator init`.")
        try:
            keyring = keyring_format.unseal(data, root_key)
        except KeyringUnreadable:
            raise InvalidRootKey("The unseal key is not valid.") from None
        with self._lock:
            self._open(keyring, root_key, data)

    def seal(self) -> None:
        """Forget the keyring and root key: every later call is refused until unsealed."""
        with self._lock:
            self._cipher = None
            self._root = None
            self._keyring_bytes = None

    def _open(self, keyring: Keyring, root_key: bytes, stored: bytes) -> None:
        self._root = root_key
        self._keyring_bytes = stored
        self._cipher = Cipher(keyring, self._random, self._stored_keyring)

    def _stored_keyring(self) -> Keyring:
        """The keyring as stored now, opened with the root key held (another process may
        have rotated it); `IntegrityError` if it does not open."""
        active = self._active.get()  # inside a transaction, read through it
        reader: Reader = self._storage if active is None else active.inner
        root, data = self._root, reader.get(KEYRING_PATH)
        if root is None or data is None:
            raise ServiceUnavailable(SEALED_MESSAGE)
        try:
            keyring = keyring_format.unseal(data, root)
        except KeyringUnreadable:
            raise IntegrityError("The stored keyring failed its integrity check.") from None
        self._keyring_bytes = data
        return keyring

    # --- key terms and the root key (operator rotate / rekey) ---------------------

    def terms(self) -> tuple[int, list[int]]:
        """(the active term, every term the keyring holds, ascending)."""
        cipher = self._open_cipher()
        return cipher.active_term, cipher.terms

    def rotate_term(self) -> int:
        """Add a new keyring term that encrypts every record written from now on.

        Records under older terms stay readable until `retire_old_terms` drops them.
        """
        with self._lock:
            cipher, root = self._open_cipher(), self._root_key()
            with self._storage.transaction() as txn:
                keyring = self._keyring_in(txn, root)
                term = keyring.rotate(self._random)
                stored = keyring_format.seal(keyring, root, self._random)
                txn.put(KEYRING_PATH, stored)
            self._keyring_bytes = stored
            cipher.adopt(keyring)
        return term

    def reencrypt_batch(self, after: str | None, limit: int) -> tuple[int, str | None]:
        """Re-encrypt to the active term up to `limit` records that follow `after`, in path
        order, in one transaction; (records rewritten, last path looked at or None when
        there are no more)."""
        cipher = self._open_cipher()
        rewritten, last = 0, None
        with self._storage.transaction() as txn:
            for path, data in list(txn.scan("", start_after=after, limit=limit)):
                last = path
                if path.startswith(RAW_PREFIXES) or term_of(data) == cipher.active_term:
                    continue
                txn.put(path, cipher.seal(path, cipher.open(path, data)))
                rewritten += 1
        return rewritten, last

    def retire_old_terms(self) -> bool:
        """Delete every term but the active one, if no stored record still uses one.

        True once the keyring holds the active term alone; False (nothing changed) while
        some record is still under an older term. The check reads every record's header
        page by page, holding no lock, so writers go on meanwhile: it is sound because
        every writer seals under the active term by then (a lone put seals inside its own
        transaction, and other processes have adopted the keyring: `TermRotation` waits
        out their grace period first).
        """
        active = self._open_cipher().active_term
        for path, data in self._storage.scan(""):
            if not path.startswith(RAW_PREFIXES) and term_of(data) != active:
                return False
        with self._lock:
            cipher, root = self._open_cipher(), self._root_key()
            with self._storage.transaction() as txn:
                keyring = self._keyring_in(txn, root)
                if len(keyring.keys) == 1:
                    return True
                if keyring.active_term != active:
                    return False  # rotated again meanwhile: another pass first
                keyring.keys = {keyring.active_term: keyring.keys[keyring.active_term]}
                stored = keyring_format.seal(keyring, root, self._random)
                txn.put(KEYRING_PATH, stored)
            self._keyring_bytes = stored
            cipher.adopt(keyring)
        return True

    def opens_keyring(self, candidate: bytes) -> bool:
        """Whether `candidate` is the root key the stored keyring is sealed with."""
        data = self._storage.get(KEYRING_PATH)
        if data is None:
            return False
        try:
            keyring_format.unseal(data, candidate)
        except KeyringUnreadable:
            return False
        return True

    def replace_root_key(self, new_root_key: bytes, core: dict[str, bytes]) -> None:
        """Seal the keyring under `new_root_key` and write `core` values (the new seal
        configuration) in the same transaction: afterwards only the new key opens it."""
        if "keyring" in core:
            raise ValueError("the keyring is written by this call itself")
        with self._lock:
            self._open_cipher()
            with self._storage.transaction() as txn:
                keyring = self._keyring_in(txn, self._root_key())
                stored = keyring_format.seal(keyring, new_root_key, self._random)
                txn.put(KEYRING_PATH, stored)
                for name, value in core.items():
                    txn.put(CORE_PREFIX + name, value)
            self._root = new_root_key
            self._keyring_bytes = stored

    def _root_key(self) -> bytes:
        root = self._root
        if root is None:
            raise ServiceUnavailable(SEALED_MESSAGE)
        return root

    def _keyring_in(self, txn: Transaction, root: bytes) -> Keyring:
        data = txn.get(KEYRING_PATH)
        if data is None:
            raise NotInitialized("Strongroom is not initialized: run `strongroom operator init`.")
        try:
            return keyring_format.unseal(data, root)
        except KeyringUnreadable:
            raise IntegrityError("The stored keyring failed its integrity check.") from None

    def read_core(self, name: str) -> bytes | None:
        """A plaintext value kept before the keyring (never a secret), e.g. seal config."""
        return self._storage.get(CORE_PREFIX + name)

    def write_core(self, name: str, value: bytes) -> None:
        """Store a plaintext pre-keyring value (never a secret)."""
        if name == "keyring":
            raise ValueError("the keyring is written only by initialize")
        self._storage.put(CORE_PREFIX + name, value)

    def delete_core(self, name: str) -> None:
        """Remove a plaintext pre-keyring value, if present."""
        if name == "keyring":
            raise ValueError("the keyring is never deleted")
        self._storage.delete(CORE_PREFIX + name)

    # --- data ---------------------------------------------------------------------

    def _open_cipher(self) -> Cipher:
        cipher = self._cipher
        if cipher is None:
            raise ServiceUnavailable(SEALED_MESSAGE)
        return cipher

    def get(self, path: str) -> bytes | None:
        """The plaintext at `path`, or None."""
        active = self._active.get()
        if active is not None:
            return active.get(path)
        cipher = self._open_cipher()
        _check_path(path)
        data = self._storage.get(path)
        return None if data is None else cipher.open(path, data)

    def scan(
        self, prefix: str, *, start_after: str | None = None, limit: int | None = None
    ) -> Iterator[tuple[str, bytes]]:
        """Plaintext (path, value) pairs under `prefix`, in path order."""
        active = self._active.get()
        if active is not None:
            return active.scan(prefix, start_after=start_after, limit=limit)
        return _open_scan(self._storage, self._open_cipher(), prefix, start_after, limit)

    def put(self, path: str, value: bytes) -> None:
        """Encrypt and store `value` at `path`, durably."""
        active = self._active.get()
        if active is not None:
            active.put(path, value)
            return
        cipher = self._open_cipher()
        _check_path(path)
        # Sealed inside the write lock, so a key-term retirement cannot come between
        # sealing under a term and storing the record.
        with self._storage.transaction() as txn:
            txn.put(path, cipher.seal(path, value))

    def delete(self, path: str) -> None:
        """Remove `path`, durably."""
        active = self._active.get()
        if active is not None:
            active.delete(path)
            return
        self._open_cipher()
        _check_path(path)
        self._storage.delete(path)

    def delete_prefix(self, prefix: str) -> int:
        """Remove every path under `prefix` in one transaction; returns how many."""
        self._open_cipher()
        _check_path(prefix)
        if CORE_PREFIX.startswith(prefix):
            raise ValueError("refusing a prefix that would reach core/")
        with self._storage.transaction() as txn:
            paths = [path for path, _ in txn.scan(prefix) if not path.startswith(CORE_PREFIX)]
            for path in paths:
                txn.delete(path)
        return len(paths)

    def scrub(self) -> None:
        """Make every delete committed so far unrecoverable from the storage's files.

        `Storage.scrub` underneath: call it after the transaction that deleted commits
        (inside one it raises RuntimeError). It works sealed too: no value passes through
        the keyring. StorageUnavailableError if other connections kept it from finishing.
        """
        if self._active.get() is not None:
            raise RuntimeError("scrub() inside a barrier transaction: call it after the commit")
        self._storage.scrub()
        self._scrub_owed = False

    def scrub_or_owe(self) -> bool:
        """Scrub now if the storage lets it; else remember that a scrub is owed (the
        scheduler's `settle_scrub` pays it) and log why. True when scrubbed."""
        try:
            self.scrub()
        except StrongroomError as error:
            self._scrub_owed = True
            log.warning("a scrub is owed and will be retried: %s", error.message)
            return False
        return True

    def settle_scrub(self) -> None:
        """Pay an owed scrub (a scheduler job; one is owed at start, in case a process
        died between destroying something and scrubbing)."""
        if self._scrub_owed:
            self.scrub()

    def transaction(self) -> AbstractContextManager[_EncryptingTransaction]:
        """A transaction whose values are encrypted like every other write."""
        return self._transaction()

    @contextmanager
    def _transaction(self) -> Iterator[_EncryptingTransaction]:
        active = self._active.get()
        if active is not None:  # join the enclosing transaction
            yield active
            return
        cipher = self._open_cipher()
        with self._storage.transaction() as txn:
            joined = _EncryptingTransaction(txn, cipher)
            token = self._active.set(joined)
            try:
                yield joined
            finally:
                self._active.reset(token)

    def data_version(self) -> int:
        """The storage's data version as of the last `refresh_data_version` (no I/O).

        Caches above compare it with what they saw; it changes only when this process
        asks the storage again, so one request sees one consistent picture.
        """
        return self._last_version

    def refresh_data_version(self) -> None:
        """Ask the storage whether another process committed (one cheap query).

        Called once per request when several processes share the storage; a single
        process's own writes update its caches directly and never need it.
        """
        if self._active.get() is None:
            version = self._storage.data_version()
            if version != self._last_version:
                self._last_version = version
                self._follow_keyring()

    def _follow_keyring(self) -> None:
        """Adopt a keyring another process rotated, before this one writes under an old
        term (cheap: one read, compared with the bytes in use)."""
        cipher = self._cipher
        if cipher is None or self._storage.get(KEYRING_PATH) == self._keyring_bytes:
            return
        with contextlib.suppress(StrongroomError):  # sealed meanwhile, or damaged: the
            cipher.adopt(self._stored_keyring())  # next read says so
