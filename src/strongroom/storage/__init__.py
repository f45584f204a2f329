"""Untrusted bytes by path: the `Storage` contract and its backends.

`MemoryStorage` (tests, dev), `SqliteStorage` (the embedded default), `PostgresStorage` (shared
by several nodes; needs the optional `psycopg`, imported only when one is made). Only the
barrier writes here, and every value it writes is already encrypted.
"""

from strongroom.storage.base import Reader, Storage, Transaction
from strongroom.storage.errors import StorageCorruptError, StorageError, StorageUnavailableError
from strongroom.storage.memory import MemoryStorage
from strongroom.storage.postgres import PostgresStorage
from strongroom.storage.sqlite import SqliteStorage

__all__ = [
    "MemoryStorage",
    "PostgresStorage",
    "Reader",
    "SqliteStorage",
    "Storage",
    "StorageCorruptError",
    "StorageError",
    "StorageUnavailableError",
    "Transaction",
]
