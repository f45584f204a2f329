"""Which users, groups and roles use a managed policy, found by scanning the account.

Entities keep their attachments and boundary (see `records`); these answers read them
back: counts for every policy at once (GetPolicy, ListPolicies, DeletePolicy) and the
entities using one policy (ListEntitiesForPolicy).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

from strongroom.services.iam.records import KINDS, EntityRecord
from strongroom.services.iam.service import Iam


@dataclass(frozen=True, slots=True)
class Usage:
    """How many entities attach each policy, and how many it bounds, by policy ARN."""

    attachments: Counter[str]
    boundaries: Counter[str]

    def in_use(self, arn: str) -> bool:
        """Whether anything attaches the policy or is bounded by it."""
        return self.attachments[arn] > 0 or self.boundaries[arn] > 0


def every_entity(iam: Iam, account: str) -> Iterator[EntityRecord]:
    """The account's users, then groups, then roles."""
    for kind in KINDS:
        yield from iam.repository.entities(account, kind)


def usage(iam: Iam, account: str) -> Usage:
    """Attachment and boundary counts of every policy the account's entities use."""
    attachments: Counter[str] = Counter()
    boundaries: Counter[str] = Counter()
    for entity in every_entity(iam, account):
        attachments.update(entity.attached)
        if entity.boundary is not None:
            boundaries[entity.boundary] += 1
    return Usage(attachments, boundaries)
