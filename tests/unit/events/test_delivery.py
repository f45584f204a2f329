"""Delivery: every due (event, webhook) pair is sent, failures back off, nothing is lost.

A recording poster stands in for HTTP here (test_webhook_http.py sends for real), and the
clock is injected, so each retry is checked to happen exactly when it is due.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import threading
import time
from collections.abc import Callable

import pytest
from tests.unit.events.event_inputs import T0, Clock, counting_random

from strongroom.barrier import Barrier, View
from strongroom.events import Deliverer, Outbox, Webhook, event_bytes
from strongroom.storage.memory import MemoryStorage

ROOT_KEY = hashlib.sha256(b"delivery root key").digest()
CHANGE = "Parameter Store Change"
POLICY = "Parameter Store Policy Action"


class Poster:
    """Records every POST; answers False for webhooks named in `failing`."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, float]] = []
        self.bodies: list[bytes] = []
        self.failing: set[str] = set()
        self.lock = threading.Lock()

    def __call__(self, webhook: Webhook, body: bytes, now: float) -> bool:
        with self.lock:
            self.calls.append((webhook.name, json.loads(body)["id"], now))
            self.bodies.append(body)
        return webhook.name not in self.failing

    def ids(self, name: str) -> list[str]:
        return [event_id for hook, event_id, _ in self.calls if hook == name]


def hook(name: str, *detail_types: str) -> Webhook:
    return Webhook(
        f"https://{name}.example/", b"secret-" + name.encode(), name, detail_types or None
    )


@pytest.fixture
def barrier() -> Barrier:
    barrier = Barrier(MemoryStorage())
    barrier.initialize(ROOT_KEY)
    return barrier


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def outbox(barrier: Barrier, clock: Clock) -> Outbox:
    return Outbox(View(barrier, "events/"), clock, counting_random())


def publish(outbox: Outbox, detail_type: str = CHANGE, name: str = "/p") -> str:
    event = outbox.publish(detail_type, "aws.ssm", "123456789012", "us-east-1", [], {"name": name})
    return str(event["id"])


def remaining(outbox: Outbox) -> list[str]:
    return [str(entry.event["id"]) for entry in outbox.due(T0 + 10 * 86400)]


def test_each_event_goes_once_to_each_webhook_then_leaves_the_outbox(
    outbox: Outbox, clock: Clock
) -> None:
    poster = Poster()
    deliverer = Deliverer(outbox, [hook("a"), hook("b")], clock, poster)
    first, second = publish(outbox), publish(outbox, name="/q")
    assert deliverer.run_once() == 4
    assert poster.ids("a") == [first, second] and poster.ids("b") == [first, second]
    [entry_body] = {body for body in poster.bodies if first.encode() in body}
    assert json.loads(entry_body)["detail"] == {"name": "/p"}
    assert entry_body == event_bytes(json.loads(entry_body))
    assert remaining(outbox) == []
    assert deliverer.run_once() == 0 and len(poster.calls) == 4


def test_a_webhook_gets_only_the_detail_types_it_names(outbox: Outbox, clock: Clock) -> None:
    poster = Poster()
    deliverer = Deliverer(
        outbox, [hook("changes", CHANGE), hook("policies", POLICY)], clock, poster
    )
    change, policy, other = publish(outbox), publish(outbox, POLICY), publish(outbox, "Other")
    deliverer.run_once()
    assert poster.ids("changes") == [change] and poster.ids("policies") == [policy]
    assert other not in [event_id for _, event_id, _ in poster.calls]
    assert remaining(outbox) == []  # wanted by no webhook: done without a POST


def test_failures_back_off_exponentially_then_recover(outbox: Outbox, clock: Clock) -> None:
    poster = Poster()
    poster.failing.add("a")
    deliverer = Deliverer(outbox, [hook("a")], clock, poster, max_backoff=8)
    event_id = publish(outbox)
    attempt_times = []
    for step in range(400):  # 0.1 s steps over 40 s
        clock.now = T0 + step / 10
        before = len(poster.calls)
        deliverer.run_once()
        if len(poster.calls) > before:
            attempt_times.append(round(clock.now - T0, 1))
    # failures at 0, 1, 3, 7, 15, then the cap of 8 s: 23, 31, 39
    assert attempt_times == [0, 1, 3, 7, 15, 23, 31, 39]
    assert remaining(outbox) == [event_id]
    poster.failing.clear()
    clock.now = T0 + 47
    assert deliverer.run_once() == 1
    assert remaining(outbox) == []
    later = publish(outbox)  # the receiver is back: the next event goes at once
    assert deliverer.run_once() == 1 and poster.ids("a")[-1] == later


def test_the_back_off_is_durable_across_a_restart(
    barrier: Barrier, outbox: Outbox, clock: Clock
) -> None:
    poster = Poster()
    poster.failing.add("a")
    publish(outbox)
    Deliverer(outbox, [hook("a")], clock, poster).run_once()  # attempt 1 fails at T0
    clock.now = T0 + 1
    Deliverer(outbox, [hook("a")], clock, poster).run_once()  # attempt 2 fails at T0 + 1
    restarted = Outbox(View(barrier, "events/"), clock, counting_random())
    fresh = Deliverer(restarted, [hook("a")], clock, poster)
    clock.now = T0 + 2.9
    fresh.run_once()
    assert len(poster.calls) == 2  # the stored state says: not before T0 + 3
    poster.failing.clear()
    clock.now = T0 + 3
    assert fresh.run_once() == 1 and remaining(restarted) == []


def test_an_event_is_dropped_after_max_age_and_logged_without_its_body(
    outbox: Outbox, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    poster = Poster()
    poster.failing.add("a")
    deliverer = Deliverer(outbox, [hook("a"), hook("b")], clock, poster, max_age=60)
    event_id = publish(outbox, name="/canary-parameter-name")
    for second in range(0, 120):
        clock.now = T0 + second
        deliverer.run_once()
    assert remaining(outbox) == []
    assert poster.ids("b") == [event_id]  # the healthy webhook got it once
    attempts = poster.ids("a")
    assert len(attempts) == 6  # at 0, 1, 3, 7, 15, 31; the next (63) is past 60 s
    assert f"giving up on event {event_id}" in caplog.text and "webhook a" in caplog.text
    assert "canary-parameter-name" not in caplog.text


def test_a_down_webhook_costs_one_attempt_per_back_off_step_not_one_per_event(
    outbox: Outbox, clock: Clock
) -> None:
    poster = Poster()
    poster.failing.add("down")
    deliverer = Deliverer(outbox, [hook("down"), hook("up")], clock, poster)
    events = [publish(outbox, name=f"/p{n}") for n in range(5)]
    deliverer.run_once()
    assert len(poster.ids("down")) == 1 and poster.ids("up") == events
    clock.now = T0 + 1
    deliverer.run_once()
    assert len(poster.ids("down")) == 2  # one more try, not five
    clock.now = T0 + 2.5
    deliverer.run_once()
    assert len(poster.ids("down")) == 2  # held until T0 + 3
    poster.failing.clear()
    clock.now = T0 + 3
    assert deliverer.run_once() == 5
    assert sorted(poster.ids("down")[2:]) == sorted(events) and poster.ids("up") == events
    assert remaining(outbox) == []


def test_a_poster_that_raises_is_a_failed_attempt(outbox: Outbox, clock: Clock) -> None:
    poster = Poster()

    def flaky(webhook: Webhook, body: bytes, now: float) -> bool:
        if webhook.name == "broken":
            raise RuntimeError("boom")
        return poster(webhook, body, now)

    deliverer = Deliverer(outbox, [hook("broken"), hook("ok")], clock, flaky)
    event_id = publish(outbox)
    assert deliverer.run_once() == 1 and poster.ids("ok") == [event_id]
    assert remaining(outbox) == [event_id]
    [entry] = outbox.due(T0 + 1)
    assert entry.state("broken").attempts == 1 and entry.done == {"ok"}


def test_two_deliverers_at_once_deliver_everything_at_least_once(
    barrier: Barrier, clock: Clock
) -> None:
    outbox = Outbox(View(barrier, "events/"), clock, counting_random())
    events = [publish(outbox, name=f"/p{n}") for n in range(30)]
    poster = Poster()

    def slow(webhook: Webhook, body: bytes, now: float) -> bool:
        time.sleep(0.001)
        return poster(webhook, body, now)

    workers = [
        Deliverer(
            Outbox(View(barrier, "events/"), clock, counting_random()), [hook("a")], clock, slow
        )
        for _ in range(2)
    ]
    threads = [threading.Thread(target=worker.run_once) for worker in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert set(poster.ids("a")) == set(events)  # none lost; a repeat is allowed
    assert remaining(outbox) == []


def wait_for(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.01)


def test_the_background_thread_delivers_when_woken_and_stops(outbox: Outbox, clock: Clock) -> None:
    poster = Poster()
    deliverer = Deliverer(outbox, [hook("a")], clock, poster, interval=3600)
    deliverer.start()
    try:
        event_id = publish(outbox)
        deliverer.wake()
        wait_for(lambda: poster.ids("a") == [event_id])
        wait_for(lambda: remaining(outbox) == [])
    finally:
        deliverer.stop(10)
    late = publish(outbox)
    deliverer.wake()  # stopped: nobody delivers
    assert poster.ids("a") == [event_id] and remaining(outbox) == [late]


def test_only_the_leader_delivers_from_the_thread(outbox: Outbox, clock: Clock) -> None:
    poster = Poster()
    leading = threading.Event()
    asked = itertools.count()
    consulted = [0]

    def is_leader() -> bool:
        consulted[0] = next(asked) + 1
        return leading.is_set()

    deliverer = Deliverer(outbox, [hook("a")], clock, poster, interval=0.01, is_leader=is_leader)
    event_id = publish(outbox)
    deliverer.start()
    try:
        deliverer.wake()
        wait_for(lambda: consulted[0] >= 5)  # asked, and declined, several times
        assert poster.calls == [] and remaining(outbox) == [event_id]
        leading.set()
        wait_for(lambda: poster.ids("a") == [event_id])
    finally:
        deliverer.stop(10)


def test_the_thread_waits_out_a_sealed_barrier(
    barrier: Barrier, outbox: Outbox, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    poster = Poster()
    event_id = publish(outbox)
    barrier.seal()
    deliverer = Deliverer(outbox, [hook("a")], clock, poster, interval=0.05)
    deliverer.start()
    try:
        wait_for(lambda: "webhook delivery paused" in caplog.text)
        barrier.unseal(ROOT_KEY)
        wait_for(lambda: poster.ids("a") == [event_id])
    finally:
        deliverer.stop(10)


def test_webhook_names_must_be_distinct(outbox: Outbox, clock: Clock) -> None:
    with pytest.raises(ValueError, match="distinct"):
        Deliverer(outbox, [hook("a"), hook("a")], clock, Poster())
