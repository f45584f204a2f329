"""The Secrets Manager repository's index orders and deletion schedule, over a barrier on
memory storage.

`invert` must reverse the order of any two names (so a descending scan is a plain scan);
`ordered` must list an account and region's secrets in each of `ORDERS`, resume after a
key, and see nothing of other namespaces; `due` must give the secrets whose deletion date
has passed, oldest first, and stop reading at the first that is not due.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.unit.services.counting_view import CountingView, counting_view

from strongroom.services.secretsmanager.records import SecretRecord
from strongroom.services.secretsmanager.repository import ORDERS, SecretsRepository, invert

ACCOUNT = "111122223333"
REGION = "us-east-1"
NOW = 1_700_000_000.0
NAME_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/_+=.@!-"
NAMES = st.text(alphabet=NAME_ALPHABET, min_size=1, max_size=40)


def new_repository() -> tuple[SecretsRepository, CountingView]:
    view = counting_view("secretsmanager/")
    return SecretsRepository(view), view


def secret(
    name: str, created: float, number: int, account: str = ACCOUNT, region: str = REGION
) -> SecretRecord:
    return SecretRecord(
        secret_id=f"{number:032x}",
        name=name,
        account=account,
        region=region,
        partition="aws",
        suffix="AbCdEf",
        created=created,
        last_changed=created,
    )


# --- invert --------------------------------------------------------------------------


@settings(max_examples=500)
@given(NAMES, NAMES)
def test_invert_reverses_the_order_of_names(a: str, b: str) -> None:
    assert (a < b) == (invert(a) > invert(b))
    assert (a == b) == (invert(a) == invert(b))


@given(NAMES, NAMES)
def test_a_longer_name_sharing_a_prefix_comes_first_inverted(a: str, b: str) -> None:
    assert invert(a + b) < invert(a)


@given(st.text(min_size=1, max_size=20), st.text(min_size=1, max_size=20))
def test_invert_reverses_any_text_not_only_names(a: str, b: str) -> None:
    assert (a < b) == (invert(a) > invert(b))


# --- ordered -------------------------------------------------------------------------

SECRETS = [  # (name, created): name order and creation order differ
    ("b/two", NOW + 3),
    ("a-one", NOW + 1),
    ("c.three", NOW + 2),
    ("a-one-longer", NOW + 5),
    ("B", NOW + 4),
]
EXPECTED = {
    "created": ["a-one", "c.three", "b/two", "B", "a-one-longer"],
    "created-desc": ["a-one-longer", "B", "b/two", "c.three", "a-one"],
    "name": sorted(name for name, _ in SECRETS),
    "name-desc": sorted((name for name, _ in SECRETS), reverse=True),
}


@pytest.fixture
def filled() -> SecretsRepository:
    repository, _ = new_repository()
    for number, (name, created) in enumerate(SECRETS):
        repository.add(secret(name, created, number))
    # Neighbours that must never show: another account, another region.
    repository.add(secret("a-one", NOW, 90, account="444455556666"))
    repository.add(secret("zzz", NOW, 91, region="us-east-2"))
    return repository


def test_the_orders_are_the_four_indexed_ones() -> None:
    assert set(ORDERS) == set(EXPECTED)


@pytest.mark.parametrize("order", ORDERS)
def test_ordered_lists_the_namespace_in_each_order(filled: SecretsRepository, order: str) -> None:
    names = [name for _, name in filled.ordered(ACCOUNT, REGION, order, None)]
    assert names == EXPECTED[order]


@pytest.mark.parametrize("order", ORDERS)
def test_ordered_resumes_after_any_key(filled: SecretsRepository, order: str) -> None:
    entries = list(filled.ordered(ACCOUNT, REGION, order, None))
    for position, (key, _) in enumerate(entries):
        rest = [name for _, name in filled.ordered(ACCOUNT, REGION, order, key)]
        assert rest == [name for _, name in entries[position + 1 :]]


@pytest.mark.parametrize("order", ORDERS)
def test_a_removed_secret_leaves_every_order(filled: SecretsRepository, order: str) -> None:
    record = filled.load(ACCOUNT, REGION, "b/two")
    assert record is not None
    filled.remove(record)
    names = [name for _, name in filled.ordered(ACCOUNT, REGION, order, None)]
    assert names == [name for name in EXPECTED[order] if name != "b/two"]


@settings(max_examples=60, deadline=None)
@given(st.lists(NAMES, min_size=1, max_size=12, unique=True))
def test_name_desc_is_name_reversed_for_any_names(names: list[str]) -> None:
    repository, _ = new_repository()
    for number, name in enumerate(names):
        repository.add(secret(name, NOW + number, number))
    ascending = [name for _, name in repository.ordered(ACCOUNT, REGION, "name", None)]
    descending = [name for _, name in repository.ordered(ACCOUNT, REGION, "name-desc", None)]
    assert ascending == sorted(names)
    assert descending == sorted(names, reverse=True)


# --- due -----------------------------------------------------------------------------


def scheduled(repository: SecretsRepository, name: str, number: int, deletion: float) -> None:
    record = secret(name, NOW - 30 * 86_400, number)
    record.deleted_date = deletion - 7 * 86_400
    record.deletion_date = deletion
    repository.add(record)
    repository.schedule_purge(record)


def test_due_gives_the_passed_deadlines_oldest_first_and_stops_at_the_first_not_due() -> None:
    repository, view = new_repository()
    scheduled(repository, "late", 1, NOW + 0.001)
    scheduled(repository, "now", 2, NOW)
    scheduled(repository, "first", 3, NOW - 100)
    scheduled(repository, "much-later", 4, NOW + 86_400)
    scheduled(repository, "later", 5, NOW + 3600)
    view.pulled = 0
    due = list(repository.due(NOW))
    assert [where for _, where in due] == [(ACCOUNT, REGION, "first"), (ACCOUNT, REGION, "now")]
    assert view.pulled == 3, "due() read past the first entry that is not due"


def test_due_spans_accounts_and_regions_and_forgets_removed_entries() -> None:
    repository, _ = new_repository()
    scheduled(repository, "x", 1, NOW - 2)
    record = secret("y", NOW, 2, account="444455556666", region="eu-west-1")
    record.deleted_date, record.deletion_date = NOW - 10, NOW - 1
    repository.add(record)
    repository.schedule_purge(record)
    due = list(repository.due(NOW))
    assert [where for _, where in due] == [
        (ACCOUNT, REGION, "x"),
        ("444455556666", "eu-west-1", "y"),
    ]
    repository.remove_due(due[0][0])
    repository.unschedule_purge(record)
    assert list(repository.due(NOW)) == []


def test_nothing_is_due_before_its_deadline() -> None:
    repository, view = new_repository()
    scheduled(repository, "later", 1, NOW + 1)
    view.pulled = 0
    assert list(repository.due(NOW)) == []
    assert view.pulled == 1
    assert [where for _, where in repository.due(NOW + 1)] == [(ACCOUNT, REGION, "later")]
