"""A world for IAM unit tests: MemoryStorage, a barrier, the access key store and IAM.

`World.call(op, **params)` calls an operation as the account root (allowed everything);
`World.refused(op, **params)` calls it as a caller refused everything and checks it was
refused with AccessDenied after exactly one question, with storage left unchanged.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pytest

from strongroom.barrier import Barrier, View
from strongroom.clock import Clock
from strongroom.crypto import system_random
from strongroom.errors import AccessDeniedException, StrongroomError
from strongroom.identity import AccessKeyStore, Principal
from strongroom.policy import Verdict
from strongroom.services.caller import (
    DENIED,
    AllowAuthenticated,
    Caller,
    Context,
    ResourcePolicy,
)
from strongroom.services.iam import OPERATIONS, Iam, plugin
from strongroom.storage.memory import MemoryStorage

ACCOUNT = "111122223333"
REGION = "us-east-1"
ROOT = Principal("AKIAROOTROOTROOTROOT", ACCOUNT, "root")


class RefuseAll:
    """Refuses everything; records each question."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, str]] = []

    def decide(
        self,
        caller: Caller,
        action: str,
        resource: str,
        context: Context,
        resource_policy: ResourcePolicy | None,
    ) -> Verdict:
        self.asked.append((action, resource))
        return DENIED


def allow(actions: list[str], resources: str | list[str] = "*") -> str:
    """An identity policy document allowing `actions`."""
    statement = {"Effect": "Allow", "Action": actions, "Resource": resources}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
)


@dataclass
class World:
    storage: MemoryStorage
    iam: Iam
    keys: AccessKeyStore
    principal: Principal = field(default=ROOT)

    def caller(self, principal: Principal | None = None, authorizer: Any = None) -> Caller:
        return Caller(principal or self.principal, REGION, authorizer or AllowAuthenticated())

    def call(self, operation: str, *, as_: Principal | None = None, **params: Any) -> Any:
        return OPERATIONS[operation](self.iam, self.caller(as_), **params)

    def raw(self) -> dict[str, bytes]:
        return dict(self.storage.scan(""))

    def fails(self, error: type[StrongroomError], operation: str, **params: Any) -> StrongroomError:
        """The operation raises `error` and changes nothing stored."""
        before = self.raw()
        with pytest.raises(error) as info:
            self.call(operation, **params)
        assert self.raw() == before
        return info.value

    def refused(self, operation: str, action: str, resource: str, **params: Any) -> None:
        """A caller refused everything is asked one question and changes nothing."""
        authorizer = RefuseAll()
        before = self.raw()
        with pytest.raises(AccessDeniedException):
            OPERATIONS[operation](self.iam, self.caller(authorizer=authorizer), **params)
        assert authorizer.asked == [(action, resource)]
        assert self.raw() == before


def make_world() -> World:
    storage = MemoryStorage()
    barrier = Barrier(storage)
    barrier.initialize(bytes(range(32)))
    keys = AccessKeyStore(View(barrier, "identity/"), system_random, Clock())
    keys.create(ACCOUNT, "root", ROOT.access_key_id, "s" * 40)
    service = plugin(barrier, keys, Clock(), system_random)
    assert isinstance(service.context, Iam)
    return World(storage, service.context, keys)


def arn(kind: str, name: str, path: str = "/") -> str:
    return f"arn:aws:iam::{ACCOUNT}:{kind}{path}{name}"
