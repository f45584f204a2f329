"""The errors only grants raise, named as AWS KMS names them (HTTP 400)."""

from __future__ import annotations

from strongroom.errors import StrongroomError


class InvalidGrantTokenException(StrongroomError):
    """A grant token that is not one KMS made."""


class InvalidGrantIdException(StrongroomError):
    """A grant ID that is not one KMS made, or not the grant a token names."""


class InvalidArnException(StrongroomError):
    """A grantee or retiring principal that is not a principal's ARN."""
