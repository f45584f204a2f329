"""The services, in AWS vocabulary and without HTTP; each package's `plugin` factory
returns the `ServicePlugin` that `app.py` wires."""

from strongroom.services.caller import Caller, partition_of
from strongroom.services.plugin import Job, Operation, ServicePlugin

__all__ = ["Caller", "Job", "Operation", "ServicePlugin", "partition_of"]
