"""The caller of a service operation: who, in which account, region and partition, from
where; and the hook every operation authorizes through.

Every operation authorizes first through `Caller.authorize` (house rule 4): the one place
where IAM policies, resource policies (key policies, secret policies) and the request's
condition keys meet the decision. KMS grants are KMS's own and are consulted by KMS after
a refusal (`Caller.verdict`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Protocol

from strongroom.errors import AccessDeniedException
from strongroom.identity import Principal
from strongroom.policy import Decision, Verdict, access_denied_message

Context = Mapping[str, tuple[str, ...]]
"""Condition keys an operation knows (`kms:EncryptionContextKeys`, `aws:ResourceTag/x`)."""

NO_CONTEXT: Context = MappingProxyType({})
ALLOWED = Verdict(Decision.ALLOW)
DENIED = Verdict(Decision.IMPLICIT_DENY)


@dataclass(frozen=True, slots=True)
class ResourcePolicy:
    """The resource's own policy (JSON text, already validated when it was stored).

    `required`: the resource policy must allow (KMS key policies, role trust policies):
    an account grant in it lets identity policies work, nothing else does.
    """

    text: str
    required: bool = False


def request_tag_keys(tags: Iterable[tuple[str, str]]) -> Context:
    """`aws:RequestTag/<key>` for each tag a request sets and `aws:TagKeys`."""
    keys: dict[str, tuple[str, ...]] = {f"aws:RequestTag/{k}": (v,) for k, v in tags}
    if keys:
        keys["aws:TagKeys"] = tuple(name.removeprefix("aws:RequestTag/") for name in keys)
    return keys


class Authorizer(Protocol):
    """Decides one request: may `caller` do `action` on `resource`?"""

    def decide(
        self,
        caller: Caller,
        action: str,
        resource: str,
        context: Context,
        resource_policy: ResourcePolicy | None,
    ) -> Verdict:
        """The verdict, with the policy type that refused for AWS's wording."""
        ...


class AllowAuthenticated:
    """Every authenticated principal may do everything (tests and tools that need no policy)."""

    def decide(
        self,
        caller: Caller,
        action: str,
        resource: str,
        context: Context,
        resource_policy: ResourcePolicy | None,
    ) -> Verdict:
        """Always allowed: authentication already happened at the edge."""
        return ALLOWED


def partition_of(region: str) -> str:
    """The AWS partition a region belongs to."""
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


@dataclass(frozen=True, slots=True)
class Caller:
    """An authenticated principal calling in one region.

    `via_service` is set when an AWS service acts for the caller (`secretsmanager.<region>
    .amazonaws.com` calling KMS); `source_ip` and `secure_transport` are what the edge saw
    (None when the call did not come over the network).
    """

    principal: Principal
    region: str
    authorizer: Authorizer
    via_service: str | None = None
    source_ip: str | None = None
    secure_transport: bool | None = None

    @property
    def account_id(self) -> str:
        """The account the call acts in."""
        return self.principal.account_id

    @property
    def partition(self) -> str:
        """`aws`, `aws-cn` or `aws-us-gov`, from the region."""
        return partition_of(self.region)

    def via(self, service_host: str) -> Caller:
        """This caller, acting through the AWS service `service_host`."""
        return Caller(
            self.principal,
            self.region,
            self.authorizer,
            service_host,
            self.source_ip,
            self.secure_transport,
        )

    def verdict(
        self,
        action: str,
        resource: str,
        context: Context = NO_CONTEXT,
        resource_policy: ResourcePolicy | None = None,
    ) -> Verdict:
        """The authorizer's verdict, without raising (KMS consults grants after a deny)."""
        return self.authorizer.decide(self, action, resource, context, resource_policy)

    def authorize(
        self,
        action: str,
        resource: str,
        context: Context = NO_CONTEXT,
        resource_policy: ResourcePolicy | None = None,
    ) -> None:
        """Raise `AccessDeniedException` unless the principal may do `action` on `resource`."""
        verdict = self.authorizer.decide(self, action, resource, context, resource_policy)
        if verdict.decision is not Decision.ALLOW:
            self.refuse(action, resource, verdict)

    def refuse(self, action: str, resource: str, verdict: Verdict) -> None:
        """Raise AWS's AccessDeniedException for a refused verdict."""
        who = verdict.principal_arn or self.principal.arn(self.partition)
        raise AccessDeniedException(access_denied_message(who, action, resource, verdict))
