"""The Lambda service's dependencies and the lookups every operation shares.

`Lambda` is built once by the package's `plugin`; operations are plain functions
`(lam, caller, **params)`. A `FunctionName` is resolved as Lambda resolves it (see
`names`), always within the caller's partition and region. Because a function's ARN is
known from the request alone, every operation on one function authorizes on that ARN
before anything is read (`authorized_function`, `function_to_change`), then finds it, then
checks its state: authorize, find, check, in that order, structurally. A function of
another account is never found (cross-account access is not served).
"""

from __future__ import annotations

import functools
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any, TypeVar

from strongroom.clock import Clock
from strongroom.crypto import RandomBytes
from strongroom.errors import AccessDeniedException, InvalidParameterValueException
from strongroom.functions import Invocation, InvocationResult
from strongroom.services.awslambda.builtin_functions import builtin_function, is_builtin
from strongroom.services.awslambda.credentials import CredentialIssuer
from strongroom.services.awslambda.errors import PreconditionFailedException
from strongroom.services.awslambda.names import FunctionRef, not_found, resolve
from strongroom.services.awslambda.records import FunctionRecord
from strongroom.services.awslambda.repository import FunctionsRepository
from strongroom.services.awslambda.roles import RoleTrust
from strongroom.services.caller import Caller
from strongroom.services.plugin import Operation as Operation  # re-exported to the operations

Invoker = Callable[[Invocation], InvocationResult]
"""Runs one invocation in its own process and waits for it (`strongroom.functions.invoke`)."""

CODE_REFUSED = (
    "Strongroom refuses function code: creating or updating a function's code runs it on "
    "the Strongroom host, so the operator must first enable it with "
    "allow_function_code = true in strongroom.toml (or STRONGROOM_ALLOW_FUNCTION_CODE=true)."
)
STALE_REVISION = (
    "The Revision Id provided does not match the latest Revision Id. Call the "
    "GetFunction/GetAlias API to retrieve the latest Revision Id"
)


@dataclass(slots=True)
class Lambda:
    """What Lambda operations work with."""

    repository: FunctionsRepository
    clock: Clock
    random: RandomBytes
    invoke: Invoker
    credentials: CredentialIssuer
    endpoint_url: str
    """Where functions reach Strongroom (their AWS_ENDPOINT_URL)."""
    ca_bundle: str | None
    """The CA bundle functions trust for it (their AWS_CA_BUNDLE), if any."""
    allow_code: bool
    """Whether functions' code may be created or updated (the operator's choice)."""
    background: Executor
    """Where asynchronous (`Event`) invocations run."""
    slots: threading.BoundedSemaphore
    """Synchronous invocations running at once in this process, at most."""
    role_trust: RoleTrust | None = None
    """Finds an execution role's trust policy in IAM (None: no IAM wired; see `roles`)."""

    def new_id(self) -> str:
        """A random UUID (RevisionId, request id), from the injected randomness."""
        return str(uuid.UUID(bytes=self.random(16), version=4))

    def now(self) -> float:
        """The current time, to the millisecond."""
        return round(self.clock.now(), 3)


OperationT = TypeVar("OperationT", bound=Operation)


def writes(operation: OperationT) -> OperationT:
    """Run a mutating operation as one storage transaction: its reads and writes commit
    together or not at all; a rolled-back write leaves no cached trace."""

    @functools.wraps(operation)
    def run(lam: Lambda, caller: Caller, **params: Any) -> dict[str, Any]:
        try:
            with lam.repository.transaction():
                return operation(lam, caller, **params)
        except BaseException:
            lam.repository.forget()
            raise

    return run  # type: ignore[return-value]


def find_function(lam: Lambda, caller: Caller, ref: FunctionRef) -> FunctionRecord | None:
    """The function `ref` names (shared, read-only): built-in or stored, or None."""
    if ref.account != caller.account_id:
        return None
    if is_builtin(ref.name):
        policy = lam.repository.policy(ref.account, ref.region, ref.name)
        revision = None if policy is None else policy.revision_id
        return builtin_function(ref.partition, ref.region, ref.account, ref.name, revision)
    return lam.repository.function(ref.account, ref.region, ref.name)


def authorized_function(
    lam: Lambda, caller: Caller, action: str, function_name: str, qualifier: str | None = None
) -> FunctionRecord:
    """The function (shared, read-only), once `caller` may do `action` on it: authorize
    on the ARN the request names, then find `$LATEST`."""
    ref = resolve(caller, function_name, qualifier)
    caller.authorize(action, ref.resource)
    ref.require_latest()
    record = find_function(lam, caller, ref)
    if record is None:
        raise not_found(ref.resource)
    return record


def function_to_change(
    lam: Lambda, caller: Caller, action: str, function_name: str, qualifier: str | None = None
) -> FunctionRecord:
    """Like `authorized_function`, but a private copy of a stored function read inside the
    operation's transaction, to change and save; built-in functions are refused."""
    ref = resolve(caller, function_name, qualifier)
    caller.authorize(action, ref.resource)
    ref.require_latest()
    if ref.account == caller.account_id and is_builtin(ref.name):
        raise InvalidParameterValueException(
            f"{ref.name} is a Strongroom built-in function: it cannot be updated or deleted."
        )
    record = None
    if ref.account == caller.account_id:
        record = lam.repository.load(ref.account, ref.region, ref.name)
    if record is None:
        raise not_found(ref.resource)
    return record


def require_revision(record: FunctionRecord, revision_id: str | None) -> None:
    """Refuse a change made against another revision than the function's current one."""
    if revision_id is not None and revision_id != record.revision_id:
        raise PreconditionFailedException(STALE_REVISION)


def require_code_allowed(lam: Lambda) -> None:
    """Refuse a change of what code runs unless the operator allowed function code."""
    if not lam.allow_code:
        raise AccessDeniedException(CODE_REFUSED)
