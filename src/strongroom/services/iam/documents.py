"""IAM policy documents: checked when stored, parsed once when read.

Identity policies (inline and managed) are checked as identity policies, trust policies
as resource policies; a document that fails is AWS's MalformedPolicyDocument with the
grammar's reason (which never quotes the document). Sizes are counted as AWS counts them,
without white space: 2,048 characters for all of a user's inline policies together,
5,120 for a group's, 10,240 for a role's, 6,144 for one managed policy version and
2,048 for a role's trust policy.
"""

from __future__ import annotations

import functools
from typing import Any

from strongroom.errors import IamLimitExceededException, IamMalformedPolicyDocumentException
from strongroom.policy import PolicyGrammarError, parse_policy

INLINE_LIMITS = {"user": 2048, "group": 5120, "role": 10240}
MANAGED_LIMIT = 6144
TRUST_LIMIT = 2048


def size(document: str) -> int:
    """A document's size as IAM's quotas count it: its characters less white space."""
    return sum(1 for character in document if not character.isspace())


def check_identity_policy(document: str) -> None:
    """Refuse (MalformedPolicyDocument) a document that is not an identity policy."""
    try:
        parse_policy(document, resource_policy=False)
    except PolicyGrammarError as error:
        raise IamMalformedPolicyDocumentException(str(error)) from None


def check_trust_policy(document: str) -> None:
    """Refuse a role trust policy that is malformed or too large."""
    try:
        parse_policy(document, resource_policy=True)
    except PolicyGrammarError as error:
        raise IamMalformedPolicyDocumentException(str(error)) from None
    if size(document) > TRUST_LIMIT:
        raise IamLimitExceededException(f"Cannot exceed quota for ACLSizePerRole: {TRUST_LIMIT}")


def check_managed_policy(document: str) -> None:
    """Refuse a managed policy version that is malformed or too large."""
    check_identity_policy(document)
    if size(document) > MANAGED_LIMIT:
        raise IamLimitExceededException(f"Cannot exceed quota for PolicySize: {MANAGED_LIMIT}")


def check_inline_total(kind: str, name: str, documents: list[str]) -> None:
    """Refuse when an entity's inline policies together pass its kind's limit."""
    limit = INLINE_LIMITS[kind]
    if sum(size(document) for document in documents) > limit:
        raise IamLimitExceededException(
            f"Maximum policy size of {limit} bytes exceeded for {kind} {name}"
        )


@functools.lru_cache(maxsize=4096)
def parsed(document: str) -> dict[str, Any]:
    """A stored (already checked) identity policy as a dict; shared, so read-only."""
    return parse_policy(document, resource_policy=False)
