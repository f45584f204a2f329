"""The read side for the authorizer: the policies that govern one principal.

`policies_for(iam, account, principal)` answers (identity policy documents, permissions
boundary document or None), each document a parsed dict (shared: read-only):
- a user: its inline policies, the default versions of its attached managed policies,
  and the same for each of its groups; its boundary's default version;
- a role session (`role_session` = `<role>/<session>`): the role's inline and attached
  policies and its boundary;
- the account root, an AWS service, or a user that has keys but no IAM user record
  (made by the operator): no identity policies and no boundary. Deciding what that means
  (the root may do anything; the others nothing an identity policy must allow) is the
  authorizer's job, not this function's.
Reads come from the repository's caches; documents were checked when stored.
"""

from __future__ import annotations

from typing import Any

from strongroom.identity import Principal
from strongroom.services.iam.documents import parsed
from strongroom.services.iam.records import GROUP, ROLE, USER, EntityRecord, name_in_arn
from strongroom.services.iam.service import Iam

Document = dict[str, Any]


def _own_texts(iam: Iam, record: EntityRecord) -> list[str]:
    """An entity's inline policies, then its attached ones' default versions (in
    attachment order)."""
    texts = [text for _, text in sorted(record.inline.items())]
    for arn in record.attached:
        policy = iam.repository.policy(record.account, name_in_arn(arn))
        if policy is not None:
            texts.append(policy.default_document)
    return texts


def policy_texts(iam: Iam, record: EntityRecord) -> tuple[list[str], tuple[str, ...] | None]:
    """The texts of the identity policies that govern a user or role (its own, then for a
    user each group's), and of its permissions boundary: None when none is set, empty
    when the boundary's policy is gone (it then allows nothing)."""
    texts = _own_texts(iam, record)
    for group_key in record.groups if record.kind == USER else ():
        group = iam.repository.entity(record.account, GROUP, group_key)
        if group is not None:
            texts += _own_texts(iam, group)
    if record.boundary is None:
        return texts, None
    boundary = iam.repository.policy(record.account, name_in_arn(record.boundary))
    return texts, () if boundary is None else (boundary.default_document,)


def _entity(iam: Iam, account: str, principal: Principal) -> EntityRecord | None:
    if principal.service is not None:
        return None
    if principal.role_session is not None:
        return iam.repository.entity(account, ROLE, principal.role_session.partition("/")[0])
    if principal.user_name == "root":
        return None
    return iam.repository.entity(account, USER, principal.user_name)


def policies_for(
    iam: Iam, account: str, principal: Principal
) -> tuple[list[Document], Document | None]:
    """(identity policies, boundary or None) of `principal` in `account` (see above)."""
    record = _entity(iam, account, principal)
    if record is None:
        return [], None
    texts, boundary = policy_texts(iam, record)
    return [parsed(text) for text in texts], parsed(boundary[0]) if boundary else None
