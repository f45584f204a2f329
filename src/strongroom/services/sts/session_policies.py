"""AssumeRole's session policies: the inline Policy and the managed ones PolicyArns names.

As AWS has them: the inline policy is an identity policy (no Principal; MalformedPolicy-
Document with the grammar's reason otherwise) of at most 2,048 characters (its plaintext
limit, counted as the old model's length constraint counted it: every character); at
most 10 managed policy ARNs, each naming a customer managed policy of the role's account.
Their default versions' documents are read now, when the role is assumed, and the session
keeps those texts: a later new default version does not change a session already issued.

Where AWS is silent, Strongroom decides: an ARN that names no managed policy of the
role's account (AWS managed policies included: Strongroom has none) is refused with
InvalidParameterValue in IAM's words, rather than giving a session that allows nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

from strongroom.errors import ValidationException
from strongroom.services.iam import IamRepository
from strongroom.services.iam.documents import check_identity_policy
from strongroom.services.iam.records import PolicyRecord
from strongroom.services.sts.errors import InvalidParameterValue

MAX_POLICY_LENGTH = 2048
MAX_POLICY_ARNS = 10


def _too_long(member: str, limit: int) -> ValidationException:
    return ValidationException(
        f"1 validation error detected: Value at '{member}' failed to satisfy constraint: "
        f"Member must have length less than or equal to {limit}"
    )


def session_policies(
    iam: IamRepository,
    partition: str,
    account: str,
    policy: str | None,
    policy_arns: Sequence[dict[str, str]] | None,
) -> tuple[str, ...] | None:
    """The session policies' texts (inline first, then the managed ones in the order
    named); None when the request passes none, an empty PolicyArns included (the role's
    policies then apply unlimited)."""
    if policy is None and not policy_arns:
        return None
    texts: list[str] = []
    if policy is not None:
        if len(policy) > MAX_POLICY_LENGTH:
            raise _too_long("policy", MAX_POLICY_LENGTH)
        check_identity_policy(policy)
        texts.append(policy)
    arns = policy_arn_list(policy_arns)
    if len(arns) > MAX_POLICY_ARNS:
        raise _too_long("policyArns", MAX_POLICY_ARNS)
    texts += [_managed(iam, partition, account, arn).default_document for arn in arns]
    return tuple(texts)


def policy_arn_list(policy_arns: Sequence[dict[str, str]] | None) -> list[str]:
    """The ARNs PolicyArns names (a descriptor without one names the empty ARN, which no
    policy has)."""
    return [descriptor.get("arn", "") for descriptor in policy_arns or ()]


def _managed(iam: IamRepository, partition: str, account: str, arn: str) -> PolicyRecord:
    """The account's customer managed policy `arn` names exactly, path included."""
    parts = arn.split(":", 5)
    found = None
    if len(parts) == 6 and parts[0] == "arn" and parts[5].startswith("policy/"):
        found = iam.policy(account, parts[5].rpartition("/")[2])
    if found is None or found.arn(partition) != arn:
        raise InvalidParameterValue(f"Policy {arn} does not exist or is not attachable.")
    return found
