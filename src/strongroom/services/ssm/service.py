"""The Parameter Store service's dependencies and the lookups every operation shares.

`ParameterStore` is built once by the package's `plugin`; operations are plain functions
`(ps, caller, **params)`. An operation on one parameter gets it from
`authorized_parameter` (read-only) or `parameter_to_change` (a private copy): authorized
on the ARN its name makes (with its tags when it exists: see `parameter_access`) before
anything about it is answered, so authorizing first is structural.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from strongroom.clock import Clock
from strongroom.crypto import RandomBytes
from strongroom.errors import ParameterNotFound, StrongroomError
from strongroom.services.caller import NO_CONTEXT, Caller, Context
from strongroom.services.kms_envelope import KmsEnvelope
from strongroom.services.plugin import Operation as Operation  # re-exported to the operations
from strongroom.services.plugin import ServicePlugin
from strongroom.services.ssm.names import is_well_formed, parameter_arn
from strongroom.services.ssm.parameter_access import ParameterAccess
from strongroom.services.ssm.records import ParameterRecord
from strongroom.services.ssm.repository import ParametersRepository

Emit = Callable[[dict[str, Any]], None]
"""Hands an event to the outbox; inside a transaction, it commits with it."""


@dataclass(slots=True)
class ParameterStore:
    """What Parameter Store operations work with."""

    repository: ParametersRepository
    kms: KmsEnvelope
    clock: Clock
    random: RandomBytes
    emit: Emit | None
    """Where change events go; None when no one receives them (no event is even built)."""
    secrets: ServicePlugin | None = None
    """Secrets Manager, for `/aws/reference/secretsmanager/...` (None without it)."""
    access: ParameterAccess = field(default_factory=ParameterAccess)
    """Authorizes operations on one parameter."""

    def forget_caches(self) -> None:
        """Drop cached records, KMS's too (a rolled-back write may have made the managed
        key inside the same transaction)."""
        self.repository.forget()
        self.kms.forget()


OperationT = TypeVar("OperationT", bound=Operation)


def writes(operation: OperationT) -> OperationT:
    """Run a mutating operation as one storage transaction (see KMS's `writes`): its
    reads and writes, KMS's and the events' included, commit together or not at all."""

    @functools.wraps(operation)
    def run(ps: ParameterStore, caller: Caller, **params: Any) -> dict[str, Any]:
        try:
            with ps.repository.transaction():
                return operation(ps, caller, **params)
        except BaseException:
            ps.forget_caches()
            raise

    return run  # type: ignore[return-value]


def arn_of(caller: Caller, name: str) -> str:
    """The ARN a parameter of that name has (or would have) in the caller's namespace."""
    return parameter_arn(caller.partition, caller.region, caller.account_id, name)


Missing = Callable[[str], StrongroomError]
"""The error for a name that names no parameter (ParameterNotFound, InvalidResourceId)."""


def _not_found(name: str) -> StrongroomError:
    return ParameterNotFound(f"Parameter {name} not found.")


def _authorized(
    ps: ParameterStore,
    caller: Caller,
    action: str,
    name: str,
    missing: Missing,
    context: Context,
    *,
    private: bool,
) -> ParameterRecord:
    """Authorize `action` on the ARN `name` makes, with the parameter's tags if it exists
    (AWS evaluates that ARN whether it exists or not, so a refusal says nothing of it); a
    name out of form names nothing and is never looked up."""
    record = None
    if is_well_formed(name):
        repository = ps.repository
        read = repository.load if private else repository.parameter
        record = read(caller.account_id, caller.region, name)
    ps.access.authorize(caller, action, arn_of(caller, name), record, context, shared=not private)
    if record is None:
        raise missing(name)
    return record


def authorized_parameter(
    ps: ParameterStore,
    caller: Caller,
    action: str,
    name: str,
    missing: Missing = _not_found,
    context: Context = NO_CONTEXT,
) -> ParameterRecord:
    """The parameter (shared, read-only) once `caller` may do `action` on it."""
    return _authorized(ps, caller, action, name, missing, context, private=False)


def parameter_to_change(
    ps: ParameterStore,
    caller: Caller,
    action: str,
    name: str,
    missing: Missing = _not_found,
    context: Context = NO_CONTEXT,
) -> ParameterRecord:
    """Like `authorized_parameter`, but a private copy read inside the operation's
    transaction (authorized as it is there), to change and `save`."""
    return _authorized(ps, caller, action, name, missing, context, private=True)


def user_arn(caller: Caller) -> str:
    """`LastModifiedUser`: the caller's ARN."""
    return caller.principal.arn(caller.partition)
