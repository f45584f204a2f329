"""The outbox: an event is stored iff the change that made it commits, and stays until sent.

Runs over a real barrier (AES-GCM records) on MemoryStorage and SQLite, each service
seeing it through its own `View`, exactly as the server wires it.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from tests.unit.embedded_storage import every_embedded_storage
from tests.unit.events.event_inputs import T0, Clock, change_event, counting_random

from strongroom.barrier import Barrier, View
from strongroom.events import DeliveryState, Outbox
from strongroom.storage.base import Storage
from strongroom.storage.sqlite import SqliteStorage

ROOT_KEY = hashlib.sha256(b"events root key").digest()


storage = every_embedded_storage()


@pytest.fixture
def barrier(storage: Storage) -> Barrier:
    barrier = Barrier(storage)
    barrier.initialize(ROOT_KEY)
    return barrier


def test_an_emitted_event_is_due_at_once_and_stored_encrypted(
    barrier: Barrier, storage: Storage
) -> None:
    outbox = Outbox(View(barrier, "events/"), Clock(), counting_random())
    event = outbox.publish("Parameter Store Change", "aws.ssm", "1", "r", [], {"name": "/p"})
    [entry] = outbox.due(T0)
    assert entry.event == event and entry.emitted == T0 and entry.done == frozenset()
    assert entry.state("hook") == DeliveryState(0, T0)
    [(path, raw)] = list(storage.scan("events/"))
    assert path == f"events/pending/001796284800000-{event['id']}"
    assert b"/p" not in raw and b"Parameter Store" not in raw  # a barrier record


def test_due_lists_only_what_is_due_in_time_order(barrier: Barrier) -> None:
    clock = Clock()
    outbox = Outbox(View(barrier, "events/"), clock, counting_random())
    emitted = []
    for offset in (0.0, 5.5, 2.25):
        clock.now = T0 + offset
        emitted.append(outbox.publish("T", "s", "a", "r", [], {"n": offset})["id"])
    assert [e.event["id"] for e in outbox.due(T0 + 3)] == [emitted[0], emitted[2]]
    assert [e.event["id"] for e in outbox.due(T0 + 10)] == [emitted[0], emitted[2], emitted[1]]
    assert [e.event["id"] for e in outbox.due(T0 + 10, limit=1)] == [emitted[0]]
    first = outbox.due(T0 + 10, limit=1)[0]
    assert [e.event["id"] for e in outbox.due(T0 + 10, after=first.key)] == emitted[2:0:-1]
    assert outbox.due(T0 - 1) == []
    assert outbox.next_due() == T0


def test_an_event_emitted_in_a_rolled_back_transaction_leaves_nothing(barrier: Barrier) -> None:
    ssm, outbox = (
        View(barrier, "ssm/"),
        Outbox(View(barrier, "events/"), Clock(), counting_random()),
    )
    with pytest.raises(RuntimeError), ssm.transaction() as txn:
        txn.put("parameters/p", b"new value")
        outbox.emit(change_event("/p"))
        raise RuntimeError("the change failed after the event was emitted")
    assert ssm.get("parameters/p") is None
    assert outbox.due(T0 + 86400) == [] and outbox.next_due() is None


def test_an_event_emitted_in_a_committed_transaction_commits_with_it(barrier: Barrier) -> None:
    ssm, outbox = (
        View(barrier, "ssm/"),
        Outbox(View(barrier, "events/"), Clock(), counting_random()),
    )
    with ssm.transaction() as txn:
        txn.put("parameters/p", b"new value")
        event = change_event("/p")
        outbox.emit(event)
    assert ssm.get("parameters/p") == b"new value"
    assert [entry.event for entry in outbox.due(T0)] == [event]


def test_pending_events_survive_a_restart(tmp_path: Path) -> None:
    storage = SqliteStorage(tmp_path / "store.db")
    barrier = Barrier(storage)
    barrier.initialize(ROOT_KEY)
    event = change_event("/durable")
    Outbox(View(barrier, "events/"), Clock(), counting_random()).emit(event)
    storage.close()
    reopened = SqliteStorage(tmp_path / "store.db")
    try:
        again = Barrier(reopened)
        again.unseal(ROOT_KEY)
        outbox = Outbox(View(again, "events/"), Clock(T0 + 60), counting_random())
        assert [entry.event for entry in outbox.due(T0 + 60)] == [event]
    finally:
        reopened.close()


def test_settle_reschedules_records_state_and_removes_when_done(barrier: Barrier) -> None:
    outbox = Outbox(View(barrier, "events/"), Clock(), counting_random())
    event = change_event("/p")
    outbox.emit(event)
    [entry] = outbox.due(T0)
    assert outbox.settle(entry, {"a": DeliveryState(1, T0 + 1.0016)}, {"b"}, T0 + 1.0016)
    assert outbox.due(T0 + 1.0009) == []
    [moved] = outbox.due(T0 + 1.001)  # times are kept to the millisecond
    assert moved.states == {"a": DeliveryState(1, T0 + 1.001)}
    assert moved.done == {"b"} and moved.event == event
    assert moved.is_due("a", T0 + 1.001) and not moved.is_due("a", T0 + 1.0009)
    assert moved.is_due("never-tried", T0) and not moved.is_due("never-tried", T0 - 0.001)
    assert outbox.next_due() == T0 + 1.001
    assert outbox.settle(moved, {}, {"a", "b"}, None)
    assert outbox.due(T0 + 86400) == [] and outbox.next_due() is None


def test_settle_writes_nothing_over_a_change_made_since_it_read(barrier: Barrier) -> None:
    outbox = Outbox(View(barrier, "events/"), Clock(), counting_random())
    outbox.emit(change_event("/p"))
    [seen_by_a] = outbox.due(T0)
    [seen_by_b] = Outbox(View(barrier, "events/"), Clock(), counting_random()).due(T0)
    assert outbox.settle(seen_by_b, {"hook": DeliveryState(1, T0 + 2)}, (), T0 + 2)
    assert not outbox.settle(seen_by_a, {}, {"hook"}, None)  # b's outcome stands
    [entry] = outbox.due(T0 + 2)
    assert entry.states == {"hook": DeliveryState(1, T0 + 2)} and entry.done == frozenset()
    assert not outbox.settle(seen_by_b, {}, (), None)  # b's own stale copy too


def test_an_unreadable_entry_is_dropped_and_does_not_hold_up_the_rest(
    barrier: Barrier, caplog: pytest.LogCaptureFixture
) -> None:
    view = View(barrier, "events/")
    outbox = Outbox(view, Clock(), counting_random())
    view.put("pending/001796284799000-broken", b"{not json")
    event = change_event("/p")
    outbox.emit(event)
    assert [entry.event for entry in outbox.due(T0, limit=1)] == [event]
    assert view.get("pending/001796284799000-broken") is None
    assert "pending/001796284799000-broken" in caplog.text
