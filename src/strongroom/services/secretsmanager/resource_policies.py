"""Resource policies on secrets: Put, Get, Delete and Validate.

Stored verbatim as the caller wrote them, once they parse as an IAM resource policy
(`strongroom.policy.parse_policy`). With BlockPublicPolicy, a policy that grants broad
access (`grants_public_access`) is refused. The stored policy is enforced by every operation on
the secret (`secret_access`): it can allow a principal that no identity policy allows,
and its explicit Deny refuses anyone, the account root too.
"""

from __future__ import annotations

from typing import Any

from strongroom.errors import (
    MalformedPolicyDocumentException,
    PublicPolicyException,
    ResourceNotFoundException,
)
from strongroom.policy import PolicyGrammarError, grants_public_access, parse_policy
from strongroom.services.caller import Caller
from strongroom.services.secretsmanager import replication
from strongroom.services.secretsmanager.secret_access import request_keys
from strongroom.services.secretsmanager.service import (
    Operation,
    SecretsManager,
    authorized_secret,
    find_secret,
    require_changeable,
    require_primary,
    secret_to_change,
    touch,
    writes,
)

_PUBLIC = "BlockPublicPolicy is set and this resource policy grants broad access to the secret."


def _parsed(policy: str) -> dict[str, Any]:
    try:
        return parse_policy(policy)
    except PolicyGrammarError as error:
        raise MalformedPolicyDocumentException(f"This policy has invalid syntax. {error}") from None


@writes
def put_resource_policy(
    sm: SecretsManager,
    caller: Caller,
    *,
    SecretId: str,
    ResourcePolicy: str,
    BlockPublicPolicy: bool = False,
) -> dict[str, Any]:
    """PutResourcePolicy: attach (or replace) the secret's resource policy."""
    record = secret_to_change(
        sm,
        caller,
        "secretsmanager:PutResourcePolicy",
        SecretId,
        check=require_changeable,
        strict=False,
        context=request_keys(BlockPublicPolicy=BlockPublicPolicy),
    )
    document = _parsed(ResourcePolicy)
    if BlockPublicPolicy and grants_public_access(document):
        raise PublicPolicyException(_PUBLIC)
    record.policy = ResourcePolicy
    touch(sm, record)
    sm.repository.save(record)
    replication.follow(sm, caller, record)
    return {"ARN": record.arn, "Name": record.name}


def get_resource_policy(sm: SecretsManager, caller: Caller, *, SecretId: str) -> dict[str, Any]:
    """GetResourcePolicy: the policy as stored; no ResourcePolicy member when there is none."""
    record = authorized_secret(
        sm,
        caller,
        "secretsmanager:GetResourcePolicy",
        SecretId,
        check=require_primary,
        strict=False,
    )
    result: dict[str, Any] = {"ARN": record.arn, "Name": record.name}
    if record.policy is not None:
        result["ResourcePolicy"] = record.policy
    return result


@writes
def delete_resource_policy(sm: SecretsManager, caller: Caller, *, SecretId: str) -> dict[str, Any]:
    """DeleteResourcePolicy: succeeds also when the secret has no policy."""
    record = secret_to_change(
        sm,
        caller,
        "secretsmanager:DeleteResourcePolicy",
        SecretId,
        check=require_changeable,
        strict=False,
    )
    if record.policy is not None:
        record.policy = None
        touch(sm, record)
        sm.repository.save(record)
        replication.follow(sm, caller, record)
    return {"ARN": record.arn, "Name": record.name}


def validate_resource_policy(
    sm: SecretsManager, caller: Caller, *, ResourcePolicy: str, SecretId: str | None = None
) -> dict[str, Any]:
    """ValidateResourcePolicy: grammar and broad-access checks, reported, not raised."""
    if SecretId is not None:
        try:
            record = find_secret(sm, caller, SecretId)
        except ResourceNotFoundException:
            for action in ("ValidateResourcePolicy", "PutResourcePolicy"):
                sm.access.authorize_missing(caller, f"secretsmanager:{action}", SecretId)
            raise
        for action in ("ValidateResourcePolicy", "PutResourcePolicy"):
            sm.access.authorize(caller, f"secretsmanager:{action}", record, secret_id=SecretId)
    else:
        caller.authorize("secretsmanager:ValidateResourcePolicy", "*")
    errors: list[dict[str, str]] = []
    try:
        document = parse_policy(ResourcePolicy)
    except PolicyGrammarError as error:
        errors.append({"CheckName": "SYNTAX_CHECKING", "ErrorMessage": str(error)})
    else:
        if grants_public_access(document):
            errors.append({"CheckName": "PUBLIC_ACCESS_CHECKING", "ErrorMessage": _PUBLIC})
    return {"PolicyValidationPassed": not errors, "ValidationErrors": errors}


OPERATIONS: dict[str, Operation] = {
    "PutResourcePolicy": put_resource_policy,
    "GetResourcePolicy": get_resource_policy,
    "DeleteResourcePolicy": delete_resource_policy,
    "ValidateResourcePolicy": validate_resource_policy,
}
