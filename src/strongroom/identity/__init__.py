"""Principals and their access keys."""

from strongroom.identity.access_keys import AccessKey, AccessKeyStore
from strongroom.identity.principal import Principal

__all__ = ["AccessKey", "AccessKeyStore", "Principal"]
