"""The caller of a service operation: who, in which account, region and partition.

Every operation authorizes first through `Caller.authorize` (house rule 4): the one hook
where IAM policies, key policies and grants will be enforced.
"""

from __future__ import annotations

from dataclasses import dataclass

from strongroom.errors import AccessDeniedException
from strongroom.identity import Principal
from strongroom.policy import Authorizer


def partition_of(region: str) -> str:
    """The AWS partition a region belongs to."""
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


@dataclass(frozen=True, slots=True)
class Caller:
    """An authenticated principal calling in one region."""

    principal: Principal
    region: str
    authorizer: Authorizer
    via_service: str | None = None

    @property
    def account_id(self) -> str:
        """The account the call acts in."""
        return self.principal.account_id

    @property
    def partition(self) -> str:
        """`aws`, `aws-cn` or `aws-us-gov`, from the region."""
        return partition_of(self.region)

    def authorize(self, action: str, resource: str) -> None:
        """Raise `AccessDeniedException` unless the principal may do `action` on `resource`."""
        arn = self.principal.arn(self.partition)
        if not self.authorizer.is_allowed(arn, action, resource):
            explain = getattr(self.authorizer, "denial_message", None)
            raise AccessDeniedException(
                explain(arn, action, resource)
                if explain is not None
                else f"User: {arn} is not authorized to perform: {action} on resource: {resource}"
            )
