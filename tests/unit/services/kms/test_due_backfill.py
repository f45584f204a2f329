"""The one-time backfill: keys stored before the due index existed are filed by the first
maintenance pass of a process, which then writes the index's marker.

Over SQLite (see `due_world`). Old keys are written as older versions wrote them: key
records without `due_at`, no index entries, no marker.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from tests.unit.services.kms.due_world import ACCOUNT, DAY, REGION, World

from strongroom.clock import Clock
from strongroom.services.kms import run_maintenance
from strongroom.services.kms.due_backfill import backfill_due_index
from strongroom.services.kms.records import (
    DISABLED,
    PENDING_DELETION,
    AliasRecord,
    KeyRecord,
    MaterialVersion,
)
from strongroom.services.time_keys import time_key

OTHER_ACCOUNT = "444455556666"


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    opened = World.open(tmp_path, Clock(0.0), new=True)
    yield opened
    opened.storage.close()


def old_key(world: World, n: int, account: str = ACCOUNT, **fields: Any) -> str:
    """Store a key as a version without the due index did; its id."""
    key_id = f"{n:08x}-0000-4000-8000-000000000000"
    now = world.clock.now()
    record = KeyRecord(
        key_id, account, REGION, "aws", now, versions=[MaterialVersion(1, now)], **fields
    )
    stored = dataclasses.asdict(record)
    del stored["due_at"]
    world.barrier.put(f"kms/{account}/{REGION}/keys/{key_id}", orjson.dumps(stored))
    world.kms.keystores["software"].generate(key_id, 1)
    return key_id


def marker(world: World) -> bytes | None:
    return world.barrier.get("kms/due-index-version")


def test_the_first_pass_files_old_keys_and_does_what_is_already_due(world: World) -> None:
    now = world.clock.now()
    rotation_on = {"rotation_enabled": True, "rotation_period_days": 90}
    doomed = old_key(world, 1, state=PENDING_DELETION, deletion_date=now - DAY)
    rotates_later = old_key(world, 2, **rotation_on, next_rotation=now + 30 * DAY)
    rotates_now = old_key(world, 3, **rotation_on, next_rotation=now - DAY)
    old_key(world, 4)  # nothing scheduled
    old_key(world, 5, state=DISABLED, **rotation_on, next_rotation=now - DAY)
    later_elsewhere = old_key(
        world, 6, OTHER_ACCOUNT, state=PENDING_DELETION, deletion_date=now + 7 * DAY
    )
    alias = AliasRecord("alias/doomed", doomed, now, now)  # made before its deletion date
    world.kms.repository.save_alias(ACCOUNT, REGION, alias)
    assert world.entries() == {}

    report = run_maintenance(world.kms)
    assert (report.backfilled, report.destroyed, report.rotated) == (4, 1, 1)
    assert marker(world) is not None
    rotated = world.record(rotates_now)
    assert rotated.current_version == 2
    assert world.entries() == {
        rotates_later: time_key(now + 30 * DAY),
        rotates_now: time_key(rotated.next_rotation),
        later_elsewhere: time_key(now + 7 * DAY),
    }
    assert world.record(doomed) is None
    assert world.call("ListAliases")["Aliases"] == []

    world.view.reset()
    assert run_maintenance(world.kms).backfilled == 0
    assert world.view.reads == 1  # the first entry, not due: no walk

    world = world.restart()
    assert run_maintenance(world.kms).backfilled == 0
    assert (world.view.gets, world.view.scanned) == (1, 1)  # the marker, the first entry
    world.storage.close()


def test_the_walk_goes_in_bounded_transactions(world: World) -> None:
    keys = [old_key(world, n, next_rotation=world.clock.now() + DAY, rotation_enabled=True)
            for n in range(7)]  # fmt: skip
    world.call("CreateAlias", AliasName="alias/one", TargetKeyId=keys[0])
    world.call("CreateAlias", AliasName="alias/two", TargetKeyId=keys[1])
    world.view.reset()
    assert backfill_due_index(world.kms, batch=2) == 7
    assert sorted(world.entries()) == sorted(keys)
    assert world.view.transactions >= 5  # 9 paths (and the entries filed as it goes)
    assert world.view.scanned <= 2 * world.view.transactions
    assert marker(world) is not None
    assert backfill_due_index(world.kms, batch=2) == 0


def test_an_interrupted_walk_is_finished_by_the_next_pass(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    keys = [old_key(world, n, next_rotation=world.clock.now() + DAY, rotation_enabled=True)
            for n in range(7)]  # fmt: skip
    repository = world.kms.repository
    refile = repository.refile
    calls = []

    def crash_on_the_third(record: KeyRecord) -> bool:
        calls.append(record.key_id)
        if len(calls) == 3:
            raise RuntimeError("killed while filing")
        return refile(record)

    monkeypatch.setattr(repository, "refile", crash_on_the_third)
    with pytest.raises(RuntimeError, match="killed while filing"):
        backfill_due_index(world.kms, batch=2)
    assert sorted(world.entries()) == sorted(keys[:2])  # the first transaction committed
    assert marker(world) is None
    monkeypatch.undo()

    world = world.restart()
    report = run_maintenance(world.kms)
    assert report.backfilled == 5
    assert sorted(world.entries()) == sorted(keys)
    assert marker(world) is not None
    world.storage.close()


def test_a_storage_with_the_marker_is_not_walked(world: World) -> None:
    run_maintenance(world.kms)  # an empty storage: the walk is short, the marker written
    old_key(world, 1, state=PENDING_DELETION, deletion_date=world.clock.now() - DAY)
    world = world.restart()
    report = run_maintenance(world.kms)
    assert (report.backfilled, report.destroyed) == (0, 0)
    assert world.view.reads == 1  # the marker; the index is empty
    world.storage.close()
