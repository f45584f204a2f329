"""The dev start's access key: a restart with other credentials revokes the earlier ones,
and keys made with `access-key create` are never touched."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson

from strongroom.identity import ACTIVE, INACTIVE, dev_access_key

ACCOUNT = "123456789012"
FIXED = ("AKIAFIXEDDEVKEY00001", "fixed/secret/one/000000000000000000000000")
OTHER_FIXED = ("AKIAFIXEDDEVKEY00002", "fixed/secret/two/000000000000000000000000")
Start = Callable[[], Any]


def dev_start(process: Any, fixed: tuple[str, str] | None = None, **options: Any) -> Any:
    access_key, secret_key = fixed or (None, None)
    account = options.pop("account", ACCOUNT)
    return dev_access_key(process.store, process.view, account, access_key, secret_key, **options)


def test_new_fixed_credentials_revoke_the_earlier_dev_key_only(process: Start) -> None:
    one = process()
    first = dev_start(one, FIXED)
    assert (first.access_key_id, first.secret_access_key) == FIXED
    made = one.store.create(ACCOUNT)  # `access-key create`
    assert dev_start(one, FIXED) == first  # the same credentials again: nothing changes
    second = dev_start(one, OTHER_FIXED)
    assert second.access_key_id == OTHER_FIXED[0]
    assert one.store.find(FIXED[0]) is None
    assert one.store.secret_for(OTHER_FIXED[0]) == OTHER_FIXED[1]
    assert one.store.secret_for(made.access_key_id) == made.secret_access_key


def test_a_start_without_fixed_credentials_revokes_an_earlier_fixed_key(process: Start) -> None:
    one = process()
    dev_start(one, FIXED)
    made = one.store.create(ACCOUNT)
    generated = dev_start(one)
    assert generated.access_key_id not in (FIXED[0], made.access_key_id)
    assert one.store.find(FIXED[0]) is None
    again = dev_start(one)  # a generated key is kept across restarts
    assert (again.access_key_id, again.secret_access_key) == (
        generated.access_key_id,
        generated.secret_access_key,
    )
    dev_start(one, FIXED)  # and revoked by the next fixed credentials
    assert one.store.find(generated.access_key_id) is None
    assert one.store.secret_for(made.access_key_id) == made.secret_access_key


def test_a_changed_secret_or_account_replaces_the_fixed_key(process: Start) -> None:
    one = process()
    dev_start(one, FIXED)
    changed = dev_start(one, (FIXED[0], "a/new/secret"))
    assert one.store.secret_for(FIXED[0]) == "a/new/secret" == changed.secret_access_key
    moved = dev_start(one, FIXED, account="210987654321")
    assert moved.principal.account_id == "210987654321"
    generated = dev_start(one, account="210987654321")
    assert dev_start(one).principal.account_id == ACCOUNT  # a new key for the new account
    assert one.store.find(generated.access_key_id) is None


def test_a_disabled_dev_key_works_again_after_a_restart(process: Start) -> None:
    one = process()
    key = dev_start(one, FIXED)
    one.store.create(ACCOUNT)
    one.store.set_status(ACCOUNT, key.access_key_id, INACTIVE)
    assert dev_start(one, FIXED).status == ACTIVE
    assert one.store.secret_for(FIXED[0]) == FIXED[1]


def test_a_memory_written_before_fixed_keys_were_remembered_is_a_generated_key(
    process: Start,
) -> None:
    one = process()
    old = one.store.create(ACCOUNT)
    one.view.put("dev-default", old.access_key_id.encode())
    assert dev_start(one).access_key_id == old.access_key_id
    dev_start(one, FIXED)
    assert one.store.find(old.access_key_id) is None
    assert orjson.loads(one.view.get("dev-default")) == {
        "access_key_id": FIXED[0],
        "fixed": True,
    }


def test_a_worker_start_changes_nothing(process: Start) -> None:
    server, worker = process(), process()
    key = dev_start(server, FIXED)
    made = server.store.create(ACCOUNT)
    assert dev_start(worker, FIXED, server_start=False) == key
    server.store.set_status(ACCOUNT, key.access_key_id, INACTIVE)
    worker.next_request()
    assert dev_start(worker, FIXED, server_start=False).status == INACTIVE  # not re-enabled
    server.store.delete(ACCOUNT, key.access_key_id)
    worker.next_request()
    assert dev_start(worker, FIXED, server_start=False) is None  # not brought back
    assert worker.store.find(FIXED[0]) is None
    assert [k.access_key_id for k in worker.store.list(ACCOUNT)] == [made.access_key_id]
