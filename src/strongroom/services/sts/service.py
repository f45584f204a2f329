"""STS's dependencies and who the caller is, as STS names identities.

`Sts` is built once by the package's `plugin`; operations are plain functions
`(sts, caller, **params)`. STS keeps nothing of its own: temporary credentials live in
`identity.SessionStore`, and users, roles and managed policies are read (never
written) from IAM's repository: ids, paths, trust policies, maximum session durations and
session policies' documents. `Identity` is the caller as GetCallerIdentity
answers it; a user whose record is gone (deleted, or renamed, since its session was
issued) is no valid caller, and is refused as an unknown security token.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from strongroom.errors import UnrecognizedClientException
from strongroom.identity import Session, SessionStore
from strongroom.services.caller import Caller
from strongroom.services.iam import IamRepository
from strongroom.services.iam.records import ROLE, USER
from strongroom.services.plugin import Operation as Operation  # re-exported to the operations

INVALID_TOKEN = "The security token included in the request is invalid."
"""AWS's words for credentials that name no valid caller (InvalidClientTokenId)."""


@dataclass(slots=True)
class Sts:
    """What STS operations work with."""

    iam: IamRepository
    """IAM's records, read (never written) for users, roles and managed policies."""
    sessions: SessionStore
    """Where temporary credentials are issued."""


@dataclass(frozen=True, slots=True)
class Identity:
    """The caller as AWS's GetCallerIdentity names it."""

    user_id: str
    account: str
    arn: str


def identity_of(sts: Sts, caller: Caller) -> Identity:
    """The caller's UserId, account and ARN: the root's UserId is its account id; an IAM
    user's (and its sessions') its `AIDA` id, with the user's path in the ARN; an assumed
    role's session `<role id>:<session name>` (the role's `AROA` id when IAM has the role,
    else its name), with the `sts` assumed-role ARN."""
    principal = caller.principal
    account = principal.account_id
    if principal.service is not None or (
        principal.role_session is None and principal.user_name == "root"
    ):
        return Identity(principal.service or account, account, principal.arn(caller.partition))
    if principal.role_session is not None:
        role_name, _, session_name = principal.role_session.partition("/")
        role = sts.iam.entity(account, ROLE, role_name)
        role_id = role_name if role is None else role.entity_id
        return Identity(f"{role_id}:{session_name}", account, principal.arn(caller.partition))
    user = sts.iam.entity(account, USER, principal.user_name)
    if user is None:
        raise UnrecognizedClientException(INVALID_TOKEN)
    return Identity(user.entity_id, account, user.arn(caller.partition))


def credentials_of(session: Session) -> dict[str, Any]:
    """A session's `Credentials` as STS answers them (Expiration: epoch seconds)."""
    return {
        "AccessKeyId": session.access_key_id,
        "SecretAccessKey": session.secret_access_key,
        "SessionToken": session.session_token,
        "Expiration": session.expires,
    }
