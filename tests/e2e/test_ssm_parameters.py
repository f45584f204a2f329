"""Parameter Store through boto3 against a real server: writing, reading, history,
labels, deletion, tags, and every SSM operation Strongroom does not serve.

Invariants checked: each parameter type, tier, data type and name rule behaves as AWS
documents it; every refused call answers AWS's error code with a 400 and leaves the
parameter exactly as it was (value, version, tier, labels, tags, history); `/a` and `a`
are one parameter; a parameter keeps its latest 100 versions, never dropping a labelled
one; every other SSM operation is refused by name, never with a 500.

The module has its own server, and each test its own region on it: a region is a
separate namespace, so every listing below sees only what its test created.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import botocore.session
import pytest

from tests.e2e.harness import ServerProcess
from tests.e2e.kms_support import error_of, new_key
from tests.e2e.own_regions import fresh_region, own_server, region_client
from tests.parameter_store import PARAMETER_STORE

DEFAULT_KEY = "alias/aws/ssm"
EXPIRATION = json.dumps(
    [
        {
            "Type": "Expiration",
            "Version": "1.0",
            "Attributes": {"Timestamp": "2099-01-01T00:00:00.000Z"},
        }
    ]
)


server = own_server("ssm-parameters")
region = fresh_region("zz-params")
ssm = region_client("ssm")
raw_ssm = region_client("ssm", validate=False)


# --- helpers ---------------------------------------------------------------------------


def _put(ssm: Any, name: str, value: str = "v", **kwargs: Any) -> dict[str, Any]:
    """PutParameter, a String unless told otherwise."""
    kwargs.setdefault("Type", "String")
    return ssm.put_parameter(Name=name, Value=value, **kwargs)  # type: ignore[no-any-return]


def _get(ssm: Any, name: str) -> dict[str, Any]:
    """GetParameter (decrypted)."""
    return ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]  # type: ignore[no-any-return]


def _refused(call: Any, code: str, **kwargs: Any) -> str:
    """Call an operation that must fail with `code` as a client error; its message."""
    error = error_of(call, **kwargs)
    assert (error["Code"], error["Status"]) == (code, 400), error
    return str(error["Message"])


def _refused_put(ssm: Any, code: str, name: str, value: str = "v", **kwargs: Any) -> str:
    """PutParameter of `name` that must fail with `code` as a client error; its message."""
    return _refused(ssm.put_parameter, code, Name=name, Value=value, **kwargs)


def _history(ssm: Any, name: str, **kwargs: Any) -> list[dict[str, Any]]:
    """Every GetParameterHistory entry, all pages, each page checked for its size."""
    entries: list[dict[str, Any]] = []
    token: dict[str, str] = {}
    while True:
        page = ssm.get_parameter_history(Name=name, WithDecryption=True, **kwargs, **token)
        assert len(page["Parameters"]) <= kwargs.get("MaxResults", 50)
        entries += page["Parameters"]
        if "NextToken" not in page:
            return entries
        token = {"NextToken": page["NextToken"]}


def _described(ssm: Any) -> dict[str, dict[str, Any]]:
    """DescribeParameters over the whole region, by name."""
    pages = ssm.get_paginator("describe_parameters").paginate()
    return {entry["Name"]: entry for page in pages for entry in page["Parameters"]}


def _state(ssm: Any, name: str) -> dict[str, Any]:
    """All a refusal must leave unchanged: the current version, metadata, history, tags."""
    return {
        "parameter": _get(ssm, name),
        "described": _described(ssm),
        "history": _history(ssm, name),
        "tags": _tags(ssm, name),
    }


def _tags(ssm: Any, name: str) -> dict[str, str]:
    """A parameter's tags, as a dict."""
    listed = ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId=name)["TagList"]
    return {tag["Key"]: tag["Value"] for tag in listed}


def _labels(ssm: Any, name: str) -> dict[int, list[str]]:
    """Each kept version's labels, sorted."""
    return {e["Version"]: sorted(e["Labels"]) for e in _history(ssm, name)}


def _root(server: ServerProcess) -> str:
    """The dev credentials' principal, as LastModifiedUser names it."""
    return f"arn:aws:iam::{server.account_id}:root"


# --- PutParameter: types ---------------------------------------------------------------


def test_put_and_get_each_type(ssm: Any, region: str, server: ServerProcess) -> None:
    created = _put(ssm, "/app/plain", "hello")
    assert (created["Version"], created["Tier"]) == (1, "Standard")
    _put(ssm, "/app/list", "a,b,c", Type="StringList")
    created = _put(ssm, "/app/secret", "s3cr3t-canary", Type="SecureString")
    assert (created["Version"], created["Tier"]) == (1, "Standard")
    plain = _get(ssm, "/app/plain")
    assert plain["Value"] == "hello" and plain["Type"] == "String" and plain["Version"] == 1
    assert plain["ARN"] == f"arn:aws:ssm:{region}:{server.account_id}:parameter/app/plain"
    assert plain["DataType"] == "text" and isinstance(plain["LastModifiedDate"], datetime)
    listed = _get(ssm, "/app/list")
    assert (listed["Type"], listed["Value"]) == ("StringList", "a,b,c")
    sealed = ssm.get_parameter(Name="/app/secret")["Parameter"]
    assert sealed["Type"] == "SecureString"
    assert "s3cr3t-canary" not in sealed["Value"] and sealed["Value"]
    assert _get(ssm, "/app/secret")["Value"] == "s3cr3t-canary"
    described = _described(ssm)
    assert described["/app/secret"]["KeyId"] == DEFAULT_KEY
    assert "KeyId" not in described["/app/plain"]
    assert described["/app/plain"]["LastModifiedUser"] == _root(server)


def test_put_secure_string_under_own_key(ssm: Any, server: ServerProcess, region: str) -> None:
    key = new_key(server.client("kms", region_name=region))
    _put(ssm, "/own/key", "under my key", Type="SecureString", KeyId=key["KeyId"])
    assert _get(ssm, "/own/key")["Value"] == "under my key"
    assert _described(ssm)["/own/key"]["KeyId"] == key["KeyId"]
    _put(ssm, "/own/key", "second", Type="SecureString", Overwrite=True)
    assert _get(ssm, "/own/key")["Value"] == "second"


@pytest.mark.parametrize("key", ["alias/never-made", "12345678-1234-1234-1234-123456789012"])
def test_secure_string_under_an_unknown_key_is_refused(ssm: Any, key: str) -> None:
    _refused_put(ssm, "InvalidKeyId", "/own/none", Type="SecureString", KeyId=key)
    assert _described(ssm) == {}


def test_overwrite_makes_a_new_version(ssm: Any) -> None:
    _put(ssm, "/ow/p", "one")
    assert _put(ssm, "/ow/p", "two", Overwrite=True)["Version"] == 2
    current = _get(ssm, "/ow/p")
    assert (current["Value"], current["Version"]) == ("two", 2)
    assert [(e["Version"], e["Value"]) for e in _history(ssm, "/ow/p")] == [
        (1, "one"),
        (2, "two"),
    ]
    assert _put(ssm, "/ow/new", "made", Overwrite=True)["Version"] == 1
    assert _get(ssm, "/ow/new")["Value"] == "made"


def test_put_existing_without_overwrite_is_refused(ssm: Any) -> None:
    _put(ssm, "/dup/p", "first", Description="kept")
    before = _state(ssm, "/dup/p")
    _refused_put(ssm, "ParameterAlreadyExists", "/dup/p", "x", Type="String")
    _refused_put(ssm, "ParameterAlreadyExists", "/dup/p", "x", Overwrite=False)
    assert _state(ssm, "/dup/p") == before


def test_tags_with_overwrite_are_refused(ssm: Any) -> None:
    _put(ssm, "/tagged/p", "first", Tags=[{"Key": "team", "Value": "core"}])
    before = _state(ssm, "/tagged/p")
    _refused_put(
        ssm,
        "ValidationException",
        "/tagged/p",
        "second",
        Type="String",
        Overwrite=True,
        Tags=[{"Key": "team", "Value": "other"}],
    )
    assert _state(ssm, "/tagged/p") == before
    assert before["tags"] == {"team": "core"}


def test_type_is_required_for_a_new_parameter(ssm: Any, raw_ssm: Any) -> None:
    _refused_put(raw_ssm, "ValidationException", "/typeless")
    assert _described(ssm) == {}


@pytest.mark.parametrize(
    ("first", "then"),
    [
        ("String", "SecureString"),
        ("StringList", "SecureString"),
        ("SecureString", "String"),
        ("SecureString", "StringList"),
    ],
)
def test_type_change_to_or_from_secure_string_is_refused(ssm: Any, first: str, then: str) -> None:
    _put(ssm, "/typed/p", "a,b", Type=first)
    before = _state(ssm, "/typed/p")
    _refused_put(
        ssm, "HierarchyTypeMismatchException", "/typed/p", "c,d", Type=then, Overwrite=True
    )
    assert _state(ssm, "/typed/p") == before


# --- PutParameter: description, allowed pattern -----------------------------------------


def test_description_is_kept_per_version(ssm: Any) -> None:
    _put(ssm, "/desc/p", "1", Description="first words")
    assert _described(ssm)["/desc/p"]["Description"] == "first words"
    _put(ssm, "/desc/p", "2", Description="second words", Overwrite=True)
    assert _described(ssm)["/desc/p"]["Description"] == "second words"
    history = _history(ssm, "/desc/p")
    assert [e["Description"] for e in history] == ["first words", "second words"]


def test_allowed_pattern_accepts_a_matching_value(ssm: Any) -> None:
    _put(ssm, "/pattern/port", "8080", AllowedPattern=r"^\d+$")
    assert _get(ssm, "/pattern/port")["Value"] == "8080"
    assert _history(ssm, "/pattern/port")[0]["AllowedPattern"] == r"^\d+$"
    assert _described(ssm)["/pattern/port"]["AllowedPattern"] == r"^\d+$"


def test_value_not_matching_allowed_pattern_is_refused(ssm: Any) -> None:
    _refused_put(
        ssm,
        "ParameterPatternMismatchException",
        "/pattern/new",
        "eighty",
        Type="String",
        AllowedPattern=r"^\d+$",
    )
    assert _described(ssm) == {}
    _put(ssm, "/pattern/port", "8080", AllowedPattern=r"^\d+$")
    before = _state(ssm, "/pattern/port")
    _refused_put(
        ssm,
        "ParameterPatternMismatchException",
        "/pattern/port",
        "eighty",
        Overwrite=True,
        AllowedPattern=r"^\d+$",
    )
    assert _state(ssm, "/pattern/port") == before


def test_invalid_allowed_pattern_is_refused(ssm: Any) -> None:
    _refused_put(
        ssm,
        "InvalidAllowedPatternException",
        "/pattern/bad",
        Type="String",
        AllowedPattern="(unclosed",
    )
    assert _described(ssm) == {}


# --- PutParameter: tiers and policies --------------------------------------------------


def test_standard_tier_holds_4096_characters(ssm: Any) -> None:
    assert _put(ssm, "/tier/std", "s" * 4096)["Tier"] == "Standard"
    assert _get(ssm, "/tier/std")["Value"] == "s" * 4096
    before = _state(ssm, "/tier/std")
    _refused_put(ssm, "ValidationException", "/tier/std", "s" * 4097, Overwrite=True)
    _refused_put(ssm, "ValidationException", "/tier/new", "n" * 4097, Type="String")
    assert _state(ssm, "/tier/std") == before


def test_advanced_tier_holds_8192_characters(ssm: Any) -> None:
    created = _put(ssm, "/tier/adv", "a" * 8192, Tier="Advanced")
    assert created["Tier"] == "Advanced"
    assert _described(ssm)["/tier/adv"]["Tier"] == "Advanced"
    before = _state(ssm, "/tier/adv")
    _refused_put(
        ssm, "ValidationException", "/tier/adv", "a" * 8193, Overwrite=True, Tier="Advanced"
    )
    _refused_put(
        ssm, "ValidationException", "/tier/big", "b" * 8193, Type="String", Tier="Advanced"
    )
    assert _state(ssm, "/tier/adv") == before


def test_intelligent_tiering_picks_the_tier_the_value_needs(ssm: Any) -> None:
    assert _put(ssm, "/it/short", "x" * 100, Tier="Intelligent-Tiering")["Tier"] == "Standard"
    assert _put(ssm, "/it/long", "x" * 5000, Tier="Intelligent-Tiering")["Tier"] == "Advanced"
    with_policy = _put(ssm, "/it/policy", "short", Tier="Intelligent-Tiering", Policies=EXPIRATION)
    assert with_policy["Tier"] == "Advanced"
    described = _described(ssm)
    tiers = {name: described[name]["Tier"] for name in described}
    assert tiers == {"/it/short": "Standard", "/it/long": "Advanced", "/it/policy": "Advanced"}
    assert _get(ssm, "/it/long")["Value"] == "x" * 5000


def test_policies_on_standard_tier_are_refused(ssm: Any) -> None:
    _refused_put(
        ssm, "ValidationException", "/pol/std", Type="String", Tier="Standard", Policies=EXPIRATION
    )
    assert _described(ssm) == {}


def test_advanced_cannot_go_back_to_standard(ssm: Any) -> None:
    _put(ssm, "/down/p", "first", Tier="Advanced")
    before = _state(ssm, "/down/p")
    _refused_put(ssm, "ValidationException", "/down/p", "second", Overwrite=True, Tier="Standard")
    assert _state(ssm, "/down/p") == before
    assert _put(ssm, "/down/p", "third", Overwrite=True)["Tier"] == "Advanced"


# --- PutParameter: data types ----------------------------------------------------------


@pytest.mark.parametrize("ami", ["ami-12345678", "ami-0123456789abcdef0"])
def test_ec2_image_data_type_accepts_an_ami_id(ssm: Any, ami: str) -> None:
    _put(ssm, "/ami/latest", ami, DataType="aws:ec2:image")
    current = _get(ssm, "/ami/latest")
    assert (current["Value"], current["DataType"]) == (ami, "aws:ec2:image")
    assert _described(ssm)["/ami/latest"]["DataType"] == "aws:ec2:image"


@pytest.mark.parametrize("bad", ["not-an-ami", "ami-123", "ami-XYZ45678", "ami-123456789"])
def test_ec2_image_data_type_refuses_other_values(ssm: Any, bad: str) -> None:
    _refused_put(
        ssm, "ValidationException", "/ami/bad", bad, Type="String", DataType="aws:ec2:image"
    )
    assert _described(ssm) == {}


def test_data_type_text_is_the_default_and_unknown_ones_are_refused(ssm: Any) -> None:
    _put(ssm, "/dt/explicit", "anything", DataType="text")
    _put(ssm, "/dt/default", "anything")
    assert {entry["DataType"] for entry in _described(ssm).values()} == {"text"}
    _refused_put(ssm, "ValidationException", "/dt/odd", Type="String", DataType="aws:no:such")
    assert set(_described(ssm)) == {"/dt/explicit", "/dt/default"}


# --- names ------------------------------------------------------------------------------


def test_every_allowed_name_character(ssm: Any) -> None:
    for name in ("/Az09_.-/x", "Plain_Name-1.2", "/a/b/c"):
        _put(ssm, name, name)
        assert _get(ssm, name)["Value"] == name


def test_names_are_case_sensitive(ssm: Any) -> None:
    _put(ssm, "/case/Key", "upper")
    _put(ssm, "/case/key", "lower")
    assert (_get(ssm, "/case/Key")["Value"], _get(ssm, "/case/key")["Value"]) == ("upper", "lower")


def test_surrounding_spaces_are_removed(ssm: Any) -> None:
    _put(ssm, "  /spaced/name ", "v")
    assert set(_described(ssm)) == {"/spaced/name"}
    assert _get(ssm, "/spaced/name")["Value"] == "v"


@pytest.mark.parametrize(
    "bad",
    ["/with space", "/at@sign", "/colon:x", "no/leading/slash", "/a//b", "/trailing/", "/", "/ü"],
)
def test_malformed_names_are_refused(ssm: Any, bad: str) -> None:
    _refused_put(ssm, "ValidationException", bad, Type="String")
    assert _described(ssm) == {}


def test_fifteen_levels_at_most(ssm: Any) -> None:
    deepest = "".join(f"/L{level}" for level in range(1, 16))
    _put(ssm, deepest, "deep")
    assert _get(ssm, deepest)["Value"] == "deep"
    _refused_put(ssm, "HierarchyLevelLimitExceededException", deepest + "/L16", Type="String")
    assert set(_described(ssm)) == {deepest}


def test_name_length_counts_the_whole_arn(ssm: Any, region: str, server: ServerProcess) -> None:
    prefix = f"arn:aws:ssm:{region}:{server.account_id}:parameter/"
    room = 1011 - len(prefix)
    longest = "/" + "n" * room
    _put(ssm, longest, "fits")
    assert len(_get(ssm, longest)["ARN"]) == 1011
    _refused_put(ssm, "ValidationException", "/" + "m" * (room + 1), Type="String")
    assert set(_described(ssm)) == {longest.removeprefix("/")}  # one level: listed bare


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("/aws/mine", "AccessDeniedException"),
        ("/AWS/mine", "AccessDeniedException"),
        ("/awsome/path", "AccessDeniedException"),
        ("awsTop", "ValidationException"),
        ("/ssm/mine", "ValidationException"),
        ("/SSM/mine", "ValidationException"),
        ("ssmTop", "ValidationException"),
        ("/ssmTop", "ValidationException"),
    ],
)
def test_reserved_prefixes_are_refused(ssm: Any, name: str, code: str) -> None:
    _refused_put(ssm, code, name, Type="String")
    assert _described(ssm) == {}


def test_slash_and_bare_single_level_names_are_one_parameter(ssm: Any, region: str) -> None:
    _put(ssm, "/solo", "first")
    _refused_put(ssm, "ParameterAlreadyExists", "solo", "x", Type="String")
    assert _put(ssm, "solo", "second", Overwrite=True)["Version"] == 2
    assert _get(ssm, "/solo")["Value"] == "second"
    assert _get(ssm, "solo")["Name"] == "solo"
    assert _get(ssm, "/solo")["Name"] == "/solo"
    assert _get(ssm, "solo")["ARN"] == _get(ssm, "/solo")["ARN"]
    assert _get(ssm, "/solo")["ARN"].endswith(f"{region}:123456789012:parameter/solo")
    assert list(_described(ssm)) == ["solo"]
    assert [e["Value"] for e in _history(ssm, "/solo")] == ["first", "second"]
    ssm.delete_parameter(Name="solo")
    _refused(ssm.get_parameter, "ParameterNotFound", Name="/solo")


# --- GetParameter and GetParameters -----------------------------------------------------


def _versions_with_label(ssm: Any, name: str) -> None:
    """Versions 1 ('one', labelled 'stable') and 2 ('two')."""
    _put(ssm, name, "one")
    _put(ssm, name, "two", Overwrite=True)
    ssm.label_parameter_version(Name=name, ParameterVersion=1, Labels=["stable"])


def test_get_by_name_arn_version_and_label(ssm: Any, region: str, server: ServerProcess) -> None:
    _versions_with_label(ssm, "/sel/p")
    arn = f"arn:aws:ssm:{region}:{server.account_id}:parameter/sel/p"
    by_arn = _get(ssm, arn)
    assert (by_arn["Value"], by_arn["Version"], by_arn["ARN"]) == ("two", 2, arn)
    assert "Selector" not in by_arn
    cases = {
        "/sel/p:1": ("one", 1, ":1"),
        "/sel/p:2": ("two", 2, ":2"),
        "/sel/p:stable": ("one", 1, ":stable"),
        f"{arn}:1": ("one", 1, ":1"),
        f"{arn}:stable": ("one", 1, ":stable"),
    }
    for reference, (value, version, selector) in cases.items():
        got = _get(ssm, reference)
        assert (got["Value"], got["Version"], got["Selector"]) == (value, version, selector)
        assert got["ARN"] == arn


def test_get_unknown_parameter_version_or_label(
    ssm: Any, region: str, server: ServerProcess
) -> None:
    _versions_with_label(ssm, "/sel/p")
    for missing in (
        "/sel/none",
        "/sel",
        "/sel/p/deeper",
        f"arn:aws:ssm:{region}:{server.account_id}:parameter/sel/q",
    ):
        _refused(ssm.get_parameter, "ParameterNotFound", Name=missing)
    for reference in ("/sel/p:3", "/sel/p:nolabel"):
        _refused(ssm.get_parameter, "ParameterVersionNotFound", Name=reference)


def test_get_parameters_lists_the_missing(ssm: Any) -> None:
    _versions_with_label(ssm, "/many/a")
    _put(ssm, "/many/b", "bee", Type="SecureString")
    answer = ssm.get_parameters(
        Names=["/many/a", "/many/b", "/many/a:stable", "/many/a:9", "/many/none", "/many/a:nope"],
        WithDecryption=True,
    )
    found = {(p["Name"], p.get("Selector"), p["Value"], p["Version"]) for p in answer["Parameters"]}
    assert found == {
        ("/many/a", None, "two", 2),
        ("/many/b", None, "bee", 1),
        ("/many/a", ":stable", "one", 1),
    }
    assert sorted(answer["InvalidParameters"]) == ["/many/a:9", "/many/a:nope", "/many/none"]
    sealed = ssm.get_parameters(Names=["/many/b"])["Parameters"][0]
    assert sealed["Value"] != "bee"


def test_get_parameters_takes_at_most_ten(ssm: Any, raw_ssm: Any) -> None:
    names = [f"/ten/p{i}" for i in range(11)]
    for name in names:
        _put(ssm, name, name)
    answer = ssm.get_parameters(Names=names[:10])
    assert sorted(p["Value"] for p in answer["Parameters"]) == sorted(names[:10])
    assert answer["InvalidParameters"] == []
    _refused(raw_ssm.get_parameters, "ValidationException", Names=names)


# --- GetParameterHistory -------------------------------------------------------------------


def test_history_has_every_version(ssm: Any, server: ServerProcess) -> None:
    _put(ssm, "/hist/p", "v1", Description="d1")
    _put(ssm, "/hist/p", "v2", Overwrite=True, Tier="Advanced", Policies=EXPIRATION)
    _put(ssm, "/hist/p", "v3", Overwrite=True, Description="d3")
    ssm.label_parameter_version(Name="/hist/p", ParameterVersion=1, Labels=["old", "first"])
    ssm.label_parameter_version(Name="/hist/p", Labels=["latest"])
    history = _history(ssm, "/hist/p")
    assert [e["Version"] for e in history] == [1, 2, 3]
    assert [e["Value"] for e in history] == ["v1", "v2", "v3"]
    assert [sorted(e["Labels"]) for e in history] == [["first", "old"], [], ["latest"]]
    assert [e["Tier"] for e in history] == ["Standard", "Advanced", "Advanced"]
    assert history[0]["Description"] == "d1" and history[2]["Description"] == "d3"
    assert {e["LastModifiedUser"] for e in history} == {_root(server)}
    assert {e["Name"] for e in history} == {"/hist/p"}
    assert [e["LastModifiedDate"] for e in history] == sorted(
        e["LastModifiedDate"] for e in history
    )
    assert history[0]["Policies"] == []
    (policy,) = history[1]["Policies"]
    assert policy["PolicyType"] == "Expiration"
    assert "2099-01-01T00:00:00.000Z" in policy["PolicyText"]


def test_history_of_secure_string_decrypts_on_request(ssm: Any) -> None:
    _put(ssm, "/hist/s", "hidden-1", Type="SecureString")
    _put(ssm, "/hist/s", "hidden-2", Type="SecureString", Overwrite=True)
    plain = ssm.get_parameter_history(Name="/hist/s")["Parameters"]
    assert all(e["Value"] not in ("hidden-1", "hidden-2") for e in plain)
    assert {e["KeyId"] for e in plain} == {DEFAULT_KEY}
    assert [e["Value"] for e in _history(ssm, "/hist/s")] == ["hidden-1", "hidden-2"]


def test_history_pages_cover_every_version_once(ssm: Any) -> None:
    for number in range(1, 8):
        _put(ssm, "/hist/paged", f"v{number}", Overwrite=number > 1)
    for size in (1, 2, 3, 7, 50):
        versions = [e["Version"] for e in _history(ssm, "/hist/paged", MaxResults=size)]
        assert versions == list(range(1, 8)), size
    _refused(ssm.get_parameter_history, "ParameterNotFound", Name="/hist/none")


def test_history_refuses_tokens_it_did_not_give(ssm: Any) -> None:
    for number in range(1, 4):
        _put(ssm, "/hist/t", f"v{number}", Overwrite=number > 1)
    _put(ssm, "/hist/u")
    listing_token = ssm.describe_parameters(MaxResults=1)["NextToken"]  # a name, not a version
    for token in ("garbage", listing_token):
        _refused(ssm.get_parameter_history, "InvalidNextToken", Name="/hist/t", NextToken=token)


def test_history_keeps_the_latest_100_versions(ssm: Any) -> None:
    for number in range(1, 106):
        _put(ssm, "/hist/long", f"v{number}", Overwrite=number > 1)
    history = _history(ssm, "/hist/long")
    assert [e["Version"] for e in history] == list(range(6, 106))
    assert [e["Value"] for e in history] == [f"v{n}" for n in range(6, 106)]
    _refused(ssm.get_parameter, "ParameterVersionNotFound", Name="/hist/long:5")
    assert _get(ssm, "/hist/long:6")["Value"] == "v6"
    assert _get(ssm, "/hist/long")["Version"] == 105
    _refused(
        ssm.label_parameter_version,
        "ParameterVersionNotFound",
        Name="/hist/long",
        ParameterVersion=1,
        Labels=["gone"],
    )


def test_labelled_oldest_of_100_blocks_a_new_version(ssm: Any) -> None:
    for number in range(1, 101):
        _put(ssm, "/hist/full", f"v{number}", Overwrite=number > 1)
    ssm.label_parameter_version(Name="/hist/full", ParameterVersion=1, Labels=["keep"])
    before = _state(ssm, "/hist/full")
    _refused_put(ssm, "ParameterMaxVersionLimitExceeded", "/hist/full", "v101", Overwrite=True)
    assert _state(ssm, "/hist/full") == before
    assert _get(ssm, "/hist/full:keep")["Value"] == "v1"
    ssm.label_parameter_version(Name="/hist/full", ParameterVersion=50, Labels=["keep"])
    assert _put(ssm, "/hist/full", "v101", Overwrite=True)["Version"] == 101
    history = _history(ssm, "/hist/full")
    assert [e["Version"] for e in history] == list(range(2, 102))
    assert _get(ssm, "/hist/full:keep")["Version"] == 50


# --- labels ----------------------------------------------------------------------------


def test_label_moves_between_versions(ssm: Any) -> None:
    _put(ssm, "/lab/p", "one")
    _put(ssm, "/lab/p", "two", Overwrite=True)
    answer = ssm.label_parameter_version(Name="/lab/p", ParameterVersion=1, Labels=["prod"])
    assert (answer["InvalidLabels"], answer["ParameterVersion"]) == ([], 1)
    assert _get(ssm, "/lab/p:prod")["Value"] == "one"
    latest = ssm.label_parameter_version(Name="/lab/p", Labels=["prod", "Prod"])
    assert latest["ParameterVersion"] == 2
    assert _labels(ssm, "/lab/p") == {1: [], 2: ["Prod", "prod"]}
    assert _get(ssm, "/lab/p:prod")["Value"] == "two"


def test_invalid_labels_are_returned_and_valid_ones_applied(ssm: Any) -> None:
    _put(ssm, "/lab/p", "one")
    bad = ["1st", "awsLabel", "AWS_x", "ssm-x", "SSMy", "has space", "sl/ash", "colon:x"]
    answer = ssm.label_parameter_version(Name="/lab/p", Labels=["good.one-_2", *bad])
    assert sorted(answer["InvalidLabels"]) == sorted(bad)
    assert _labels(ssm, "/lab/p") == {1: ["good.one-_2"]}
    only_bad = ssm.label_parameter_version(Name="/lab/p", Labels=["9lives"])
    assert only_bad["InvalidLabels"] == ["9lives"]
    assert _labels(ssm, "/lab/p") == {1: ["good.one-_2"]}


def test_labelling_a_missing_version_or_parameter(ssm: Any) -> None:
    _put(ssm, "/lab/p", "one")
    _refused(
        ssm.label_parameter_version,
        "ParameterVersionNotFound",
        Name="/lab/p",
        ParameterVersion=2,
        Labels=["x"],
    )
    _refused(ssm.label_parameter_version, "ParameterNotFound", Name="/lab/none", Labels=["x"])
    assert _labels(ssm, "/lab/p") == {1: []}


def test_a_version_holds_at_most_ten_labels(ssm: Any) -> None:
    _put(ssm, "/lab/p", "one")
    _put(ssm, "/lab/p", "two", Overwrite=True)
    ten = [f"l{i}" for i in range(10)]
    ssm.label_parameter_version(Name="/lab/p", ParameterVersion=1, Labels=ten)
    ssm.label_parameter_version(Name="/lab/p", ParameterVersion=2, Labels=["elsewhere"])
    before = _state(ssm, "/lab/p")
    for extra in (["eleventh"], ["elsewhere"]):
        _refused(
            ssm.label_parameter_version,
            "ParameterVersionLabelLimitExceeded",
            Name="/lab/p",
            ParameterVersion=1,
            Labels=extra,
        )
    assert _state(ssm, "/lab/p") == before
    ssm.label_parameter_version(Name="/lab/p", ParameterVersion=1, Labels=ten)  # already there
    assert _labels(ssm, "/lab/p") == {1: sorted(ten), 2: ["elsewhere"]}


def test_unlabel_removes_only_labels_on_that_version(ssm: Any) -> None:
    _put(ssm, "/lab/p", "one")
    _put(ssm, "/lab/p", "two", Overwrite=True)
    ssm.label_parameter_version(Name="/lab/p", ParameterVersion=1, Labels=["a", "b"])
    ssm.label_parameter_version(Name="/lab/p", ParameterVersion=2, Labels=["c"])
    answer = ssm.unlabel_parameter_version(
        Name="/lab/p", ParameterVersion=1, Labels=["a", "c", "never"]
    )
    assert answer["RemovedLabels"] == ["a"]
    assert sorted(answer["InvalidLabels"]) == ["c", "never"]
    assert _labels(ssm, "/lab/p") == {1: ["b"], 2: ["c"]}
    _refused(ssm.get_parameter, "ParameterVersionNotFound", Name="/lab/p:a")
    _refused(
        ssm.unlabel_parameter_version,
        "ParameterVersionNotFound",
        Name="/lab/p",
        ParameterVersion=3,
        Labels=["b"],
    )
    assert _labels(ssm, "/lab/p") == {1: ["b"], 2: ["c"]}


# --- deleting ----------------------------------------------------------------------------


def test_delete_parameter_removes_every_version(ssm: Any) -> None:
    _versions_with_label(ssm, "/del/p")
    ssm.add_tags_to_resource(
        ResourceType="Parameter", ResourceId="/del/p", Tags=[{"Key": "k", "Value": "v"}]
    )
    _put(ssm, "/del/other", "stays")
    assert ssm.delete_parameter(Name="/del/p")["ResponseMetadata"]["HTTPStatusCode"] == 200
    for reference in ("/del/p", "/del/p:1", "/del/p:stable"):
        _refused(ssm.get_parameter, "ParameterNotFound", Name=reference)
    _refused(ssm.get_parameter_history, "ParameterNotFound", Name="/del/p")
    _refused(ssm.delete_parameter, "ParameterNotFound", Name="/del/p")
    assert set(_described(ssm)) == {"/del/other"}
    assert _put(ssm, "/del/p", "again")["Version"] == 1
    assert _labels(ssm, "/del/p") == {1: []}
    assert _tags(ssm, "/del/p") == {}


def test_delete_parameters_lists_the_missing(ssm: Any) -> None:
    for name in ("/del/a", "/del/b", "/del/c"):
        _put(ssm, name)
    answer = ssm.delete_parameters(Names=["/del/a", "/del/none", "/del/c", "/del/gone"])
    assert sorted(answer["DeletedParameters"]) == ["/del/a", "/del/c"]
    assert sorted(answer["InvalidParameters"]) == ["/del/gone", "/del/none"]
    assert set(_described(ssm)) == {"/del/b"}


# --- tags ---------------------------------------------------------------------------------


def test_tags_are_added_listed_and_removed(ssm: Any) -> None:
    _put(ssm, "/tags/p", Tags=[{"Key": "team", "Value": "core"}, {"Key": "env", "Value": "dev"}])
    assert _tags(ssm, "/tags/p") == {"team": "core", "env": "dev"}
    ssm.add_tags_to_resource(
        ResourceType="Parameter",
        ResourceId="/tags/p",
        Tags=[{"Key": "env", "Value": "prod"}, {"Key": "cost", "Value": "42"}],
    )
    assert _tags(ssm, "/tags/p") == {"team": "core", "env": "prod", "cost": "42"}
    ssm.remove_tags_from_resource(
        ResourceType="Parameter", ResourceId="/tags/p", TagKeys=["team", "not-there"]
    )
    assert _tags(ssm, "/tags/p") == {"env": "prod", "cost": "42"}
    assert _get(ssm, "/tags/p")["Version"] == 1  # tagging makes no version


def test_a_parameter_holds_at_most_fifty_tags(ssm: Any) -> None:
    _put(ssm, "/tags/p", Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(40)])
    ssm.add_tags_to_resource(
        ResourceType="Parameter",
        ResourceId="/tags/p",
        Tags=[{"Key": f"k{i}", "Value": "w"} for i in range(30, 50)],
    )
    before = _state(ssm, "/tags/p")
    assert len(before["tags"]) == 50
    _refused(
        ssm.add_tags_to_resource,
        "TooManyTagsError",
        ResourceType="Parameter",
        ResourceId="/tags/p",
        Tags=[{"Key": "k0", "Value": "changed"}, {"Key": "one-more", "Value": "v"}],
    )
    assert _state(ssm, "/tags/p") == before


def test_tags_of_an_unknown_parameter(ssm: Any) -> None:
    for call, extra in (
        (ssm.list_tags_for_resource, {}),
        (ssm.add_tags_to_resource, {"Tags": [{"Key": "k", "Value": "v"}]}),
        (ssm.remove_tags_from_resource, {"TagKeys": ["k"]}),
    ):
        _refused(
            call, "InvalidResourceId", ResourceType="Parameter", ResourceId="/tags/none", **extra
        )
    assert _described(ssm) == {}


# --- everything else -------------------------------------------------------------------------


def test_every_other_operation_is_refused_by_name(raw_ssm: Any) -> None:
    operations = set(botocore.session.get_session().get_service_model("ssm").operation_names)
    assert not PARAMETER_STORE - operations
    unserved = sorted(operations - PARAMETER_STORE)
    assert not {"ListDocuments", "SendCommand", "StartSession", "CreateDocument"} - operations
    for operation in unserved:
        method = getattr(raw_ssm, botocore.xform_name(operation))
        error = error_of(method)
        assert (error["Code"], error["Status"]) == ("UnsupportedOperationException", 400), operation
        assert operation in error["Message"], (operation, error["Message"])
