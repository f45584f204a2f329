"""Principals, their access keys and temporary credentials."""

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
from strongroom.identity.sessions import (
    FunctionCredentials,
    RoleScope,
    Session,
    SessionStore,
    is_session_id,
)

__all__ = [
    "ACCESS_KEYS_PER_USER",
    "ACTIVE",
    "INACTIVE",
    "AccessKey",
    "AccessKeyStore",
    "FunctionCredentials",
    "LastUsed",
    "Principal",
    "RoleScope",
    "Session",
    "SessionStore",
    "dev_access_key",
    "is_session_id",
]
