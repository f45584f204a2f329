"""Function names and ARNs, resolved as Lambda resolves a `FunctionName`.

A function is named by its name (`my-function`), a partial ARN
(`123456789012:function:my-function`) or a full ARN
(`arn:aws:lambda:us-east-1:123456789012:function:my-function`), each optionally followed by
`:<qualifier>`; a separate `Qualifier` parameter may say the same. Only `$LATEST` exists
here (no published versions or aliases): any other qualifier names nothing.

Invariants: a reference always resolves in the caller's partition and region (an ARN of
another region is refused in Lambda's words); its ARN is known before anything is read, so
operations authorize on it first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from strongroom.errors import InvalidParameterValueException, ResourceNotFoundException
from strongroom.services.caller import Caller

LATEST = "$LATEST"
NAME_LENGTH = 64
_NAME = re.compile(r"[a-zA-Z0-9_-]{1,64}")
_REFERENCE = re.compile(
    r"(?:arn:(?P<partition>aws[a-zA-Z-]*)?:lambda:)?"
    r"(?:(?P<region>[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d):)?"
    r"(?:(?P<account>\d{12}):)?"
    r"(?:function:)?"
    r"(?P<name>[a-zA-Z0-9_.-]+)"
    r"(?::(?P<qualifier>\$LATEST(?:\.PUBLISHED)?|[a-zA-Z0-9_-]+))?"
)


def function_arn(partition: str, region: str, account: str, name: str) -> str:
    """`arn:aws:lambda:<region>:<account>:function:<name>`."""
    return f"arn:{partition}:lambda:{region}:{account}:function:{name}"


def not_found(arn: str) -> ResourceNotFoundException:
    """Lambda's answer for a function (or qualified function) that does not exist."""
    return ResourceNotFoundException(f"Function not found: {arn}")


@dataclass(frozen=True, slots=True)
class FunctionRef:
    """A function as a request names it, resolved in the caller's namespace."""

    partition: str
    region: str
    account: str
    name: str
    qualifier: str | None

    @property
    def arn(self) -> str:
        """The unqualified ARN."""
        return function_arn(self.partition, self.region, self.account, self.name)

    @property
    def resource(self) -> str:
        """The ARN the request names: qualified when a qualifier was given."""
        return self.arn if self.qualifier is None else f"{self.arn}:{self.qualifier}"

    def require_latest(self) -> None:
        """Refuse a qualifier other than `$LATEST`: no other version or alias exists."""
        if self.qualifier not in (None, LATEST):
            raise not_found(self.resource)


def resolve(caller: Caller, function_name: str, qualifier: str | None = None) -> FunctionRef:
    """The function `function_name` (and `qualifier`) names, in the caller's partition,
    region and (unless an ARN says otherwise) account."""
    match = _REFERENCE.fullmatch(function_name)
    if match is None:
        raise not_found(function_name)
    region = match["region"] or caller.region
    if region != caller.region:
        raise ResourceNotFoundException(
            f"Functions from '{region}' are not reachable in this region ('{caller.region}')"
        )
    partition = match["partition"] or caller.partition
    if partition != caller.partition:
        raise not_found(function_name)
    derived = match["qualifier"]
    if qualifier is not None and derived is not None and qualifier != derived:
        raise InvalidParameterValueException(
            "The derived qualifier from the function name does not match the specified qualifier."
        )
    account = match["account"] or caller.account_id
    return FunctionRef(partition, region, account, match["name"], qualifier or derived)


def check_new_name(ref: FunctionRef) -> None:
    """Refuse a name no function may be created with (a dot, or longer than 64)."""
    if not _NAME.fullmatch(ref.name):
        constraint = (
            f"Member must have length less than or equal to {NAME_LENGTH}"
            if len(ref.name) > NAME_LENGTH
            else "Member must satisfy regular expression pattern: [a-zA-Z0-9-_]+"
        )
        raise InvalidParameterValueException(
            f"1 validation error detected: Value '{ref.name}' at 'functionName' failed to "
            f"satisfy constraint: {constraint}"
        )
