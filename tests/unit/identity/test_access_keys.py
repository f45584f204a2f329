"""The access-key store: life cycle, refusal of inactive and deleted keys, last use, and a
cache that follows other processes' writes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
import pytest

from strongroom.errors import (
    DeleteConflictException,
    IamLimitExceededException,
    NoSuchEntityException,
)
from strongroom.identity import ACTIVE, INACTIVE, LastUsed

ACCOUNT = "111122223333"
OTHER_ACCOUNT = "444455556666"
Start = Callable[[], Any]


def stored(process: Any, key_id: str) -> dict[str, Any] | None:
    """The JSON record at identity/access-keys/<id>, read through the barrier."""
    data = process.barrier.get(f"identity/access-keys/{key_id}")
    return None if data is None else orjson.loads(data)  # type: ignore[no-any-return]


def test_create_keeps_a_json_record_with_status_and_creation_time(process: Start) -> None:
    one = process()
    key = one.store.create(ACCOUNT)
    assert key.status == ACTIVE and key.created == one.clock.current
    assert key.secret_access_key not in repr(key)  # a logged key never shows its secret
    record = stored(one, key.access_key_id)
    assert record == {
        "secret": key.secret_access_key,
        "account_id": ACCOUNT,
        "user_name": "root",
        "status": "Active",
        "created": one.clock.current,
    }
    assert one.store.secret_for(key.access_key_id) == key.secret_access_key


def test_a_record_from_before_status_loads_as_active_with_unknown_creation(
    process: Start,
) -> None:
    one = process()
    old = {"secret": "s" * 40, "account_id": ACCOUNT, "user_name": "root"}
    one.barrier.put("identity/access-keys/AKIAOLDFORMAT0000001", orjson.dumps(old))
    key = one.store.find("AKIAOLDFORMAT0000001")
    assert key is not None
    assert (key.status, key.created, key.last_used) == (ACTIVE, None, None)
    assert one.store.secret_for("AKIAOLDFORMAT0000001") == "s" * 40
    assert [k.access_key_id for k in one.store.list(ACCOUNT)] == ["AKIAOLDFORMAT0000001"]


def test_inactive_and_deleted_keys_have_no_secret_for_sigv4(process: Start) -> None:
    one = process()
    keep = one.store.create(ACCOUNT)
    key = one.store.create(ACCOUNT)
    disabled = one.store.set_status(ACCOUNT, key.access_key_id, INACTIVE)
    assert disabled.status == INACTIVE
    assert one.store.secret_for(key.access_key_id) is None
    found = one.store.find(key.access_key_id)
    assert found is not None and found.status == INACTIVE  # still listed and manageable
    assert stored(one, key.access_key_id)["status"] == "Inactive"  # type: ignore[index]
    one.store.set_status(ACCOUNT, key.access_key_id, ACTIVE)
    assert one.store.secret_for(key.access_key_id) == key.secret_access_key
    one.store.delete(ACCOUNT, key.access_key_id)
    assert one.store.find(key.access_key_id) is None
    assert one.store.secret_for(key.access_key_id) is None
    assert stored(one, key.access_key_id) is None
    assert one.store.secret_for(keep.access_key_id) == keep.secret_access_key


def test_the_last_active_key_of_an_account_is_never_disabled_or_deleted(process: Start) -> None:
    one = process()
    first = one.store.create(ACCOUNT)
    one.store.create(OTHER_ACCOUNT)  # another account's key does not count
    for refused in (
        lambda: one.store.set_status(ACCOUNT, first.access_key_id, INACTIVE),
        lambda: one.store.delete(ACCOUNT, first.access_key_id),
    ):
        with pytest.raises(DeleteConflictException, match="last active access key"):
            refused()
        assert one.store.secret_for(first.access_key_id) == first.secret_access_key
    second = one.store.create(ACCOUNT)
    one.store.set_status(ACCOUNT, second.access_key_id, INACTIVE)
    with pytest.raises(DeleteConflictException):  # an inactive key cannot sign either
        one.store.delete(ACCOUNT, first.access_key_id)
    one.store.delete(ACCOUNT, second.access_key_id)  # an inactive key may always go
    one.store.set_status(ACCOUNT, first.access_key_id, ACTIVE)  # enabling is never refused
    third = one.store.create(ACCOUNT)
    one.store.delete(ACCOUNT, first.access_key_id)
    assert [k.access_key_id for k in one.store.list(ACCOUNT)] == [third.access_key_id]


def test_another_accounts_key_is_no_such_entity(process: Start) -> None:
    one = process()
    mine = one.store.create(ACCOUNT)
    one.store.create(ACCOUNT)
    theirs = one.store.create(OTHER_ACCOUNT)
    one.store.create(OTHER_ACCOUNT)
    for attempt in (
        lambda: one.store.set_status(ACCOUNT, theirs.access_key_id, INACTIVE),
        lambda: one.store.delete(ACCOUNT, theirs.access_key_id),
        lambda: one.store.delete(ACCOUNT, "AKIANOSUCHKEY0000000"),
    ):
        with pytest.raises(NoSuchEntityException, match="cannot be found"):
            attempt()
    assert one.store.secret_for(theirs.access_key_id) == theirs.secret_access_key
    listed = {k.access_key_id for k in one.store.list(ACCOUNT)}
    assert mine.access_key_id in listed and theirs.access_key_id not in listed


def test_two_keys_per_user_when_a_limit_is_given(process: Start) -> None:
    one = process()
    one.store.create(ACCOUNT, limit=2)
    second = one.store.create(ACCOUNT, limit=2)
    one.store.set_status(ACCOUNT, second.access_key_id, INACTIVE)  # inactive keys count too
    with pytest.raises(IamLimitExceededException, match="AccessKeysPerUser: 2"):
        one.store.create(ACCOUNT, limit=2)
    assert len(one.store.list(ACCOUNT)) == 2
    one.store.create(OTHER_ACCOUNT, limit=2)  # per user: another account is its own
    one.store.delete(ACCOUNT, second.access_key_id)
    one.store.create(ACCOUNT, limit=2)


def test_a_key_disabled_or_deleted_by_another_process_is_refused_on_its_next_request(
    process: Start,
) -> None:
    first, second = process(), process()
    keep = first.store.create(ACCOUNT)
    key = first.store.create(ACCOUNT)
    second.next_request()
    assert second.store.secret_for(key.access_key_id) == key.secret_access_key  # cached now
    first.store.set_status(ACCOUNT, key.access_key_id, INACTIVE)
    second.next_request()
    assert second.store.secret_for(key.access_key_id) is None
    first.store.set_status(ACCOUNT, key.access_key_id, ACTIVE)
    second.next_request()
    assert second.store.secret_for(key.access_key_id) == key.secret_access_key
    first.store.delete(ACCOUNT, key.access_key_id)
    second.next_request()
    assert second.store.find(key.access_key_id) is None
    assert second.store.secret_for(keep.access_key_id) == keep.secret_access_key


def test_a_key_created_by_another_process_is_found_after_a_miss(process: Start) -> None:
    first, second = process(), process()
    first.store.create(ACCOUNT)
    assert second.store.find("AKIACREATEDLATER0001") is None  # remembered as missing
    first.store.create(ACCOUNT, "root", "AKIACREATEDLATER0001", "x" * 40)
    second.next_request()
    assert second.store.secret_for("AKIACREATEDLATER0001") == "x" * 40


def test_use_is_noted_in_memory_and_persisted_at_most_every_interval(process: Start) -> None:
    one = process()
    one.store.create(ACCOUNT)
    key = one.store.create(ACCOUNT)
    start = one.clock.current
    one.store.note_use(key.access_key_id, "eu-west-1", "kms")  # the first use is written
    assert stored(one, key.access_key_id)["last_used"] == {  # type: ignore[index]
        "time": start,
        "region": "eu-west-1",
        "service": "kms",
    }
    one.clock.current = start + 60
    one.store.note_use(key.access_key_id, "us-east-1", "kms")
    assert stored(one, key.access_key_id)["last_used"]["time"] == start  # type: ignore[index]
    listed = {k.access_key_id: k for k in one.store.list(ACCOUNT)}
    assert listed[key.access_key_id].last_used == LastUsed(start + 60, "us-east-1", "kms")
    assert listed[key.access_key_id].status == ACTIVE
    one.clock.current = start + 300
    one.store.note_use(key.access_key_id, "us-west-2", "strongroom")
    assert stored(one, key.access_key_id)["last_used"] == {  # type: ignore[index]
        "time": start + 300,
        "region": "us-west-2",
        "service": "strongroom",
    }


def test_other_processes_see_the_persisted_last_use(process: Start) -> None:
    first, second = process(), process()
    first.store.create(ACCOUNT)
    key = first.store.create(ACCOUNT)
    first.store.note_use(key.access_key_id, "us-east-1", "kms")
    seen = {k.access_key_id: k for k in second.store.list(ACCOUNT)}[key.access_key_id]
    assert seen.last_used == LastUsed(first.clock.current, "us-east-1", "kms")


def test_persisting_a_use_never_undoes_a_disable_or_delete_by_another_process(
    process: Start,
) -> None:
    first, second = process(), process()
    first.store.create(ACCOUNT)
    disabled = first.store.create(ACCOUNT)
    deleted = first.store.create(ACCOUNT)
    for key in (disabled, deleted):
        second.store.note_use(key.access_key_id, "us-east-1", "kms")  # cached, persisted
    first.store.set_status(ACCOUNT, disabled.access_key_id, INACTIVE)
    first.store.delete(ACCOUNT, deleted.access_key_id)
    second.clock.current += 3600  # due again; its cache has not seen the changes yet
    for key in (disabled, deleted):
        second.store.note_use(key.access_key_id, "us-east-1", "kms")
    record = stored(first, disabled.access_key_id)
    assert record is not None and record["status"] == "Inactive"
    assert record["last_used"]["time"] == second.clock.current  # the use itself is kept
    assert stored(first, deleted.access_key_id) is None


def test_a_use_that_cannot_be_persisted_does_not_fail_the_request(process: Start) -> None:
    one = process()
    key = one.store.create(ACCOUNT)
    one.barrier.seal()
    one.store.note_use(key.access_key_id, "us-east-1", "kms")  # logged, not raised


def test_ids_that_are_not_ids_are_never_looked_up(process: Start) -> None:
    one = process()
    for bad in ("", "../access-keys/x", "a/b", "x" * 129, "AKIA\u00e9"):
        assert one.store.find(bad) is None
        assert one.store.secret_for(bad) is None
    with pytest.raises(ValueError):
        one.store.create(ACCOUNT, "root", "bad/id", "secret")
