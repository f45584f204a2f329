"""A world for STS unit tests: IAM's world, a session store on a clock the test moves, and
an access-key store that knows the sessions (as the edge's)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tests.unit.services.iam.iam_world import ACCOUNT, REGION, ROOT, World

from strongroom.barrier import Barrier, View
from strongroom.clock import Clock
from strongroom.crypto import system_random
from strongroom.identity import AccessKeyStore, Principal, SessionStore
from strongroom.policy import Verdict
from strongroom.services import iam as iam_service
from strongroom.services.caller import (
    ALLOWED,
    AllowAuthenticated,
    Authorizer,
    Caller,
    Context,
    ResourcePolicy,
)
from strongroom.services.iam import Iam
from strongroom.services.sts import OPERATIONS, Sts, plugin
from strongroom.storage.memory import MemoryStorage

__all__ = ["ACCOUNT", "REGION", "ROOT", "Asks", "MovingClock", "StsWorld", "make_sts_world"]


class MovingClock(Clock):
    """A clock the test moves by hand (sessions and services alike)."""

    def __init__(self) -> None:
        super().__init__()
        self.current = 1_700_000_000.0

    def now(self) -> float:
        return self.current


class Asks:
    """Allows everything; records each question."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, str, str]] = []

    def decide(
        self,
        caller: Caller,
        action: str,
        resource: str,
        context: Context,
        resource_policy: ResourcePolicy | None,
    ) -> Verdict:
        self.asked.append((caller.principal.arn(caller.partition), action, resource))
        return ALLOWED


@dataclass
class StsWorld:
    iam: World
    sts: Sts
    sessions: SessionStore
    keys: AccessKeyStore
    clock: MovingClock
    identity: View
    """The `identity/` view the session and access-key stores see."""

    def call(
        self, operation: str, principal: Principal, authorizer: Authorizer | None = None, **p: Any
    ) -> Any:
        caller = Caller(principal, REGION, authorizer or AllowAuthenticated())
        return OPERATIONS[operation](self.sts, caller, **p)

    def user(self, name: str, path: str = "/") -> tuple[Principal, dict[str, Any]]:
        """A new IAM user (made by the root) and a principal for a long-term key of it."""
        user = self.iam.call("CreateUser", UserName=name, Path=path)["User"]
        key = self.iam.call("CreateAccessKey", UserName=name)["AccessKey"]
        return Principal(key["AccessKeyId"], ACCOUNT, name), user

    def principal_of(self, access_key_id: str) -> Principal:
        """The principal the edge would call with for this key id (it must be known)."""
        found = self.keys.find(access_key_id)
        assert found is not None
        return found.principal


def make_sts_world() -> StsWorld:
    """IAM and STS over one barrier, wired as `app.py` wires them."""
    storage = MemoryStorage()
    barrier = Barrier(storage)
    barrier.initialize(bytes(range(32)))
    clock = MovingClock()
    identity = View(barrier, "identity/")
    sessions = SessionStore(identity, system_random, clock.now)
    keys = AccessKeyStore(identity, system_random, clock, sessions=sessions)
    keys.create(ACCOUNT, "root", ROOT.access_key_id, "s" * 40)
    iam = iam_service.plugin(barrier, keys, clock, system_random)
    assert isinstance(iam.context, Iam)
    sts = plugin(iam.context, sessions)
    assert sts.model == "sts" and sts.prefixes == () and isinstance(sts.context, Sts)
    world = World(storage, iam.context, keys)
    return StsWorld(world, sts.context, sessions, keys, clock, identity)
