"""GetSessionToken: temporary credentials that act as the calling IAM user (or root).

The session's principal is the user itself (its user name, no role session), so every
service authorizes it exactly as the user: same policies, same ARN. As in AWS:
- No permission is needed and no policy controls it (it is authentication, not an
  action): the authorizer is asked nothing.
- Temporary credentials cannot call it (AccessDenied, AWS's words).
- DurationSeconds is 900..129600 (the model's bounds, checked at the edge), 43200 by
  default; the root's sessions last one hour at most (a longer request gets one hour).
- MFA is not built here: SerialNumber or TokenCode is refused, never ignored, so no one
  believes a session carries MFA context that it lacks.
Sessions expire on the service clock (see `identity.sessions`); Expiration says when.
"""

from __future__ import annotations

from typing import Any

from strongroom.errors import AccessDeniedException, ValidationException
from strongroom.identity.sessions import is_session_id
from strongroom.services.caller import Caller
from strongroom.services.sts.service import Operation, Sts, credentials_of, identity_of

DEFAULT_SECONDS = 43_200
ROOT_MAX_SECONDS = 3_600


def get_session_token(
    sts: Sts,
    caller: Caller,
    *,
    DurationSeconds: int | None = None,
    SerialNumber: str | None = None,
    TokenCode: str | None = None,
) -> dict[str, Any]:
    """`{Credentials: {AccessKeyId, SecretAccessKey, SessionToken, Expiration}}`."""
    if SerialNumber is not None or TokenCode is not None:
        raise ValidationException(
            "Strongroom does not support MFA devices: GetSessionToken takes no SerialNumber "
            "or TokenCode."
        )
    principal = caller.principal
    if (
        is_session_id(principal.access_key_id)
        or principal.role_session is not None
        or principal.service is not None
    ):
        raise AccessDeniedException("Cannot call GetSessionToken with session credentials")
    identity_of(sts, caller)  # the user still exists (else: an invalid token)
    seconds = DEFAULT_SECONDS if DurationSeconds is None else DurationSeconds
    if principal.user_name == "root":
        seconds = min(seconds, ROOT_MAX_SECONDS)
    session = sts.sessions.issue_for_user(principal.account_id, principal.user_name, seconds)
    return {"Credentials": credentials_of(session)}


OPERATIONS: dict[str, Operation] = {"GetSessionToken": get_session_token}
