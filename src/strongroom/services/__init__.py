"""The services, in AWS vocabulary and without HTTP."""

from strongroom.services.caller import Caller, partition_of

__all__ = ["Caller", "partition_of"]
