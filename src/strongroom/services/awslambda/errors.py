"""Lambda's own error names that `strongroom.errors` does not have yet.

They belong beside the other Lambda errors in `strongroom.errors` (and their statuses in
`api/aws/errors.py`: 412 and 413); until they move there they live here, still under the
one root `StrongroomError`, so the edge maps them like any other deliberate error.
"""

from __future__ import annotations

from strongroom.errors import StrongroomError


class InvalidRequestContentException(StrongroomError):
    """The Invoke payload is not JSON."""


class RequestTooLargeException(StrongroomError):
    """The Invoke payload is larger than an invocation of its type may carry (413)."""


class PreconditionFailedException(StrongroomError):
    """The RevisionId given is not the function's current one (412)."""


class PolicyLengthExceededException(StrongroomError):
    """The function's resource policy would grow past 20 KB."""
