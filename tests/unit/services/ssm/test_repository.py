"""The Parameter Store repository's keys, prefix scans and due-work index, over a barrier on
memory storage.

`/a` and `a` must be one parameter under one canonical key; `under` must list what lies
under a prefix of an account and region in name order, resume after a name, and read
nothing else; one parameter's versions must never share a prefix with another's (`/a`
against `/a/b`, `/a-b`, `/ab`), so removing one leaves the others whole; `due` must hand
out due work oldest first, across accounts, and stop reading at the first entry that is not
yet due.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.unit.services.counting_view import CountingView, counting_view

from strongroom.barrier import View
from strongroom.services.ssm.records import ParameterRecord, VersionRecord
from strongroom.services.ssm.repository import ParametersRepository

ACCOUNT = "111122223333"
REGION = "us-east-1"
NOW = 1_700_000_000.0
LEVEL = st.text("abcAB09_.-", min_size=1, max_size=4)
NAMES = st.lists(LEVEL, min_size=1, max_size=4).map(lambda levels: "/" + "/".join(levels))


def new_repository() -> tuple[ParametersRepository, CountingView]:
    view = counting_view("ssm/")
    return ParametersRepository(view), view


@pytest.fixture
def repo() -> ParametersRepository:
    return new_repository()[0]


def version(number: int, value: str = "v") -> VersionRecord:
    return VersionRecord(number, f"{value}{number}", "String", NOW + number, "arn:user")


def parameter(
    name: str,
    versions: int = 1,
    account: str = ACCOUNT,
    region: str = REGION,
) -> ParameterRecord:
    return ParameterRecord(
        name=name,
        account=account,
        region=region,
        partition="aws",
        current=version(versions, name),
        kept=list(range(1, versions + 1)),
    )


def stored(repo: ParametersRepository, record: ParameterRecord) -> ParameterRecord:
    """Save `record` and every version it keeps (values name the parameter)."""
    for number in record.kept:
        repo.save_version(record, version(number, record.name))
    repo.save(record)
    return record


def raw_paths(view: View, prefix: str = "") -> list[str]:
    return [path for path, _ in view.scan(prefix)]


# --- canonical keys ---------------------------------------------------------------------


@pytest.mark.parametrize("saved_as", ["a", "/a"])
def test_a_single_level_name_is_one_parameter_with_or_without_its_slash(saved_as: str) -> None:
    repo, view = new_repository()
    stored(repo, parameter(saved_as))
    for asked in ("a", "/a"):
        found = repo.parameter(ACCOUNT, REGION, asked)
        loaded = repo.load(ACCOUNT, REGION, asked)
        assert found is not None and loaded is not None
        assert found.name == loaded.name == saved_as
    assert raw_paths(view, f"{ACCOUNT}/{REGION}/params/") == [f"{ACCOUNT}/{REGION}/params/a"]


def test_the_storage_paths_are_the_documented_layout() -> None:
    repo, view = new_repository()
    stored(repo, parameter("/prod/db", versions=2))
    stored(repo, parameter("/single", versions=1))
    base = f"{ACCOUNT}/{REGION}"
    assert raw_paths(view) == [
        f"{base}/params//prod/db",
        f"{base}/params/single",
        f"{base}/versions//prod/db:0000000001",
        f"{base}/versions//prod/db:0000000002",
        f"{base}/versions/single:0000000001",
    ]


def test_a_deeper_name_keeps_its_slash_and_differs_from_the_bare_form(
    repo: ParametersRepository,
) -> None:
    stored(repo, parameter("/a/b"))
    assert repo.parameter(ACCOUNT, REGION, "/a/b") is not None
    assert repo.parameter(ACCOUNT, REGION, "a/b") is None


def test_names_are_case_sensitive(repo: ParametersRepository) -> None:
    stored(repo, parameter("/Prod/db"))
    assert repo.parameter(ACCOUNT, REGION, "/prod/db") is None


@pytest.mark.parametrize(
    ("account", "region"),
    [("111122223334", REGION), ("11112222333", REGION), (ACCOUNT, "us-east-2"), (ACCOUNT, "us")],
)
def test_accounts_and_regions_do_not_see_each_other(account: str, region: str) -> None:
    repo, _ = new_repository()
    stored(repo, parameter("/prod/db"))
    assert repo.parameter(account, region, "/prod/db") is None
    assert list(repo.under(account, region, "")) == []


def test_load_is_a_private_copy_until_saved(repo: ParametersRepository) -> None:
    stored(repo, parameter("/prod/db"))
    copy = repo.load(ACCOUNT, REGION, "/prod/db")
    assert copy is not None
    copy.tags["k"] = "v"
    shared = repo.parameter(ACCOUNT, REGION, "/prod/db")
    assert shared is not None and shared.tags == {}
    repo.save(copy)
    shared = repo.parameter(ACCOUNT, REGION, "/prod/db")
    assert shared is not None and shared.tags == {"k": "v"}


def test_a_rolled_back_write_is_gone_once_forgotten(repo: ParametersRepository) -> None:
    stored(repo, parameter("/prod/db"))
    with pytest.raises(RuntimeError), repo.transaction():
        changed = repo.load(ACCOUNT, REGION, "/prod/db")
        assert changed is not None
        changed.tags["k"] = "v"
        repo.save(changed)
        raise RuntimeError("roll back")
    repo.forget()
    shared = repo.parameter(ACCOUNT, REGION, "/prod/db")
    assert shared is not None and shared.tags == {}


# --- under: prefix scans ----------------------------------------------------------------

TREE = [  # as PutParameter stores them: single-level names without their slash
    "/prod/db/url",
    "/prod/db/user",
    "/prod/api",
    "/prod-east/db",
    "/prodx/a",
    "production",
    "/staging/db",
    "single",
    "zz",
]


@pytest.fixture
def tree() -> tuple[ParametersRepository, CountingView]:
    repo, view = new_repository()
    for name in TREE:
        stored(repo, parameter(name, versions=2))
    stored(repo, parameter("/prod/db/url", account="999999999999"))
    stored(repo, parameter("/prod/db/url", region="eu-west-1"))
    return repo, view


def names(records: Iterator[ParameterRecord]) -> list[str]:
    return [record.name for record in records]


def test_under_a_path_lists_only_what_lies_below_it_in_name_order(
    tree: tuple[ParametersRepository, CountingView],
) -> None:
    repo, view = tree
    view.pulled = 0
    assert names(repo.under(ACCOUNT, REGION, "/prod/")) == [
        "/prod/api",
        "/prod/db/url",
        "/prod/db/user",
    ]
    assert view.pulled == 3, "under() read entries that do not lie under the prefix"


def test_under_the_empty_prefix_is_every_parameter_and_no_version(
    tree: tuple[ParametersRepository, CountingView],
) -> None:
    repo, _ = tree
    assert names(repo.under(ACCOUNT, REGION, "")) == sorted(TREE)


def test_under_a_slash_is_every_hierarchical_name(
    tree: tuple[ParametersRepository, CountingView],
) -> None:
    repo, _ = tree
    assert names(repo.under(ACCOUNT, REGION, "/")) == sorted(n for n in TREE if "/" in n)


def test_under_resumes_after_a_name(tree: tuple[ParametersRepository, CountingView]) -> None:
    repo, view = tree
    view.pulled = 0
    after = names(repo.under(ACCOUNT, REGION, "/prod/", start_after="/prod/db/url"))
    assert after == ["/prod/db/user"]
    assert view.pulled == 1
    assert names(repo.under(ACCOUNT, REGION, "", start_after="/staging/db")) == [
        "production",
        "single",
        "zz",
    ]
    assert names(repo.under(ACCOUNT, REGION, "", start_after="zz")) == []


@settings(max_examples=50, deadline=None)
@given(st.sets(NAMES, max_size=12), NAMES)
def test_under_is_exactly_the_names_with_the_prefix(names_: set[str], path: str) -> None:
    repo, view = new_repository()
    for name in names_:
        repo.save(parameter(name))
    prefix = path + "/"
    view.pulled = 0
    found = names(repo.under(ACCOUNT, REGION, prefix))
    assert found == sorted(n for n in names_ if n.startswith(prefix))
    assert view.pulled == len(found)


# --- versions: never mixed between parameters --------------------------------------------


NEIGHBOURS = ["/a", "/a/b", "/a-b", "/ab", "/a/b/c", "a0"]


@pytest.fixture
def neighbours() -> tuple[ParametersRepository, CountingView, dict[str, ParameterRecord]]:
    repo, view = new_repository()
    records = {name: stored(repo, parameter(name, versions=3)) for name in NEIGHBOURS}
    return repo, view, records


def test_each_parameter_reads_only_its_own_versions(
    neighbours: tuple[ParametersRepository, CountingView, dict[str, ParameterRecord]],
) -> None:
    repo, _, records = neighbours
    for name, record in records.items():
        for number in (1, 2, 3):
            found = repo.version(record, number)
            assert found is not None and found.value == f"{name}{number}"
            loaded = repo.load_version(record, number)
            assert loaded is not None and loaded.value == f"{name}{number}"


def test_a_parameters_versions_are_one_prefix_holding_nothing_else(
    neighbours: tuple[ParametersRepository, CountingView, dict[str, ParameterRecord]],
) -> None:
    _, view, _ = neighbours
    base = f"{ACCOUNT}/{REGION}/versions/"
    for name in NEIGHBOURS:
        key = name if "/" in name.removeprefix("/") else name.removeprefix("/")
        assert raw_paths(view, f"{base}{key}:") == [f"{base}{key}:{n:010d}" for n in (1, 2, 3)]


def test_removing_a_parameter_leaves_its_neighbours_whole(
    neighbours: tuple[ParametersRepository, CountingView, dict[str, ParameterRecord]],
) -> None:
    repo, view, records = neighbours
    repo.remove(records["/a"])
    assert repo.parameter(ACCOUNT, REGION, "/a") is None
    assert repo.load_version(records["/a"], 1) is None
    for name in NEIGHBOURS[1:]:
        assert repo.parameter(ACCOUNT, REGION, name) is not None, name
        for number in (1, 2, 3):
            assert repo.load_version(records[name], number) is not None, (name, number)
    assert not [p for p in raw_paths(view) if p.endswith(("/a", "versions/a:0000000001"))]


def test_removing_one_version_leaves_the_others(
    neighbours: tuple[ParametersRepository, CountingView, dict[str, ParameterRecord]],
) -> None:
    repo, _, records = neighbours
    repo.remove_version(records["/a/b"], 1)
    assert repo.load_version(records["/a/b"], 1) is None
    assert repo.load_version(records["/a/b"], 2) is not None
    assert repo.load_version(records["/a"], 1) is not None


def test_the_current_version_is_answered_from_the_record(repo: ParametersRepository) -> None:
    record = parameter("/a", versions=2)
    repo.save(record)  # no version record stored: the current one needs none
    assert repo.version(record, 2) is record.current
    assert repo.version(record, 1) is None


def test_version_numbers_keep_their_order_past_nine(repo: ParametersRepository) -> None:
    record = stored(repo, parameter("/a", versions=12))
    for number in record.kept:
        found = repo.load_version(record, number)
        assert found is not None and found.version == number


# --- due: the policy work index ---------------------------------------------------------


def test_due_hands_out_due_work_oldest_first_and_stops_at_the_first_not_due() -> None:
    repo, view = new_repository()
    a, b = parameter("/a/x"), parameter("b", account="222233334444")
    entries = [
        repo.schedule(NOW + 100, "NoChangeNotification", a),
        repo.schedule(NOW - 50, "Expiration", b),
        repo.schedule(NOW, "ExpirationNotification", a),
        repo.schedule(NOW + 0.001, "Expiration", a),
        repo.schedule(NOW + 10_000, "Expiration", b),
    ]
    view.pulled = 0
    due = list(repo.due(NOW))
    assert due == [
        (entries[1], "Expiration", "222233334444", REGION, "b"),
        (entries[2], "ExpirationNotification", ACCOUNT, REGION, "/a/x"),
    ]
    assert view.pulled == 3, "due() read past the first entry that is not due"


def test_due_keeps_a_hierarchical_name_whole() -> None:
    repo, _ = new_repository()
    record = parameter("/prod/payments/db-url", region="eu-west-1")
    path = repo.schedule(NOW, "Expiration", record)
    assert list(repo.due(NOW)) == [(path, "Expiration", ACCOUNT, "eu-west-1", record.name)]


def test_unscheduled_work_is_never_due() -> None:
    repo, _ = new_repository()
    path = repo.schedule(NOW - 1, "Expiration", parameter("/a"))
    repo.unschedule(path)
    assert list(repo.due(NOW)) == []


def test_nothing_is_due_before_its_time_and_everything_after() -> None:
    repo, _ = new_repository()
    repo.schedule(NOW, "Expiration", parameter("/a"))
    assert list(repo.due(NOW - 0.001)) == []
    assert len(list(repo.due(NOW))) == 1


@pytest.mark.parametrize("when", [-5.0, 0.0, 1e20])
def test_times_out_of_range_are_clamped_not_misordered(when: float) -> None:
    repo, _ = new_repository()
    repo.schedule(when, "Expiration", parameter("/odd"))
    repo.schedule(NOW, "Expiration", parameter("/now"))
    names_due = [name for *_, name in repo.due(1e20)]
    assert names_due == (["/odd", "/now"] if when < NOW else ["/now", "/odd"])


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.floats(min_value=0, max_value=4e9, allow_nan=False), min_size=1, max_size=15),
    st.floats(min_value=0, max_value=4e9, allow_nan=False),
)
def test_due_is_every_entry_at_or_before_now_in_time_order(times: list[float], now: float) -> None:
    repo, view = new_repository()
    for index, when in enumerate(times):
        repo.schedule(when, "Expiration", parameter(f"/p{index:02d}"))
    view.pulled = 0
    found = [int(name[2:]) for *_, name in repo.due(now)]
    ms = [round(t * 1000) for t in times]
    expected = sorted((i for i, t in enumerate(ms) if t <= round(now * 1000)), key=lambda i: ms[i])
    assert sorted(found) == sorted(expected)
    assert [ms[i] for i in found] == sorted(ms[i] for i in found)
    assert view.pulled <= len(found) + 1


def test_a_record_round_trips_through_storage(repo: ParametersRepository) -> None:
    record = parameter("/prod/db", versions=3)
    record = dataclasses.replace(
        record,
        tags={"k": "v"},
        labels={"stable": 2},
        scheduled=["due/x"],
    )
    record.current.policies = [{"PolicyText": "{}", "PolicyType": "Expiration"}]
    repo.save(record)
    repo.forget()
    loaded = repo.load(ACCOUNT, REGION, "/prod/db")
    assert loaded == record
