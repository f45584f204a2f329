"""AWS KMS, spoken without HTTP: `OPERATIONS[name](kms, caller, **params)`.

`plugin(...)` is the package's one factory: `app.py` gets everything it wires from it.
"""

from collections.abc import Mapping

from strongroom.barrier import Barrier, View
from strongroom.clock import Clock
from strongroom.crypto import RandomBytes
from strongroom.keystores import KeyStore
from strongroom.services.kms import (
    aliases,
    cryptographic,
    data_key_pairs,
    grant_token,
    grants,
    imports,
    key_agreement,
    key_usage,
    keys,
    mac,
    multi_region,
    policies,
    rotation,
    signing,
    tags,
)
from strongroom.services.kms.maintenance import MaintenanceReport, run_maintenance
from strongroom.services.kms.managed_keys import aws_managed_key
from strongroom.services.kms.repository import KmsRepository
from strongroom.services.kms.service import Kms, Operation
from strongroom.services.plugin import ServicePlugin

PREFIX = "kms/"
"""Keys, aliases and grants, by account and region, and the scheduler's due index (see
`repository` and `due_index`)."""

OPERATIONS: dict[str, Operation] = grant_token.checking_tokens(
    {
        **keys.OPERATIONS,
        **cryptographic.OPERATIONS,
        **aliases.OPERATIONS,
        **tags.OPERATIONS,
        **policies.OPERATIONS,
        **rotation.OPERATIONS,
        **signing.OPERATIONS,
        **mac.OPERATIONS,
        **key_agreement.OPERATIONS,
        **data_key_pairs.OPERATIONS,
        **multi_region.OPERATIONS,
        **imports.OPERATIONS,
        **key_usage.OPERATIONS,
        **grants.OPERATIONS,
    }
)


SLOW_OPERATIONS = frozenset(
    {
        "CreateKey",
        "GetParametersForImport",
        "ImportKeyMaterial",
        "GenerateDataKeyPair",
        "GenerateDataKeyPairWithoutPlaintext",
    }
)
"""Operations that may make or check an RSA key (a second or more for RSA_4096): run off
the event loop, so that other requests are not held up meanwhile."""


def plugin(
    barrier: Barrier, keystores: Mapping[str, KeyStore], clock: Clock, random: RandomBytes
) -> ServicePlugin:
    """KMS over `barrier`, its key material in `keystores` (by name)."""
    kms = Kms(KmsRepository(View(barrier, PREFIX)), dict(keystores), clock, random)
    return ServicePlugin(
        model="kms",
        operations=OPERATIONS,
        context=kms,
        prefixes=(PREFIX,),
        forget=kms.forget_everything,
        reset=kms.forget_everything,
        jobs=(lambda: run_maintenance(kms),),
        local_jobs=(kms.usage.flush,),
        stop=kms.usage.flush_all,
        blocking=SLOW_OPERATIONS,
    )


__all__ = [
    "OPERATIONS",
    "PREFIX",
    "Kms",
    "KmsRepository",
    "MaintenanceReport",
    "Operation",
    "aws_managed_key",
    "plugin",
    "run_maintenance",
]
