"""Access keys: id, secret and the principal they stand for, kept in the barrier.

Secrets live only in barrier records (`identity/access-keys/<id>`) and in this process's
memory once read; they never reach logs, errors or audit records.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

import orjson

from strongroom.barrier import View
from strongroom.crypto import RandomBytes, system_random
from strongroom.identity.principal import Principal

_PREFIX = "access-keys/"
_ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


@dataclass(frozen=True, slots=True)
class AccessKey:
    """An access key pair and its principal."""

    principal: Principal
    secret_access_key: str


def new_access_key_id(random: RandomBytes) -> str:
    """A 20-character id in AWS's style (`AKIA` + 16 base-32 characters)."""
    return "AKIA" + "".join(_ID_ALPHABET[b % 32] for b in random(16))


def new_secret_access_key(random: RandomBytes) -> str:
    """A 40-character secret in AWS's style."""
    return base64.b64encode(random(30), altchars=b"+/").decode()


class AccessKeyStore:
    """Access keys by id, cached in memory after the first read."""

    def __init__(self, view: View, random: RandomBytes = system_random) -> None:
        self._view = view
        self._random = random
        self._cache: dict[str, AccessKey] = {}

    def create(
        self,
        account_id: str,
        user_name: str = "root",
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
    ) -> AccessKey:
        """Make (or, with fixed values, record) an access key and return it."""
        key_id = access_key_id or new_access_key_id(self._random)
        secret = secret_access_key or new_secret_access_key(self._random)
        key = AccessKey(Principal(key_id, account_id, user_name), secret)
        record = {"secret": secret, "account_id": account_id, "user_name": user_name}
        self._view.put(_PREFIX + key_id, orjson.dumps(record))
        self._cache[key_id] = key
        return key

    def find(self, access_key_id: str) -> AccessKey | None:
        """The access key with this id, or None."""
        key = self._cache.get(access_key_id)
        if key is not None:
            return key
        if not (access_key_id.isascii() and access_key_id.isalnum() and len(access_key_id) <= 128):
            return None  # never a valid id, and never a storage path
        data = self._view.get(_PREFIX + access_key_id)
        if data is None:
            return None
        record = orjson.loads(data)
        key = AccessKey(
            Principal(access_key_id, record["account_id"], record["user_name"]), record["secret"]
        )
        self._cache[access_key_id] = key
        return key

    def secret_for(self, access_key_id: str) -> str | None:
        """The secret of an access key id, or None when unknown (for SigV4)."""
        key = self.find(access_key_id)
        return None if key is None else key.secret_access_key

    def forget_cache(self) -> None:
        """Drop cached secrets (on seal)."""
        self._cache.clear()
