"""AWS Secrets Manager, spoken without HTTP: `OPERATIONS[name](sm, caller, **params)`.

`plugin(...)` is the package's one factory: `app.py` gets everything it wires from it.
Secrets Manager stands on KMS, reached only through KMS's operation functions (the KMS
plug-in it is given), never its storage.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from strongroom.barrier import Barrier, View
from strongroom.clock import Clock
from strongroom.crypto import RandomBytes
from strongroom.process_identity import holder_id
from strongroom.services.caller import AllowAuthenticated, Authorizer, Caller
from strongroom.services.kms_envelope import KmsEnvelope
from strongroom.services.plugin import Job, ServicePlugin
from strongroom.services.secretsmanager import (
    listing,
    replication,
    resource_policies,
    rotation,
    secret_values,
    secrets,
    tags,
)
from strongroom.services.secretsmanager.functions_gateway import FunctionsGateway
from strongroom.services.secretsmanager.kms_gateway import KmsGateway
from strongroom.services.secretsmanager.passwords import random_password
from strongroom.services.secretsmanager.repository import SecretsRepository
from strongroom.services.secretsmanager.rotation_engine import RotationEngine
from strongroom.services.secretsmanager.service import Operation, SecretsManager

PREFIX = "secretsmanager/"
"""Secrets, their sealed values and indexes, by account and region (see `repository`)."""


def get_random_password(
    sm: SecretsManager,
    caller: Caller,
    *,
    PasswordLength: int = 32,
    ExcludeCharacters: str = "",
    ExcludeNumbers: bool = False,
    ExcludePunctuation: bool = False,
    ExcludeUppercase: bool = False,
    ExcludeLowercase: bool = False,
    IncludeSpace: bool = False,
    RequireEachIncludedType: bool = True,
) -> dict[str, Any]:
    """GetRandomPassword, from the server's CSPRNG."""
    caller.authorize("secretsmanager:GetRandomPassword", "*")
    password = random_password(
        sm.random,
        PasswordLength=PasswordLength,
        ExcludeCharacters=ExcludeCharacters,
        ExcludeNumbers=ExcludeNumbers,
        ExcludePunctuation=ExcludePunctuation,
        ExcludeUppercase=ExcludeUppercase,
        ExcludeLowercase=ExcludeLowercase,
        IncludeSpace=IncludeSpace,
        RequireEachIncludedType=RequireEachIncludedType,
    )
    return {"RandomPassword": password}


OPERATIONS: dict[str, Operation] = {
    **secrets.OPERATIONS,
    **secret_values.OPERATIONS,
    **listing.OPERATIONS,
    **tags.OPERATIONS,
    **resource_policies.OPERATIONS,
    **replication.OPERATIONS,
    **rotation.OPERATIONS,
    "GetRandomPassword": get_random_password,
}


def plugin(
    barrier: Barrier,
    kms: ServicePlugin,
    clock: Clock,
    random: RandomBytes,
    functions: ServicePlugin | None = None,
    *,
    authorizer: Authorizer | None = None,
    is_leader: Callable[[], bool] = lambda: True,
) -> ServicePlugin:
    """Secrets Manager over `barrier`, encrypting through the `kms` plug-in and rotating
    through the `functions` (Lambda) plug-in; `is_leader` tells whether this process runs
    the scheduler's jobs (only the leader starts rotations)."""
    gateway = KmsGateway(KmsEnvelope("secretsmanager", kms, random))
    sm = SecretsManager(SecretsRepository(View(barrier, PREFIX)), gateway, clock, random)
    jobs: list[Job] = [lambda: secrets.destroy_due(sm)]
    stop: Callable[[], None] | None = None
    if functions is not None:
        sm.functions = FunctionsGateway(functions, authorizer or AllowAuthenticated())
        engine = RotationEngine(sm, sm.functions, is_leader, holder_id(random(8).hex()))
        sm.wake_rotations = engine.wake
        jobs.append(engine.tick)
        stop = engine.stop
    return ServicePlugin(
        model="secretsmanager",
        operations=OPERATIONS,
        context=sm,
        prefixes=(PREFIX,),
        forget=sm.repository.forget,
        reset=sm.repository.forget,
        jobs=tuple(jobs),
        stop=stop,
    )


__all__ = ["OPERATIONS", "PREFIX", "SecretsManager", "plugin"]
