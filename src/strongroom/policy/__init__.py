"""IAM-style authorization: documents, conditions and evaluation (pure, stdlib only)."""

from strongroom.policy.authorizer import AllowAuthenticated, Authorizer

__all__ = ["AllowAuthenticated", "Authorizer"]
