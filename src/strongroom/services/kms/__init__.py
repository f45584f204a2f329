"""AWS KMS, spoken without HTTP: `OPERATIONS[name](kms, caller, **params)`."""

from strongroom.services.kms import aliases, cryptographic, keys, policies, rotation, tags
from strongroom.services.kms.maintenance import MaintenanceReport, run_maintenance
from strongroom.services.kms.repository import KmsRepository
from strongroom.services.kms.service import Kms, Operation

OPERATIONS: dict[str, Operation] = {
    **keys.OPERATIONS,
    **cryptographic.OPERATIONS,
    **aliases.OPERATIONS,
    **tags.OPERATIONS,
    **policies.OPERATIONS,
    **rotation.OPERATIONS,
}

__all__ = [
    "OPERATIONS",
    "Kms",
    "KmsRepository",
    "MaintenanceReport",
    "Operation",
    "run_maintenance",
]
