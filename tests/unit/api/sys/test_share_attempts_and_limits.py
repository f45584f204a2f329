"""Unseal attempts named by nonces, and the per-address rate limit, driven by a test clock."""

from __future__ import annotations

import pytest

from strongroom.api.sys.rate_limit import RateLimiter
from strongroom.api.sys.share_attempts import Attempts, UnknownAttempt
from strongroom.crypto import system_random
from strongroom.errors import ThrottlingException


class ManualClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_each_attempt_has_its_own_nonce_and_collector() -> None:
    clock = ManualClock()
    attempts: Attempts[list[str]] = Attempts(system_random, clock)
    first, second = attempts.start([]), attempts.start([])
    assert first.nonce != second.nonce and len(first.nonce) == 32
    attempts.get(first.nonce).collector.append("share")
    assert attempts.get(second.nonce).collector == []
    attempts.drop(second.nonce)
    with pytest.raises(UnknownAttempt):
        attempts.get(second.nonce)
    assert attempts.get(first.nonce).collector == ["share"]


def test_idle_attempts_expire_and_only_accepted_shares_keep_them() -> None:
    clock = ManualClock()
    attempts: Attempts[int] = Attempts(system_random, clock, ttl_seconds=60)
    kept, idle = attempts.start(1), attempts.start(2)
    clock.now += 40
    attempts.accepted(attempts.get(kept.nonce))
    attempts.get(idle.nonce)  # looked up (a refused share): not kept alive by that
    clock.now += 40  # idle: 80 s without an accepted share; kept: 40 s
    attempts.expire()
    assert attempts.get(kept.nonce).collector == 1
    with pytest.raises(UnknownAttempt):
        attempts.get(idle.nonce)


def test_strangers_crowd_out_strangers_never_the_operators() -> None:
    clock = ManualClock()
    attempts: Attempts[int] = Attempts(system_random, clock, limit=8, per_client=4)
    operators = attempts.start(0, "10.0.0.1")
    attempts.accepted(operators)
    clock.now += 600  # the operators are idle, fetching the next key holder
    for n in range(200):  # strangers from five addresses, their shares accepted too
        clock.now += 1
        stranger = attempts.start(n, f"10.9.9.{n % 5}")
        attempts.accepted(stranger)
        attempts.accepted(stranger)
    assert len(attempts) == 8
    assert attempts.get(operators.nonce).collector == 0  # still there, fewer shares and all


def test_one_address_at_its_cap_gives_up_its_own_weakest_attempt() -> None:
    clock = ManualClock()
    attempts: Attempts[int] = Attempts(system_random, clock, limit=64, per_client=2)
    strong = attempts.start(1, "10.9.9.1")
    attempts.accepted(strong)
    attempts.accepted(strong)
    weak = attempts.start(2, "10.9.9.1")
    other = attempts.start(3, "10.0.0.1")
    attempts.start(4, "10.9.9.1")  # its address is at the cap: its weakest goes
    with pytest.raises(UnknownAttempt):
        attempts.get(weak.nonce)
    assert attempts.get(strong.nonce).collector == 1
    assert attempts.get(other.nonce).collector == 3


def test_the_rate_limit_refills_over_time_per_address() -> None:
    clock = ManualClock()
    limiter = RateLimiter(clock, burst=3, refill_seconds=10)
    for _ in range(3):
        limiter.check("10.0.0.1")
    with pytest.raises(ThrottlingException):
        limiter.check("10.0.0.1")
    limiter.check("10.0.0.2")  # another address has its own bucket
    clock.now += 10
    limiter.check("10.0.0.1")  # one token back after one refill period
    with pytest.raises(ThrottlingException):
        limiter.check("10.0.0.1")


def test_refused_calls_do_not_earn_tokens() -> None:
    clock = ManualClock()
    limiter = RateLimiter(clock, burst=1, refill_seconds=10)
    limiter.check(None)
    for _ in range(5):
        clock.now += 1
        with pytest.raises(ThrottlingException):
            limiter.check(None)
    clock.now += 5  # 10 s since the last token was taken
    limiter.check(None)


def test_the_rate_limiter_memory_is_bounded_and_forgets_the_oldest_first() -> None:
    clock = ManualClock()
    limiter = RateLimiter(clock, burst=2, refill_seconds=100, max_clients=100)
    limiter.check("busy")
    limiter.check("busy")
    for n in range(99):
        limiter.check(f"addr-{n}")
    with pytest.raises(ThrottlingException):  # still remembered: most recently used
        limiter.check("busy")
    for n in range(1000):
        limiter.check(f"other-{n}")
    assert len(limiter._buckets) <= 100
