"""A Lambda service over a real barrier on memory storage, with fakes only for what runs
functions and what issues their credentials (the process runner and the STS-like issuer
are other packages' and are tested there and end to end).

`FakeRunner` records each `Invocation` and answers what it is told; `FakeIssuer` records
issued and revoked credentials; `Inline` runs background work at once, so `Event`
invocations are observable without waiting.
"""

from __future__ import annotations

import io
import threading
import zipfile
from collections.abc import Callable
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field
from typing import Any

from strongroom.barrier import Barrier, View
from strongroom.clock import Clock
from strongroom.crypto import system_random
from strongroom.functions import Invocation, InvocationResult
from strongroom.identity import Principal
from strongroom.services.awslambda import OPERATIONS, PREFIX, Lambda
from strongroom.services.awslambda.repository import FunctionsRepository
from strongroom.services.caller import AllowAuthenticated, Caller
from strongroom.storage.memory import MemoryStorage

ACCOUNT = "111122223333"
REGION = "us-east-1"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/rotation"
ENDPOINT = "https://strongroom.test:8443"
PRINCIPAL = Principal("AKIAIOSFODNN7EXAMPLE", ACCOUNT, "alice")


def zip_of(files: dict[str, str]) -> bytes:
    """A zip holding `files` (name -> text)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


HANDLER_ZIP = zip_of({"lambda_function.py": "def lambda_handler(event, context):\n    return 1\n"})


class FakeRunner:
    """Stands for `strongroom.functions.invoke`: records, then answers `answer`."""

    def __init__(self) -> None:
        self.invocations: list[Invocation] = []
        self.answer = InvocationResult(b'{"ok": true}', None, 12.5, "START x\nhello\nEND x\n")
        self.raises: Exception | None = None

    def __call__(self, invocation: Invocation) -> InvocationResult:
        self.invocations.append(invocation)
        if self.raises is not None:
            raise self.raises
        return self.answer


@dataclass
class FakeIssuer:
    """Stands for the temporary-credentials issuer."""

    issued: list[tuple[str, str, str, float]] = field(default_factory=list)
    revoked: list[str] = field(default_factory=list)

    def issue(
        self, account_id: str, function_arn: str, role_arn: str, ttl_seconds: float
    ) -> tuple[str, str, str]:
        self.issued.append((account_id, function_arn, role_arn, ttl_seconds))
        number = len(self.issued)
        return f"ASIATEST{number:012d}", f"secret-{number}", f"token-{number}"

    def revoke(self, access_key_id: str) -> None:
        self.revoked.append(access_key_id)


class Inline(Executor):
    """Runs submitted work at once, on the caller's thread."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        future.set_result(fn(*args, **kwargs))
        return future


@dataclass
class World:
    storage: MemoryStorage
    lam: Lambda
    runner: FakeRunner
    issuer: FakeIssuer

    def raw(self) -> dict[str, bytes]:
        return dict(self.storage.scan(""))

    def call(self, name: str, who: Caller | None = None, **params: Any) -> dict[str, Any]:
        return OPERATIONS[name](self.lam, who or admin(), **params)

    def create(self, name: str = "rotator", **params: Any) -> dict[str, Any]:
        params.setdefault("Runtime", "python3.12")
        params.setdefault("Handler", "lambda_function.lambda_handler")
        params.setdefault("Role", ROLE)
        params.setdefault("Code", {"ZipFile": HANDLER_ZIP})
        return self.call("CreateFunction", FunctionName=name, **params)


def caller(
    authorizer: Any = None, region: str = REGION, principal: Principal = PRINCIPAL
) -> Caller:
    return Caller(principal, region, authorizer or AllowAuthenticated())


def admin(region: str = REGION) -> Caller:
    return caller(region=region)


def new_world(*, allow_code: bool = True, now: float = 1_700_000_000.0) -> World:
    """A fresh Lambda over an initialized barrier on memory storage."""
    storage = MemoryStorage()
    barrier = Barrier(storage)
    barrier.initialize(bytes(range(32)))
    runner, issuer = FakeRunner(), FakeIssuer()
    lam = Lambda(
        repository=FunctionsRepository(View(barrier, PREFIX)),
        clock=Clock(now - Clock().now()),
        random=system_random,
        invoke=runner,
        credentials=issuer,
        endpoint_url=ENDPOINT,
        ca_bundle="/etc/strongroom/ca.pem",
        allow_code=allow_code,
        background=Inline(),
        slots=threading.BoundedSemaphore(2),
    )
    return World(storage, lam, runner, issuer)
