"""What one service package hands `app.py`: everything needed to serve and maintain it.

Each service package has one factory, `plugin(barrier, keystores, clock, random)`,
returning a `ServicePlugin`; `app.py` loops over the plugins, so adding a service is one
line there. The plugin names its botocore model; `app.py` binds the model (services know
no HTTP and no botocore). Invariants:
- `prefixes` are the barrier subtrees the service alone writes; the dev reset deletes
  them, then calls `reset`.
- `forget` drops every secret or record the service caches in memory; it runs when the
  process seals (and must not touch storage: the barrier is closed by then).
- `jobs` run on the leader's scheduler ticks, in order, each after the tick's refresh;
  `local_jobs` on every process's ticks (what only that process's memory holds).
- `blocking` names operations that may wait on this same server (Lambda's Invoke runs a
  function that calls back over HTTP) or compute for long (KMS making an RSA key): the
  server runs them in worker threads, off the event loop, so they cannot deadlock or stall
  it. Everything else runs on the loop.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

Operation = Callable[..., dict[str, Any]]
"""An operation: `(context, caller, **params) -> result`, in AWS's vocabulary."""

Job = Callable[[], object]
"""A scheduled job: idempotent, restart-safe, raising on failure (retried next tick)."""


@dataclass(frozen=True, slots=True)
class ServicePlugin:
    """One AWS service as `app.py` wires it."""

    model: str
    """botocore's name for the service model (`kms`, `secretsmanager`, `ssm`)."""
    operations: Mapping[str, Operation]
    """Operation name (as in the model) -> function."""
    context: object
    """The first argument of every operation (the service's dependencies)."""
    prefixes: tuple[str, ...]
    """Barrier prefixes the service owns (each ends with "/")."""
    forget: Callable[[], None]
    """Drop cached records and secrets (on seal)."""
    reset: Callable[[], None]
    """After the dev reset deleted `prefixes`: drop what memory still holds of them."""
    jobs: tuple[Job, ...] = ()
    """Leader-only background work, run on every scheduler tick."""
    local_jobs: tuple[Job, ...] = ()
    """Every process's own upkeep, run on each of its scheduler ticks, leader or not."""
    stop: Callable[[], None] | None = None
    """At shut-down: start no more background work (runs under way may finish)."""
    blocking: frozenset[str] = frozenset()
    """Operations (names as in `operations`) that must run off the event loop."""
