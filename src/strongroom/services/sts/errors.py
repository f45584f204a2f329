"""STS's own error names that `strongroom.errors` does not have yet.

They belong beside the other errors in `strongroom.errors`; until they move there they
live here, still under the one root `StrongroomError`, so the edge maps them like any
other deliberate error (both are 400: the model declares PackedPolicyTooLarge's status,
and 400 is the default for a code it does not declare).
"""

from __future__ import annotations

from strongroom.errors import StrongroomError


class PackedPolicyTooLargeException(StrongroomError):
    """AssumeRole's session policies and tags together pass the packed size's allotment."""

    code = "PackedPolicyTooLarge"


class InvalidParameterValue(StrongroomError):
    """A parameter's value is wrong for what it names (STS's duplicate or transitive tag
    keys, a managed policy that does not exist)."""
