"""AWS STS, spoken without HTTP: `OPERATIONS[name](sts, caller, **params)`.

GetCallerIdentity, GetSessionToken and AssumeRole. STS owns no storage: sessions live in
`identity.SessionStore` (under `identity/`, which the dev reset keeps), users and roles
are read from IAM's repository. `plugin(...)` is the package's one factory.
"""

from strongroom.identity import SessionStore
from strongroom.services.iam import Iam
from strongroom.services.plugin import ServicePlugin
from strongroom.services.sts import assume_role, caller_identity, session_tokens
from strongroom.services.sts.service import Identity, Operation, Sts, identity_of

OPERATIONS: dict[str, Operation] = {
    **caller_identity.OPERATIONS,
    **session_tokens.OPERATIONS,
    **assume_role.OPERATIONS,
}


def plugin(iam: Iam, sessions: SessionStore) -> ServicePlugin:
    """STS over IAM's records (`iam`, the IAM plugin's context) and `sessions`."""
    sts = Sts(iam.repository, sessions)
    return ServicePlugin(
        model="sts",
        operations=OPERATIONS,
        context=sts,
        prefixes=(),
        forget=sessions.forget_cache,
        reset=lambda: None,
    )


__all__ = ["OPERATIONS", "Identity", "Operation", "Sts", "identity_of", "plugin"]
