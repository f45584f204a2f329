"""AWS Lambda's API, the subset rotation functions need, spoken without HTTP:
`OPERATIONS[name](lam, caller, **params)`.

`plugin(...)` is the package's one factory: `app.py` gets everything it wires from it.
Functions are Python .zip packages (or Strongroom's built-in rotators), stored in the
barrier and run, each invocation in a process of its own, by the injected `invoke`
(`strongroom.functions.invoke`) with temporary credentials from the injected issuer.
Other services call functions through `invoke_function` (or the Invoke operation), so
authorization and audit apply as to any caller.
"""

from __future__ import annotations

import threading

from strongroom.barrier import Barrier, View
from strongroom.clock import Clock
from strongroom.crypto import RandomBytes
from strongroom.services.awslambda import (
    invocation,
    lifecycle,
    permissions,
    reading,
    updates,
)
from strongroom.services.awslambda.builtin_functions import BUILTINS
from strongroom.services.awslambda.credentials import CredentialIssuer
from strongroom.services.awslambda.event_queue import EventQueue
from strongroom.services.awslambda.invocation import SYNC_SLOTS, invoke_function
from strongroom.services.awslambda.repository import FunctionsRepository
from strongroom.services.awslambda.roles import RoleTrust
from strongroom.services.awslambda.service import Invoker, Lambda, Operation
from strongroom.services.plugin import ServicePlugin

PREFIX = "lambda/"
"""Functions, their code and their policies, by account and region (see `repository`)."""

OPERATIONS: dict[str, Operation] = {
    **lifecycle.OPERATIONS,
    **reading.OPERATIONS,
    **updates.OPERATIONS,
    **invocation.OPERATIONS,
    **permissions.OPERATIONS,
}


def plugin(
    barrier: Barrier,
    clock: Clock,
    random: RandomBytes,
    *,
    invoke: Invoker,
    credentials: CredentialIssuer,
    endpoint_url: str,
    ca_bundle: str | None,
    allow_code: bool,
    role_trust: RoleTrust | None = None,
) -> ServicePlugin:
    """Lambda over `barrier`: functions run by `invoke` with credentials from
    `credentials`, reaching Strongroom at `endpoint_url` (trusting `ca_bundle`); their
    code may be created or updated only when `allow_code`; their roles are looked up in
    IAM with `role_trust`."""
    lam = Lambda(
        repository=FunctionsRepository(View(barrier, PREFIX)),
        clock=clock,
        random=random,
        invoke=invoke,
        credentials=credentials,
        endpoint_url=endpoint_url,
        ca_bundle=ca_bundle,
        allow_code=allow_code,
        background=EventQueue(),
        slots=threading.BoundedSemaphore(SYNC_SLOTS),
        role_trust=role_trust,
    )
    return ServicePlugin(
        model="lambda",
        operations=OPERATIONS,
        context=lam,
        prefixes=(PREFIX,),
        forget=lam.repository.forget,
        reset=lam.repository.forget,
        # Invoke waits on a function that may call back; a code upload checks and seals
        # up to 50 MB of zip: neither may hold the event loop.
        blocking=frozenset({"Invoke", "CreateFunction", "UpdateFunctionCode"}),
    )


__all__ = [
    "BUILTINS",
    "OPERATIONS",
    "PREFIX",
    "CredentialIssuer",
    "Invoker",
    "Lambda",
    "invoke_function",
    "plugin",
]
