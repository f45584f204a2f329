"""KMS maintenance under an injected clock: scheduled deletion and automatic rotation.

The KMS is wired as `app.py` wires it (barrier views over MemoryStorage, the software key
store) and its operation functions are called directly with a caller that may do anything.
Time moves by shifting the `Clock` offset; deadlines are approached to within a minute.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from strongroom.barrier import Barrier, View
from strongroom.clock import Clock
from strongroom.crypto import AuthenticationFailed, system_random
from strongroom.errors import (
    InvalidCiphertextException,
    KMSInvalidStateException,
    NotFoundException,
)
from strongroom.identity import Principal
from strongroom.keystores import SoftwareKeyStore
from strongroom.services.caller import AllowAuthenticated, Caller
from strongroom.services.kms import OPERATIONS, Kms, KmsRepository, ciphertext_blob, run_maintenance
from strongroom.storage.memory import MemoryStorage

DAY = 86_400.0
MINUTE = 60.0
ACCOUNT = "111122223333"
STORE_PREFIX = "keystores/software/"


class FlakyDestroyStore:
    """The software store, except that its first `destroy` crashes (a process kill)."""

    name = "software"

    def __init__(self, inner: SoftwareKeyStore) -> None:
        self._inner = inner
        self.crashes_left = 1

    def generate(self, key_id: str, version: int) -> None:
        self._inner.generate(key_id, version)

    def encrypt(self, key_id: str, version: int, plaintext: bytes, aad: bytes) -> bytes:
        payload: bytes = self._inner.encrypt(key_id, version, plaintext, aad)
        return payload

    def decrypt(self, key_id: str, version: int, payload: bytes, aad: bytes) -> bytes:
        plaintext: bytes = self._inner.decrypt(key_id, version, payload, aad)
        return plaintext

    def destroy(self, key_id: str) -> None:
        if self.crashes_left:
            self.crashes_left -= 1
            raise RuntimeError("killed while destroying")
        self._inner.destroy(key_id)

    def scrub(self) -> None:
        self._inner.scrub()

    def forget(self) -> None:
        self._inner.forget()


@dataclass
class World:
    storage: MemoryStorage
    barrier: Barrier
    store: SoftwareKeyStore
    clock: Clock
    kms: Kms
    caller: Caller

    def call(self, operation: str, caller: Caller | None = None, **params: Any) -> Any:
        return OPERATIONS[operation](self.kms, caller or self.caller, **params)

    def advance(self, seconds: float) -> None:
        self.clock.offset_seconds += seconds

    def raw(self) -> dict[str, bytes]:
        return dict(self.storage.scan(""))

    def create_key(self, caller: Caller | None = None) -> str:
        key_id: str = self.call("CreateKey", caller)["KeyMetadata"]["KeyId"]
        return key_id

    def encrypt(self, key_id: str, plaintext: bytes, caller: Caller | None = None) -> bytes:
        result = self.call(
            "Encrypt", caller, KeyId=key_id, Plaintext=plaintext, EncryptionContext={"k": "v"}
        )
        blob: bytes = result["CiphertextBlob"]
        return blob

    def decrypt(self, blob: bytes, caller: Caller | None = None) -> bytes:
        result = self.call("Decrypt", caller, CiphertextBlob=blob, EncryptionContext={"k": "v"})
        plaintext: bytes = result["Plaintext"]
        return plaintext


def caller_in(region: str, account: str = ACCOUNT) -> Caller:
    return Caller(Principal("AKIAIOSFODNN7EXAMPLE", account, "root"), region, AllowAuthenticated())


@pytest.fixture
def world() -> World:
    storage = MemoryStorage()
    barrier = Barrier(storage)
    barrier.initialize(bytes(range(32)))
    store = SoftwareKeyStore(View(barrier, STORE_PREFIX))
    clock = Clock(0.0)
    kms = Kms(KmsRepository(View(barrier, "kms/")), {"software": store}, clock, system_random)
    # A server's scheduler has run once: the due index's marker is written (its first pass
    # on a storage), so later passes that find nothing due leave storage as it was.
    run_maintenance(kms)
    return World(storage, barrier, store, clock, kms, caller_in("us-east-1"))


def paths_naming(world: World, key_id: str) -> list[str]:
    return [path for path in world.raw() if key_id in path]


def alias_names(world: World, caller: Caller | None = None) -> list[str]:
    return [a["AliasName"] for a in world.call("ListAliases", caller)["Aliases"]]


# --- scheduled deletion ---------------------------------------------------------------


def test_a_key_is_destroyed_only_after_its_deletion_date(world: World) -> None:
    doomed, kept = world.create_key(), world.create_key()
    world.call("CreateAlias", AliasName="alias/doomed", TargetKeyId=doomed)
    world.call("CreateAlias", AliasName="alias/doomed-too", TargetKeyId=doomed)
    world.call("CreateAlias", AliasName="alias/kept", TargetKeyId=kept)
    doomed_blob = world.encrypt(doomed, b"doomed secret")
    kept_blob = world.encrypt(kept, b"kept secret")
    world.call("ScheduleKeyDeletion", KeyId=doomed, PendingWindowInDays=7)
    material_paths = [p for p in world.raw() if p.startswith(f"{STORE_PREFIX}{doomed}/")]
    assert material_paths

    before = world.raw()
    for shift in (0.0, 7 * DAY - MINUTE):
        world.advance(shift)
        report = run_maintenance(world.kms)
        assert (report.destroyed, report.rotated) == (0, 0)
        assert world.raw() == before  # untouched: record, material and aliases
    with pytest.raises(KMSInvalidStateException):
        world.decrypt(doomed_blob)

    world.advance(2 * MINUTE)
    report = run_maintenance(world.kms)
    assert (report.destroyed, report.rotated) == (1, 0)

    assert world.kms.repository.load(ACCOUNT, "us-east-1", doomed) is None
    assert paths_naming(world, doomed) == []  # key record and every material version
    assert alias_names(world) == ["alias/kept"]
    assert [p for p in world.raw() if "/aliases/doomed" in p] == []
    with pytest.raises(NotFoundException):
        world.call("DescribeKey", KeyId=doomed)
    with pytest.raises(InvalidCiphertextException):
        world.decrypt(doomed_blob)
    blob = ciphertext_blob.decode(doomed_blob)
    aad = ciphertext_blob.associated_data(blob.header(), {"k": "v"})
    for store in (world.store, SoftwareKeyStore(View(world.barrier, STORE_PREFIX))):
        with pytest.raises(AuthenticationFailed):
            store.decrypt(doomed, blob.material_version, blob.payload, aad)
    assert world.decrypt(kept_blob) == b"kept secret"
    assert world.call("DescribeKey", KeyId="alias/kept")["KeyMetadata"]["KeyId"] == kept

    after = world.raw()
    report = run_maintenance(world.kms)
    assert (report.destroyed, report.rotated) == (0, 0)
    assert world.raw() == after


def test_a_key_is_intact_until_its_date(world: World) -> None:
    key = world.create_key()
    blob = world.encrypt(key, b"still here")
    world.call("ScheduleKeyDeletion", KeyId=key, PendingWindowInDays=7)
    world.advance(7 * DAY - MINUTE)
    assert run_maintenance(world.kms).destroyed == 0
    world.call("CancelKeyDeletion", KeyId=key)
    world.call("EnableKey", KeyId=key)
    world.advance(30 * DAY)
    assert run_maintenance(world.kms).destroyed == 0
    assert world.decrypt(blob) == b"still here"


def test_deletion_covers_every_account_and_region(world: World) -> None:
    elsewhere = [caller_in("eu-west-1"), caller_in("us-east-1", "444455556666")]
    keys = [world.create_key(c) for c in elsewhere]
    for key, caller in zip(keys, elsewhere, strict=True):
        world.call("ScheduleKeyDeletion", caller, KeyId=key, PendingWindowInDays=30)
    world.advance(30 * DAY + MINUTE)
    assert run_maintenance(world.kms).destroyed == 2
    assert all(paths_naming(world, key) == [] for key in keys)


def test_an_interrupted_destruction_is_finished_by_the_next_pass(world: World) -> None:
    flaky = FlakyDestroyStore(world.store)
    world.kms.keystores["software"] = flaky
    key = world.create_key()
    world.call("ScheduleKeyDeletion", KeyId=key, PendingWindowInDays=7)
    world.advance(7 * DAY + MINUTE)
    with pytest.raises(RuntimeError, match="killed"):
        run_maintenance(world.kms)
    run_maintenance(world.kms)
    assert paths_naming(world, key) == []


# --- automatic rotation ---------------------------------------------------------------


def material_version(blob: bytes) -> int:
    version: int = ciphertext_blob.decode(blob).material_version
    return version


def test_automatic_rotation_happens_when_due_and_only_once(world: World) -> None:
    key = world.create_key()
    world.call("EnableKeyRotation", KeyId=key, RotationPeriodInDays=90)
    old_blob = world.encrypt(key, b"old secret")
    assert material_version(old_blob) == 1

    world.advance(90 * DAY - MINUTE)
    before = world.raw()
    assert run_maintenance(world.kms).rotated == 0
    assert world.raw() == before

    world.advance(2 * MINUTE)
    start = world.clock.now()
    report = run_maintenance(world.kms)
    end = world.clock.now()
    assert (report.destroyed, report.rotated) == (0, 1)

    record = world.kms.repository.load(ACCOUNT, "us-east-1", key)
    assert record is not None
    assert [(v.version, v.rotation_type) for v in record.versions] == [
        (1, None),
        (2, "AUTOMATIC"),
    ]
    assert start <= record.versions[1].created <= end
    assert record.next_rotation is not None
    assert start + 90 * DAY <= record.next_rotation <= end + 90 * DAY
    assert f"{STORE_PREFIX}{key}/0000000002" in world.raw()

    rotations = world.call("ListKeyRotations", KeyId=key)["Rotations"]
    assert [r["RotationType"] for r in rotations] == ["AUTOMATIC"]
    status = world.call("GetKeyRotationStatus", KeyId=key)
    assert status["NextRotationDate"] == record.next_rotation

    assert world.decrypt(old_blob) == b"old secret"
    new_blob = world.encrypt(key, b"new secret")
    assert material_version(new_blob) == 2
    assert world.decrypt(new_blob) == b"new secret"

    after = world.raw()
    report = run_maintenance(world.kms)
    assert (report.destroyed, report.rotated) == (0, 0)
    assert world.raw() == after

    world.advance(90 * DAY + MINUTE)
    assert run_maintenance(world.kms).rotated == 1
    assert material_version(world.encrypt(key, b"x")) == 3
    assert world.decrypt(old_blob) == b"old secret"
    assert world.decrypt(new_blob) == b"new secret"


def test_only_enabled_keys_with_rotation_due_rotate(world: World) -> None:
    plain = world.create_key()
    disabled = world.create_key()
    pending = world.create_key()
    due = world.create_key()
    for key in (disabled, pending, due):
        world.call("EnableKeyRotation", KeyId=key, RotationPeriodInDays=90)
    world.call("DisableKey", KeyId=disabled)
    world.advance(89 * DAY)
    world.call("ScheduleKeyDeletion", KeyId=pending, PendingWindowInDays=30)
    world.advance(DAY + MINUTE)

    assert run_maintenance(world.kms).rotated == 1
    versions = {
        key: len(world.call("ListKeyRotations", KeyId=key)["Rotations"])
        for key in (plain, disabled, due)
    }
    assert versions == {plain: 0, disabled: 0, due: 1}
    pending_record = world.kms.repository.load(ACCOUNT, "us-east-1", pending)
    assert pending_record is not None and len(pending_record.versions) == 1


def test_rotation_and_deletion_in_one_pass(world: World) -> None:
    rotating = [world.create_key() for _ in range(3)]
    doomed = world.create_key()
    for key in rotating:
        world.call("EnableKeyRotation", KeyId=key, RotationPeriodInDays=90)
    world.call("ScheduleKeyDeletion", KeyId=doomed, PendingWindowInDays=7)
    world.advance(90 * DAY + MINUTE)
    report = run_maintenance(world.kms)
    assert (report.destroyed, report.rotated) == (1, 3)
    report = run_maintenance(world.kms)
    assert (report.destroyed, report.rotated) == (0, 0)


def test_maintenance_reads_records_from_storage_not_a_stale_cache(world: World) -> None:
    """Another worker's repository (same barrier) sees the pass's changes on reload."""
    key = world.create_key()
    world.call("EnableKeyRotation", KeyId=key, RotationPeriodInDays=90)
    world.advance(90 * DAY + MINUTE)
    run_maintenance(world.kms)
    other = KmsRepository(View(world.barrier, "kms/")).load(ACCOUNT, "us-east-1", key)
    assert other is not None and other.current_version == 2
