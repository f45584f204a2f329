"""`kms:ResourceAliases`: every decision on a key sees the names of the aliases pointing at
it now, and no such key when none does, through CreateAlias, UpdateAlias, DeleteAlias, a
key's destruction, a rolled-back write, another thread's write and another process's.

Key policies here let the account root do everything except what a Deny with the alias
condition refuses, so the real authorizer and policy engine decide (the root needs no IAM
records), with their verdict cache in the way.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from strongroom.barrier import Barrier, View
from strongroom.clock import Clock
from strongroom.crypto import system_random
from strongroom.errors import (
    AccessDeniedException,
    AlreadyExistsException,
    MalformedPolicyDocumentException,
    NotFoundException,
)
from strongroom.identity import Principal
from strongroom.keystores import SoftwareKeyStore
from strongroom.policy import Verdict
from strongroom.services.caller import ALLOWED, Caller, Context, ResourcePolicy
from strongroom.services.iam.authorizer import IamAuthorizer
from strongroom.services.kms import OPERATIONS, Kms, KmsRepository, run_maintenance
from strongroom.services.kms.alias_index import AliasIndex, ByKey
from strongroom.services.kms.records import AliasRecord
from strongroom.services.kms.service import write_transaction
from strongroom.storage.base import Storage
from strongroom.storage.memory import MemoryStorage
from strongroom.storage.sqlite import SqliteStorage

ACCOUNT = "111122223333"
REGION = "us-east-1"
ROOT_ARN = f"arn:aws:iam::{ACCOUNT}:root"
ROOT = Principal("AKIAROOTROOTROOTROOT", ACCOUNT, "root")
UNSEAL = bytes(range(32))
ALIASES = "kms:ResourceAliases"


def barrier_of(storage: Storage, *, initialize: bool = True) -> Barrier:
    barrier = Barrier(storage)
    if initialize:
        barrier.initialize(UNSEAL)
    else:
        barrier.unseal(UNSEAL)
    return barrier


def build_kms(barrier: Barrier) -> Kms:
    """KMS as the plugin builds it, over `barrier` (a process of its own)."""
    store = SoftwareKeyStore(View(barrier, "keystores/software/"))
    return Kms(KmsRepository(View(barrier, "kms/")), {"software": store}, Clock(), system_random)


def key_policy(*statements: dict[str, Any]) -> str:
    """The root may do everything but what `statements` deny."""
    everything = {"Effect": "Allow", "Principal": {"AWS": ROOT_ARN}, "Action": "kms:*"}
    return json.dumps(
        {"Version": "2012-10-17", "Statement": [{**everything, "Resource": "*"}, *statements]}
    )


def deny_encrypt(condition: dict[str, Any]) -> dict[str, Any]:
    return {
        "Effect": "Deny",
        "Principal": {"AWS": ROOT_ARN},
        "Action": "kms:Encrypt",
        "Resource": "*",
        "Condition": condition,
    }


ONLY_ALPHA = key_policy(
    deny_encrypt({"ForAllValues:StringNotLike": {ALIASES: "alias/project-alpha*"}})
)
"""Encrypt only while some alias of the key is named alias/project-alpha... (a key with no
alias is denied too: ForAllValues over no values holds)."""

ONLY_ALIASED = key_policy(deny_encrypt({"Null": {ALIASES: "true"}}))
"""Encrypt only while the key has an alias."""


@dataclass
class World:
    kms: Kms
    caller: Caller

    def call(self, operation: str, **params: Any) -> dict[str, Any]:
        result: dict[str, Any] = OPERATIONS[operation](self.kms, self.caller, **params)
        return result

    def key(self, policy: str | None = None) -> str:
        extra = {} if policy is None else {"Policy": policy}
        return str(self.call("CreateKey", **extra)["KeyMetadata"]["KeyId"])

    def may_encrypt(self, key_id: str) -> bool:
        try:
            self.call("Encrypt", KeyId=key_id, Plaintext=b"x")
        except AccessDeniedException:
            return False
        return True


def world_of(barrier: Barrier) -> World:
    return World(build_kms(barrier), Caller(ROOT, REGION, IamAuthorizer()))


@pytest.fixture
def world() -> World:
    return world_of(barrier_of(MemoryStorage()))


@dataclass
class Recorder:
    """Allows everything and keeps the context of every decision on a key ARN."""

    contexts: list[Context] = field(default_factory=list)

    def decide(
        self,
        caller: Caller,
        action: str,
        resource: str,
        context: Context,
        resource_policy: ResourcePolicy | None,
    ) -> Verdict:
        if ":key/" in resource:
            self.contexts.append(context)
        return ALLOWED


@pytest.fixture
def recorded() -> tuple[World, Recorder]:
    recorder = Recorder()
    kms = build_kms(barrier_of(MemoryStorage()))
    return World(kms, Caller(ROOT, REGION, recorder)), recorder


def aliases_seen(world: World, recorder: Recorder, key_id: str) -> tuple[str, ...] | None:
    """The kms:ResourceAliases of the next decision on the key (None: not in the context)."""
    world.call("DescribeKey", KeyId=key_id)
    seen: tuple[str, ...] | None = recorder.contexts[-1].get(ALIASES)
    return seen


# --- what the context holds -----------------------------------------------------------


def test_the_key_names_its_aliases_as_written_in_name_order(
    recorded: tuple[World, Recorder],
) -> None:
    world, recorder = recorded
    key, other = world.key(), world.key()
    assert aliases_seen(world, recorder, key) is None  # no alias: no key at all
    world.call("CreateAlias", AliasName="alias/Zeta", TargetKeyId=key)
    world.call("CreateAlias", AliasName="alias/app/Alpha", TargetKeyId=key)
    world.call("CreateAlias", AliasName="alias/elsewhere", TargetKeyId=other)
    assert aliases_seen(world, recorder, key) == ("alias/Zeta", "alias/app/Alpha")
    assert aliases_seen(world, recorder, other) == ("alias/elsewhere",)
    world.call("UpdateAlias", AliasName="alias/Zeta", TargetKeyId=other)
    assert aliases_seen(world, recorder, key) == ("alias/app/Alpha",)
    assert aliases_seen(world, recorder, other) == ("alias/Zeta", "alias/elsewhere")
    world.call("DeleteAlias", AliasName="alias/app/Alpha")
    assert aliases_seen(world, recorder, key) is None


def test_a_request_through_an_alias_sees_every_alias_of_its_key(
    recorded: tuple[World, Recorder],
) -> None:
    world, recorder = recorded
    key = world.key()
    world.call("CreateAlias", AliasName="alias/one", TargetKeyId=key)
    world.call("CreateAlias", AliasName="alias/two", TargetKeyId=key)
    world.call("Encrypt", KeyId="alias/two", Plaintext=b"x")
    context = recorder.contexts[-1]
    assert context[ALIASES] == ("alias/one", "alias/two")
    assert context["kms:RequestAlias"] == ("alias/two",)


def test_aliases_are_per_account_and_region(recorded: tuple[World, Recorder]) -> None:
    world, recorder = recorded
    key = world.key()
    world.call("CreateAlias", AliasName="alias/here", TargetKeyId=key)
    elsewhere = World(world.kms, Caller(ROOT, "eu-west-1", recorder))
    there = elsewhere.key()
    elsewhere.call("CreateAlias", AliasName="alias/there", TargetKeyId=there)
    assert aliases_seen(world, recorder, key) == ("alias/here",)
    assert aliases_seen(elsewhere, recorder, there) == ("alias/there",)


def test_the_keys_context_is_reused_until_its_aliases_change(
    recorded: tuple[World, Recorder],
) -> None:
    """The verdict cache keys on the context: it must stay the same object while nothing
    changed (no rebuilding per request), and change when the key's aliases do."""
    world, recorder = recorded
    key, other = world.key(), world.key()
    world.call("CreateAlias", AliasName="alias/mine", TargetKeyId=key)
    world.call("DescribeKey", KeyId=key)
    first = recorder.contexts[-1]
    world.call("DescribeKey", KeyId=key)
    assert recorder.contexts[-1] is first
    world.call("CreateAlias", AliasName="alias/theirs", TargetKeyId=other)  # not this key's
    world.call("DescribeKey", KeyId=key)
    assert recorder.contexts[-1] is first
    world.call("CreateAlias", AliasName="alias/mine-too", TargetKeyId=key)
    world.call("DescribeKey", KeyId=key)
    assert recorder.contexts[-1] is not first
    assert recorder.contexts[-1][ALIASES] == ("alias/mine", "alias/mine-too")


# --- decisions ------------------------------------------------------------------------


def test_an_alias_condition_follows_create_update_and_delete_at_once(world: World) -> None:
    key, other = world.key(ONLY_ALPHA), world.key(ONLY_ALPHA)
    assert not world.may_encrypt(key)  # no alias at all
    world.call("CreateAlias", AliasName="alias/project-beta", TargetKeyId=key)
    assert not world.may_encrypt(key)
    world.call("CreateAlias", AliasName="alias/project-alpha-data", TargetKeyId=key)
    assert world.may_encrypt(key)  # one alias matching is enough
    assert world.may_encrypt(key)  # and again, from the verdict cache
    assert not world.may_encrypt(other)
    world.call("UpdateAlias", AliasName="alias/project-alpha-data", TargetKeyId=other)
    assert not world.may_encrypt(key)
    assert world.may_encrypt(other)
    world.call("DeleteAlias", AliasName="alias/project-alpha-data")
    assert not world.may_encrypt(other)


def test_a_key_without_an_alias_has_a_null_resource_aliases(world: World) -> None:
    key = world.key(ONLY_ALIASED)
    assert not world.may_encrypt(key)
    world.call("CreateAlias", AliasName="alias/any", TargetKeyId=key)
    assert world.may_encrypt(key)
    world.call("DeleteAlias", AliasName="alias/any")
    assert not world.may_encrypt(key)


def test_the_lockout_check_sees_the_keys_aliases(world: World) -> None:
    """PutKeyPolicy imagines the author's next PutKeyPolicy on the key as it is now."""
    key = world.key()
    alias_only = key_policy(
        {
            "Effect": "Deny",
            "Principal": {"AWS": ROOT_ARN},
            "Action": "kms:PutKeyPolicy",
            "Resource": "*",
            "Condition": {"Null": {ALIASES: "true"}},
        }
    )
    with pytest.raises(MalformedPolicyDocumentException, match="will not allow you to update"):
        world.call("PutKeyPolicy", KeyId=key, Policy=alias_only)
    world.call("CreateAlias", AliasName="alias/kept", TargetKeyId=key)
    world.call("PutKeyPolicy", KeyId=key, Policy=alias_only)


def test_a_destroyed_keys_aliases_leave_with_it(recorded: tuple[World, Recorder]) -> None:
    world, recorder = recorded
    clock = world.kms.clock
    key, other = world.key(), world.key()
    world.call("CreateAlias", AliasName="alias/reused", TargetKeyId=key)
    world.call("ScheduleKeyDeletion", KeyId=key, PendingWindowInDays=7)
    assert aliases_seen(world, recorder, key) == ("alias/reused",)  # still, while pending
    clock.offset_seconds += 8 * 86_400
    assert run_maintenance(world.kms).destroyed == 1
    assert world.kms.repository.alias_names(ACCOUNT, REGION, key) == ()
    world.call("CreateAlias", AliasName="alias/reused", TargetKeyId=other)
    assert aliases_seen(world, recorder, other) == ("alias/reused",)


def test_a_rolled_back_alias_is_not_seen(recorded: tuple[World, Recorder]) -> None:
    world, recorder = recorded
    key = world.key()
    assert aliases_seen(world, recorder, key) is None
    with pytest.raises(RuntimeError), write_transaction(world.kms):
        world.kms.repository.save_alias(ACCOUNT, REGION, AliasRecord("alias/gone", key, 0, 0))
        assert aliases_seen(world, recorder, key) == ("alias/gone",)  # the writer sees it
        raise RuntimeError("the write fails later")
    assert aliases_seen(world, recorder, key) is None


# --- other threads and other processes ------------------------------------------------


def counting_scans(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every account and region `AliasIndex` scans from now on."""
    scans: list[str] = []
    scan = AliasIndex._scan

    def counted(index: AliasIndex, account: str, region: str) -> ByKey:
        scans.append(f"{account}/{region}")
        found: ByKey = scan(index, account, region)
        return found

    monkeypatch.setattr(AliasIndex, "_scan", counted)
    return scans


def test_this_processes_alias_writes_are_indexed_without_a_scan(
    recorded: tuple[World, Recorder], monkeypatch: pytest.MonkeyPatch
) -> None:
    world, recorder = recorded
    key, other = world.key(), world.key()
    assert aliases_seen(world, recorder, key) is None  # indexed once
    scans = counting_scans(monkeypatch)
    for n in range(5):
        world.call("CreateAlias", AliasName=f"alias/bulk-{4 - n}", TargetKeyId=key)
    world.call("UpdateAlias", AliasName="alias/bulk-2", TargetKeyId=other)
    world.call("DeleteAlias", AliasName="alias/bulk-0")
    assert aliases_seen(world, recorder, key) == ("alias/bulk-1", "alias/bulk-3", "alias/bulk-4")
    assert aliases_seen(world, recorder, other) == ("alias/bulk-2",)
    assert scans == []


def test_a_scan_raced_by_a_write_is_not_kept(
    recorded: tuple[World, Recorder], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A reader's scan that a write overtakes answers, but never puts back what it read."""
    world, recorder = recorded
    key = world.key()
    world.kms.repository.forget()  # nothing indexed: the next decision scans
    scan = AliasIndex._scan
    raced: list[bool] = []

    def overtaken_scan(index: AliasIndex, account: str, region: str) -> ByKey:
        found: ByKey = scan(index, account, region)
        if not raced:  # the reader's scan: a write lands before it returns
            raced.append(True)
            world.call("CreateAlias", AliasName="alias/raced", TargetKeyId=key)
        return found

    monkeypatch.setattr(AliasIndex, "_scan", overtaken_scan)
    assert aliases_seen(world, recorder, key) is None  # what that scan read
    assert aliases_seen(world, recorder, key) == ("alias/raced",)


@pytest.fixture
def two_processes(tmp_path: Path) -> Iterator[tuple[World, World, Barrier]]:
    """Two processes over one SQLite file, and the second one's barrier."""
    first_storage = SqliteStorage(tmp_path / "shared.db")
    second_storage = SqliteStorage(tmp_path / "shared.db")
    first = world_of(barrier_of(first_storage))
    second_barrier = barrier_of(second_storage, initialize=False)
    yield first, world_of(second_barrier), second_barrier
    first_storage.close()
    second_storage.close()


def test_another_processes_alias_changes_are_seen_from_its_next_refresh(
    two_processes: tuple[World, World, Barrier],
) -> None:
    """The request path refreshes the data version once per request on shared storage."""
    first, second, second_barrier = two_processes
    key = first.key(ONLY_ALPHA)
    other = first.key(ONLY_ALPHA)
    second_barrier.refresh_data_version()
    assert not second.may_encrypt(key)  # the key and its (missing) aliases are cached
    first.call("CreateAlias", AliasName="alias/project-alpha", TargetKeyId=key)
    second_barrier.refresh_data_version()
    assert second.may_encrypt(key)
    assert not second.may_encrypt(other)
    first.call("UpdateAlias", AliasName="alias/project-alpha", TargetKeyId=other)
    second_barrier.refresh_data_version()
    assert not second.may_encrypt(key)
    assert second.may_encrypt(other)
    first.call("DeleteAlias", AliasName="alias/project-alpha")
    second_barrier.refresh_data_version()
    assert not second.may_encrypt(other)


def test_another_processes_commits_that_touch_no_alias_cost_no_scan(
    two_processes: tuple[World, World, Barrier], monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second, second_barrier = two_processes
    key = first.key(ONLY_ALPHA)
    first.call("CreateAlias", AliasName="alias/project-alpha-1", TargetKeyId=key)
    second_barrier.refresh_data_version()
    assert second.may_encrypt(key)
    scans = counting_scans(monkeypatch)
    for n in range(3):  # commits elsewhere: tags, other keys
        first.call("TagResource", KeyId=key, Tags=[{"TagKey": "n", "TagValue": str(n)}])
        first.key()
        second_barrier.refresh_data_version()
        assert second.may_encrypt(key)
    assert scans == []
    first.call("DeleteAlias", AliasName="alias/project-alpha-1")
    second_barrier.refresh_data_version()
    assert not second.may_encrypt(key)
    assert scans == [f"{ACCOUNT}/{REGION}"]  # an alias write elsewhere: scanned once


def test_alias_writes_read_the_alias_from_storage_not_a_cache_overtaken_by_another_process(
    two_processes: tuple[World, World, Barrier],
) -> None:
    """A commit elsewhere may land after this request refreshed its caches and before its
    write transaction began: the write must see it, not this process's cached copy."""
    first, second, second_barrier = two_processes
    key, moved_to = first.key(), first.key()
    second_barrier.refresh_data_version()
    assert second.kms.repository.alias(ACCOUNT, REGION, "alias/app") is None  # now cached
    first.call("CreateAlias", AliasName="alias/app", TargetKeyId=key)
    with pytest.raises(AlreadyExistsException):
        second.call("CreateAlias", AliasName="alias/app", TargetKeyId=moved_to)
    second_barrier.refresh_data_version()
    assert second.kms.repository.alias(ACCOUNT, REGION, "alias/app") is not None  # cached
    first.call("DeleteAlias", AliasName="alias/app")
    with pytest.raises(NotFoundException):  # not brought back by a move
        second.call("UpdateAlias", AliasName="alias/app", TargetKeyId=moved_to)
    assert first.kms.repository.load_alias(ACCOUNT, REGION, "alias/app") is None
