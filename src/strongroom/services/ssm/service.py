"""The Parameter Store service's dependencies and the lookups every operation shares.

`ParameterStore` is built once by the package's `plugin`; operations are plain functions
`(ps, caller, **params)`. An operation on one parameter gets it from
`authorized_parameter` (read-only) or `parameter_to_change` (a private copy): authorized
on the ARN its name makes, then found, so authorizing first is structural.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from strongroom.clock import Clock
from strongroom.crypto import RandomBytes
from strongroom.errors import ParameterNotFound, StrongroomError
from strongroom.services.caller import Caller
from strongroom.services.kms_envelope import KmsEnvelope
from strongroom.services.plugin import Operation as Operation  # re-exported to the operations
from strongroom.services.plugin import ServicePlugin
from strongroom.services.ssm.names import is_well_formed, parameter_arn
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


def authorized_name(caller: Caller, action: str, name: str, missing: Missing = _not_found) -> None:
    """Authorize `action` on the ARN `name` makes, before anything is looked up (AWS
    evaluates the ARN the name makes, so a refusal says nothing of whether it exists); a
    name out of form names nothing and is never looked up."""
    caller.authorize(action, arn_of(caller, name))
    if not is_well_formed(name):
        raise missing(name)


def authorized_parameter(
    ps: ParameterStore, caller: Caller, action: str, name: str, missing: Missing = _not_found
) -> ParameterRecord:
    """The parameter (shared, read-only) once `caller` may do `action` on it."""
    authorized_name(caller, action, name, missing)
    record = ps.repository.parameter(caller.account_id, caller.region, name)
    if record is None:
        raise missing(name)
    return record


def parameter_to_change(
    ps: ParameterStore, caller: Caller, action: str, name: str, missing: Missing = _not_found
) -> ParameterRecord:
    """Like `authorized_parameter`, but a private copy read inside the operation's
    transaction, to change and `save`."""
    authorized_name(caller, action, name, missing)
    record = ps.repository.load(caller.account_id, caller.region, name)
    if record is None:
        raise missing(name)
    return record


def user_arn(caller: Caller) -> str:
    """`LastModifiedUser`: the caller's ARN."""
    return caller.principal.arn(caller.partition)
