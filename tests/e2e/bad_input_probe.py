"""One operation's bad requests against a live server, each answer judged as it comes.

An operation Strongroom serves must answer a success or a 4xx that carries an AWS error
code, never a 5xx, and a 4xx where the request must fail; one it does not serve must
answer UnsupportedOperationException (400) to everything, and change nothing at all. The
state the test names (`state(client, ctx)`) is compared after every refused request
(`compare_each`), or only once at the end, for an operation not served that answers
before reading anything. `finish` fails the test with every wrong answer at once, and with
any traceback the server logged meanwhile.

The bad requests come from the model (`send_junk`, `send_out_of_bounds`,
`send_wrong_types`, `send_without_each_required`) or from the test (`send`);
`walk_tests` makes a service's four model-walking tests, one probe per operation.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic

import pytest
from botocore import xform_name

from tests.e2e.harness import ServerProcess
from tests.e2e.model_walk import JUNK, WRONG_TYPES, C, Walk, out_of_bounds
from tests.e2e.raw_requests import post_params, status_and_code
from tests.e2e.server_log import assert_no_traceback


@dataclass
class Probe(Generic[C]):
    """Sends `operation`'s bad requests through `client` (or raw), checking each answer.

    `ctx`: the real resources the plausible members name; `since`: the length of the
    server's log when the test began."""

    server: ServerProcess
    client: Any
    walk: Walk[C]
    operation: str
    ctx: C
    state: Callable[[Any, C], Any]
    since: int
    served: bool
    compare_each: bool = True
    wrong: list[str] = field(default_factory=list)
    sent: int = 0

    def __post_init__(self) -> None:
        self.initial = self.before = self.state(self.client, self.ctx)

    def send(self, label: str, params: dict[str, Any], *, must_fail: bool, raw: bool) -> None:
        """Send one request (`raw`: as signed JSON, whatever the types) and judge it."""
        if raw:
            status, code = post_params(self.server, self.walk.model, self.operation, params)
        else:
            status, code = status_and_code(getattr(self.client, xform_name(self.operation)), params)
        self.sent += 1
        self._judge(label, status, code, must_fail)
        if not self.compare_each:
            return
        after = self.state(self.client, self.ctx)
        if status != 200 and after != self.before:
            self.wrong.append(f"{label}: refused ({status} {code}) but the state changed")
        self.before = after

    def send_junk(self) -> None:
        """`JUNK` in every string slot: a success or a 4xx."""
        for where, shape, params in self.walk.slots(self.operation):
            if shape.type_name != "string":
                continue
            for label, bad in JUNK.items():
                self.send(f"{where} <- {label}", params(bad, self.ctx), must_fail=False, raw=False)

    def send_out_of_bounds(self, filler: str) -> None:
        """Every slot just past each of its bounds (see `out_of_bounds`): refused."""
        for where, shape, params in self.walk.slots(self.operation):
            for label, bad in out_of_bounds(shape, filler):
                self.send(f"{where} {label}", params(bad, self.ctx), must_fail=True, raw=False)

    def send_wrong_types(self) -> None:
        """Every slot holding each wrong JSON type, sent raw: refused."""
        for where, shape, params in self.walk.slots(self.operation):
            for bad in WRONG_TYPES.get(shape.type_name, []):
                label = f"{where} <- {json.dumps(bad)[:20]}"
                self.send(label, params(bad, self.ctx), must_fail=True, raw=True)

    def send_without_each_required(self) -> None:
        """The plausible base without each required member in turn, then an empty body:
        refused."""
        for member in self.walk.input(self.operation).required_members:
            params = self.walk.base(self.operation, self.ctx)
            del params[member]
            self.send(f"{member} missing", params, must_fail=True, raw=False)
        self.send("empty body", {}, must_fail=True, raw=False)

    def _judge(self, label: str, status: int, code: str, must_fail: bool) -> None:
        if not self.served:
            if (status, code) != (400, "UnsupportedOperationException"):
                self.wrong.append(f"{label}: {status} {code} (not served by Strongroom)")
        elif status >= 500 or not (status == 200 or 400 <= status < 500):
            self.wrong.append(f"{label}: {status} {code}")
        elif status == 200 and must_fail:
            self.wrong.append(f"{label}: accepted (200), must be refused")
        elif status != 200 and not code:
            self.wrong.append(f"{label}: {status} without an AWS error code")

    def finish(self) -> None:
        """Fail with every wrong answer, and with any traceback logged since the start."""
        assert self.sent or not self.walk.input(self.operation).members
        if not self.served and self.state(self.client, self.ctx) != self.initial:
            self.wrong.append("an operation not served changed the state")
        assert not self.wrong, f"{self.operation}:\n" + "\n".join(self.wrong)
        assert_no_traceback(self.server, self.since)


def walk_tests(
    walk: Walk[C],
    operations: list[str],
    probe: Callable[[ServerProcess, str], Probe[C]],
    filler: str,
) -> tuple[Callable[[ServerProcess, str], None], ...]:
    """The four model-walking tests, parametrized by operation, for a test module to bind
    as its own: junk text, a missing required member, out of bounds, wrong types."""

    @pytest.mark.parametrize("operation", operations)
    def junk(server: ServerProcess, operation: str) -> None:
        started = probe(server, operation)
        started.send_junk()
        started.finish()

    @pytest.mark.parametrize(
        "operation", [op for op in operations if walk.input(op).required_members]
    )
    def missing(server: ServerProcess, operation: str) -> None:
        started = probe(server, operation)
        started.send_without_each_required()
        started.finish()

    @pytest.mark.parametrize("operation", operations)
    def out_of_bounds(server: ServerProcess, operation: str) -> None:
        started = probe(server, operation)
        started.send_out_of_bounds(filler)
        started.finish()

    @pytest.mark.parametrize("operation", operations)
    def wrong_types(server: ServerProcess, operation: str) -> None:
        started = probe(server, operation)
        started.send_wrong_types()
        started.finish()

    return junk, missing, out_of_bounds, wrong_types
