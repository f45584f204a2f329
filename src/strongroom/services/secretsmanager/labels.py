"""Staging labels, exactly as AWS moves them (pure: works on a secret's version table).

Invariants:
- A label is on at most one version; putting it on another takes it off its holder.
- Once a secret has a version, exactly one version holds AWSCURRENT.
- Whenever AWSCURRENT moves, AWSPREVIOUS moves onto the version it left (and off
  wherever it was). No other label moves by itself.
- A version with no label is deprecated: hidden from listings, kept until more than
  `MAX_DEPRECATED` are deprecated, then dropped oldest first, but never one younger than
  a day (AWS's rule); past that, new versions are refused.
"""

from __future__ import annotations

from strongroom.errors import InvalidParameterException, LimitExceededException
from strongroom.services.secretsmanager.records import (
    AWSCURRENT,
    AWSPENDING,
    AWSPREVIOUS,
    DAY,
    SecretRecord,
    VersionInfo,
)

MAX_LABELS_PER_VERSION = 20
MAX_DEPRECATED = 100


def _take(record: SecretRecord, label: str) -> str | None:
    """Remove `label` from its holder; the holder's id (or None)."""
    holder = record.holder(label)
    if holder is not None:
        record.versions[holder].labels.remove(label)
    return holder


def _give(record: SecretRecord, version_id: str, label: str) -> None:
    labels = record.versions[version_id].labels
    if label not in labels:
        if len(labels) >= MAX_LABELS_PER_VERSION:
            raise LimitExceededException(
                f"A version can have at most {MAX_LABELS_PER_VERSION} staging labels."
            )
        labels.append(label)


def _move_current(record: SecretRecord, version_id: str) -> None:
    """AWSCURRENT onto `version_id`; AWSPREVIOUS onto the version it left."""
    old = _take(record, AWSCURRENT)
    _give(record, version_id, AWSCURRENT)
    if old is not None and old != version_id:
        _take(record, AWSPREVIOUS)
        _give(record, old, AWSPREVIOUS)


def add_version(
    record: SecretRecord, version_id: str, created: float, stages: list[str] | None
) -> None:
    """A new version with `stages` (default AWSCURRENT); the first version is always
    AWSCURRENT. Each label leaves its old holder; AWSPREVIOUS follows AWSCURRENT."""
    first = record.holder(AWSCURRENT) is None
    record.versions[version_id] = VersionInfo(created=created)
    labels = list(dict.fromkeys([AWSCURRENT] if stages is None else stages))
    if first and AWSCURRENT not in labels:
        labels.append(AWSCURRENT)
    for label in labels:
        if label == AWSCURRENT:
            _move_current(record, version_id)
        else:
            _take(record, label)
            _give(record, version_id, label)


def add_pending(record: SecretRecord, version_id: str, created: float) -> None:
    """A version without a value yet, labelled AWSPENDING: what a rotation starts from (its
    function's createSecret step gives it a value with PutSecretValue). AWSPENDING leaves
    its old holder; no other label moves."""
    record.versions[version_id] = VersionInfo(created=created)
    _take(record, AWSPENDING)
    _give(record, version_id, AWSPENDING)


def pending_elsewhere(record: SecretRecord) -> str | None:
    """The version holding AWSPENDING when it is not also AWSCURRENT (a rotation that has
    not finished), or None."""
    pending = record.holder(AWSPENDING)
    return pending if pending is not None and pending != record.holder(AWSCURRENT) else None


def move_label(
    record: SecretRecord, label: str, remove_from: str | None, move_to: str | None
) -> None:
    """UpdateSecretVersionStage: move `label` to `move_to`, or remove it from
    `remove_from`; the caller must name the version that holds it now."""
    for version_id in (remove_from, move_to):
        if version_id is not None and version_id not in record.versions:
            raise InvalidParameterException(
                f"Secrets Manager can't find the specified secret version: {version_id}."
            )
    holder = record.holder(label)
    if move_to is None:
        if remove_from is None or holder != remove_from:
            raise InvalidParameterException(
                f"The staging label {label} is not attached to the version {remove_from}."
            )
        if label == AWSCURRENT:
            raise InvalidParameterException(
                "You can't remove the staging label AWSCURRENT: move it to another version."
            )
        _take(record, label)
        return
    if holder is not None and holder != move_to and remove_from != holder:
        raise InvalidParameterException(
            f"The parameter RemoveFromVersionId can't be empty. Staging label {label} is "
            f"currently attached to version {holder}, so you must explicitly reference that "
            "version in RemoveFromVersionId."
            if remove_from is None
            else f"When you move staging label {label}, if you specify RemoveFromVersionId, "
            f"it must be set to the version that currently has the staging label {label}."
        )
    if label == AWSCURRENT:
        _move_current(record, move_to)
    else:
        _take(record, label)
        _give(record, move_to, label)


def purge_deprecated(record: SecretRecord, now: float) -> list[str]:
    """Drop deprecated versions beyond `MAX_DEPRECATED`, oldest first, none younger than a
    day; the ids dropped (their values are to be deleted). LimitExceededException if the
    secret would still keep too many."""
    deprecated = sorted(
        (info.created, version_id)
        for version_id, info in record.versions.items()
        if not info.labels
    )
    dropped: list[str] = []
    for created, version_id in deprecated:
        if len(deprecated) - len(dropped) <= MAX_DEPRECATED:
            break
        if created > now - DAY:
            raise LimitExceededException(
                "You have exceeded the maximum number of versions for this secret: more "
                f"than {MAX_DEPRECATED} versions without a staging label were created in the "
                "last 24 hours."
            )
        del record.versions[version_id]
        dropped.append(version_id)
    return dropped
