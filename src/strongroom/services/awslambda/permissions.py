"""A function's resource policy: AddPermission, RemovePermission, GetPolicy, and what
the policy lets an AWS service do.

Statements are written as Lambda writes them (`Principal` as `{"Service": ...}`,
`{"AWS": <arn>}` or `*`; SourceArn, SourceAccount, PrincipalOrgID, EventSourceToken and
FunctionUrlAuthType as conditions); statement ids are unique per function; the policy is
at most 20 KB. Each change gives the function a new RevisionId, which a `RevisionId` given
with the request must match. Built-in functions take permissions too.

The policy is evaluated for one thing only: an AWS service principal invoking a function
(Secrets Manager running a rotation) needs a statement allowing it `lambda:InvokeFunction`
(the one AWS's rotation set-up adds), as in AWS; its SourceAccount condition is checked,
its SourceArn condition is not (an invocation does not say on whose behalf it runs).
Built-in functions need no statement. Every other caller is authorized by
`Caller.authorize` alone.
"""

from __future__ import annotations

import re
from typing import Any

import orjson

from strongroom.errors import (
    InvalidParameterValueException,
    ResourceConflictException,
    ResourceNotFoundException,
)
from strongroom.services.awslambda.errors import PolicyLengthExceededException
from strongroom.services.awslambda.names import resolve
from strongroom.services.awslambda.records import FunctionRecord, PolicyRecord
from strongroom.services.awslambda.service import (
    Lambda,
    Operation,
    authorized_function,
    require_revision,
    writes,
)
from strongroom.services.caller import Caller

POLICY_LIMIT = 20_480
INVOKE_ACTIONS = frozenset({"lambda:InvokeFunction", "lambda:*", "*"})
_ACCOUNT = re.compile(r"\d{12}")
_SERVICE = re.compile(r"[a-z0-9-]+(\.[a-z0-9-]+)*\.amazonaws\.com(\.cn)?")
NO_POLICY = "The resource you requested does not exist."


def _principal(principal: str, partition: str) -> str | dict[str, str]:
    """The statement's Principal element for AddPermission's `Principal`."""
    if principal == "*":
        return "*"
    if _ACCOUNT.fullmatch(principal):
        return {"AWS": f"arn:{partition}:iam::{principal}:root"}
    if principal.startswith("arn:") and ":iam::" in principal:
        return {"AWS": principal}
    if _SERVICE.fullmatch(principal):
        return {"Service": principal}
    raise InvalidParameterValueException(
        "The provided principal was invalid. Please check the principal and try again."
    )


def _conditions(**given: tuple[str, str, str | None]) -> dict[str, dict[str, str]]:
    """{operator: {key: value}} for each (operator, key, value) given a value."""
    conditions: dict[str, dict[str, str]] = {}
    for operator, key, value in given.values():
        if value is not None:
            conditions.setdefault(operator, {})[key] = value
    return conditions


def _target(
    lam: Lambda, caller: Caller, action: str, function_name: str, qualifier: str | None
) -> tuple[FunctionRecord, PolicyRecord, str]:
    """(function, a private copy of its policy, the resource its statements name), the
    function a private copy too unless built-in; authorized first."""
    found = authorized_function(lam, caller, action, function_name, qualifier)
    record = found
    if not found.is_builtin:
        loaded = lam.repository.load(found.account, found.region, found.name)
        if loaded is None:  # deleted since the cached read
            raise ResourceNotFoundException(f"Function not found: {found.arn}")
        record = loaded
    policy = lam.repository.load_policy(record.account, record.region, record.name)
    if policy is None:
        policy = PolicyRecord(record.revision_id)
    return record, policy, resolve(caller, function_name, qualifier).resource


def _save(lam: Lambda, record: FunctionRecord, policy: PolicyRecord) -> None:
    """Store the changed policy under a new revision (the function's too)."""
    policy.revision_id = lam.new_id()
    if not record.is_builtin:
        record.revision_id = policy.revision_id
        lam.repository.save(record)
    lam.repository.save_policy(record.account, record.region, record.name, policy)


@writes
def add_permission(
    lam: Lambda,
    caller: Caller,
    *,
    FunctionName: str,
    StatementId: str,
    Action: str,
    Principal: str,
    SourceArn: str | None = None,
    SourceAccount: str | None = None,
    EventSourceToken: str | None = None,
    Qualifier: str | None = None,
    RevisionId: str | None = None,
    PrincipalOrgID: str | None = None,
    FunctionUrlAuthType: str | None = None,
    InvokedViaFunctionUrl: bool | None = None,
) -> dict[str, Any]:
    """AddPermission: one statement added to the function's resource policy."""
    record, policy, resource = _target(lam, caller, "lambda:AddPermission", FunctionName, Qualifier)
    require_revision(record, RevisionId)
    if policy.statement(StatementId) is not None:
        raise ResourceConflictException(
            f"The statement id ({StatementId}) provided already exists. Please provide a "
            f"new statement id, or remove the existing statement."
        )
    statement: dict[str, Any] = {
        "Sid": StatementId,
        "Effect": "Allow",
        "Principal": _principal(Principal, record.partition),
        "Action": Action,
        "Resource": resource,
    }
    via_url = "true" if InvokedViaFunctionUrl else None
    conditions = _conditions(
        source_arn=("ArnLike", "AWS:SourceArn", SourceArn),
        source_account=("StringEquals", "AWS:SourceAccount", SourceAccount),
        org=("StringEquals", "aws:PrincipalOrgID", PrincipalOrgID),
        token=("StringEquals", "lambda:EventSourceToken", EventSourceToken),
        url_auth=("StringEquals", "lambda:FunctionUrlAuthType", FunctionUrlAuthType),
        via_url=("Bool", "lambda:InvokedViaFunctionUrl", via_url),
    )
    if conditions:
        statement["Condition"] = conditions
    policy.statements.append(statement)
    size = len(policy.document().encode())
    if size > POLICY_LIMIT:
        raise PolicyLengthExceededException(
            f"The final policy size ({size}) is bigger than the limit ({POLICY_LIMIT})."
        )
    _save(lam, record, policy)
    return {"Statement": orjson.dumps(statement).decode()}


@writes
def remove_permission(
    lam: Lambda,
    caller: Caller,
    *,
    FunctionName: str,
    StatementId: str,
    Qualifier: str | None = None,
    RevisionId: str | None = None,
) -> dict[str, Any]:
    """RemovePermission: one statement removed from the function's resource policy."""
    record, policy, _ = _target(lam, caller, "lambda:RemovePermission", FunctionName, Qualifier)
    require_revision(record, RevisionId)
    statement = policy.statement(StatementId)
    if statement is None:
        raise ResourceNotFoundException(f"Statement {StatementId} is not found in resource policy.")
    policy.statements.remove(statement)
    _save(lam, record, policy)
    return {}


def get_policy(
    lam: Lambda, caller: Caller, *, FunctionName: str, Qualifier: str | None = None
) -> dict[str, Any]:
    """GetPolicy: the function's resource policy and its RevisionId."""
    record = authorized_function(lam, caller, "lambda:GetPolicy", FunctionName, Qualifier)
    policy = lam.repository.policy(record.account, record.region, record.name)
    if policy is None or not policy.statements:
        raise ResourceNotFoundException(NO_POLICY)
    return {"Policy": policy.document(), "RevisionId": record.revision_id}


def service_may_invoke(lam: Lambda, record: FunctionRecord, service: str, account: str) -> bool:
    """Whether the function's policy lets AWS service `service` (`secretsmanager.amazonaws
    .com`), acting in `account`, invoke it; built-in functions always do."""
    if record.is_builtin:
        return True
    policy = lam.repository.policy(record.account, record.region, record.name)
    for statement in policy.statements if policy else []:
        principal = statement.get("Principal")
        if (
            statement.get("Effect") == "Allow"
            and statement.get("Action") in INVOKE_ACTIONS
            and (principal == "*" or principal == {"Service": service})
            and statement.get("Condition", {})
            .get("StringEquals", {})
            .get("AWS:SourceAccount", account)
            == account
        ):
            return True
    return False


OPERATIONS: dict[str, Operation] = {
    "AddPermission": add_permission,
    "RemovePermission": remove_permission,
    "GetPolicy": get_policy,
}
