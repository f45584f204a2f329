"""AssumeRole's session tags and transitive tag keys: AWS's rules and messages.

At most 50 tags, keys of 1..128 and values of 0..256 characters of AWS's tag alphabet, and
at most 50 transitive keys: model constraints, checked at the edge. Here, as AWS words it
(InvalidParameterValue): tag keys are case-insensitive, so no key may be given twice in
any letter case, and every transitive key must be one of the request's tag keys (in any
case). A session tag then overrides a role tag of the same key in any case (the
authorizer merges them). In role chaining, the calling session's transitive tags pass to
the new session unchanged (`chained_tags`).
"""

from __future__ import annotations

from collections.abc import Sequence

from strongroom.services.sts.errors import InvalidParameterValue

Tags = tuple[tuple[str, str], ...]

DUPLICATE_KEYS = "Duplicate tag keys found. Please note that Tag keys are case insensitive."
NOT_A_TAG = "The specified transitive tag key must be included in the requested tags."
OVERRIDES_TRANSITIVE = (
    "One or more of the specified session tags conflict with transitive tags from the "
    "calling session: a transitive tag cannot be changed."
)


def session_tags(
    tags: Sequence[dict[str, str]] | None, transitive_keys: Sequence[str] | None
) -> Tags:
    """The request's tags as (key, value) pairs in the order given, once they and the
    transitive keys are checked."""
    pairs = tuple((tag["Key"], tag["Value"]) for tag in tags or ())
    keys = {key.lower() for key, _ in pairs}
    if len(keys) < len(pairs):
        raise InvalidParameterValue(DUPLICATE_KEYS)
    if any(key.lower() not in keys for key in transitive_keys or ()):
        raise InvalidParameterValue(NOT_A_TAG)
    return pairs


def chained_tags(
    inherited: Tags, inherited_keys: Sequence[str], tags: Tags, transitive_keys: Sequence[str]
) -> tuple[Tags, tuple[str, ...]]:
    """(tags, transitive keys) of a session assumed from one with transitive tags: those
    come first and stay as they are (a request tag of the same key, in any case, is
    refused), then the request's own."""
    keep = {key.lower() for key in inherited_keys}
    carried = tuple((key, value) for key, value in inherited if key.lower() in keep)
    if any(key.lower() in keep for key, _ in tags):
        raise InvalidParameterValue(OVERRIDES_TRANSITIVE)
    carried_keys = tuple(key for key, _ in carried)
    return carried + tags, carried_keys + tuple(transitive_keys)
