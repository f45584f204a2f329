"""The temporary credentials an invocation runs with: what Lambda needs from the issuer.

Each invocation gets its own access key, secret and session token, issued for the
function's role just before the function starts, valid a little longer than its Timeout,
and revoked as soon as it ends (whatever the outcome): a function's credentials never
outlive it, and audit records its calls as the function's.
"""

from __future__ import annotations

from typing import Protocol

MARGIN_SECONDS = 10.0
"""How much longer than the function's Timeout its credentials live (start-up, clock)."""


class CredentialIssuer(Protocol):
    """Issues and revokes per-invocation temporary credentials (wired by `app.py`)."""

    def issue(
        self, account_id: str, function_arn: str, role_arn: str, ttl_seconds: float
    ) -> tuple[str, str, str]:
        """(access key id, secret access key, session token), valid `ttl_seconds`."""
        ...

    def revoke(self, access_key_id: str) -> None:
        """End the credentials now."""
        ...
