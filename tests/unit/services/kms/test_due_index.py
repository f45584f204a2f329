"""The KMS due index: every key with a deletion date or a rotation date is filed under it,
in the transaction that sets the date, and a maintenance tick reads only the due entries.

Over SQLite (see `due_world`), with the `kms/` view counting the reads a tick makes.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.unit.services.kms.due_world import (
    ACCOUNT,
    DAY,
    MINUTE,
    REGION,
    World,
    caller_in,
)

from strongroom.clock import Clock
from strongroom.services.kms import run_maintenance
from strongroom.services.kms.records import KeyRecord, MaterialVersion
from strongroom.services.time_keys import time_key


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    opened = World.open(tmp_path, Clock(0.0), new=True)
    run_maintenance(opened.kms)  # the first pass on a new storage writes the index's marker
    yield opened
    opened.storage.close()


def add_idle_keys(world: World, count: int) -> None:
    """`count` keys with rotation on, due in 100 to 399 days, written in one transaction;
    and as many keys with no dates (never filed). No material: they never come due here."""
    now = world.clock.now()
    with world.kms.repository.transaction():
        for n in range(count):
            rotating = KeyRecord(
                f"{n:08x}-0000-4000-8000-000000000000", ACCOUNT, REGION, "aws", now,
                versions=[MaterialVersion(1, now)], rotation_enabled=True,
                rotation_period_days=365, next_rotation=now + (100 + n % 300) * DAY,
            )  # fmt: skip
            world.kms.repository.save(rotating)
            plain = KeyRecord(
                f"{n:08x}-0000-4000-8000-000000000001", ACCOUNT, "eu-west-1", "aws", now,
                versions=[MaterialVersion(1, now)],
            )  # fmt: skip
            world.kms.repository.save(plain)


# --- the cost of a tick -------------------------------------------------------------


def test_a_tick_reads_the_due_entries_not_the_keys(world: World) -> None:
    add_idle_keys(world, 10_000)
    assert len(world.entries()) == 10_000

    world.view.reset()
    report = run_maintenance(world.kms)
    assert (report.destroyed, report.rotated, report.backfilled) == (0, 0, 0)
    assert (world.view.gets, world.view.scanned) == (0, 1)  # the first entry: not due

    world = world.restart()  # a new process reads the marker once, then the same
    report = run_maintenance(world.kms)
    assert (report.destroyed, report.rotated, report.backfilled) == (0, 0, 0)
    assert (world.view.gets, world.view.scanned) == (1, 1)

    rotating = [world.create_key() for _ in range(3)]
    for key in rotating:
        world.call("EnableKeyRotation", KeyId=key, RotationPeriodInDays=90)
    doomed = world.create_key()
    world.call("ScheduleKeyDeletion", KeyId=doomed, PendingWindowInDays=30)
    world.advance(90 * DAY + MINUTE)
    world.view.reset()
    report = run_maintenance(world.kms)
    assert (report.destroyed, report.rotated) == (1, 3)
    # Four due entries and the first that is not; each due key loaded once; the doomed
    # key's aliases looked for (it has none).
    assert (world.view.gets, world.view.scanned) == (4, 5)
    assert world.view.transactions == 4

    world.view.reset()
    assert run_maintenance(world.kms).rotated == 0
    assert world.view.reads == 1
    world.storage.close()


# --- filed with each change, in step with the record ----------------------------------


def test_a_key_is_destroyed_at_its_deletion_date_and_unfiled(world: World) -> None:
    key = world.create_key()
    assert world.filed_at(key, None)
    result = world.call("ScheduleKeyDeletion", KeyId=key, PendingWindowInDays=7)
    assert world.filed_at(key, result["DeletionDate"])
    assert world.record(key).due_at == result["DeletionDate"]

    world.advance(7 * DAY - MINUTE)
    assert run_maintenance(world.kms).destroyed == 0
    assert world.filed_at(key, result["DeletionDate"])

    world.advance(2 * MINUTE)
    assert run_maintenance(world.kms).destroyed == 1
    assert world.record(key) is None
    assert world.entries() == {}
    assert [p for p, _ in world.barrier.scan("") if key in p] == []


def test_a_key_is_rotated_at_its_date_and_refiled_a_period_later(world: World) -> None:
    key = world.create_key()
    world.call("EnableKeyRotation", KeyId=key, RotationPeriodInDays=90)
    first = world.record(key).next_rotation
    assert world.filed_at(key, first)

    world.advance(90 * DAY + MINUTE)
    start = world.clock.now()
    assert run_maintenance(world.kms).rotated == 1
    record = world.record(key)
    assert record.current_version == 2
    assert start + 90 * DAY <= record.next_rotation <= world.clock.now() + 90 * DAY
    assert world.filed_at(key, record.next_rotation)
    assert run_maintenance(world.kms).rotated == 0

    world.advance(90 * DAY + MINUTE)
    assert run_maintenance(world.kms).rotated == 1
    assert world.record(key).current_version == 3
    assert world.filed_at(key, world.record(key).next_rotation)


def test_the_default_period_is_a_year(world: World) -> None:
    key = world.create_key()
    world.call("EnableKeyRotation", KeyId=key)
    world.advance(365 * DAY + MINUTE)
    assert run_maintenance(world.kms).rotated == 1
    record = world.record(key)
    assert record.next_rotation >= world.clock.now() + 365 * DAY - MINUTE
    assert world.filed_at(key, record.next_rotation)


def test_each_change_of_date_or_state_moves_the_entry(world: World) -> None:
    key = world.create_key()
    world.call("EnableKeyRotation", KeyId=key, RotationPeriodInDays=90)
    rotation = world.record(key).next_rotation
    assert world.filed_at(key, rotation)

    world.call("RotateKeyOnDemand", KeyId=key)  # on demand leaves the schedule alone
    assert world.filed_at(key, rotation)
    world.call("DisableKey", KeyId=key)  # disabled keys do not rotate
    assert world.filed_at(key, None)
    world.call("EnableKey", KeyId=key)
    assert world.filed_at(key, rotation)

    deletion = world.call("ScheduleKeyDeletion", KeyId=key, PendingWindowInDays=7)
    assert world.filed_at(key, deletion["DeletionDate"])
    world.call("CancelKeyDeletion", KeyId=key)  # back disabled: nothing due
    assert world.filed_at(key, None)
    assert world.record(key).due_at is None
    world.call("EnableKey", KeyId=key)
    assert world.filed_at(key, rotation)

    world.call("DisableKeyRotation", KeyId=key)
    assert world.filed_at(key, None)
    world.call("TagResource", KeyId=key, Tags=[{"TagKey": "k", "TagValue": "v"}])
    assert world.entries() == {}


def test_a_cancelled_deletion_leaves_nothing_to_do(world: World) -> None:
    key = world.create_key()
    world.call("ScheduleKeyDeletion", KeyId=key, PendingWindowInDays=7)
    world.call("CancelKeyDeletion", KeyId=key)
    assert world.entries() == {}
    world.advance(8 * DAY)
    world.view.reset()
    assert run_maintenance(world.kms).destroyed == 0
    assert world.view.reads == 0
    assert world.record(key).state == "Disabled"


def test_keys_of_every_account_and_region_share_the_index(world: World) -> None:
    callers = [caller_in("eu-west-1"), caller_in(REGION, "444455556666")]
    keys = [world.create_key(c) for c in callers]
    for key, caller in zip(keys, callers, strict=True):
        world.call("ScheduleKeyDeletion", caller, KeyId=key, PendingWindowInDays=7)
    assert sorted(world.entries()) == sorted(keys)
    world.advance(7 * DAY + MINUTE)
    assert run_maintenance(world.kms).destroyed == 2
    assert world.entries() == {}


def test_a_rolled_back_change_leaves_the_entry_where_it_was(world: World) -> None:
    key = world.create_key()
    world.call("EnableKeyRotation", KeyId=key, RotationPeriodInDays=90)
    rotation = world.record(key).next_rotation
    with pytest.raises(RuntimeError, match="bad"), world.kms.repository.transaction():
        record = world.record(key)
        record.next_rotation = rotation + DAY
        world.kms.repository.save(record)
        raise RuntimeError("bad")
    world.kms.forget_caches()
    assert world.filed_at(key, rotation)
    assert world.record(key).due_at == rotation


# --- stale entries and restarts -------------------------------------------------------


def test_stale_entries_are_deleted_when_reached(world: World) -> None:
    key = world.create_key()
    world.call("EnableKeyRotation", KeyId=key, RotationPeriodInDays=90)
    rotation = world.record(key).next_rotation
    now = world.clock.now()
    gone = "0000000a-0000-4000-8000-000000000000"
    world.view.put(f"due/{time_key(now - DAY)}/{gone}", b'["111122223333","us-east-1"]')
    world.view.put(f"due/{time_key(now - 2 * DAY)}/{key}", b'["111122223333","us-east-1"]')
    report = run_maintenance(world.kms)
    assert (report.stale, report.rotated) == (2, 0)
    assert world.entries() == {key: time_key(rotation)}
    assert world.record(key).current_version == 1


def test_due_work_survives_a_restart(world: World) -> None:
    doomed, rotating = world.create_key(), world.create_key()
    world.call("ScheduleKeyDeletion", KeyId=doomed, PendingWindowInDays=7)
    world.call("EnableKeyRotation", KeyId=rotating, RotationPeriodInDays=90)
    world = world.restart()
    world.advance(90 * DAY + MINUTE)
    report = run_maintenance(world.kms)
    assert (report.destroyed, report.rotated, report.backfilled) == (1, 1, 0)
    assert world.entries() == {rotating: time_key(world.record(rotating).next_rotation)}
    world.storage.close()


class CrashingRotation:
    """The software store, except that generating `doomed`'s new material crashes."""

    name = "software"

    def __init__(self, inner: object, doomed: str) -> None:
        self._inner = inner
        self._doomed = doomed

    def __getattr__(self, name: str) -> object:
        return getattr(self._inner, name)

    def generate(self, key_id: str, version: int) -> None:
        if key_id == self._doomed:
            raise RuntimeError("killed while rotating")
        self._inner.generate(key_id, version)  # type: ignore[attr-defined]


def test_a_failing_key_holds_up_no_other_and_is_retried(world: World) -> None:
    first, second = world.create_key(), world.create_key()
    world.call("EnableKeyRotation", KeyId=first, RotationPeriodInDays=90)
    world.call("EnableKeyRotation", KeyId=second, RotationPeriodInDays=90)
    store = world.kms.keystores["software"]
    world.kms.keystores["software"] = CrashingRotation(store, first)  # type: ignore[assignment]
    world.advance(90 * DAY + MINUTE)
    with pytest.raises(RuntimeError, match="killed while rotating"):
        run_maintenance(world.kms)
    assert world.record(first).current_version == 1  # rolled back, still filed as due
    assert world.record(second).current_version == 2
    assert world.filed_at(first, world.record(first).next_rotation)

    world.kms.keystores["software"] = store
    world = world.restart()
    assert run_maintenance(world.kms).rotated == 1
    assert world.record(first).current_version == 2
    assert world.filed_at(first, world.record(first).next_rotation)
    world.storage.close()
