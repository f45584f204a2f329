"""The scheduler: leader-only ticks, and a lease holder id drawn from injected randomness."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time

import orjson
from tests.random_sources import ScriptedRandom

from strongroom.clock import Clock
from strongroom.process_identity import holder_id
from strongroom.scheduler import Scheduler
from strongroom.scheduler.lease import LEASE_PATH
from strongroom.storage.memory import MemoryStorage


def _scheduler(storage: MemoryStorage, random: ScriptedRandom, ran: list[str]) -> Scheduler:
    return Scheduler(storage, Clock(), 60.0, [lambda: ran.append("job")], lambda: True, random)


def test_the_lease_holder_id_comes_from_the_injected_random() -> None:
    storage, random, ran = MemoryStorage(), ScriptedRandom(b"\xab\xcd\xef\x01"), []
    scheduler = _scheduler(storage, random, ran)
    assert random.exhausted()  # drawn once, at construction
    assert scheduler.run_once() and ran == ["job"]
    lease = orjson.loads(storage.get(LEASE_PATH) or b"")
    assert lease["holder"] == holder_id("abcdef01")
    assert lease["holder"].endswith(f"/{os.getpid()}/abcdef01")


def test_a_second_scheduler_on_the_same_storage_does_not_lead() -> None:
    storage, ran = MemoryStorage(), []
    first = _scheduler(storage, ScriptedRandom(b"\x00\x00\x00\x01"), ran)
    second = _scheduler(storage, ScriptedRandom(b"\x00\x00\x00\x02"), ran)
    assert first.run_once()
    assert not second.run_once()
    assert ran == ["job"]


def test_a_clean_stop_hands_the_lease_to_the_next_process_at_once() -> None:
    storage, ran = MemoryStorage(), []
    first = _scheduler(storage, ScriptedRandom(b"\x00\x00\x00\x01"), ran)
    second = _scheduler(storage, ScriptedRandom(b"\x00\x00\x00\x02"), ran)
    assert first.run_once() and first.is_leader()
    asyncio.run(second.stop())  # a process that does not lead gives nothing up
    assert not second.run_once() and not second.is_leader()
    asyncio.run(first.stop())
    assert not first.is_leader()
    assert second.run_once() and second.is_leader()
    assert ran == ["job", "job"]


def _lease_of(storage: MemoryStorage, holder: str) -> None:
    lease = {"holder": holder, "expires": time.time() + 3600}
    storage.put(LEASE_PATH, orjson.dumps(lease))


def test_a_lease_left_by_a_dead_process_of_this_host_is_taken_at_once() -> None:
    """A server restarted after `kill -9` leads at once, not after its old lease lapses."""
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()  # reaped: its pid names no process now
    storage, ran = MemoryStorage(), []
    _lease_of(storage, holder_id("00000001").replace(f"/{os.getpid()}/", f"/{gone.pid}/"))
    assert _scheduler(storage, ScriptedRandom(b"\x00\x00\x00\x02"), ran).run_once()
    assert ran == ["job"]


def test_a_lease_of_a_live_process_or_another_host_is_respected() -> None:
    storage, ran = MemoryStorage(), []
    with subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"]) as alive:
        try:
            _lease_of(storage, holder_id("00000001").replace(f"/{os.getpid()}/", f"/{alive.pid}/"))
            assert not _scheduler(storage, ScriptedRandom(b"\x00\x00\x00\x02"), ran).run_once()
        finally:
            alive.kill()
    _lease_of(storage, "another-host/1/00000001")
    assert not _scheduler(storage, ScriptedRandom(b"\x00\x00\x00\x03"), ran).run_once()
    assert ran == []


def test_local_jobs_run_in_every_process_and_leader_jobs_in_one() -> None:
    storage, ran = MemoryStorage(), []

    def scheduler(name: str, seed: bytes) -> Scheduler:
        return Scheduler(
            storage,
            Clock(),
            60.0,
            [lambda: ran.append(f"{name} leads")],
            lambda: True,
            ScriptedRandom(seed),
            local_jobs=[lambda: ran.append(f"{name} local")],
        )

    first = scheduler("first", b"\x00\x00\x00\x01")
    second = scheduler("second", b"\x00\x00\x00\x02")
    assert first.run_once() and not second.run_once()
    assert ran == ["first local", "first leads", "second local"]
