"""Principals and their access keys."""

from strongroom.identity.access_keys import (
    ACCESS_KEYS_PER_USER,
    ACTIVE,
    INACTIVE,
    AccessKey,
    AccessKeyStore,
    LastUsed,
)
from strongroom.identity.dev_key import dev_access_key
from strongroom.identity.principal import Principal

__all__ = [
    "ACCESS_KEYS_PER_USER",
    "ACTIVE",
    "INACTIVE",
    "AccessKey",
    "AccessKeyStore",
    "LastUsed",
    "Principal",
    "dev_access_key",
]
