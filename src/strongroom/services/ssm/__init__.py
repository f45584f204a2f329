"""AWS Systems Manager Parameter Store, spoken without HTTP: `OPERATIONS[name](ps, caller,
**params)`. Every other SSM operation is answered by the dispatcher as not supported.

`plugin(...)` is the package's one factory: `app.py` gets everything it wires from it.
Parameter Store stands on KMS (SecureString), reached only through KMS's operation
functions, and hands its change events to the outbox it is given.
"""

from __future__ import annotations

from strongroom.barrier import Barrier, View
from strongroom.clock import Clock
from strongroom.crypto import RandomBytes
from strongroom.services.kms_envelope import KmsEnvelope
from strongroom.services.plugin import ServicePlugin
from strongroom.services.ssm import labels, parameters, reading, tags
from strongroom.services.ssm.policy_actions import run_due
from strongroom.services.ssm.repository import ParametersRepository
from strongroom.services.ssm.service import Emit, Operation, ParameterStore

PREFIX = "ssm/"
"""Parameters, their versions and due policy work (see `repository`)."""

OPERATIONS: dict[str, Operation] = {
    **parameters.OPERATIONS,
    **reading.OPERATIONS,
    **labels.OPERATIONS,
    **tags.OPERATIONS,
}


def plugin(
    barrier: Barrier,
    kms: ServicePlugin,
    clock: Clock,
    random: RandomBytes,
    emit: Emit | None,
    secrets: ServicePlugin | None = None,
) -> ServicePlugin:
    """Parameter Store over `barrier`, encrypting through the `kms` plug-in, its events
    handed to `emit`, secret references read through the `secrets` plug-in."""
    ps = ParameterStore(
        ParametersRepository(View(barrier, PREFIX)),
        KmsEnvelope("ssm", kms, random),
        clock,
        random,
        emit,
        secrets,
    )
    return ServicePlugin(
        model="ssm",
        operations=OPERATIONS,
        context=ps,
        prefixes=(PREFIX,),
        forget=ps.repository.forget,
        reset=ps.repository.forget,
        jobs=(lambda: run_due(ps),),
    )


__all__ = ["OPERATIONS", "PREFIX", "ParameterStore", "plugin"]
