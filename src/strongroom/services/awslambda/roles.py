"""A function's execution role: an IAM role of the account that Lambda may assume, passed
by a caller allowed to pass it.

As in AWS, CreateFunction and UpdateFunctionConfiguration authorize `iam:PassRole` on the
role (with `iam:PassedToService` = `lambda.amazonaws.com`), and refuse a role that does
not exist in the caller's account or whose trust policy does not let
`lambda.amazonaws.com` call `sts:AssumeRole`. Each invocation's credentials are then a
session of that role, decided by its policies (`services.iam.authorizer`).
"""

from __future__ import annotations

from collections.abc import Callable

from strongroom.errors import InvalidParameterValueException
from strongroom.policy import Policy, PolicyGrammarError, PolicySet, Request, evaluate, parse_policy
from strongroom.services.caller import Caller

RoleTrust = Callable[[str, str, str], tuple[str, str] | None]
"""(partition, account, role name) -> the role's ARN (with its path, its name's own case)
and trust policy, or None when IAM holds no such role."""

LAMBDA_PRINCIPAL = "lambda.amazonaws.com"
CANNOT_ASSUME = "The role defined for the function cannot be assumed by Lambda."


def check_role(role_trust: RoleTrust | None, caller: Caller, role_arn: str) -> None:
    """Refuse (AccessDenied, InvalidParameterValue) a role the caller may not pass or
    Lambda may not assume. `role_trust` None: no IAM is wired (the service alone, in unit
    tests), and only the authorization is checked."""
    caller.authorize("iam:PassRole", role_arn, {"iam:PassedToService": (LAMBDA_PRINCIPAL,)})
    if role_trust is None:
        return
    parts = role_arn.split(":", 5)
    if len(parts) != 6 or parts[2] != "iam" or parts[4] != caller.account_id:
        raise InvalidParameterValueException(CANNOT_ASSUME)
    found = role_trust(caller.partition, caller.account_id, parts[5].rsplit("/", 1)[-1])
    if found is None or found[0] != role_arn:  # the exact ARN: path, case and all
        raise InvalidParameterValueException(CANNOT_ASSUME)
    if not lambda_may_assume(found[1], role_arn, caller.account_id):
        raise InvalidParameterValueException(CANNOT_ASSUME)


def lambda_may_assume(trust: str, role_arn: str, account: str) -> bool:
    """Whether the trust policy lets `lambda.amazonaws.com` assume the role."""
    try:
        policy = Policy.from_document(parse_policy(trust, resource_policy=True))
    except PolicyGrammarError:
        return False
    request = Request(
        "sts:AssumeRole",
        role_arn,
        LAMBDA_PRINCIPAL,
        account,
        {"aws:PrincipalServiceName": (LAMBDA_PRINCIPAL,)},
    )
    return evaluate(PolicySet(resource=policy, resource_required=True), request).allowed
