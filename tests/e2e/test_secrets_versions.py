"""Secrets Manager secrets, versions and staging labels end to end, through boto3.

Each test works on secrets with names of its own on the shared dev server (or a private
server when it moves the clock). Every refused call is followed by a check that the
secret did not change: its description, its versions (deprecated ones included) and
their labels.
"""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

import pytest

from tests.e2e.harness import ACCOUNT_ID, REGION
from tests.e2e.kms_support import error_of

DAY = 86_400
MAX_BYTES = 65_536
ARN_PREFIX = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT_ID}:secret:"


@pytest.fixture
def sm(strongroom_server: Any) -> Any:
    """A boto3 Secrets Manager client for the shared server."""
    return strongroom_server.client("secretsmanager")


def unique_name(label: str) -> str:
    """A secret name no other test uses (it never ends in `-` + 6 characters)."""
    return f"e2e-{label}-{uuid.uuid4().hex[:12]}"


def new_token() -> str:
    """A ClientRequestToken (becomes the VersionId)."""
    return str(uuid.uuid4())


def all_versions(sm: Any, secret_id: str, deprecated: bool = True) -> dict[str, list[str]]:
    """Version id -> sorted labels, every page of ListSecretVersionIds."""
    found: dict[str, list[str]] = {}
    kwargs: dict[str, Any] = {"SecretId": secret_id, "IncludeDeprecated": deprecated}
    while True:
        page = sm.list_secret_version_ids(**kwargs)
        for entry in page["Versions"]:
            assert entry["VersionId"] not in found
            found[entry["VersionId"]] = sorted(entry.get("VersionStages", []))
        if "NextToken" not in page:
            return found
        kwargs["NextToken"] = page["NextToken"]


def stages(sm: Any, secret_id: str) -> dict[str, list[str]]:
    """DescribeSecret's VersionIdsToStages (labels sorted), {} when absent."""
    described = sm.describe_secret(SecretId=secret_id)
    return {vid: sorted(s) for vid, s in described.get("VersionIdsToStages", {}).items()}


def describe(sm: Any, secret_id: str) -> dict[str, Any]:
    """DescribeSecret's answer without its ResponseMetadata (request ids differ)."""
    described: dict[str, Any] = sm.describe_secret(SecretId=secret_id)
    described.pop("ResponseMetadata")
    return described


def state(sm: Any, secret_id: str) -> dict[str, Any]:
    """What must not change after a refused call: the description and every version."""
    return {"describe": describe(sm, secret_id), "versions": all_versions(sm, secret_id)}


def value(sm: Any, secret_id: str, **kwargs: Any) -> str:
    """The SecretString GetSecretValue answers."""
    return sm.get_secret_value(SecretId=secret_id, **kwargs)["SecretString"]  # type: ignore[no-any-return]


def create(sm: Any, label: str, secret: str = "v1", **kwargs: Any) -> tuple[str, str, str]:
    """A new secret with one string version: (name, ARN, version id)."""
    name, token = unique_name(label), new_token()
    out = sm.create_secret(Name=name, SecretString=secret, ClientRequestToken=token, **kwargs)
    return name, out["ARN"], token


def put(sm: Any, secret_id: str, secret: str, **kwargs: Any) -> str:
    """PutSecretValue with a fresh token; the new version id."""
    token = new_token()
    out = sm.put_secret_value(
        SecretId=secret_id, SecretString=secret, ClientRequestToken=token, **kwargs
    )
    assert out["VersionId"] == token
    return token


def key_named(ids: list[str], key: dict[str, Any]) -> bool:
    """Whether a KmsKeyIds list names this KMS key (by ARN or id)."""
    return key["Arn"] in ids or key["KeyId"] in ids


def today() -> float:
    """00:00 UTC of the current day, as epoch seconds."""
    now = time.time()
    return now - now % DAY


# --- CreateSecret ----------------------------------------------------------------------


def test_create_string_secret(sm: Any) -> None:
    name, token = unique_name("create"), new_token()
    out = sm.create_secret(Name=name, SecretString="s3cr3t", ClientRequestToken=token)
    assert out["Name"] == name and out["VersionId"] == token
    assert re.fullmatch(re.escape(ARN_PREFIX + name) + "-[A-Za-z0-9]{6}", out["ARN"])
    described = sm.describe_secret(SecretId=name)
    assert described["ARN"] == out["ARN"]
    assert described["VersionIdsToStages"] == {token: ["AWSCURRENT"]}
    for absent in ("KmsKeyId", "Description", "Tags", "DeletedDate", "LastAccessedDate"):
        assert absent not in described
    got = sm.get_secret_value(SecretId=name)
    assert got["SecretString"] == "s3cr3t" and "SecretBinary" not in got
    assert (got["ARN"], got["Name"], got["VersionId"]) == (out["ARN"], name, token)
    assert got["VersionStages"] == ["AWSCURRENT"]
    assert got["CreatedDate"] == described["CreatedDate"]


def test_create_binary_secret(sm: Any) -> None:
    name, blob = unique_name("binary"), bytes(range(256)) * 3
    sm.create_secret(Name=name, SecretBinary=blob)
    got = sm.get_secret_value(SecretId=name)
    assert got["SecretBinary"] == blob and "SecretString" not in got


def test_create_without_value_has_no_version(sm: Any) -> None:
    name = unique_name("empty")
    out = sm.create_secret(Name=name, Description="later")
    assert "VersionId" not in out
    described = sm.describe_secret(SecretId=name)
    assert "VersionIdsToStages" not in described and described["Description"] == "later"
    error = error_of(sm.get_secret_value, SecretId=name)
    assert error["Code"] == "ResourceNotFoundException"
    assert all_versions(sm, name) == {}


def test_create_with_description_tags_and_customer_key(sm: Any, kms: Any) -> None:
    key = kms.create_key()["KeyMetadata"]
    tags = [{"Key": "team", "Value": "core"}, {"Key": "env", "Value": ""}]
    name, _, token = create(sm, "cmk", Description="db", KmsKeyId=key["Arn"], Tags=tags)
    described = sm.describe_secret(SecretId=name)
    assert described["Description"] == "db"
    assert described["KmsKeyId"] in (key["Arn"], key["KeyId"])
    assert sorted(described["Tags"], key=lambda t: t["Key"]) == sorted(tags, key=lambda t: t["Key"])
    versions = sm.list_secret_version_ids(SecretId=name)["Versions"]
    assert [v["VersionId"] for v in versions] == [token]
    assert key_named(versions[0]["KmsKeyIds"], key)
    assert value(sm, name) == "v1"
    kms.disable_key(KeyId=key["KeyId"])  # the value really is under this key
    try:
        assert error_of(sm.get_secret_value, SecretId=name)["Code"] == "DecryptionFailure"
        assert sm.describe_secret(SecretId=name)["Name"] == name
    finally:
        kms.enable_key(KeyId=key["KeyId"])
    assert value(sm, name) == "v1"


def test_create_retry_with_same_token_and_value_is_idempotent(sm: Any) -> None:
    name, arn, token = create(sm, "retry", secret="same")
    before = state(sm, name)
    again = sm.create_secret(Name=name, SecretString="same", ClientRequestToken=token)
    assert (again["ARN"], again["Name"], again["VersionId"]) == (arn, name, token)
    assert state(sm, name) == before


def test_create_same_token_with_other_value_is_refused(sm: Any) -> None:
    name, _, token = create(sm, "token-clash", secret="first")
    before = state(sm, name)
    for other in ({"SecretString": "second"}, {"SecretBinary": b"first"}):
        error = error_of(sm.create_secret, Name=name, ClientRequestToken=token, **other)
        assert error["Code"] == "ResourceExistsException"
        assert state(sm, name) == before
    assert value(sm, name) == "first"


def test_create_existing_name_with_new_token_is_refused(sm: Any) -> None:
    name, _, _ = create(sm, "exists", secret="kept")
    before = state(sm, name)
    for extra in ({"SecretString": "kept"}, {"SecretString": "new"}, {}):
        error = error_of(sm.create_secret, Name=name, ClientRequestToken=new_token(), **extra)
        assert error["Code"] == "ResourceExistsException"
        assert name in error["Message"]
        assert state(sm, name) == before


def test_create_name_scheduled_for_deletion_is_refused(sm: Any) -> None:
    name, arn, _ = create(sm, "create-deleted", secret="old")
    sm.delete_secret(SecretId=name, RecoveryWindowInDays=7)
    before = describe(sm, name)
    error = error_of(sm.create_secret, Name=name, SecretString="new")
    assert error["Code"] == "InvalidRequestException"
    after = describe(sm, name)
    assert after == before and "DeletedDate" in after and after["ARN"] == arn
    sm.restore_secret(SecretId=name)
    assert value(sm, name) == "old"


@pytest.mark.parametrize("bad", ["has space", "star*", "what?", "back\\slash", "br]acket", "ü"])
def test_create_refuses_names_outside_the_alphabet(sm: Any, bad: str) -> None:
    prefix = unique_name("badname")
    error = error_of(sm.create_secret, Name=f"{prefix}{bad}", SecretString="x")
    assert error["Code"] == "ValidationException"
    listed = sm.list_secrets(Filters=[{"Key": "name", "Values": [prefix]}])["SecretList"]
    assert listed == []


def test_create_accepts_every_allowed_name_character(sm: Any) -> None:
    name = f"e2e/Ok_+=.@-{uuid.uuid4().hex[:12]}"
    sm.create_secret(Name=name, SecretString="fine")
    assert value(sm, name) == "fine"


def test_create_with_both_values_is_refused(sm: Any) -> None:
    name = unique_name("both")
    error = error_of(sm.create_secret, Name=name, SecretString="s", SecretBinary=b"b")
    assert error["Code"] == "InvalidParameterException"
    assert error_of(sm.describe_secret, SecretId=name)["Code"] == "ResourceNotFoundException"


@pytest.mark.parametrize(
    "oversized",
    [
        {"SecretString": "x" * (MAX_BYTES + 1)},
        {"SecretString": "é" * (MAX_BYTES // 2 + 1)},  # few characters, too many bytes
        {"SecretBinary": b"\0" * (MAX_BYTES + 1)},
    ],
    ids=["ascii", "utf8-bytes", "binary"],
)
def test_create_value_over_limit_creates_nothing(sm: Any, oversized: dict[str, Any]) -> None:
    name = unique_name("huge")
    error = error_of(sm.create_secret, Name=name, **oversized)
    assert error["Code"] in ("ValidationException", "InvalidParameterException")
    assert error_of(sm.describe_secret, SecretId=name)["Code"] == "ResourceNotFoundException"


def test_create_value_of_exactly_the_limit(sm: Any) -> None:
    name, largest = unique_name("limit"), "é" * (MAX_BYTES // 2)
    sm.create_secret(Name=name, SecretString=largest)
    assert value(sm, name) == largest


# --- GetSecretValue --------------------------------------------------------------------


def test_get_by_name_full_arn_and_partial_arn(sm: Any) -> None:
    name, arn, token = create(sm, "ids", secret="found")
    partial = ARN_PREFIX + name
    assert arn == f"{partial}-{arn[-6:]}"
    for secret_id in (name, arn, partial):
        got = sm.get_secret_value(SecretId=secret_id)
        assert (got["SecretString"], got["VersionId"], got["ARN"]) == ("found", token, arn)
        assert sm.describe_secret(SecretId=secret_id)["ARN"] == arn


def test_get_by_version_id_and_stage(sm: Any) -> None:
    name, _, v1 = create(sm, "select", secret="one")
    v2 = put(sm, name, "two")
    got = sm.get_secret_value(SecretId=name, VersionId=v1)
    assert (got["SecretString"], got["VersionStages"]) == ("one", ["AWSPREVIOUS"])
    assert value(sm, name, VersionStage="AWSPREVIOUS") == "one"
    assert value(sm, name, VersionStage="AWSCURRENT") == "two"
    assert value(sm, name, VersionId=v2, VersionStage="AWSCURRENT") == "two"
    assert value(sm, name, VersionId=v1, VersionStage="AWSPREVIOUS") == "one"
    error = error_of(sm.get_secret_value, SecretId=name, VersionId=v1, VersionStage="AWSCURRENT")
    assert error["Code"] == "InvalidRequestException"


def test_get_unknown_label_version_or_arn_suffix_is_not_found(sm: Any) -> None:
    name, arn, _ = create(sm, "unknown")
    wrong_suffix = arn[:-1] + ("A" if arn[-1] != "A" else "B")
    for kwargs in (
        {"SecretId": name, "VersionStage": "NO-SUCH-LABEL"},
        {"SecretId": name, "VersionId": new_token()},
        {"SecretId": wrong_suffix},
        {"SecretId": unique_name("never-created")},
        {"SecretId": arn.replace(REGION, "eu-west-1")},
    ):
        assert error_of(sm.get_secret_value, **kwargs)["Code"] == "ResourceNotFoundException"


def test_names_ending_like_an_arn_suffix(sm: Any) -> None:
    base = unique_name("suffix")
    for tail, partial_works in (("-Ab12cd", False), ("-Ab12c", True), ("-Ab12cd-", True)):
        name = base + tail
        arn = sm.create_secret(Name=name, SecretString=tail)["ARN"]
        assert value(sm, name) == tail
        assert value(sm, arn) == tail
        if partial_works:
            assert value(sm, ARN_PREFIX + name) == tail
        else:  # read as a full ARN whose suffix is "Ab12cd"
            error = error_of(sm.get_secret_value, SecretId=ARN_PREFIX + name)
            assert error["Code"] == "ResourceNotFoundException"


# --- PutSecretValue --------------------------------------------------------------------


def test_put_moves_awscurrent_and_awsprevious(sm: Any) -> None:
    name, _, v1 = create(sm, "put", secret="one")
    v2 = put(sm, name, "two")
    assert stages(sm, name) == {v1: ["AWSPREVIOUS"], v2: ["AWSCURRENT"]}
    token = new_token()
    out = sm.put_secret_value(SecretId=name, SecretString="three", ClientRequestToken=token)
    assert out["VersionStages"] == ["AWSCURRENT"]
    assert stages(sm, name) == {v2: ["AWSPREVIOUS"], token: ["AWSCURRENT"]}
    assert all_versions(sm, name, deprecated=False) == stages(sm, name)
    assert all_versions(sm, name)[v1] == []  # deprecated, still there
    assert value(sm, name) == "three"
    assert value(sm, name, VersionStage="AWSPREVIOUS") == "two"
    assert value(sm, name, VersionId=v1) == "one"


def test_put_with_custom_stages_leaves_awscurrent(sm: Any) -> None:
    name, _, v1 = create(sm, "custom", secret="one")
    v2 = put(sm, name, "two", VersionStages=["one", "two", "three"])
    out = sm.put_secret_value(
        SecretId=name, SecretString="3", ClientRequestToken=new_token(), VersionStages=["S1", "S0"]
    )
    assert sorted(out["VersionStages"]) == ["S0", "S1"]
    v3 = out["VersionId"]
    v4 = put(sm, name, "four", VersionStages=["four", "one", "two"])
    assert stages(sm, name) == {
        v1: ["AWSCURRENT"],
        v2: ["three"],
        v3: ["S0", "S1"],
        v4: ["four", "one", "two"],
    }
    assert value(sm, name) == "one"
    assert value(sm, name, VersionStage="one") == "four"
    put(sm, name, "five", VersionStages=["three"])
    assert v2 not in stages(sm, name) and all_versions(sm, name)[v2] == []


def test_put_listing_awscurrent_moves_awsprevious(sm: Any) -> None:
    name, _, v1 = create(sm, "explicit", secret="one")
    v2 = put(sm, name, "two", VersionStages=["BLUE", "AWSCURRENT"])
    assert stages(sm, name) == {v1: ["AWSPREVIOUS"], v2: ["AWSCURRENT", "BLUE"]}
    assert value(sm, name) == "two"


def test_put_retry_with_same_token_is_idempotent(sm: Any) -> None:
    name, arn, _ = create(sm, "put-retry", secret="one")
    token = new_token()
    sm.put_secret_value(SecretId=name, SecretString="two", ClientRequestToken=token)
    v3 = put(sm, name, "three")
    before = state(sm, name)
    again = sm.put_secret_value(SecretId=name, SecretString="two", ClientRequestToken=token)
    assert (again["ARN"], again["VersionId"]) == (arn, token)
    assert state(sm, name) == before
    assert before["versions"][v3] == ["AWSCURRENT"]


def test_put_token_reuse_with_other_value_is_refused(sm: Any) -> None:
    name, _, v1 = create(sm, "put-clash", secret="one")
    v2 = put(sm, name, "two")
    before = state(sm, name)
    for token, other in ((v2, {"SecretString": "other"}), (v1, {"SecretBinary": b"one"})):
        error = error_of(sm.put_secret_value, SecretId=name, ClientRequestToken=token, **other)
        assert error["Code"] == "ResourceExistsException"
        assert state(sm, name) == before
    assert (value(sm, name, VersionId=v1), value(sm, name)) == ("one", "two")


def test_put_with_both_values_is_refused(sm: Any) -> None:
    name, _, _ = create(sm, "put-both")
    before = state(sm, name)
    error = error_of(sm.put_secret_value, SecretId=name, SecretString="s", SecretBinary=b"b")
    assert error["Code"] == "InvalidParameterException"
    assert state(sm, name) == before


def test_first_put_on_empty_secret_gets_awscurrent(sm: Any) -> None:
    labelled, plain = unique_name("first-custom"), unique_name("first-plain")
    for name in (labelled, plain):
        sm.create_secret(Name=name)
    v1 = put(sm, labelled, "one", VersionStages=["CUSTOM"])
    assert stages(sm, labelled) == {v1: ["AWSCURRENT", "CUSTOM"]}
    assert value(sm, labelled) == "one"
    v1 = put(sm, plain, "one")
    assert stages(sm, plain) == {v1: ["AWSCURRENT"]}


# --- UpdateSecret ----------------------------------------------------------------------


def test_update_description_only_creates_no_version(sm: Any) -> None:
    name, _, v1 = create(sm, "describe-only", Description="old")
    out = sm.update_secret(SecretId=name, Description="new")  # boto3 still sends a token
    assert "VersionId" not in out and out["Name"] == name
    assert all_versions(sm, name) == {v1: ["AWSCURRENT"]}
    assert sm.describe_secret(SecretId=name)["Description"] == "new"


def test_update_value_makes_a_new_current_version(sm: Any) -> None:
    name, _, v1 = create(sm, "update-value", secret="one")
    token = new_token()
    out = sm.update_secret(SecretId=name, SecretString="two", ClientRequestToken=token)
    assert out["VersionId"] == token
    assert stages(sm, name) == {v1: ["AWSPREVIOUS"], token: ["AWSCURRENT"]}
    assert value(sm, name) == "two"
    again = sm.update_secret(SecretId=name, SecretString="two")  # same value, new token
    assert again["VersionId"] not in (v1, token)
    assert stages(sm, name) == {token: ["AWSPREVIOUS"], again["VersionId"]: ["AWSCURRENT"]}


def test_update_kms_key_keeps_every_version_readable(sm: Any, kms: Any) -> None:
    old, new = (kms.create_key()["KeyMetadata"] for _ in range(2))
    name, _, v1 = create(sm, "rekey", secret="one", KmsKeyId=old["Arn"])
    v2, v3 = put(sm, name, "two"), put(sm, name, "three")
    out = sm.update_secret(SecretId=name, KmsKeyId=new["Arn"])
    assert "VersionId" not in out
    assert sm.describe_secret(SecretId=name)["KmsKeyId"] in (new["Arn"], new["KeyId"])
    listed = {
        v["VersionId"]: v["KmsKeyIds"]
        for v in sm.list_secret_version_ids(SecretId=name, IncludeDeprecated=True)["Versions"]
    }
    assert key_named(listed[v2], new) and key_named(listed[v3], new)  # labelled: re-wrapped
    assert key_named(listed[v1], old) and not key_named(listed[v1], new)  # deprecated: not
    assert [value(sm, name, VersionId=v) for v in (v1, v2, v3)] == ["one", "two", "three"]
    v4 = put(sm, name, "four")
    v4_keys = sm.list_secret_version_ids(SecretId=name)["Versions"][-1]
    assert v4_keys["VersionId"] == v4 and key_named(v4_keys["KmsKeyIds"], new)
    assert not key_named(v4_keys["KmsKeyIds"], old)
    kms.disable_key(KeyId=old["KeyId"])
    try:  # the labelled versions no longer need the old key; the deprecated one does
        assert value(sm, name, VersionStage="AWSPREVIOUS") == "three"
        assert value(sm, name, VersionId=v2) == "two"
        error = error_of(sm.get_secret_value, SecretId=name, VersionId=v1)
        assert error["Code"] == "DecryptionFailure"
    finally:
        kms.enable_key(KeyId=old["KeyId"])


# --- DescribeSecret --------------------------------------------------------------------


def test_describe_lists_only_labelled_versions_and_omits_absent_fields(sm: Any) -> None:
    name, _, v1 = create(sm, "shape")
    v2, v3 = put(sm, name, "two"), put(sm, name, "three")
    described = sm.describe_secret(SecretId=name)
    assert described["VersionIdsToStages"] == {v2: ["AWSPREVIOUS"], v3: ["AWSCURRENT"]}
    for absent in ("KmsKeyId", "Description", "Tags", "DeletedDate", "LastAccessedDate"):
        assert absent not in described
    assert described["LastChangedDate"] >= described["CreatedDate"]
    versions = sm.list_secret_version_ids(SecretId=name, IncludeDeprecated=True)["Versions"]
    assert {v["VersionId"] for v in versions} == {v1, v2, v3}
    assert all(v["KmsKeyIds"] == ["DefaultEncryptionKey"] for v in versions)


def test_last_accessed_date_is_the_day_of_the_last_get(sm: Any) -> None:
    name, _, v1 = create(sm, "accessed")
    v2 = put(sm, name, "two")
    sm.describe_secret(SecretId=name)  # Describe is not an access
    assert "LastAccessedDate" not in sm.describe_secret(SecretId=name)
    start = today()
    sm.get_secret_value(SecretId=name)
    days = {start, today()}
    accessed = sm.describe_secret(SecretId=name)["LastAccessedDate"].timestamp()
    assert accessed in days and accessed % DAY == 0
    versions = {v["VersionId"]: v for v in sm.list_secret_version_ids(SecretId=name)["Versions"]}
    assert versions[v2]["LastAccessedDate"].timestamp() in days
    assert "LastAccessedDate" not in versions[v1]


def test_tags_are_absent_until_the_secret_is_tagged(sm: Any) -> None:
    name, _, _ = create(sm, "tags")
    assert "Tags" not in sm.describe_secret(SecretId=name)
    sm.tag_resource(SecretId=name, Tags=[{"Key": "team", "Value": "core"}])
    assert sm.describe_secret(SecretId=name)["Tags"] == [{"Key": "team", "Value": "core"}]
    sm.untag_resource(SecretId=name, TagKeys=["team"])
    assert sm.describe_secret(SecretId=name)["Tags"] == []


# --- ListSecretVersionIds --------------------------------------------------------------


def test_list_versions_hides_deprecated_unless_asked(sm: Any) -> None:
    name, arn, v1 = create(sm, "listing")
    ids = [v1] + [put(sm, name, f"v{i}") for i in range(2, 8)]
    page = sm.list_secret_version_ids(SecretId=name)
    assert (page["ARN"], page["Name"]) == (arn, name) and "NextToken" not in page
    assert {v["VersionId"] for v in page["Versions"]} == set(ids[-2:])
    every = sm.list_secret_version_ids(SecretId=name, IncludeDeprecated=True)["Versions"]
    assert {v["VersionId"] for v in every} == set(ids)
    assert all("VersionStages" not in v for v in every if v["VersionId"] in ids[:-2])


def test_list_versions_paginates(sm: Any) -> None:
    name, _, v1 = create(sm, "pages")
    ids = [v1] + [put(sm, name, f"v{i}") for i in range(2, 8)]
    seen: list[str] = []
    kwargs: dict[str, Any] = {"SecretId": name, "IncludeDeprecated": True, "MaxResults": 3}
    for _ in range(len(ids)):
        page = sm.list_secret_version_ids(**kwargs)
        assert len(page["Versions"]) <= 3
        seen += [v["VersionId"] for v in page["Versions"]]
        if "NextToken" not in page:
            break
        kwargs["NextToken"] = page["NextToken"]
    assert sorted(seen) == sorted(ids) and len(seen) == len(ids)


@pytest.mark.parametrize("token", ["garbage", "eyJub3QiOiAiYSB0b2tlbiJ9", "W10="])
def test_list_versions_refuses_a_bad_next_token(sm: Any, token: str) -> None:
    name, _, _ = create(sm, "bad-token")
    error = error_of(sm.list_secret_version_ids, SecretId=name, NextToken=token)
    assert error["Code"] == "InvalidNextTokenException"


# --- UpdateSecretVersionStage ----------------------------------------------------------


def test_moving_a_custom_label_names_its_holder(sm: Any) -> None:
    name, _, v1 = create(sm, "move")
    v2 = put(sm, name, "two", VersionStages=["BLUE"])
    v3 = put(sm, name, "three", VersionStages=["GREEN"])
    sm.update_secret_version_stage(SecretId=name, VersionStage="NEW", MoveToVersionId=v2)
    assert stages(sm, name)[v2] == ["BLUE", "NEW"]  # held by no one: nothing to name
    before = state(sm, name)
    for remove_from in ({}, {"RemoveFromVersionId": v1}):
        error = error_of(
            sm.update_secret_version_stage,
            SecretId=name,
            VersionStage="BLUE",
            MoveToVersionId=v3,
            **remove_from,
        )
        assert error["Code"] == "InvalidParameterException"
        assert state(sm, name) == before
    sm.update_secret_version_stage(
        SecretId=name, VersionStage="BLUE", RemoveFromVersionId=v2, MoveToVersionId=v3
    )
    assert stages(sm, name) == {v1: ["AWSCURRENT"], v2: ["NEW"], v3: ["BLUE", "GREEN"]}
    sm.update_secret_version_stage(SecretId=name, VersionStage="NEW", RemoveFromVersionId=v2)
    assert stages(sm, name) == {v1: ["AWSCURRENT"], v3: ["BLUE", "GREEN"]}
    assert all_versions(sm, name)[v2] == []


def test_removing_a_label_from_a_version_without_it_is_refused(sm: Any) -> None:
    name, _, v1 = create(sm, "remove-wrong")
    v2 = put(sm, name, "two", VersionStages=["BLUE"])
    before = state(sm, name)
    for label, version in (("BLUE", v1), ("NOBODY", v2)):
        error = error_of(
            sm.update_secret_version_stage,
            SecretId=name,
            VersionStage=label,
            RemoveFromVersionId=version,
        )
        assert error["Code"] == "InvalidParameterException"
        assert state(sm, name) == before


def test_moving_awscurrent_moves_awsprevious(sm: Any) -> None:
    name, _, v1 = create(sm, "move-current", secret="one")
    v2 = put(sm, name, "two")
    v3 = put(sm, name, "three", VersionStages=["AWSPENDING"])
    before = state(sm, name)
    error = error_of(
        sm.update_secret_version_stage, SecretId=name, VersionStage="AWSCURRENT", MoveToVersionId=v3
    )
    assert error["Code"] == "InvalidParameterException"
    assert state(sm, name) == before
    sm.update_secret_version_stage(
        SecretId=name, VersionStage="AWSCURRENT", RemoveFromVersionId=v2, MoveToVersionId=v3
    )
    assert stages(sm, name) == {v2: ["AWSPREVIOUS"], v3: ["AWSCURRENT", "AWSPENDING"]}
    assert all_versions(sm, name)[v1] == []
    assert value(sm, name) == "three"
    sm.update_secret_version_stage(  # back onto the AWSPREVIOUS holder: they swap
        SecretId=name, VersionStage="AWSCURRENT", RemoveFromVersionId=v3, MoveToVersionId=v2
    )
    assert stages(sm, name) == {v2: ["AWSCURRENT"], v3: ["AWSPENDING", "AWSPREVIOUS"]}
    assert value(sm, name) == "two"


def test_removing_awscurrent_or_naming_unknown_versions_is_refused(sm: Any) -> None:
    name, _, v1 = create(sm, "refused")
    v2 = put(sm, name, "two", VersionStages=["BLUE"])
    unknown = new_token()
    before = state(sm, name)
    attempts: list[dict[str, Any]] = [
        {"VersionStage": "AWSCURRENT", "RemoveFromVersionId": v1},
        {"VersionStage": "BLUE", "RemoveFromVersionId": v2, "MoveToVersionId": unknown},
        {"VersionStage": "BLUE", "RemoveFromVersionId": unknown, "MoveToVersionId": v1},
        {"VersionStage": "FRESH", "MoveToVersionId": unknown},
    ]
    for attempt in attempts:
        error = error_of(sm.update_secret_version_stage, SecretId=name, **attempt)
        assert error["Code"] in ("InvalidParameterException", "ResourceNotFoundException")
        assert state(sm, name) == before


# --- DeleteSecret and RestoreSecret ----------------------------------------------------


def test_recovery_window_must_be_7_to_30_days_without_force(sm: Any) -> None:
    name, _, _ = create(sm, "window")
    before = state(sm, name)
    for kwargs in (
        {"RecoveryWindowInDays": 6},
        {"RecoveryWindowInDays": 31},
        {"RecoveryWindowInDays": 0, "ForceDeleteWithoutRecovery": True},
        {"RecoveryWindowInDays": 7, "ForceDeleteWithoutRecovery": True},
    ):
        error = error_of(sm.delete_secret, SecretId=name, **kwargs)
        assert error["Code"] == "InvalidParameterException"
        assert state(sm, name) == before
    assert value(sm, name) == "v1"


@pytest.mark.parametrize("window", [7, 30, None])
def test_delete_schedules_after_the_window(sm: Any, window: int | None) -> None:
    name, arn, _ = create(sm, "schedule")
    started = time.time()
    extra = {} if window is None else {"RecoveryWindowInDays": window}
    out = sm.delete_secret(SecretId=name, **extra)
    assert (out["ARN"], out["Name"]) == (arn, name)
    expected = started + (window or 30) * DAY
    assert expected - 5 <= out["DeletionDate"].timestamp() <= time.time() + (window or 30) * DAY + 5
    assert "DeletedDate" in sm.describe_secret(SecretId=name)


def test_scheduled_secret_refuses_reads_and_writes(sm: Any) -> None:
    name, arn, v1 = create(sm, "scheduled", Tags=[{"Key": "k", "Value": "v"}])
    sm.delete_secret(SecretId=name, RecoveryWindowInDays=7)
    refused: list[tuple[Any, dict[str, Any]]] = [
        (sm.get_secret_value, {}),
        (sm.get_secret_value, {"VersionId": v1}),
        (sm.put_secret_value, {"SecretString": "new"}),
        (sm.update_secret, {"Description": "new"}),
        (sm.update_secret, {"SecretString": "new"}),
        (sm.update_secret_version_stage, {"VersionStage": "X", "MoveToVersionId": v1}),
    ]
    described = describe(sm, name)
    for call, kwargs in refused:
        assert error_of(call, SecretId=name, **kwargs)["Code"] == "InvalidRequestException"
        assert describe(sm, name) == described
    assert described["ARN"] == arn and "DeletedDate" in described
    assert described["VersionIdsToStages"] == {v1: ["AWSCURRENT"]}
    by_name = [{"Key": "name", "Values": [name]}]
    assert sm.list_secrets(Filters=by_name)["SecretList"] == []
    listed = sm.list_secrets(Filters=by_name, IncludePlannedDeletion=True)["SecretList"]
    assert [s["ARN"] for s in listed] == [arn] and "DeletedDate" in listed[0]


def test_restore_brings_back_versions_labels_and_tags(sm: Any) -> None:
    tags = [{"Key": "team", "Value": "core"}]
    name, arn, v1 = create(sm, "restore", secret="one", Description="d", Tags=tags)
    v2 = put(sm, name, "two")
    v3 = put(sm, name, "three", VersionStages=["BLUE"])
    v4 = put(sm, name, "four")
    before = state(sm, name)
    sm.delete_secret(SecretId=name, RecoveryWindowInDays=7)
    out = sm.restore_secret(SecretId=name)
    assert (out["ARN"], out["Name"]) == (arn, name)
    after = state(sm, name)
    for snapshot in (before, after):
        snapshot["describe"].pop("LastChangedDate")
    assert after == before and "DeletedDate" not in after["describe"]
    values = [value(sm, name, VersionId=v) for v in (v1, v2, v3, v4)]
    assert values == ["one", "two", "three", "four"]
    assert value(sm, name) == "four"
    by_name = [{"Key": "name", "Values": [name]}]
    assert [s["ARN"] for s in sm.list_secrets(Filters=by_name)["SecretList"]] == [arn]
    put(sm, name, "five")
    assert value(sm, name) == "five"


def test_force_delete_destroys_at_once_and_frees_the_name(sm: Any) -> None:
    name, arn, v1 = create(sm, "force", secret="old")
    put(sm, name, "older")
    out = sm.delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True)
    assert (out["ARN"], out["Name"]) == (arn, name)
    for call in (sm.describe_secret, sm.get_secret_value):
        assert error_of(call, SecretId=name)["Code"] == "ResourceNotFoundException"
    by_name = [{"Key": "name", "Values": [name]}]
    assert sm.list_secrets(Filters=by_name, IncludePlannedDeletion=True)["SecretList"] == []
    again = sm.create_secret(Name=name, SecretString="new")
    assert again["ARN"] != arn and again["ARN"].startswith(ARN_PREFIX + name + "-")
    assert error_of(sm.describe_secret, SecretId=arn)["Code"] == "ResourceNotFoundException"
    assert all_versions(sm, name) == {again["VersionId"]: ["AWSCURRENT"]}
    error = error_of(sm.get_secret_value, SecretId=name, VersionId=v1)
    assert error["Code"] == "ResourceNotFoundException"
    assert value(sm, name) == "new"


def test_force_delete_of_a_scheduled_secret(sm: Any) -> None:
    name, _, _ = create(sm, "force-scheduled")
    sm.delete_secret(SecretId=name, RecoveryWindowInDays=7)
    sm.delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True)
    assert error_of(sm.describe_secret, SecretId=name)["Code"] == "ResourceNotFoundException"
    sm.create_secret(Name=name, SecretString="reborn")
    assert value(sm, name) == "reborn"


# --- Deprecated versions ---------------------------------------------------------------


def _with_deprecated(sm: Any, count: int) -> tuple[str, list[str]]:
    """A secret with `count` deprecated versions (plus AWSPREVIOUS and AWSCURRENT)."""
    name, _, v1 = create(sm, "deprecated", secret="0")
    return name, [v1] + [put(sm, name, str(i)) for i in range(1, count + 2)]


def test_recent_deprecated_versions_are_kept_up_to_100(sm: Any) -> None:
    name, ids = _with_deprecated(sm, 100)
    listed = all_versions(sm, name)
    assert list(listed) == ids  # oldest first, across pages
    assert [listed[v] for v in ids[-2:]] == [["AWSPREVIOUS"], ["AWSCURRENT"]]
    assert all(listed[v] == [] for v in ids[:-2])
    assert [value(sm, name, VersionId=v) for v in ids] == [str(i) for i in range(len(ids))]
    before = state(sm, name)
    for call in (sm.put_secret_value, sm.update_secret):  # a 101st deprecated version
        error = error_of(call, SecretId=name, SecretString="more", ClientRequestToken=new_token())
        assert error["Code"] == "LimitExceededException"
        assert state(sm, name) == before
    assert value(sm, name) == "101"


def test_deprecated_versions_older_than_a_day_are_purged(start_server: Any, tmp_path: Any) -> None:
    data_dir = tmp_path / "purge"
    server = start_server(data_dir)
    name, ids = _with_deprecated(server.client("secretsmanager"), 100)
    server.stop()
    later = start_server(data_dir, extra_env={"STRONGROOM_DEV_CLOCK_OFFSET": str(2 * DAY)})
    sm = later.client("secretsmanager")
    newest = put(sm, name, "next")
    listed = all_versions(sm, name)
    assert list(listed) == [*ids[1:], newest]  # the oldest deprecated one went
    assert [listed[v] for v in (ids[-1], newest)] == [["AWSPREVIOUS"], ["AWSCURRENT"]]
    error = error_of(sm.get_secret_value, SecretId=name, VersionId=ids[0])
    assert error["Code"] == "ResourceNotFoundException"
    assert value(sm, name, VersionId=ids[1]) == "1"
