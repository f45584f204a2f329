"""Principals in grants: which ARNs a grant may name, and which grants name a caller.

A grantee or retiring principal is an ARN of an AWS principal, as AWS lists them: an
account (`arn:aws:iam::<account>:root`), an IAM user or role (with or without a path),
an assumed-role session, a federated user; or an AWS service principal
(`<service>.amazonaws.com`). Anything else is InvalidArnException. Whether the principal
exists is not checked: KMS cannot see IAM (services are independent), so a grant may name
a principal that does not exist, and then names nobody.

How a grant names a caller, as key policies name one (`policy.matching`):
- the caller's own ARN (a user, an assumed-role session, a federated user, the account
  root, a service principal) names it exactly;
- a role's ARN names every session of that role: role names are unique within an account
  whatever their path, and a session's ARN drops the path, so partition, account and
  name identify the role (`principal_key` folds the path away);
- an account's root ARN names the account: its principals may use the grant as far as
  their IAM policies allow (`account_of`), as AWS delegates it.
"""

from __future__ import annotations

import re

from strongroom.services.caller import Caller
from strongroom.services.kms.grant_errors import InvalidArnException

_NAME = r"[\w+=,.@-]+"
_PARTITION = r"aws|aws-cn|aws-us-gov"
_PRINCIPAL = re.compile(
    rf"arn:(?:{_PARTITION}):iam::[0-9]{{12}}:(?:root|(?:user|role)/(?:{_NAME}/)*{_NAME})"
    rf"|arn:(?:{_PARTITION}):sts::[0-9]{{12}}:(?:assumed-role/{_NAME}/{_NAME}"
    rf"|federated-user/{_NAME})"
    r"|[a-z0-9][a-z0-9.-]*\.amazonaws\.com(?:\.cn)?"
)
_ROLE = re.compile(rf"(arn:(?:{_PARTITION}):iam::[0-9]{{12}}:role/)(?:{_NAME}/)*({_NAME})")
_ROOT = re.compile(rf"arn:(?:{_PARTITION}):iam::([0-9]{{12}}):root")


def check_principal(value: str) -> str:
    """`value` if it is a principal a grant may name, else InvalidArnException."""
    if not _PRINCIPAL.fullmatch(value):
        raise InvalidArnException(f"{value} is not a valid principal ARN.")
    return value


def principal_key(arn: str) -> str:
    """The form grants are filed under: the ARN, but a role's without its path."""
    role = _ROLE.fullmatch(arn)
    return arn if role is None else role.group(1) + role.group(2)


def account_of(arn: str) -> str | None:
    """The account an account root ARN names (None: not an account root)."""
    root = _ROOT.fullmatch(arn)
    return None if root is None else root.group(1)


def caller_keys(caller: Caller) -> tuple[str, ...]:
    """The `principal_key`s under which a grant names `caller` itself: its ARN, and for an
    assumed-role session its role."""
    principal = caller.principal
    arn = principal.arn(caller.partition)
    if principal.role_session is None or principal.service is not None:
        return (arn,)
    role_name = principal.role_session.partition("/")[0]
    return (arn, f"arn:{caller.partition}:iam::{principal.account_id}:role/{role_name}")


def account_root(caller: Caller) -> str:
    """The ARN of the caller's account root."""
    return f"arn:{caller.partition}:iam::{caller.account_id}:root"
