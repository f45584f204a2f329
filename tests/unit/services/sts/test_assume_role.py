"""AssumeRole, decided by the real authorizer: the trust policy must allow (and for tags
and a source identity, allow those too); the session is the role, limited by session
policies, tagged, for the asked duration within the role's and role chaining's limits,
and it expires; every refusal has AWS's code and words and stores nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest
from tests.unit.services.sts.sts_world import ACCOUNT, REGION, ROOT, StsWorld

from strongroom.errors import (
    AccessDeniedException,
    ExpiredTokenException,
    IamMalformedPolicyDocumentException,
    StrongroomError,
    UnrecognizedClientException,
    ValidationException,
)
from strongroom.identity import FunctionCredentials, Principal, RoleScope
from strongroom.identity.sessions import EXPIRED_KEPT_SECONDS
from strongroom.services.caller import Caller
from strongroom.services.iam.authorizer import IamAuthorizer
from strongroom.services.sts.errors import InvalidParameterValue, PackedPolicyTooLargeException
from strongroom.services.sts.packed_size import packed_size

ACCOUNT_ROOT = f"arn:aws:iam::{ACCOUNT}:root"
GOLD = "aws:PrincipalTag/tier"


def document(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action: str | list[str], resource: str = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def trusting(principal: str, action: str | list[str] = "sts:AssumeRole", **extra: Any) -> str:
    """A trust policy letting `principal` (an ARN) do `action`."""
    return document({"Effect": "Allow", "Principal": {"AWS": principal}, "Action": action, **extra})


def authorizer_of(world: StsWorld) -> IamAuthorizer:
    authorizer = IamAuthorizer(world.clock, world.sessions.find)
    authorizer.attach(world.iam.iam)
    return authorizer


def make_role(world: StsWorld, name: str, trust: str, **params: Any) -> dict[str, Any]:
    role: dict[str, Any] = world.iam.call(
        "CreateRole", RoleName=name, AssumeRolePolicyDocument=trust, **params
    )["Role"]
    return role


def assume(world: StsWorld, principal: Principal, **params: Any) -> dict[str, Any]:
    params.setdefault("RoleSessionName", "s1")
    answer: dict[str, Any] = world.call("AssumeRole", principal, authorizer_of(world), **params)
    return answer


def refused(
    world: StsWorld, error: type[StrongroomError], principal: Principal, **params: Any
) -> str:
    """AssumeRole fails with `error`, storing nothing; the error's message."""
    before = world.iam.raw()
    with pytest.raises(error) as raised:
        assume(world, principal, **params)
    assert world.iam.raw() == before
    return raised.value.message


def session_of(world: StsWorld, answer: dict[str, Any]) -> Caller:
    """A caller signing with the answer's credentials, decided by the real authorizer."""
    principal = world.principal_of(answer["Credentials"]["AccessKeyId"])
    return Caller(principal, REGION, authorizer_of(world))


def denial(caller: Caller, action: str, resource: str = "*") -> str:
    with pytest.raises(AccessDeniedException) as raised:
        caller.authorize(action, resource)
    return raised.value.message


def not_authorized(principal_arn: str, role_arn: str) -> str:
    return (
        f"User: {principal_arn} is not authorized to perform: sts:AssumeRole on resource: "
        f"{role_arn}"
    )


# --- the session -----------------------------------------------------------------------


def test_a_trusted_user_gets_a_session_that_is_the_role(world: StsWorld) -> None:
    alice, user = world.user("alice")
    role = make_role(world, "reader", trusting(user["Arn"]), Path="/apps/")
    answer = assume(world, alice, RoleArn=role["Arn"], RoleSessionName="alice@example.com")
    credentials = answer["Credentials"]
    key_id = credentials["AccessKeyId"]
    assert key_id.startswith("ASIA") and len(key_id) == 20
    assert credentials["Expiration"] == world.clock.now() + 3600  # AWS's default: an hour
    assert answer["AssumedRoleUser"] == {
        "AssumedRoleId": f"{role['RoleId']}:alice@example.com",
        "Arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/reader/alice@example.com",
    }
    assert "PackedPolicySize" not in answer and "SourceIdentity" not in answer
    token = credentials["SessionToken"].encode()
    assert world.keys.secret_for(key_id, token) == credentials["SecretAccessKey"]
    tampered = token[:-1] + (b"x" if token[-1:] != b"x" else b"y")
    assert world.keys.secret_for(key_id, tampered) is None
    assert world.keys.secret_for(key_id) is None
    found = world.sessions.find(key_id)
    assert found is not None
    assert found.scope == RoleScope(role["Arn"], role["RoleId"], None, ())
    session = world.principal_of(key_id)
    assert world.call("GetCallerIdentity", session) == {
        "UserId": f"{role['RoleId']}:alice@example.com",
        "Account": ACCOUNT,
        "Arn": answer["AssumedRoleUser"]["Arn"],
    }


def test_the_session_has_the_roles_rights_and_no_more(world: StsWorld) -> None:
    alice, user = world.user("alice")
    role = make_role(world, "encryptor", trusting(user["Arn"]))
    world.iam.call(
        "PutRolePolicy",
        RoleName="encryptor",
        PolicyName="p",
        PolicyDocument=document(allow("kms:Encrypt")),
    )
    session = session_of(world, assume(world, alice, RoleArn=role["Arn"]))
    session.authorize("kms:Encrypt", "*")
    assert denial(session, "kms:Decrypt").startswith(
        f"User: arn:aws:sts::{ACCOUNT}:assumed-role/encryptor/s1 is not authorized"
    )
    alice_caller = Caller(alice, REGION, authorizer_of(world))
    denial(alice_caller, "kms:Encrypt")  # the user itself never had it


def test_a_session_expires(world: StsWorld) -> None:
    alice, user = world.user("alice")
    role = make_role(world, "reader", trusting(user["Arn"]))
    credentials = assume(world, alice, RoleArn=role["Arn"], DurationSeconds=900)["Credentials"]
    key_id, token = credentials["AccessKeyId"], credentials["SessionToken"].encode()
    world.clock.current += 899
    assert world.keys.secret_for(key_id, token) == credentials["SecretAccessKey"]
    world.clock.current += 1
    with pytest.raises(ExpiredTokenException):
        world.keys.secret_for(key_id, token)
    assert world.sessions.purge_expired() == 0  # refused as expired for a while yet
    world.clock.current += EXPIRED_KEPT_SECONDS
    assert world.sessions.purge_expired() == 1
    assert world.keys.secret_for(key_id, token) is None


# --- who may assume ----------------------------------------------------------------------


def test_a_trust_policy_that_does_not_name_the_caller_refuses(world: StsWorld) -> None:
    _, alice = world.user("alice")
    bob, bob_user = world.user("bob")
    role = make_role(world, "reader", trusting(alice["Arn"]))
    message = refused(world, AccessDeniedException, bob, RoleArn=role["Arn"])
    assert message == (
        f"{not_authorized(bob_user['Arn'], role['Arn'])} because no resource-based policy "
        "allows the sts:AssumeRole action"
    )


def test_a_trust_in_the_account_leaves_it_to_identity_policies(world: StsWorld) -> None:
    alice, _ = world.user("alice")
    role = make_role(world, "reader", trusting(ACCOUNT_ROOT))
    refused(world, AccessDeniedException, alice, RoleArn=role["Arn"])
    world.iam.call(
        "PutUserPolicy",
        UserName="alice",
        PolicyName="assume",
        PolicyDocument=document(allow("sts:AssumeRole", role["Arn"])),
    )
    assert assume(world, alice, RoleArn=role["Arn"])["AssumedRoleUser"]["Arn"].endswith("/s1")


def test_a_missing_or_foreign_role_is_refused_as_untrusted(world: StsWorld) -> None:
    alice, user = world.user("alice")
    make_role(world, "reader", trusting(user["Arn"]), Path="/apps/")
    for arn in (
        f"arn:aws:iam::{ACCOUNT}:role/nobody",
        f"arn:aws:iam::{ACCOUNT}:role/reader",  # the path is part of the ARN
        f"arn:aws:iam::{ACCOUNT}:role/apps/READER",
        "arn:aws:iam::999999999999:role/apps/reader",
        f"arn:aws:iam::{ACCOUNT}:user/apps/reader",
        f"arn:aws:kms:us-east-1:{ACCOUNT}:key/reader",
    ):
        assert refused(world, AccessDeniedException, alice, RoleArn=arn) == not_authorized(
            user["Arn"], arn
        )


def test_an_arn_that_is_no_arn_is_invalid(world: StsWorld) -> None:
    alice, _ = world.user("alice")
    for arn in ("not-an-arn-at-all-really", "arn:aws:iam::1:role/a:b", "arn::iam::1:role/x"):
        assert refused(world, ValidationException, alice, RoleArn=arn) == f"{arn} is invalid"


def test_the_root_cannot_assume_a_role(world: StsWorld) -> None:
    role = make_role(world, "reader", trusting(ACCOUNT_ROOT))
    root_session = world.call("GetSessionToken", ROOT)["Credentials"]["AccessKeyId"]
    for root in (ROOT, world.principal_of(root_session)):
        message = refused(world, AccessDeniedException, root, RoleArn=role["Arn"])
        assert message == "Roles may not be assumed by root accounts."


def test_a_users_session_token_may_assume_a_role(world: StsWorld) -> None:
    alice, user = world.user("alice")
    role = make_role(world, "reader", trusting(user["Arn"]))
    key_id = world.call("GetSessionToken", alice)["Credentials"]["AccessKeyId"]
    answer = assume(world, world.principal_of(key_id), RoleArn=role["Arn"])
    assert answer["AssumedRoleUser"]["Arn"].endswith(":assumed-role/reader/s1")


def test_a_deleted_users_session_is_no_valid_caller(world: StsWorld) -> None:
    alice, _ = world.user("alice")
    role = make_role(world, "reader", trusting(ACCOUNT_ROOT))
    key_id = world.call("GetSessionToken", alice)["Credentials"]["AccessKeyId"]
    world.iam.call("DeleteAccessKey", UserName="alice", AccessKeyId=alice.access_key_id)
    world.iam.call("DeleteUser", UserName="alice")
    refused(world, UnrecognizedClientException, world.principal_of(key_id), RoleArn=role["Arn"])


def test_a_function_session_of_a_role_iam_does_not_hold_cannot_assume(world: StsWorld) -> None:
    role = make_role(world, "reader", trusting("*"))
    function_arn = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:rotate"
    key_id, _, _ = FunctionCredentials(world.sessions).issue(
        ACCOUNT, function_arn, f"arn:aws:iam::{ACCOUNT}:role/not-in-iam", 60
    )
    function = world.principal_of(key_id)
    message = refused(world, AccessDeniedException, function, RoleArn=role["Arn"])
    assert message == not_authorized(function.arn(), role["Arn"])


def test_the_external_id_is_what_the_trust_policy_tests(world: StsWorld) -> None:
    alice, user = world.user("alice")
    condition = {"StringEquals": {"sts:ExternalId": "Unicorn-42"}}
    role = make_role(world, "partner", trusting(user["Arn"], Condition=condition))
    refused(world, AccessDeniedException, alice, RoleArn=role["Arn"])
    refused(world, AccessDeniedException, alice, RoleArn=role["Arn"], ExternalId="unicorn-42")
    assert assume(world, alice, RoleArn=role["Arn"], ExternalId="Unicorn-42")["Credentials"]


def test_the_session_name_is_what_the_trust_policy_tests(world: StsWorld) -> None:
    alice, user = world.user("alice")
    condition = {"StringEquals": {"sts:RoleSessionName": "${aws:username}"}}
    role = make_role(world, "named", trusting(user["Arn"], Condition=condition))
    refused(world, AccessDeniedException, alice, RoleArn=role["Arn"], RoleSessionName="bob")
    assert assume(world, alice, RoleArn=role["Arn"], RoleSessionName="alice")["Credentials"]


def test_a_source_identity_needs_set_source_identity(world: StsWorld) -> None:
    alice, user = world.user("alice")
    role = make_role(world, "reader", trusting(user["Arn"]))
    message = refused(
        world, AccessDeniedException, alice, RoleArn=role["Arn"], SourceIdentity="alice"
    )
    assert "perform: sts:SetSourceIdentity on resource" in message
    condition = {"StringEquals": {"sts:SourceIdentity": "${aws:username}"}}
    world.iam.call(
        "UpdateAssumeRolePolicy",
        RoleName="reader",
        PolicyDocument=trusting(
            user["Arn"], ["sts:AssumeRole", "sts:SetSourceIdentity"], Condition=condition
        ),
    )
    refused(world, AccessDeniedException, alice, RoleArn=role["Arn"], SourceIdentity="mallory")
    answer = assume(world, alice, RoleArn=role["Arn"], SourceIdentity="alice")
    assert answer["SourceIdentity"] == "alice"


# --- session tags ---------------------------------------------------------------------------


def test_session_tags_need_tag_session_and_are_principal_tags(world: StsWorld) -> None:
    alice, user = world.user("alice")
    role = make_role(
        world,
        "tagged",
        trusting(user["Arn"]),
        Tags=[{"Key": "team", "Value": "role"}, {"Key": "tier", "Value": "gold"}],
    )
    tags = [{"Key": "team", "Value": "blue"}]
    message = refused(world, AccessDeniedException, alice, RoleArn=role["Arn"], Tags=tags)
    assert "perform: sts:TagSession on resource" in message
    only_blue = {"StringEquals": {"aws:RequestTag/team": "blue"}}
    world.iam.call(
        "UpdateAssumeRolePolicy",
        RoleName="tagged",
        PolicyDocument=document(
            {"Effect": "Allow", "Principal": {"AWS": user["Arn"]}, "Action": "sts:AssumeRole"},
            {
                "Effect": "Allow",
                "Principal": {"AWS": user["Arn"]},
                "Action": "sts:TagSession",
                "Condition": only_blue,
            },
        ),
    )
    refused(
        world,
        AccessDeniedException,
        alice,
        RoleArn=role["Arn"],
        Tags=[{"Key": "team", "Value": "red"}],
    )
    world.iam.call(
        "PutRolePolicy",
        RoleName="tagged",
        PolicyName="by-tag",
        PolicyDocument=document(
            allow("ssm:GetParameter", "arn:aws:ssm:*:*:parameter/${aws:PrincipalTag/team}/*"),
            allow("kms:Encrypt", Condition={"StringEquals": {GOLD: "gold"}}),
        ),
    )
    answer = assume(world, alice, RoleArn=role["Arn"], Tags=tags, TransitiveTagKeys=["TEAM"])
    assert answer["PackedPolicySize"] == 1
    session = session_of(world, answer)
    found = world.sessions.find(answer["Credentials"]["AccessKeyId"])
    assert found is not None and found.scope is not None and found.scope.tags == (("team", "blue"),)
    session.authorize("ssm:GetParameter", f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/blue/x")
    denial(session, "ssm:GetParameter", f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/role/x")
    session.authorize("kms:Encrypt", "*")  # the role's own tags are principal tags too


def test_tag_keys_are_case_insensitive_and_transitive_keys_must_be_tags(world: StsWorld) -> None:
    alice, user = world.user("alice")
    role = make_role(world, "tagged", trusting(user["Arn"], ["sts:AssumeRole", "sts:TagSession"]))
    twice = [{"Key": "team", "Value": "a"}, {"Key": "Team", "Value": "b"}]
    message = refused(world, InvalidParameterValue, alice, RoleArn=role["Arn"], Tags=twice)
    assert message == "Duplicate tag keys found. Please note that Tag keys are case insensitive."
    for transitive, tags in ((["env"], [{"Key": "team", "Value": "a"}]), (["team"], None)):
        message = refused(
            world,
            InvalidParameterValue,
            alice,
            RoleArn=role["Arn"],
            Tags=tags,
            TransitiveTagKeys=transitive,
        )
        assert message == "The specified transitive tag key must be included in the requested tags."
    assert InvalidParameterValue.code == "InvalidParameterValue"


def test_transitive_keys_are_a_condition_key(world: StsWorld) -> None:
    alice, user = world.user("alice")
    no_transitive = {"Null": {"sts:TransitiveTagKeys": "true"}}
    role = make_role(
        world,
        "tagged",
        trusting(user["Arn"], ["sts:AssumeRole", "sts:TagSession"], Condition=no_transitive),
    )
    tags = [{"Key": "team", "Value": "a"}]
    refused(
        world,
        AccessDeniedException,
        alice,
        RoleArn=role["Arn"],
        Tags=tags,
        TransitiveTagKeys=["team"],
    )
    assert assume(world, alice, RoleArn=role["Arn"], Tags=tags)["PackedPolicySize"] == 1


# --- durations ----------------------------------------------------------------------------


def test_the_duration_is_within_the_roles_maximum(world: StsWorld) -> None:
    alice, user = world.user("alice")
    short = make_role(world, "short", trusting(user["Arn"]))
    long = make_role(world, "long", trusting(user["Arn"]), MaxSessionDuration=43_200)
    now = world.clock.now()
    assert (
        assume(world, alice, RoleArn=short["Arn"], DurationSeconds=900)["Credentials"]["Expiration"]
        == now + 900
    )
    message = refused(world, ValidationException, alice, RoleArn=short["Arn"], DurationSeconds=3601)
    assert message == (
        "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."
    )
    got = assume(world, alice, RoleArn=long["Arn"], DurationSeconds=43_200)["Credentials"]
    assert got["Expiration"] == now + 43_200
    assert assume(world, alice, RoleArn=long["Arn"])["Credentials"]["Expiration"] == now + 3600


def test_role_chaining_is_limited_to_an_hour(world: StsWorld) -> None:
    alice, user = world.user("alice")
    first = make_role(world, "first", trusting(user["Arn"]))
    second = make_role(world, "second", trusting(first["Arn"]), MaxSessionDuration=43_200)
    world.iam.call(
        "PutRolePolicy",
        RoleName="first",
        PolicyName="chain",
        PolicyDocument=document(allow("sts:AssumeRole", second["Arn"])),
    )
    chained = world.principal_of(
        assume(world, alice, RoleArn=first["Arn"])["Credentials"]["AccessKeyId"]
    )
    message = refused(
        world, ValidationException, chained, RoleArn=second["Arn"], DurationSeconds=3601
    )
    assert message == (
        "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by "
        "role chaining."
    )
    answer = assume(world, chained, RoleArn=second["Arn"], RoleSessionName="hop")
    assert answer["Credentials"]["Expiration"] == world.clock.now() + 3600
    assert answer["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/second/hop"
    # alice herself is not trusted by the second role
    refused(world, AccessDeniedException, alice, RoleArn=second["Arn"])


def test_role_chaining_carries_transitive_tags_and_the_source_identity(world: StsWorld) -> None:
    alice, user = world.user("alice")
    everything = ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"]
    first = make_role(world, "first", trusting(user["Arn"], everything))
    second = make_role(world, "second", trusting(first["Arn"], everything))
    world.iam.call(
        "PutRolePolicy",
        RoleName="first",
        PolicyName="chain",
        PolicyDocument=document(allow(everything, second["Arn"])),
    )
    world.iam.call(
        "PutRolePolicy",
        RoleName="second",
        PolicyName="red-team-only",
        PolicyDocument=document(
            allow(
                "kms:Encrypt",
                Condition={
                    "StringEquals": {"aws:PrincipalTag/team": "red", "aws:SourceIdentity": "alice"}
                },
            )
        ),
    )
    answer = assume(
        world,
        alice,
        RoleArn=first["Arn"],
        Tags=[{"Key": "team", "Value": "red"}, {"Key": "shift", "Value": "night"}],
        TransitiveTagKeys=["team"],
        SourceIdentity="alice",
    )
    chained = world.principal_of(answer["Credentials"]["AccessKeyId"])
    override = [{"Key": "TEAM", "Value": "blue"}]
    message = refused(world, InvalidParameterValue, chained, RoleArn=second["Arn"], Tags=override)
    assert "transitive tag cannot be changed" in message
    message = refused(
        world, ValidationException, chained, RoleArn=second["Arn"], SourceIdentity="mallory"
    )
    assert "source identity" in message
    hop = assume(world, chained, RoleArn=second["Arn"], RoleSessionName="hop")
    assert hop["SourceIdentity"] == "alice"
    scope = world.sessions.find(hop["Credentials"]["AccessKeyId"])
    assert scope is not None and scope.scope is not None
    assert scope.scope.tags == (("team", "red"),)  # `shift` was not transitive
    assert scope.scope.transitive_tag_keys == ("team",)
    session_of(world, hop).authorize("kms:Encrypt", "*")


# --- session policies ---------------------------------------------------------------------


def test_an_inline_session_policy_narrows_and_never_widens(world: StsWorld) -> None:
    alice, user = world.user("alice")
    role = make_role(world, "worker", trusting(user["Arn"]))
    world.iam.call(
        "PutRolePolicy",
        RoleName="worker",
        PolicyName="p",
        PolicyDocument=document(allow(["kms:Encrypt", "kms:Decrypt"])),
    )
    policy = document(allow(["kms:Encrypt", "ssm:GetParameter"]))
    answer = assume(world, alice, RoleArn=role["Arn"], Policy=policy)
    assert 1 <= answer["PackedPolicySize"] <= 100
    session = session_of(world, answer)
    session.authorize("kms:Encrypt", "*")
    assert denial(session, "kms:Decrypt").endswith(
        "because no session policy allows the kms:Decrypt action"
    )
    denial(session, "ssm:GetParameter")  # the role does not allow it
    unlimited = assume(world, alice, RoleArn=role["Arn"], PolicyArns=[])  # none passed
    assert "PackedPolicySize" not in unlimited
    session_of(world, unlimited).authorize("kms:Decrypt", "*")


def test_a_bad_inline_session_policy_is_refused(world: StsWorld) -> None:
    alice, user = world.user("alice")
    role = make_role(world, "worker", trusting(user["Arn"]))
    with_principal = document({**allow("kms:*"), "Principal": "*"})
    for policy in ("{not json", with_principal, document()):
        refused(
            world, IamMalformedPolicyDocumentException, alice, RoleArn=role["Arn"], Policy=policy
        )
    assert IamMalformedPolicyDocumentException.code == "MalformedPolicyDocument"
    long = document(allow("kms:Encrypt", "arn:aws:kms:*:*:key/" + "k" * 2048))
    message = refused(world, ValidationException, alice, RoleArn=role["Arn"], Policy=long)
    assert message == (
        "1 validation error detected: Value at 'policy' failed to satisfy constraint: "
        "Member must have length less than or equal to 2048"
    )


def test_managed_session_policies_are_their_default_versions_at_assume_time(
    world: StsWorld,
) -> None:
    alice, user = world.user("alice")
    role = make_role(world, "worker", trusting(user["Arn"]))
    world.iam.call(
        "PutRolePolicy", RoleName="worker", PolicyName="p", PolicyDocument=document(allow("kms:*"))
    )
    encrypt, decrypt = document(allow("kms:Encrypt")), document(allow("kms:Decrypt"))
    managed = world.iam.call(
        "CreatePolicy", PolicyName="narrow", Path="/session/", PolicyDocument=encrypt
    )["Policy"]
    sign = world.iam.call(
        "CreatePolicy", PolicyName="sign", PolicyDocument=document(allow("kms:Sign"))
    )["Policy"]
    answer = assume(
        world,
        alice,
        RoleArn=role["Arn"],
        Policy=document(allow("kms:Verify")),
        PolicyArns=[{"arn": managed["Arn"]}, {"arn": sign["Arn"]}],
    )
    world.iam.call(
        "CreatePolicyVersion", PolicyArn=managed["Arn"], PolicyDocument=decrypt, SetAsDefault=True
    )
    found = world.sessions.find(answer["Credentials"]["AccessKeyId"])
    assert found is not None and found.scope is not None
    assert found.scope.policies == (
        document(allow("kms:Verify")),
        encrypt,
        document(allow("kms:Sign")),
    )
    session = session_of(world, answer)
    for action in ("kms:Encrypt", "kms:Sign", "kms:Verify"):  # any session policy may allow
        session.authorize(action, "*")
    denial(session, "kms:Decrypt")  # the newer default version came after the session


def test_managed_session_policies_must_exist_and_be_at_most_ten(world: StsWorld) -> None:
    alice, user = world.user("alice")
    role = make_role(world, "worker", trusting(user["Arn"]))
    managed = world.iam.call(
        "CreatePolicy",
        PolicyName="narrow",
        Path="/session/",
        PolicyDocument=document(allow("kms:Encrypt")),
    )["Policy"]
    for arn in (
        f"arn:aws:iam::{ACCOUNT}:policy/narrow",  # the path is part of the ARN
        f"arn:aws:iam::{ACCOUNT}:policy/session/missing",
        "arn:aws:iam::aws:policy/ReadOnlyAccess",
        "arn:aws:iam::999999999999:policy/session/narrow",
        "not an arn at all, not even close",
    ):
        message = refused(
            world, InvalidParameterValue, alice, RoleArn=role["Arn"], PolicyArns=[{"arn": arn}]
        )
        assert message == f"Policy {arn} does not exist or is not attachable."
    message = refused(world, InvalidParameterValue, alice, RoleArn=role["Arn"], PolicyArns=[{}])
    assert message == "Policy  does not exist or is not attachable."
    eleven = [{"arn": managed["Arn"]}] * 11
    message = refused(world, ValidationException, alice, RoleArn=role["Arn"], PolicyArns=eleven)
    assert message.endswith("Member must have length less than or equal to 10")
    assert assume(world, alice, RoleArn=role["Arn"], PolicyArns=eleven[:10])["Credentials"]


# --- packed size --------------------------------------------------------------------------


def test_the_packed_size_counts_policies_arns_and_tags() -> None:
    assert packed_size(None, [], [("a", "")]) == 1
    assert packed_size('{ "a" :\n "b" }', [], []) == 1
    assert packed_size("x" * 2048, ["y" * 2048], []) == 100
    with pytest.raises(PackedPolicyTooLargeException) as policy:
        packed_size("x" * 2048, ["y" * 2049], [])
    assert policy.value.message == (
        "Packed policy consumes 101% of allotted space, please use smaller policy."
    )
    with pytest.raises(PackedPolicyTooLargeException) as tags:
        packed_size("x" * 100, [], [("k" * 128, "v" * 256)] * 11)
    assert tags.value.message == "Packed size of session tags consumes 106% of allotted space."
    assert PackedPolicyTooLargeException.code == "PackedPolicyTooLarge"


def test_too_many_packed_tags_are_refused(world: StsWorld) -> None:
    alice, user = world.user("alice")
    role = make_role(world, "tagged", trusting(user["Arn"], ["sts:AssumeRole", "sts:TagSession"]))
    tags = [{"Key": f"{n:02}" + "k" * 126, "Value": "v" * 256} for n in range(11)]
    message = refused(world, PackedPolicyTooLargeException, alice, RoleArn=role["Arn"], Tags=tags)
    assert message == "Packed size of session tags consumes 104% of allotted space."
    assert assume(world, alice, RoleArn=role["Arn"], Tags=tags[:10])["PackedPolicySize"] == 94


# --- not built ------------------------------------------------------------------------------


def test_mfa_and_provided_contexts_are_refused_not_ignored(world: StsWorld) -> None:
    alice, user = world.user("alice")
    role = make_role(world, "reader", trusting(user["Arn"]))
    serial = f"arn:aws:iam::{ACCOUNT}:mfa/alice"
    for params in (
        {"SerialNumber": serial, "TokenCode": "123456"},
        {"TokenCode": "123456"},
        {"SerialNumber": serial},
    ):
        message = refused(world, ValidationException, alice, RoleArn=role["Arn"], **params)
        assert "MFA" in message
    contexts = [
        {
            "ProviderArn": "arn:aws:iam::aws:contextProvider/IdentityCenter",
            "ContextAssertion": "x" * 8,
        }
    ]
    message = refused(
        world, ValidationException, alice, RoleArn=role["Arn"], ProvidedContexts=contexts
    )
    assert "ProvidedContexts" in message
