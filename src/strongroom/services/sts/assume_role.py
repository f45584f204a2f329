"""AssumeRole: temporary credentials that act as a role of the caller's account.

The role's trust policy is the resource policy that must allow (`ResourcePolicy(...,
required=True)`): a trust policy naming the caller (a user, a role, a role session)
allows it without an identity policy; one trusting the account lets the caller's identity
policies decide. As in AWS:
- Only a role of the caller's own account, named by its exact ARN (path included), can be
  assumed; any other ARN, a missing role included, is refused exactly as a refused trust
  policy is ("User: ... is not authorized to perform: sts:AssumeRole on resource: ..."),
  so a caller learns nothing of which roles exist. An ARN that is no ARN is a
  ValidationError ("<arn> is invalid").
- The account root cannot assume a role ("Roles may not be assumed by root accounts."),
  not with a session of its own either. A user's GetSessionToken session may.
- Session tags need `sts:TagSession`, a source identity `sts:SetSourceIdentity`, both
  allowed by the trust policy as `sts:AssumeRole` is; every decision sees
  `sts:RoleSessionName`, `sts:ExternalId`, `sts:SourceIdentity`, `sts:TransitiveTagKeys`,
  `aws:RequestTag/*` and `aws:TagKeys` as far as the request gives them.
- Role chaining carries the calling session's transitive tags (a request tag may not
  change one) and its source identity (which may not change) into the new session.
- DurationSeconds is 900..43200 (the model's bounds, checked at the edge), at most the
  role's MaxSessionDuration, 3600 by default. Role chaining (a role session assuming a
  role) is limited to one hour: a longer request is refused.
- The session's rights are the role's (identity policies and boundary), limited by the
  session policies when any are passed (`session_policies`); its principal tags are the
  role's, then the session's (`session_tags`); PackedPolicySize is answered when policies
  or tags are passed (`packed_size`).
- MFA and trusted context assertions are not built: SerialNumber, TokenCode and
  ProvidedContexts are refused, never ignored.
Everything is checked before the session is issued, so a refused request stores nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from strongroom.errors import AccessDeniedException, ValidationException
from strongroom.identity import RoleScope
from strongroom.policy import access_denied_message
from strongroom.services.caller import DENIED, Caller, Context, ResourcePolicy, request_tag_keys
from strongroom.services.iam.records import ROLE, EntityRecord
from strongroom.services.iam.roles import DEFAULT_MAX_SESSION_DURATION
from strongroom.services.sts.packed_size import packed_size
from strongroom.services.sts.service import Operation, Sts, credentials_of, identity_of
from strongroom.services.sts.session_policies import policy_arn_list, session_policies
from strongroom.services.sts.session_tags import chained_tags, session_tags

ASSUME = "sts:AssumeRole"
DEFAULT_SECONDS = 3600
ROLE_CHAINING_MAX_SECONDS = 3600
ROOT_REFUSED = "Roles may not be assumed by root accounts."
OVER_ROLE_MAX = "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."
OVER_CHAINING_MAX = (
    "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by "
    "role chaining."
)
SOURCE_IDENTITY_SET = (
    "The source identity of the calling session cannot be changed in a chained session."
)
NO_MFA = "Strongroom does not support MFA devices: AssumeRole takes no SerialNumber or TokenCode."
NO_PROVIDED_CONTEXTS = (
    "Strongroom does not support trusted context assertions: AssumeRole takes no ProvidedContexts."
)


def assume_role(
    sts: Sts,
    caller: Caller,
    *,
    RoleArn: str,
    RoleSessionName: str,
    PolicyArns: list[dict[str, str]] | None = None,
    Policy: str | None = None,
    DurationSeconds: int | None = None,
    Tags: list[dict[str, str]] | None = None,
    TransitiveTagKeys: list[str] | None = None,
    ExternalId: str | None = None,
    SerialNumber: str | None = None,
    TokenCode: str | None = None,
    SourceIdentity: str | None = None,
    ProvidedContexts: list[dict[str, str]] | None = None,
) -> dict[str, Any]:
    """`{Credentials, AssumedRoleUser, PackedPolicySize?, SourceIdentity?}`."""
    if SerialNumber is not None or TokenCode is not None:
        raise ValidationException(NO_MFA)
    if ProvidedContexts is not None:
        raise ValidationException(NO_PROVIDED_CONTEXTS)
    role = _trusting_role(sts, caller, RoleArn)
    context = _context(RoleSessionName, ExternalId, SourceIdentity, Tags, TransitiveTagKeys)
    trust = ResourcePolicy(role.trust_policy or "", required=True)
    caller.authorize(ASSUME, RoleArn, context, trust)
    if Tags:
        caller.authorize("sts:TagSession", RoleArn, context, trust)
    if SourceIdentity is not None:
        caller.authorize("sts:SetSourceIdentity", RoleArn, context, trust)
    seconds = _duration(caller, role, DurationSeconds)
    tags = session_tags(Tags, TransitiveTagKeys)
    transitive = tuple(TransitiveTagKeys or ())
    source_identity = SourceIdentity
    calling = _calling_scope(sts, caller)
    if calling is not None:
        tags, transitive = chained_tags(calling.tags, calling.transitive_tag_keys, tags, transitive)
        if calling.source_identity is not None:
            if source_identity not in (None, calling.source_identity):
                raise ValidationException(SOURCE_IDENTITY_SET)
            source_identity = calling.source_identity
    policies = session_policies(sts.iam, caller.partition, role.account, Policy, PolicyArns)
    answer: dict[str, Any] = {}
    if policies is not None or tags:
        answer["PackedPolicySize"] = packed_size(Policy, policy_arn_list(PolicyArns), tags)
    if source_identity is not None:
        answer["SourceIdentity"] = source_identity
    scope = RoleScope(
        role.arn(caller.partition), role.entity_id, policies, tags, transitive, source_identity
    )
    session = sts.sessions.issue_for_role(
        role.account, f"{role.name}/{RoleSessionName}", seconds, scope
    )
    return {
        "Credentials": credentials_of(session),
        "AssumedRoleUser": {
            "AssumedRoleId": f"{role.entity_id}:{RoleSessionName}",
            "Arn": session.principal.arn(caller.partition),
        },
        **answer,
    }


def _calling_scope(sts: Sts, caller: Caller) -> RoleScope | None:
    """The scope of the AssumeRole session making this request (role chaining), if any."""
    if caller.principal.role_session is None:
        return None
    session = sts.sessions.find(caller.principal.access_key_id)
    return None if session is None else session.scope


def _trusting_role(sts: Sts, caller: Caller, role_arn: str) -> EntityRecord:
    """The role `role_arn` names, once the caller is one that may assume roles at all."""
    parts = role_arn.split(":")
    if len(parts) != 6 or parts[0] != "arn" or not parts[1] or not parts[2] or not parts[5]:
        raise ValidationException(f"{role_arn} is invalid")
    principal = caller.principal
    if principal.service is None and principal.role_session is None:
        if principal.user_name == "root":
            raise AccessDeniedException(ROOT_REFUSED)
        identity_of(sts, caller)  # the user still exists (else: an invalid token)
    account = caller.account_id
    # A function's session whose role IAM does not hold (a built-in function's) never
    # assumes a role.
    own_role = principal.role_session and principal.role_session.partition("/")[0]
    if own_role and sts.iam.entity(account, ROLE, own_role) is None:
        raise _not_authorized(caller, role_arn)
    role = None
    if parts[2] == "iam" and parts[4] == account and parts[5].startswith("role/"):
        role = sts.iam.entity(account, ROLE, parts[5].rpartition("/")[2])
    if role is None or role.arn(caller.partition) != role_arn or role.trust_policy is None:
        raise _not_authorized(caller, role_arn)
    return role


def _not_authorized(caller: Caller, role_arn: str) -> AccessDeniedException:
    """AWS's refusal for a role that is missing, or not the caller's to assume."""
    principal_arn = caller.principal.arn(caller.partition)
    return AccessDeniedException(access_denied_message(principal_arn, ASSUME, role_arn, DENIED))


def _context(
    session_name: str,
    external_id: str | None,
    source_identity: str | None,
    tags: Sequence[dict[str, str]] | None,
    transitive_keys: Sequence[str] | None,
) -> Context:
    """The condition keys the request gives the trust policy (and identity policies)."""
    keys: dict[str, tuple[str, ...]] = {"sts:RoleSessionName": (session_name,)}
    if external_id is not None:
        keys["sts:ExternalId"] = (external_id,)
    if source_identity is not None:
        keys["sts:SourceIdentity"] = (source_identity,)
    if transitive_keys:
        keys["sts:TransitiveTagKeys"] = tuple(transitive_keys)
    keys.update(request_tag_keys((tag["Key"], tag["Value"]) for tag in tags or ()))
    return keys


def _duration(caller: Caller, role: EntityRecord, asked: int | None) -> int:
    """The session's seconds: as asked (else 3600), within the role's maximum and, for a
    role session assuming a role, one hour."""
    if caller.principal.role_session is not None and (asked or 0) > ROLE_CHAINING_MAX_SECONDS:
        raise ValidationException(OVER_CHAINING_MAX)
    if (asked or 0) > (role.max_session_duration or DEFAULT_MAX_SESSION_DURATION):
        raise ValidationException(OVER_ROLE_MAX)
    return DEFAULT_SECONDS if asked is None else asked


OPERATIONS: dict[str, Operation] = {"AssumeRole": assume_role}
