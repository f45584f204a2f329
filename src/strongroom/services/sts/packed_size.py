"""AssumeRole's PackedPolicySize: how much of the session's allotted space its session
policies and tags take, in percent; over 100 is PackedPolicyTooLarge.

AWS packs the inline policy, the managed policy ARNs and the session tags into a
compressed binary form whose limit it does not publish. Strongroom counts instead, so the
size is predictable: the inline policy's characters less white space (as IAM counts a
policy's size), each managed policy ARN's characters, and each tag's key and value
characters, against an allotment of 4,096. A 2,048-character policy thus takes at most
half; the rest is room for ARNs and tags. Transitive tag keys take no space (as in AWS).
The answer rounds up: anything passed takes at least 1%.
"""

from __future__ import annotations

from collections.abc import Sequence

from strongroom.services.iam.documents import size
from strongroom.services.sts.errors import PackedPolicyTooLargeException

ALLOTTED = 4096


def packed_size(
    policy: str | None, policy_arns: Sequence[str], tags: Sequence[tuple[str, str]]
) -> int:
    """The percentage of the allotment taken; PackedPolicyTooLarge above 100, in AWS's
    words for whichever of tags and policies takes more of it."""
    policies = (0 if policy is None else size(policy)) + sum(len(arn) for arn in policy_arns)
    tagged = sum(len(key) + len(value) for key, value in tags)
    percent = -(-100 * (policies + tagged) // ALLOTTED)  # rounded up
    if percent > 100:
        if tagged > policies:
            raise PackedPolicyTooLargeException(
                f"Packed size of session tags consumes {percent}% of allotted space."
            )
        raise PackedPolicyTooLargeException(
            f"Packed policy consumes {percent}% of allotted space, please use smaller policy."
        )
    return percent
