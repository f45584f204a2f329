"""GetCallerIdentity: who signed the request.

As in AWS, it needs no permission and no policy can deny it: it asks the authorizer
nothing (the one operation here that does not authorize first, house rule 4's documented
exception), and answers every valid caller (see `service.identity_of`).
"""

from __future__ import annotations

from typing import Any

from strongroom.services.caller import Caller
from strongroom.services.sts.service import Operation, Sts, identity_of


def get_caller_identity(sts: Sts, caller: Caller) -> dict[str, Any]:
    """`{UserId, Account, Arn}` of the caller."""
    identity = identity_of(sts, caller)
    return {"UserId": identity.user_id, "Account": identity.account, "Arn": identity.arn}


OPERATIONS: dict[str, Operation] = {"GetCallerIdentity": get_caller_identity}
