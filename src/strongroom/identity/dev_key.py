"""The access key a dev server start prints, and the revocation of an earlier start's key.

A dev start remembers the key it made at `identity/dev-default` (`{"access_key_id",
"fixed"}`; an older record is the bare id of a generated key).

Invariants, for a server start:
- With fixed credentials (`--access-key/--secret-key`): that key exists, Active, with that
  secret and account; the key an earlier dev start made, if another, is deleted.
- Without: the earlier start's generated key is kept (Active again if it was disabled)
  while the account stays the same; otherwise (an earlier fixed key, another account)
  the earlier key is deleted and a new key generated.
- Keys made with `access-key create` are never touched.

A worker process (`server_start=False`) changes nothing: its server start has already
settled the key, and a worker restarted later must not bring back a key revoked since.
"""

from __future__ import annotations

import orjson

from strongroom.barrier import View
from strongroom.identity.access_keys import ACTIVE, AccessKey, AccessKeyStore

MEMORY = "dev-default"
"""Where (inside the `identity/` view) the dev start's key id is remembered."""


def _remembered(view: View) -> tuple[str | None, bool]:
    """(id of the key the last dev start made, whether it was fixed)."""
    data = view.get(MEMORY)
    if data is None:
        return None, False
    if not data.startswith(b"{"):
        return data.decode(), False  # written before fixed keys were remembered
    record = orjson.loads(data)
    return record["access_key_id"], bool(record["fixed"])


def dev_access_key(
    store: AccessKeyStore,
    view: View,
    account_id: str,
    access_key: str | None = None,
    secret_key: str | None = None,
    *,
    server_start: bool = True,
) -> AccessKey | None:
    """The dev start's key, settled as the module says; None only for a worker whose
    start's key has been revoked since."""
    earlier, earlier_fixed = _remembered(view)
    if not server_start:
        wanted = access_key if access_key and secret_key else earlier
        return None if wanted is None else store.find(wanted)
    key: AccessKey | None = None
    if access_key and secret_key:
        key = store.find(access_key)
        if key is None or (key.secret_access_key, key.principal.account_id) != (
            secret_key,
            account_id,
        ):
            key = store.create(account_id, "root", access_key, secret_key)
    elif earlier is not None and not earlier_fixed:
        key = store.find(earlier)
        if key is not None and key.principal.account_id != account_id:
            key = None  # the account changed: a new key for it, the old one revoked
    if key is not None and not key.active:
        key = store.set_status(key.principal.account_id, key.access_key_id, ACTIVE)
    if key is None:
        key = store.create(account_id)
    if earlier is not None and earlier != key.access_key_id:
        store.revoke(earlier)
    memory = {"access_key_id": key.access_key_id, "fixed": bool(access_key and secret_key)}
    view.put(MEMORY, orjson.dumps(memory))
    return key
