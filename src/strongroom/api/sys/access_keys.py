"""The operator API for access keys: create, list, disable, enable, delete.

POST   /sys/access-keys                 strongroom:CreateAccessKey  a key for the signer's
                                        account (its root user); the one answer that
                                        carries the secret
GET    /sys/access-keys                 strongroom:ListAccessKeys   the signer's account's keys
POST   /sys/access-keys/<id>/disable    strongroom:UpdateAccessKey
POST   /sys/access-keys/<id>/enable     strongroom:UpdateAccessKey
DELETE /sys/access-keys/<id>            strongroom:DeleteAccessKey

Invariants:
- Every route calls `signed(action)` before it reads its body or touches a key (deny by
  default); a path or method not listed here is left to the router (None).
- A signer sees and changes only its own account's keys: another account's key is
  NoSuchEntity, exactly like a missing one.
- No answer but `create`'s holds a secret. Errors are IAM's: NoSuchEntity, LimitExceeded
  (two keys per user), DeleteConflict (the account's last active key), and
  ValidationException for a malformed id or field, SerializationException for a body
  that is not a JSON object.
- Times are ISO 8601 UTC; a key made before creation times were kept has `created: null`,
  a key never used `last_used: null`.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

import orjson

from strongroom.api.sys.json_body import json_object
from strongroom.errors import ValidationException
from strongroom.identity import (
    ACCESS_KEYS_PER_USER,
    ACTIVE,
    INACTIVE,
    AccessKey,
    AccessKeyStore,
    Principal,
)

__all__ = ["AccessKeyRoutes"]

PREFIX = "/sys/access-keys"
CREATE = "strongroom:CreateAccessKey"
LIST = "strongroom:ListAccessKeys"
UPDATE = "strongroom:UpdateAccessKey"
DELETE = "strongroom:DeleteAccessKey"

_STATUS_OF = {"disable": INACTIVE, "enable": ACTIVE}
_ID = re.compile(r"[A-Za-z0-9]{1,128}")

Answer = tuple[int, bytes]


class AccessKeyRoutes:
    """Answers /sys/access-keys requests from an `AccessKeyStore`."""

    def __init__(self, store: AccessKeyStore) -> None:
        self._store = store

    def handle(
        self, method: str, path: str, body: bytes, signed: Callable[[str], Principal]
    ) -> Answer | None:
        """(status, JSON body) for an access-key route, None for any other path or method."""
        if path in (PREFIX, PREFIX + "/"):
            if method == "POST":
                return self._create(signed(CREATE), body)
            if method == "GET":
                return self._list(signed(LIST))
            return None
        if not path.startswith(PREFIX + "/"):
            return None
        key_id, _, action = path[len(PREFIX) + 1 :].partition("/")
        if method == "DELETE" and not action:
            principal = signed(DELETE)
            self._store.delete(principal.account_id, _checked_id(key_id))
            return _ok({"access_key_id": key_id, "deleted": True})
        if method == "POST" and action in _STATUS_OF:
            principal = signed(UPDATE)
            key = self._store.set_status(
                principal.account_id, _checked_id(key_id), _STATUS_OF[action]
            )
            return _ok(describe(key))
        return None

    def _create(self, principal: Principal, body: bytes) -> Answer:
        request = json_object(body)
        if request:
            raise ValidationException(
                f"Unknown member(s) {sorted(request)}: a key is made for the signer's account."
            )
        key = self._store.create(principal.account_id, "root", limit=ACCESS_KEYS_PER_USER)
        return _ok({**describe(key), "secret_access_key": key.secret_access_key})

    def _list(self, principal: Principal) -> Answer:
        keys = self._store.list(principal.account_id)
        return _ok({"access_keys": [describe(key) for key in keys]})


def describe(key: AccessKey) -> dict[str, Any]:
    """What may be shown of a key: everything but its secret."""
    use = key.last_used
    return {
        "access_key_id": key.access_key_id,
        "account_id": key.principal.account_id,
        "user_name": key.principal.user_name,
        "status": key.status,
        "created": None if key.created is None else _iso(key.created),
        "last_used": None
        if use is None
        else {"time": _iso(use.time), "region": use.region, "service": use.service},
    }


def _iso(when: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(when))


def _ok(document: dict[str, Any]) -> Answer:
    return 200, orjson.dumps(document)


def _checked_id(key_id: str) -> str:
    if not _ID.fullmatch(key_id):
        shown = key_id if len(key_id) <= 128 else key_id[:128] + "..."
        raise ValidationException(
            f"1 validation error detected: Value '{shown}' at 'accessKeyId' failed to satisfy "
            "constraint: Member must be 1 to 128 ASCII letters and digits"
        )
    return key_id
