"""IAM-style authorization: documents, conditions and evaluation (pure, stdlib only)."""

from strongroom.policy.authorizer import AllowAuthenticated, Authorizer
from strongroom.policy.document import PolicyGrammarError, parse_policy
from strongroom.policy.public_access import grants_public_access

__all__ = [
    "AllowAuthenticated",
    "Authorizer",
    "PolicyGrammarError",
    "grants_public_access",
    "parse_policy",
]
