"""Authorization decisions: may this principal perform this action on this resource?

Pure and stdlib-only. Today the only authorizer allows every authenticated principal;
IAM-style policy evaluation plugs in here without touching any operation.
"""

from __future__ import annotations

from typing import Protocol


class Authorizer(Protocol):
    """Decides one (principal, action, resource) question."""

    def is_allowed(self, principal_arn: str, action: str, resource: str) -> bool:
        """True when the action is allowed."""
        ...


class AllowAuthenticated:
    """Every authenticated principal may do everything (until policies are enforced)."""

    def is_allowed(self, principal_arn: str, action: str, resource: str) -> bool:
        """Always True: authentication already happened at the edge."""
        return True
