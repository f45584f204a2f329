"""AWS IAM, spoken without HTTP: `OPERATIONS[name](iam, caller, **params)`.

Users, groups, roles, access keys, inline and managed policies, attachments,
permissions boundaries and the policy simulator, as AWS's IAM API has them, stored under
the barrier's `iam/` view (access keys in `identity.AccessKeyStore`). `policies_for` is
the read side the authorizer uses. `plugin(...)` is the package's one factory.
"""

import functools
from typing import Any

from strongroom.barrier import Barrier, View
from strongroom.clock import Clock
from strongroom.crypto import RandomBytes
from strongroom.errors import AccessDeniedException
from strongroom.identity import AccessKeyStore, is_session_id
from strongroom.services.caller import Caller
from strongroom.services.iam import (
    access_keys,
    attachments,
    boundaries,
    groups,
    inline_policies,
    policies,
    roles,
    simulation,
    users,
)
from strongroom.services.iam.principal_policies import policies_for
from strongroom.services.iam.repository import IamRepository
from strongroom.services.iam.service import Iam, Operation
from strongroom.services.plugin import ServicePlugin

PREFIX = "iam/"
"""Users, groups, roles and managed policies, by account (see `repository`)."""


def _refuse_session_tokens(operation: Operation) -> Operation:
    """As AWS: credentials from GetSessionToken call IAM only with MFA (not built), so a
    user's or the root's session cannot, say, mint a lasting access key."""

    @functools.wraps(operation)
    def run(iam: Iam, caller: Caller, **params: Any) -> dict[str, Any]:
        principal = caller.principal
        if is_session_id(principal.access_key_id) and principal.role_session is None:
            raise AccessDeniedException(
                "IAM cannot be called with credentials from GetSessionToken without MFA, "
                "which Strongroom does not support: sign with an access key."
            )
        return operation(iam, caller, **params)

    return run


OPERATIONS: dict[str, Operation] = {
    name: _refuse_session_tokens(operation)
    for name, operation in {
        **users.OPERATIONS,
        **access_keys.OPERATIONS,
        **groups.OPERATIONS,
        **roles.OPERATIONS,
        **inline_policies.OPERATIONS,
        **policies.OPERATIONS,
        **attachments.OPERATIONS,
        **boundaries.OPERATIONS,
        **simulation.OPERATIONS,
    }.items()
}


def plugin(
    barrier: Barrier, access_keys: AccessKeyStore, clock: Clock, random: RandomBytes
) -> ServicePlugin:
    """IAM over `barrier`; users' access keys in `access_keys` (SigV4's own store)."""
    iam = Iam(IamRepository(View(barrier, PREFIX)), access_keys, clock, random)
    return ServicePlugin(
        model="iam",
        operations=OPERATIONS,
        context=iam,
        prefixes=(PREFIX,),
        forget=iam.forget_caches,
        reset=iam.forget_caches,
    )


__all__ = [
    "OPERATIONS",
    "PREFIX",
    "Iam",
    "IamRepository",
    "Operation",
    "plugin",
    "policies_for",
]
