"""Staging labels: add_version, move_label and purge_deprecated keep AWS's invariants.

The examples are the sequences recorded against AWS (docs/secretsmanager-semantics.md,
"Versions and staging labels"); the property test drives random sequences of writes and
moves and checks after each step: once a version exists exactly one holds AWSCURRENT,
no label is on two versions, AWSPREVIOUS is on the version AWSCURRENT last left, a
label nobody moved stays where it was, and a refused move changes nothing.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from strongroom.errors import InvalidParameterException, LimitExceededException
from strongroom.services.secretsmanager.labels import (
    MAX_DEPRECATED,
    MAX_LABELS_PER_VERSION,
    add_version,
    move_label,
    purge_deprecated,
)
from strongroom.services.secretsmanager.records import (
    AWSCURRENT,
    AWSPENDING,
    AWSPREVIOUS,
    DAY,
    SecretRecord,
)

NOW = 1_700_000_000.0


def record() -> SecretRecord:
    return SecretRecord(
        secret_id="0" * 32,
        name="app/db",
        account="111122223333",
        region="us-east-1",
        partition="aws",
        suffix="AbCdEf",
        created=NOW,
        last_changed=NOW,
    )


def labels_of(secret: SecretRecord) -> dict[str, list[str]]:
    """Version -> its labels, sorted (deprecated versions show as [])."""
    return {vid: sorted(info.labels) for vid, info in secret.versions.items()}


def with_versions(*stages: list[str] | None) -> SecretRecord:
    """A secret whose versions v1, v2, ... were added with these stages, in order."""
    secret = record()
    for number, labels in enumerate(stages, start=1):
        add_version(secret, f"v{number}", NOW + number, labels)
    return secret


# --- add_version ---------------------------------------------------------------------


def test_the_first_version_is_current_whatever_it_is_given() -> None:
    assert labels_of(with_versions(None)) == {"v1": [AWSCURRENT]}
    assert labels_of(with_versions(["S1"])) == {"v1": [AWSCURRENT, "S1"]}


def test_a_default_version_becomes_current_and_the_old_current_previous() -> None:
    secret = with_versions(None, None)
    assert labels_of(secret) == {"v1": [AWSPREVIOUS], "v2": [AWSCURRENT]}
    add_version(secret, "v3", NOW + 3, None)
    assert labels_of(secret) == {"v1": [], "v2": [AWSPREVIOUS], "v3": [AWSCURRENT]}


def test_labels_given_leave_current_where_it_is() -> None:
    """AWS: Put(labels [S1, S0]) when v1 is current: v2 has [S0, S1], v1 stays current."""
    secret = with_versions(None, ["S1", "S0"])
    assert labels_of(secret) == {"v1": [AWSCURRENT], "v2": ["S0", "S1"]}
    assert secret.holder(AWSPREVIOUS) is None


def test_each_label_given_leaves_its_old_holder() -> None:
    """AWS: Put([one, two, three]) then Put([four, one, two]): v2 keeps only [three]."""
    secret = with_versions(None, ["one", "two", "three"], ["four", "one", "two"])
    assert labels_of(secret) == {
        "v1": [AWSCURRENT],
        "v2": ["three"],
        "v3": ["four", "one", "two"],
    }


def test_current_given_explicitly_moves_previous_and_keeps_other_labels() -> None:
    secret = with_versions(None, [AWSPENDING])
    add_version(secret, "v3", NOW + 3, [AWSCURRENT, "custom"])
    assert labels_of(secret) == {
        "v1": [AWSPREVIOUS],
        "v2": [AWSPENDING],
        "v3": [AWSCURRENT, "custom"],
    }


def test_a_label_repeated_in_the_stages_is_added_once() -> None:
    secret = with_versions(None, ["S", "S"])
    assert secret.versions["v2"].labels == ["S"]


# --- move_label ----------------------------------------------------------------------


def test_moving_current_onto_the_pending_version_as_rotation_finishes() -> None:
    """AWS: UpdateSecretVersionStage(AWSCURRENT, Remove=v1, Move=v2), v2 AWSPENDING."""
    secret = with_versions(None, [AWSPENDING])
    move_label(secret, AWSCURRENT, "v1", "v2")
    assert labels_of(secret) == {"v1": [AWSPREVIOUS], "v2": [AWSCURRENT, AWSPENDING]}
    add_version(secret, "v3", NOW + 3, [AWSPENDING])
    assert labels_of(secret) == {"v1": [AWSPREVIOUS], "v2": [AWSCURRENT], "v3": [AWSPENDING]}


def test_moving_current_takes_previous_off_its_old_holder() -> None:
    secret = with_versions(None, None, ["S"])  # v1 PREVIOUS, v2 CURRENT, v3 S
    move_label(secret, AWSCURRENT, "v2", "v3")
    assert labels_of(secret) == {"v1": [], "v2": [AWSPREVIOUS], "v3": [AWSCURRENT, "S"]}


def test_moving_current_onto_its_holder_moves_nothing() -> None:
    secret = with_versions(None, None)
    before = labels_of(secret)
    move_label(secret, AWSCURRENT, "v2", "v2")
    move_label(secret, AWSCURRENT, None, "v2")
    assert labels_of(secret) == before


def test_a_label_nobody_holds_moves_without_remove_from() -> None:
    secret = with_versions(None, None)
    move_label(secret, "fresh", None, "v1")
    assert labels_of(secret) == {"v1": [AWSPREVIOUS, "fresh"], "v2": [AWSCURRENT]}


def test_removing_a_label_deprecates_a_version_left_without_one() -> None:
    secret = with_versions(None, ["S"])
    move_label(secret, "S", "v2", None)
    assert labels_of(secret) == {"v1": [AWSCURRENT], "v2": []}


def refused(secret: SecretRecord, *args: Any, match: str) -> None:
    """`move_label(secret, *args)` is refused with a message matching `match`, and the
    secret is left exactly as it was."""
    before = copy.deepcopy(secret)
    with pytest.raises(InvalidParameterException, match=match):
        move_label(secret, *args)
    assert secret == before


def test_refused_moves_change_nothing() -> None:
    secret = with_versions(None, [AWSPENDING])
    refused(secret, AWSPENDING, "v2", "nope", match="can't find the specified secret version")
    refused(secret, AWSPENDING, "nope", None, match="can't find the specified secret version")
    refused(secret, AWSPENDING, "v1", None, match="is not attached to the version v1")
    refused(secret, AWSPENDING, None, None, match="is not attached")
    refused(secret, AWSCURRENT, "v1", None, match="can't remove the staging label AWSCURRENT")
    refused(
        secret,
        AWSPENDING,
        None,
        "v1",
        match="RemoveFromVersionId can't be empty. Staging label AWSPENDING is currently "
        "attached to version v2",
    )
    refused(secret, AWSPENDING, "v1", "v1", match="must be set to the version that currently")


def test_a_version_holds_at_most_the_label_limit() -> None:
    secret = with_versions(None, [f"L{n}" for n in range(MAX_LABELS_PER_VERSION)])
    with pytest.raises(LimitExceededException):
        move_label(secret, "one-more", None, "v2")
    assert len(secret.versions["v2"].labels) == MAX_LABELS_PER_VERSION
    assert secret.holder("one-more") is None


# --- purge_deprecated ----------------------------------------------------------------


def with_deprecated(count: int, created: float) -> SecretRecord:
    """A current version plus `count` deprecated ones created from `created` on."""
    secret = with_versions(None)
    for n in range(count):
        add_version(secret, f"d{n:03d}", created + n, ["tmp"])
        move_label(secret, "tmp", f"d{n:03d}", None)
    return secret


def test_up_to_the_limit_nothing_is_purged() -> None:
    secret = with_deprecated(MAX_DEPRECATED, NOW - 2 * DAY)
    assert purge_deprecated(secret, NOW) == []
    assert len(secret.versions) == MAX_DEPRECATED + 1


def test_past_the_limit_the_oldest_deprecated_versions_go() -> None:
    secret = with_deprecated(MAX_DEPRECATED + 3, NOW - 2 * DAY)
    assert purge_deprecated(secret, NOW) == ["d000", "d001", "d002"]
    assert "v1" in secret.versions and "d003" in secret.versions
    assert len(secret.versions) == MAX_DEPRECATED + 1


def test_labelled_versions_are_never_purged_however_old() -> None:
    secret = with_deprecated(MAX_DEPRECATED + 1, NOW - 2 * DAY)
    secret.versions["v1"].created = NOW - 100 * DAY
    assert purge_deprecated(secret, NOW) == ["d000"]
    assert secret.versions["v1"].labels == [AWSCURRENT]


def test_a_deprecated_version_younger_than_a_day_is_kept_and_the_write_refused() -> None:
    secret = with_deprecated(MAX_DEPRECATED + 1, NOW - DAY + 60)
    with pytest.raises(LimitExceededException, match="maximum number of versions"):
        purge_deprecated(secret, NOW)


def test_only_as_many_as_needed_are_purged_when_some_are_young() -> None:
    secret = with_deprecated(MAX_DEPRECATED + 1, NOW - DAY - 1)  # only d000 is over a day
    assert purge_deprecated(secret, NOW) == ["d000"]


# --- the invariants, over any sequence -----------------------------------------------

LABELS = [AWSCURRENT, AWSPENDING, "A", "B"]  # AWSPREVIOUS only ever moves by itself here
VERSION = st.integers(min_value=0, max_value=6)  # an index; past the end names no version
ADD = st.tuples(st.just("add"), st.none() | st.lists(st.sampled_from(LABELS), max_size=3))
MOVE = st.tuples(
    st.just("move"),
    st.sampled_from(LABELS),
    st.none() | VERSION,
    st.none() | VERSION,
)
STEPS = st.lists(st.one_of(ADD, MOVE), min_size=1, max_size=25)


def _id(secret: SecretRecord, index: int | None) -> str | None:
    ids = list(secret.versions)
    return None if index is None else ids[index] if index < len(ids) else f"absent{index}"


def _holders(secret: SecretRecord) -> dict[str, str]:
    return {label: vid for vid, info in secret.versions.items() for label in info.labels}


def _step(secret: SecretRecord, step: tuple[Any, ...], n: int) -> set[str]:
    """Apply one step; the labels it named (the only ones allowed to move, with
    AWSPREVIOUS and, on a first version, AWSCURRENT)."""
    if step[0] == "add":
        add_version(secret, f"v{n}", NOW + n, step[1])
        return {AWSCURRENT} | set(step[1] or [])
    _, label, remove_from, move_to = step
    before = copy.deepcopy(secret)
    try:
        move_label(secret, label, _id(secret, remove_from), _id(secret, move_to))
    except InvalidParameterException:
        assert secret == before, "a refused move changed the secret"
    return {label}


@settings(max_examples=300, deadline=None)
@given(STEPS)
def test_labels_keep_their_invariants_over_any_sequence(steps: list[tuple[Any, ...]]) -> None:
    secret = record()
    last_left: str | None = None
    for n, step in enumerate(steps):
        before = _holders(secret)
        named = _step(secret, step, n)
        after = _holders(secret)
        everywhere = [label for info in secret.versions.values() for label in info.labels]
        assert len(everywhere) == len(set(everywhere)), "a label is on two versions"
        if secret.versions:
            assert AWSCURRENT in after, "no version holds AWSCURRENT"
        if before.get(AWSCURRENT) not in (None, after.get(AWSCURRENT)):
            last_left = before[AWSCURRENT]
        assert after.get(AWSPREVIOUS) == last_left
        for label in set(before) | set(after):
            if label not in named | {AWSPREVIOUS}:
                assert before.get(label) == after.get(label), f"{label} moved by itself"


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.tuples(
                st.just("add"),
                st.none() | st.lists(st.sampled_from([*LABELS, AWSPREVIOUS]), max_size=3),
            ),
            st.tuples(
                st.just("move"),
                st.sampled_from([*LABELS, AWSPREVIOUS]),
                st.none() | VERSION,
                st.none() | VERSION,
            ),
        ),
        min_size=1,
        max_size=25,
    )
)
def test_one_current_and_no_shared_label_even_when_previous_is_moved_by_hand(
    steps: list[tuple[Any, ...]],
) -> None:
    secret = record()
    for n, step in enumerate(steps):
        _step(secret, step, n)
        everywhere = [label for info in secret.versions.values() for label in info.labels]
        assert len(everywhere) == len(set(everywhere))
        assert everywhere.count(AWSCURRENT) == (1 if secret.versions else 0)
