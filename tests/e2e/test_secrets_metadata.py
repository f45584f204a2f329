"""Secret metadata through boto3: tags, resource policies, GetRandomPassword, and what
a secret scheduled for deletion refuses.

Invariants checked: tags merge by key and untagging is idempotent; a refused tag change
(reserved `aws:` keys, more than 50 tags) changes nothing; a resource policy is stored and
returned verbatim, and a refused one (bad syntax, public under BlockPublicPolicy) leaves
the previous policy in place; passwords have exactly the length asked for, only allowed
characters and one of each required class. Secrets get unique names on the shared server.
"""

from __future__ import annotations

import json
import string
import uuid
from typing import Any

import pytest

from tests.e2e.harness import ACCOUNT_ID, ServerProcess
from tests.e2e.kms_support import error_of

MARKED_DELETED = (
    "You can't perform this operation on the secret because it was marked for deletion."
)
PUNCTUATION = set(string.punctuation)


@pytest.fixture
def sm(strongroom_server: ServerProcess) -> Any:
    """A Secrets Manager client for the shared server."""
    return strongroom_server.client("secretsmanager")


@pytest.fixture
def raw_sm(strongroom_server: ServerProcess) -> Any:
    """The same, without botocore's own parameter checks."""
    return strongroom_server.client("secretsmanager", validate=False)


def _secret(sm: Any, **kwargs: Any) -> str:
    """A new secret with a value; its name."""
    name = f"meta-{uuid.uuid4().hex[:12]}"
    sm.create_secret(Name=name, SecretString="s3cr3t", **kwargs)
    return name


def _tag_map(sm: Any, name: str) -> dict[str, str] | None:
    """The secret's tags as a dict, or None when DescribeSecret has no Tags member."""
    described = sm.describe_secret(SecretId=name)
    if "Tags" not in described:
        return None
    return {tag["Key"]: tag["Value"] for tag in described["Tags"]}


def _tags(**pairs: str) -> list[dict[str, str]]:
    return [{"Key": key, "Value": value} for key, value in pairs.items()]


def _policy(arn: str, principal: Any = None, condition: Any = None) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": principal or {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"},
        "Action": "secretsmanager:GetSecretValue",
        "Resource": arn,
    }
    if condition is not None:
        statement["Condition"] = condition
    return {"Version": "2012-10-17", "Statement": [statement]}


# --- tags ---------------------------------------------------------------------------


def test_tags_are_added_and_overwritten_by_key(sm: Any) -> None:
    name = _secret(sm)
    assert _tag_map(sm, name) is None  # never tagged: no Tags member at all
    answer = sm.tag_resource(SecretId=name, Tags=_tags(team="core", env="dev"))
    assert set(answer) == {"ResponseMetadata"}  # TagResource's output is empty
    assert _tag_map(sm, name) == {"team": "core", "env": "dev"}
    sm.tag_resource(SecretId=name, Tags=_tags(env="prod", owner="alice"))
    assert _tag_map(sm, name) == {"team": "core", "env": "prod", "owner": "alice"}
    sm.tag_resource(SecretId=name, Tags=[{"Key": "empty", "Value": ""}])
    assert _tag_map(sm, name) == {"team": "core", "env": "prod", "owner": "alice", "empty": ""}


def test_untag_is_idempotent_and_last_removal_leaves_an_empty_list(sm: Any) -> None:
    name = _secret(sm, Tags=_tags(a="1", b="2"))
    sm.untag_resource(SecretId=name, TagKeys=["a", "not-there"])
    assert _tag_map(sm, name) == {"b": "2"}
    sm.untag_resource(SecretId=name, TagKeys=["a"])
    assert _tag_map(sm, name) == {"b": "2"}
    sm.untag_resource(SecretId=name, TagKeys=["b"])
    assert sm.describe_secret(SecretId=name)["Tags"] == []
    sm.untag_resource(SecretId=name, TagKeys=["b"])
    assert sm.describe_secret(SecretId=name)["Tags"] == []


def test_reserved_aws_prefix_is_refused_and_nothing_changes(sm: Any) -> None:
    name = _secret(sm, Tags=_tags(keep="yes"))
    before = sm.describe_secret(SecretId=name)
    for tags in (
        [{"Key": "aws:owner", "Value": "x"}],
        [{"Key": "AWS:owner", "Value": "x"}],
        [{"Key": "fine", "Value": "new"}, {"Key": "aws:secretsmanager:x", "Value": "y"}],
    ):
        error = error_of(sm.tag_resource, SecretId=name, Tags=tags)
        assert error["Code"] == "InvalidParameterException", tags
    after = sm.describe_secret(SecretId=name)
    assert after["Tags"] == [{"Key": "keep", "Value": "yes"}]
    assert after["LastChangedDate"] == before["LastChangedDate"]
    refused = f"meta-{uuid.uuid4().hex[:12]}"
    error = error_of(
        sm.create_secret, Name=refused, SecretString="x", Tags=[{"Key": "aws:t", "Value": "v"}]
    )
    assert error["Code"] == "InvalidParameterException"
    assert error_of(sm.describe_secret, SecretId=refused)["Code"] == "ResourceNotFoundException"


def test_more_than_fifty_tags_are_refused_and_nothing_changes(sm: Any) -> None:
    initial = {f"k{index:02d}": f"v{index}" for index in range(48)}
    name = _secret(sm, Tags=_tags(**initial))
    three_more = _tags(n1="1", n2="2", n3="3")
    error = error_of(sm.tag_resource, SecretId=name, Tags=three_more)
    assert error["Code"] in {"LimitExceededException", "InvalidParameterException"}
    assert _tag_map(sm, name) == initial
    sm.tag_resource(SecretId=name, Tags=_tags(n1="1", n2="2"))  # exactly 50 is allowed
    assert len(_tag_map(sm, name) or {}) == 50
    sm.tag_resource(SecretId=name, Tags=_tags(k00="changed"))  # overwriting adds nothing
    assert (_tag_map(sm, name) or {})["k00"] == "changed"
    assert error_of(sm.tag_resource, SecretId=name, Tags=_tags(n3="3"))["Code"] in {
        "LimitExceededException",
        "InvalidParameterException",
    }
    assert len(_tag_map(sm, name) or {}) == 50
    too_many = _tags(**{f"t{index}": "v" for index in range(51)})
    refused = f"meta-{uuid.uuid4().hex[:12]}"
    error_of(sm.create_secret, Name=refused, SecretString="x", Tags=too_many)
    assert error_of(sm.describe_secret, SecretId=refused)["Code"] == "ResourceNotFoundException"


# --- resource policies ----------------------------------------------------------------


def test_resource_policy_is_stored_verbatim_and_deleted(sm: Any) -> None:
    name = _secret(sm)
    arn = sm.describe_secret(SecretId=name)["ARN"]
    empty = sm.get_resource_policy(SecretId=name)
    assert (empty["ARN"], empty["Name"]) == (arn, name)
    assert "ResourcePolicy" not in empty
    text = json.dumps(_policy(arn), indent=3, sort_keys=False) + "\n"
    put = sm.put_resource_policy(SecretId=name, ResourcePolicy=text)
    assert (put["ARN"], put["Name"]) == (arn, name)
    assert sm.get_resource_policy(SecretId=arn)["ResourcePolicy"] == text
    deleted = sm.delete_resource_policy(SecretId=name)
    assert (deleted["ARN"], deleted["Name"]) == (arn, name)
    assert "ResourcePolicy" not in sm.get_resource_policy(SecretId=name)
    sm.delete_resource_policy(SecretId=name)  # none left: still a success
    assert "ResourcePolicy" not in sm.get_resource_policy(SecretId=name)


def test_malformed_policies_are_refused_and_the_old_one_stays(sm: Any) -> None:
    name = _secret(sm)
    arn = sm.describe_secret(SecretId=name)["ARN"]
    good = json.dumps(_policy(arn))
    sm.put_resource_policy(SecretId=name, ResourcePolicy=good)
    bad_version = json.dumps({**_policy(arn), "Version": "2019-10-19"})
    for text in ("{not json", "[]", bad_version, json.dumps({"Version": "2012-10-17"})):
        error = error_of(sm.put_resource_policy, SecretId=name, ResourcePolicy=text)
        assert error["Code"] == "MalformedPolicyDocumentException", text
        assert error["Message"].startswith("This policy has invalid syntax.")
        assert sm.get_resource_policy(SecretId=name)["ResourcePolicy"] == good
    fresh = _secret(sm)
    error = error_of(sm.put_resource_policy, SecretId=fresh, ResourcePolicy=bad_version)
    assert error["Code"] == "MalformedPolicyDocumentException"
    assert "ResourcePolicy" not in sm.get_resource_policy(SecretId=fresh)


def test_block_public_policy_refuses_broad_access(sm: Any) -> None:
    name = _secret(sm)
    arn = sm.describe_secret(SecretId=name)["ARN"]
    public = json.dumps(_policy(arn, principal="*"))
    error = error_of(
        sm.put_resource_policy, SecretId=name, ResourcePolicy=public, BlockPublicPolicy=True
    )
    assert error["Code"] == "PublicPolicyException"
    assert "ResourcePolicy" not in sm.get_resource_policy(SecretId=name)
    limited = json.dumps(
        _policy(arn, principal="*", condition={"StringEquals": {"aws:SourceAccount": ACCOUNT_ID}})
    )
    sm.put_resource_policy(SecretId=name, ResourcePolicy=limited, BlockPublicPolicy=True)
    assert sm.get_resource_policy(SecretId=name)["ResourcePolicy"] == limited
    error = error_of(
        sm.put_resource_policy, SecretId=name, ResourcePolicy=public, BlockPublicPolicy=True
    )
    assert error["Code"] == "PublicPolicyException"
    assert sm.get_resource_policy(SecretId=name)["ResourcePolicy"] == limited
    sm.put_resource_policy(SecretId=name, ResourcePolicy=public)  # not blocked by default
    assert sm.get_resource_policy(SecretId=name)["ResourcePolicy"] == public


def test_validate_resource_policy_reports_without_storing(sm: Any) -> None:
    name = _secret(sm)
    arn = sm.describe_secret(SecretId=name)["ARN"]
    passed = sm.validate_resource_policy(ResourcePolicy=json.dumps(_policy(arn)))
    assert passed["PolicyValidationPassed"] is True
    assert passed["ValidationErrors"] == []
    with_secret = sm.validate_resource_policy(
        SecretId=name, ResourcePolicy=json.dumps(_policy(arn))
    )
    assert with_secret["PolicyValidationPassed"] is True
    public = json.dumps(_policy(arn, principal="*"))
    failed = sm.validate_resource_policy(SecretId=name, ResourcePolicy=public)
    assert failed["PolicyValidationPassed"] is False
    assert failed["ValidationErrors"]
    for entry in failed["ValidationErrors"]:
        assert entry["CheckName"] and entry["ErrorMessage"]
    assert "ResourcePolicy" not in sm.get_resource_policy(SecretId=name)
    bad_version = json.dumps({**_policy(arn), "Version": "2019-10-19"})
    try:
        syntax = sm.validate_resource_policy(ResourcePolicy=bad_version)
    except sm.exceptions.MalformedPolicyDocumentException:
        pass  # AWS may also refuse outright; either way it must not pass
    else:
        assert syntax["PolicyValidationPassed"] is False
        assert syntax["ValidationErrors"]
    missing = error_of(
        sm.validate_resource_policy, SecretId="meta-missing-x", ResourcePolicy=public
    )
    assert missing["Code"] == "ResourceNotFoundException"


# --- GetRandomPassword ----------------------------------------------------------------


def _classes(password: str) -> dict[str, bool]:
    return {
        "upper": any(c in string.ascii_uppercase for c in password),
        "lower": any(c in string.ascii_lowercase for c in password),
        "digit": any(c in string.digits for c in password),
        "punct": any(c in PUNCTUATION for c in password),
        "space": " " in password,
    }


def test_default_password_is_32_characters_of_every_class(sm: Any) -> None:
    seen: set[str] = set()
    for _ in range(20):
        password = sm.get_random_password()["RandomPassword"]
        assert len(password) == 32
        assert set(password) <= set(string.ascii_letters + string.digits) | PUNCTUATION
        assert _classes(password) == {
            "upper": True,
            "lower": True,
            "digit": True,
            "punct": True,
            "space": False,
        }
        seen.add(password)
    assert len(seen) == 20


@pytest.mark.parametrize(
    ("option", "absent"),
    [
        ("ExcludeUppercase", "upper"),
        ("ExcludeLowercase", "lower"),
        ("ExcludeNumbers", "digit"),
        ("ExcludePunctuation", "punct"),
    ],
)
def test_each_exclude_option_removes_its_class(sm: Any, option: str, absent: str) -> None:
    password = sm.get_random_password(PasswordLength=200, **{option: True})["RandomPassword"]
    assert len(password) == 200
    classes = _classes(password)
    assert classes.pop(absent) is False
    assert classes == {
        **{k: True for k in ("upper", "lower", "digit", "punct") if k != absent},
        "space": False,
    }


def test_exclude_characters_space_and_required_types(sm: Any) -> None:
    excluded = "aeiouAEIOU0123456789!@#$%"
    password = sm.get_random_password(PasswordLength=500, ExcludeCharacters=excluded)
    assert not set(password["RandomPassword"]) & set(excluded)
    with_space = sm.get_random_password(PasswordLength=4096, IncludeSpace=True)
    assert " " in with_space["RandomPassword"]
    no_space = sm.get_random_password(PasswordLength=300, IncludeSpace=True, ExcludeCharacters=" ")
    assert " " not in no_space["RandomPassword"]
    digits_only = sm.get_random_password(
        PasswordLength=64,
        ExcludeUppercase=True,
        ExcludeLowercase=True,
        ExcludePunctuation=True,
    )["RandomPassword"]
    assert len(digits_only) == 64 and digits_only.isdigit()
    single = sm.get_random_password(PasswordLength=1, RequireEachIncludedType=False)
    assert len(single["RandomPassword"]) == 1
    assert len(sm.get_random_password(PasswordLength=4)["RandomPassword"]) == 4


def test_password_length_limits(sm: Any, raw_sm: Any) -> None:
    longest = sm.get_random_password(PasswordLength=4096)["RandomPassword"]
    assert len(longest) == 4096
    too_long = error_of(raw_sm.get_random_password, PasswordLength=4097)
    assert too_long["Code"] == "ValidationException"
    assert "4096" in too_long["Message"]
    assert error_of(raw_sm.get_random_password, PasswordLength=0)["Code"] == ("ValidationException")
    short = error_of(sm.get_random_password, PasswordLength=3)
    assert short["Code"] == "InvalidParameterException"
    two_types = error_of(
        sm.get_random_password, PasswordLength=1, ExcludeUppercase=True, ExcludeLowercase=True
    )
    assert two_types["Code"] == "InvalidParameterException"
    nothing_left = error_of(
        sm.get_random_password,
        ExcludeUppercase=True,
        ExcludeLowercase=True,
        ExcludeNumbers=True,
        ExcludePunctuation=True,
    )
    assert nothing_left["Code"] == "InvalidParameterException"


# --- a secret scheduled for deletion ----------------------------------------------------


def test_scheduled_secret_refuses_metadata_changes(sm: Any) -> None:
    name = _secret(sm, Tags=_tags(team="core"))
    arn = sm.describe_secret(SecretId=name)["ARN"]
    policy = json.dumps(_policy(arn))
    sm.put_resource_policy(SecretId=name, ResourcePolicy=policy)
    sm.delete_secret(SecretId=name, RecoveryWindowInDays=7)
    other_policy = json.dumps(_policy(arn, principal={"AWS": "arn:aws:iam::111122223333:root"}))
    refused: list[tuple[Any, dict[str, Any]]] = [
        (sm.tag_resource, {"Tags": _tags(team="other")}),
        (sm.untag_resource, {"TagKeys": ["team"]}),
        (sm.put_resource_policy, {"ResourcePolicy": other_policy}),
        (sm.delete_resource_policy, {}),
    ]
    for call, params in refused:
        error = error_of(call, SecretId=name, **params)
        assert error["Code"] == "InvalidRequestException", call
        assert error["Message"] == MARKED_DELETED
    described = sm.describe_secret(SecretId=name)
    assert "DeletedDate" in described
    assert described["Tags"] == [{"Key": "team", "Value": "core"}]
    sm.restore_secret(SecretId=name)
    assert _tag_map(sm, name) == {"team": "core"}
    assert sm.get_resource_policy(SecretId=name)["ResourcePolicy"] == policy
