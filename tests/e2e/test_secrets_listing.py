"""ListSecrets and BatchGetSecretValue through boto3 against a real server.

Invariants checked: filters select exactly what AWS's rules select (prefix, word prefix,
case, negation, OR within a filter, AND across filters); every sort order is exact;
pages cover every secret exactly once and in the unpaginated order; bad tokens and bad
filters are refused; per-secret failures of a batch read are reported, not raised.

The module has its own server, and each test its own region on it: a region is a
separate namespace, so every listing below sees only the secrets its test created.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.e2e.harness import ServerProcess
from tests.e2e.kms_support import error_of
from tests.e2e.own_regions import fresh_region, own_server, region_client

NOT_FOUND = "Secrets Manager can't find the specified secret."
MARKED_DELETED = (
    "You can't perform this operation on the secret because it was marked for deletion."
)
_REGION_NUMBERS = itertools.count(1)


server = own_server("sm-listing")
region = fresh_region("zz-listing")
sm = region_client("secretsmanager")
raw_sm = region_client("secretsmanager", validate=False)


def _create(sm: Any, name: str, **kwargs: Any) -> dict[str, Any]:
    """CreateSecret with a value (unless one is given or `SecretString=None`)."""
    kwargs.setdefault("SecretString", f"value of {name}")
    if kwargs["SecretString"] is None:
        del kwargs["SecretString"]
    return sm.create_secret(Name=name, **kwargs)  # type: ignore[no-any-return]


def _tags(**pairs: str) -> list[dict[str, str]]:
    return [{"Key": key, "Value": value} for key, value in pairs.items()]


def _names(sm: Any, *filters: tuple[str, list[str]], **kwargs: Any) -> set[str]:
    """Names ListSecrets returns for `filters` (each a (key, values) pair), in one page."""
    wire = [{"Key": key, "Values": values} for key, values in filters]
    response = sm.list_secrets(Filters=wire, MaxResults=100, **kwargs)
    assert "NextToken" not in response
    return {entry["Name"] for entry in response["SecretList"]}


def _listed(sm: Any, **kwargs: Any) -> list[dict[str, Any]]:
    """Every entry of one unpaginated ListSecrets."""
    response = sm.list_secrets(MaxResults=100, **kwargs)
    assert "NextToken" not in response
    return response["SecretList"]  # type: ignore[no-any-return]


def _groups(entries: list[dict[str, Any]], field: str) -> list[tuple[datetime, frozenset[str]]]:
    """Consecutive entries with the same `field` date, as (date, names): an exact order
    that leaves secrets changed in the same millisecond in either order."""
    groups: list[tuple[datetime, frozenset[str]]] = []
    for entry in entries:
        moment = entry[field]
        if groups and groups[-1][0] == moment:
            groups[-1] = (moment, groups[-1][1] | {entry["Name"]})
        else:
            groups.append((moment, frozenset({entry["Name"]})))
    return groups


def _expected_groups(
    described: list[dict[str, Any]], field: str, descending: bool
) -> list[tuple[datetime, frozenset[str]]]:
    ordered = sorted(described, key=lambda entry: entry[field], reverse=descending)
    return _groups(ordered, field)


# --- filters ----------------------------------------------------------------------


def test_name_filter_is_a_case_sensitive_prefix(sm: Any) -> None:
    for name in ("DatabaseSecret", "databaseSecret", "MyData", "Data-prod", "Dat"):
        _create(sm, name)
    assert _names(sm, ("name", ["Data"])) == {"DatabaseSecret", "Data-prod"}
    assert _names(sm, ("name", ["data"])) == {"databaseSecret"}
    assert _names(sm, ("name", ["Dat"])) == {"DatabaseSecret", "Data-prod", "Dat"}
    assert _names(sm, ("name", ["Secret"])) == set()


def test_description_filter_matches_word_prefixes_ignoring_case(sm: Any) -> None:
    _create(sm, "mine", Description="Description of my secret")
    _create(sm, "prod", Description="Prod database credentials")
    _create(sm, "glued", Description="mydescription")
    _create(sm, "bare")
    assert _names(sm, ("description", ["My Description"])) == {"mine"}
    assert _names(sm, ("description", ["secret DESCR"])) == {"mine"}
    assert _names(sm, ("description", ["DATA"])) == {"prod"}
    assert _names(sm, ("description", ["cred"])) == {"prod"}
    assert _names(sm, ("description", ["script"])) == set()  # inside a word, not a prefix
    assert _names(sm, ("description", ["mydesc"])) == {"glued"}


def test_tag_key_and_tag_value_filters_are_case_sensitive_prefixes(sm: Any) -> None:
    _create(sm, "one", Tags=_tags(Environment="Production", team="core"))
    _create(sm, "two", Tags=_tags(environment="staging"))
    _create(sm, "three", Tags=_tags(Owner="ProdOps"))
    _create(sm, "untagged")
    assert _names(sm, ("tag-key", ["Env"])) == {"one"}
    assert _names(sm, ("tag-key", ["env"])) == {"two"}
    assert _names(sm, ("tag-key", ["team"])) == {"one"}
    assert _names(sm, ("tag-value", ["Prod"])) == {"one", "three"}
    assert _names(sm, ("tag-value", ["prod"])) == set()
    assert _names(sm, ("tag-value", ["stag"])) == {"two"}
    assert _names(sm, ("tag-key", ["Production"])) == set()  # a value is not a key


def test_all_filter_searches_name_description_and_tags_ignoring_case(sm: Any) -> None:
    _create(sm, "credsDatabase892")
    _create(sm, "payments", Description="The payments DATABASE")
    _create(sm, "tiered", Tags=_tags(DatabaseTier="gold"))
    _create(sm, "valued", Tags=_tags(purpose="Analytics"))
    _create(sm, "nothing", Description="unrelated words")
    assert _names(sm, ("all", ["database"])) == {"credsDatabase892", "payments", "tiered"}
    assert _names(sm, ("all", ["ANALYT"])) == {"valued"}
    assert _names(sm, ("all", ["892"])) == {"credsDatabase892"}
    assert _names(sm, ("all", ["gold"])) == {"tiered"}
    assert _names(sm, ("all", ["abase"])) == set()


def test_primary_region_filter_finds_replicas(server: ServerProcess, sm: Any, region: str) -> None:
    replica_region = f"zz-replicas-{next(_REGION_NUMBERS)}"
    _create(sm, "replicated", AddReplicaRegions=[{"Region": replica_region}])
    _create(sm, "local")
    there = server.client("secretsmanager", region_name=replica_region)
    _create(there, "native")
    assert _names(there, ("primary-region", [region])) == {"replicated"}
    assert _names(there, ("primary-region", [region[:4]])) == {"replicated"}
    assert _names(there, ("primary-region", [region.upper()])) == set()
    assert _names(there, ("primary-region", ["!" + region])) == {"native"}
    # A replicated primary shows its own region as PrimaryRegion; an unreplicated one none.
    assert _names(sm, ("primary-region", [region])) == {"replicated"}


def test_negated_values_exclude_what_they_match(sm: Any) -> None:
    _create(sm, "app-web", Tags=_tags(tier="web"))
    _create(sm, "app-db", Tags=_tags(tier="db"))
    _create(sm, "batch-job")
    assert _names(sm, ("name", ["!app"])) == {"batch-job"}
    assert _names(sm, ("name", ["!app-w"])) == {"app-db", "batch-job"}
    assert _names(sm, ("tag-key", ["tier"]), ("tag-value", ["!web"])) == {"app-db"}


def test_values_of_one_filter_or_and_filters_and(sm: Any) -> None:
    _create(sm, "app-web", Description="front end", Tags=_tags(tier="web"))
    _create(sm, "app-db", Description="back end", Tags=_tags(tier="db"))
    _create(sm, "batch-job", Description="back office")
    assert _names(sm, ("name", ["app-w", "batch"])) == {"app-web", "batch-job"}
    assert _names(sm, ("name", ["app", "batch"]), ("description", ["back"])) == {
        "app-db",
        "batch-job",
    }
    assert _names(sm, ("name", ["app", "batch"]), ("tag-value", ["db"])) == {"app-db"}
    assert _names(sm, ("name", ["app"]), ("name", ["!app-d"])) == {"app-web"}
    assert _names(sm, ("name", ["app"]), ("description", ["office"])) == set()


# --- order and pages --------------------------------------------------------------


def test_sort_by_created_date_name_and_last_changed_date(sm: Any) -> None:
    for name in ("m-secret", "b-secret", "z-secret", "a-secret"):
        _create(sm, name)
    sm.tag_resource(SecretId="b-secret", Tags=_tags(touched="1"))
    sm.update_secret(SecretId="z-secret", Description="changed later")
    names = ("m-secret", "b-secret", "z-secret", "a-secret")
    described = [sm.describe_secret(SecretId=name) for name in names]
    updated = described[2]["LastChangedDate"]
    assert updated > max(entry["CreatedDate"] for entry in described)  # UpdateSecret moved it
    for field, sort_by in (
        ("CreatedDate", "created-date"),
        ("LastChangedDate", "last-changed-date"),
    ):
        for order in ("asc", "desc"):
            listed = _listed(sm, SortBy=sort_by, SortOrder=order)
            expected = _expected_groups(described, field, descending=order == "desc")
            assert _groups(listed, field) == expected, (sort_by, order)
    by_name = [e["Name"] for e in _listed(sm, SortBy="name", SortOrder="asc")]
    assert by_name == ["a-secret", "b-secret", "m-secret", "z-secret"]
    by_name = [e["Name"] for e in _listed(sm, SortBy="name", SortOrder="desc")]
    assert by_name == ["z-secret", "m-secret", "b-secret", "a-secret"]


def test_created_order_is_creation_order(sm: Any) -> None:
    names = ["c3", "a1", "b2"]
    for name in names:
        _create(sm, name)
    listed = _listed(sm, SortBy="created-date", SortOrder="asc")
    dates = [entry["CreatedDate"] for entry in listed]
    assert dates == sorted(dates)
    assert {e["Name"] for e in listed} == set(names)
    if len(set(dates)) == len(dates):  # distinct milliseconds: the order is exact
        assert [e["Name"] for e in listed] == names


def _pages(sm: Any, page_size: int, **kwargs: Any) -> list[list[str]]:
    """ListSecrets followed page by page through NextToken."""
    pages: list[list[str]] = []
    token: str | None = None
    for _ in range(100):
        extra = {"NextToken": token} if token else {}
        response = sm.list_secrets(MaxResults=page_size, **kwargs, **extra)
        pages.append([entry["Name"] for entry in response["SecretList"]])
        assert len(pages[-1]) <= page_size
        token = response.get("NextToken")
        if token is None:
            return pages
    raise AssertionError("ListSecrets never stopped handing out NextTokens")


@pytest.mark.parametrize(
    ("sort_by", "sort_order"),
    [
        ("created-date", "asc"),
        ("created-date", "desc"),
        ("name", "asc"),
        ("name", "desc"),
        ("last-changed-date", "asc"),
        ("last-changed-date", "desc"),
    ],
)
def test_pages_cover_every_secret_once_in_order(sm: Any, sort_by: str, sort_order: str) -> None:
    for index in (4, 0, 6, 2, 5, 1, 3):
        _create(sm, f"page-{index}")
    _create(sm, "other")
    order = {"SortBy": sort_by, "SortOrder": sort_order}
    whole = [entry["Name"] for entry in _listed(sm, **order)]
    assert sorted(whole) == sorted([f"page-{i}" for i in range(7)] + ["other"])
    walked = [name for page in _pages(sm, 3, **order) for name in page]
    assert walked == whole
    paginator = sm.get_paginator("list_secrets")
    paged = paginator.paginate(**order, PaginationConfig={"PageSize": 2})
    assert [e["Name"] for page in paged for e in page["SecretList"]] == whole
    page_filter = [{"Key": "name", "Values": ["page-"]}]
    filtered = [name for page in _pages(sm, 2, Filters=page_filter, **order) for name in page]
    assert filtered == [name for name in whole if name != "other"]


def test_bad_next_token_is_refused(sm: Any) -> None:
    for index in range(3):
        _create(sm, f"tok-{index}")
    for token in ("garbage", "bm90LWEtdG9rZW4=", "W10="):
        error = error_of(sm.list_secrets, MaxResults=1, NextToken=token)
        assert error["Code"] == "InvalidNextTokenException", token
        assert error["Status"] == 400


def test_bad_filters_and_sizes_are_validation_errors(raw_sm: Any) -> None:
    _create(raw_sm, "valid")
    bad_calls: list[dict[str, Any]] = [
        {"Filters": [{"Key": "colour", "Values": ["blue"]}]},
        {"Filters": [{"Key": "name", "Values": ["star*"]}]},
        {"Filters": [{"Key": "name", "Values": [f"v{i}" for i in range(11)]}]},
        {"Filters": [{"Key": "name", "Values": ["x" * 513]}]},
        {"MaxResults": 0},
        {"MaxResults": 101},
        {"SortBy": "size"},
        {"SortOrder": "up"},
    ]
    for call in bad_calls:
        assert error_of(raw_sm.list_secrets, **call)["Code"] == "ValidationException", call
    assert [e["Name"] for e in raw_sm.list_secrets()["SecretList"]] == ["valid"]


def test_planned_deletions_are_listed_only_on_request(sm: Any) -> None:
    _create(sm, "kept")
    _create(sm, "doomed")
    sm.delete_secret(SecretId="doomed", RecoveryWindowInDays=7)
    assert [e["Name"] for e in _listed(sm)] == ["kept"]
    assert [e["Name"] for e in _listed(sm, IncludePlannedDeletion=False)] == ["kept"]
    both = {e["Name"]: e for e in _listed(sm, IncludePlannedDeletion=True)}
    assert set(both) == {"kept", "doomed"}
    assert "DeletedDate" in both["doomed"] and "DeletedDate" not in both["kept"]
    filtered = _names(sm, ("name", ["doo"]), IncludePlannedDeletion=True)
    assert filtered == {"doomed"}
    assert _names(sm, ("name", ["doo"])) == set()
    sm.restore_secret(SecretId="doomed")
    restored = {e["Name"]: e for e in _listed(sm)}
    assert set(restored) == {"kept", "doomed"}
    assert "DeletedDate" not in restored["doomed"]


def test_entries_carry_labelled_versions(sm: Any) -> None:
    first = _create(sm, "versioned")["VersionId"]
    second = sm.put_secret_value(SecretId="versioned", SecretString="two")["VersionId"]
    custom = sm.put_secret_value(
        SecretId="versioned", SecretString="three", VersionStages=["CUSTOM"]
    )["VersionId"]
    _create(sm, "empty", SecretString=None)
    entries = {e["Name"]: e for e in _listed(sm)}
    assert entries["versioned"]["SecretVersionsToStages"] == {
        first: ["AWSPREVIOUS"],
        second: ["AWSCURRENT"],
        custom: ["CUSTOM"],
    }
    assert "VersionIdsToStages" not in entries["versioned"]
    assert "ReplicationStatus" not in entries["versioned"]
    assert "SecretVersionsToStages" not in entries["empty"]
    fourth = sm.put_secret_value(SecretId="versioned", SecretString="four")["VersionId"]
    stages = {e["Name"]: e for e in _listed(sm)}["versioned"]["SecretVersionsToStages"]
    assert stages == {second: ["AWSPREVIOUS"], fourth: ["AWSCURRENT"], custom: ["CUSTOM"]}


# --- BatchGetSecretValue ----------------------------------------------------------


def test_batch_get_by_ids_reports_failures_per_secret(sm: Any) -> None:
    text = _create(sm, "text", SecretString="first")
    current = sm.put_secret_value(SecretId="text", SecretString="second")["VersionId"]
    blob = _create(sm, "blob", SecretString=None, SecretBinary=b"\x00\xffbytes")
    _create(sm, "gone")
    sm.delete_secret(SecretId="gone", RecoveryWindowInDays=7)
    ids = ["text", blob["ARN"], "missing-secret", "gone"]
    response = sm.batch_get_secret_value(SecretIdList=ids)
    values = {entry["Name"]: entry for entry in response["SecretValues"]}
    assert set(values) == {"text", "blob"}
    assert values["text"]["SecretString"] == "second"
    assert values["text"]["VersionId"] == current
    assert values["text"]["VersionStages"] == ["AWSCURRENT"]
    assert values["text"]["ARN"] == text["ARN"]
    assert values["blob"]["SecretBinary"] == b"\x00\xffbytes"
    assert "SecretString" not in values["blob"]
    assert values["blob"]["VersionId"] == blob["VersionId"]
    errors = {entry["SecretId"]: entry for entry in response["Errors"]}
    assert set(errors) == {"missing-secret", "gone"}
    assert errors["missing-secret"]["ErrorCode"] == "ResourceNotFoundException"
    assert errors["missing-secret"]["Message"] == NOT_FOUND
    assert errors["gone"]["ErrorCode"] == "InvalidRequestException"
    assert errors["gone"]["Message"] == MARKED_DELETED
    assert "NextToken" not in response


def test_batch_get_marks_secrets_accessed_today(sm: Any) -> None:
    _create(sm, "read-me")
    assert "LastAccessedDate" not in sm.describe_secret(SecretId="read-me")
    sm.batch_get_secret_value(SecretIdList=["read-me"])
    accessed = sm.describe_secret(SecretId="read-me")["LastAccessedDate"]
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    assert accessed == today


def test_batch_get_with_filters_pages_through_matches(sm: Any) -> None:
    for index in range(5):
        _create(sm, f"batch-{index}", SecretString=f"secret {index}")
    _create(sm, "unrelated")
    _create(sm, "batch-deleted")
    sm.delete_secret(SecretId="batch-deleted", RecoveryWindowInDays=7)
    filters = [{"Key": "name", "Values": ["batch-"]}]
    seen: list[str] = []
    token: str | None = None
    for _ in range(50):
        extra = {"NextToken": token} if token else {}
        response = sm.batch_get_secret_value(Filters=filters, MaxResults=2, **extra)
        assert len(response["SecretValues"]) <= 2
        assert response["Errors"] == []
        for entry in response["SecretValues"]:
            assert entry["SecretString"] == f"secret {entry['Name'].removeprefix('batch-')}"
            seen.append(entry["Name"])
        token = response.get("NextToken")
        if token is None:
            break
    assert sorted(seen) == [f"batch-{index}" for index in range(5)]
    one_page = sm.batch_get_secret_value(Filters=filters)
    assert sorted(e["Name"] for e in one_page["SecretValues"]) == sorted(seen)


def test_batch_get_argument_rules(sm: Any, raw_sm: Any) -> None:
    _create(sm, "arg")
    filters = [{"Key": "name", "Values": ["arg"]}]
    both = error_of(sm.batch_get_secret_value, SecretIdList=["arg"], Filters=filters)
    assert both["Code"] == "InvalidParameterException"
    assert error_of(sm.batch_get_secret_value)["Code"] == "InvalidParameterException"
    alone = error_of(sm.batch_get_secret_value, SecretIdList=["arg"], MaxResults=5)
    assert alone["Code"] == "InvalidParameterException"
    token = error_of(sm.batch_get_secret_value, Filters=filters, NextToken="garbage")
    assert token["Code"] == "InvalidNextTokenException"
    too_many = [f"id-{index}" for index in range(21)]
    assert error_of(raw_sm.batch_get_secret_value, SecretIdList=too_many)["Code"] == (
        "ValidationException"
    )
    big_page = error_of(raw_sm.batch_get_secret_value, Filters=filters, MaxResults=21)
    assert big_page["Code"] == "ValidationException"
    assert "LastAccessedDate" not in sm.describe_secret(SecretId="arg")  # nothing was read
