"""STS AssumeRole through its own API (query protocol), with boto3 and the unchanged AWS CLI.

An IAM user that a role's trust policy names assumes the role; the session's credentials
(a boto3 client with `aws_session_token`, the CLI with `AWS_SESSION_TOKEN`) read the one
secret the role's policy allows and not another; a session policy narrows that further;
session tags are principal tags that policies read (`${aws:PrincipalTag/team}`); a role
session may call IAM as its policies allow. Refused: a trust policy that does not name
the user, a missing ExternalId, durations out of bounds (AWS's words), a tampered token,
a packed size over 100%. Sessions expire on the service clock, which the dev-only test
clock moves (`POST /sys/dev/clock`): past its DurationSeconds a session's token is refused
as expired, to boto3 and the CLI alike.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

import boto3
import pytest

from tests.e2e.aws_cli import aws_error, aws_json
from tests.e2e.dev_clock import set_clock
from tests.e2e.harness import ACCOUNT_ID, ServerProcess, client_config
from tests.e2e.iam_support import allow, client_of, make_user, policy, trusting
from tests.e2e.kms_support import error_of
from tests.e2e.own_regions import own_server

server = own_server("sts-assume-role")

INVALID_TOKEN = {
    "Code": "InvalidClientTokenId",
    "Message": "The security token included in the request is invalid.",
    "Status": 403,
}


@pytest.fixture(scope="module")
def iam(server: ServerProcess) -> Any:
    return server.client("iam")


Maker = Callable[..., Any]


@pytest.fixture(scope="module")
def user(server: ServerProcess, iam: Any) -> Maker:
    """`user(name)`: a new IAM user without any policy, with an access key."""
    return lambda name: make_user(server, iam, name)


@pytest.fixture(scope="module")
def role(iam: Any) -> Maker:
    """`role(name, trust, *statements, **create)`: a new role allowed `statements`."""

    def make(name: str, trust: str, *statements: dict[str, Any], **create: Any) -> Any:
        made = iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust, **create)["Role"]
        if statements:
            iam.put_role_policy(RoleName=name, PolicyName="p", PolicyDocument=policy(*statements))
        return made

    return make


@pytest.fixture(scope="module")
def secret(server: ServerProcess) -> Maker:
    """`secret(name)`: a new secret (made by the root) holding `value of <name>`; its ARN."""
    secrets = server.client("secretsmanager")
    return lambda name: secrets.create_secret(Name=name, SecretString=f"value of {name}")["ARN"]


def reads(secrets: Any, arn: str) -> str:
    return secrets.get_secret_value(SecretId=arn)["SecretString"]  # type: ignore[no-any-return]


def test_a_trusted_user_reads_what_the_role_allows(
    server: ServerProcess, user: Maker, role: Maker, secret: Maker
) -> None:
    alpha, beta = secret("alpha"), secret("beta")
    alice = user("alice")
    reader = role("reader", trusting(alice.arn), allow("secretsmanager:GetSecretValue", alpha))
    before = time.time()
    answer = alice.client("sts").assume_role(RoleArn=reader["Arn"], RoleSessionName="alice-session")
    after = time.time()
    session_arn = f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/reader/alice-session"
    assert answer["AssumedRoleUser"] == {
        "AssumedRoleId": f"{reader['RoleId']}:alice-session",
        "Arn": session_arn,
    }
    credentials = answer["Credentials"]
    assert credentials["AccessKeyId"].startswith("ASIA")
    assert int(before) + 3600 <= credentials["Expiration"].timestamp() <= after + 3600
    assert "PackedPolicySize" not in answer
    session = boto3.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        region_name=server.region,
    )
    secrets = session.client(
        "secretsmanager", endpoint_url=server.endpoint_url, config=client_config()
    )
    assert reads(secrets, alpha) == "value of alpha"
    denied = error_of(secrets.get_secret_value, SecretId=beta)
    assert denied["Code"] == "AccessDeniedException"
    assert denied["Message"].startswith(
        f"User: {session_arn} is not authorized to perform: secretsmanager:GetSecretValue"
    )
    identity = client_of(server, "sts", credentials).get_caller_identity()
    assert (identity["Arn"], identity["UserId"]) == (
        session_arn,
        f"{reader['RoleId']}:alice-session",
    )
    # the user's own key never had the right
    refused = error_of(alice.client("secretsmanager").get_secret_value, SecretId=alpha)
    assert refused["Code"] == "AccessDeniedException"


def test_the_aws_cli_assumes_the_role(
    server: ServerProcess, user: Maker, role: Maker, secret: Maker
) -> None:
    gamma, delta = secret("gamma"), secret("delta")
    carol = user("carol")
    cli_role = role(
        "cli-reader", trusting(carol.arn), allow("secretsmanager:GetSecretValue", gamma)
    )
    answer = aws_json(
        server,
        "sts",
        "assume-role",
        "--role-arn",
        cli_role["Arn"],
        "--role-session-name",
        "carol",
        "--duration-seconds",
        "900",
        credentials=carol.key,
    )
    credentials = answer["Credentials"]
    expiration = datetime.fromisoformat(credentials["Expiration"]).timestamp()
    assert time.time() < expiration <= time.time() + 900
    session_arn = f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/cli-reader/carol"
    assert answer["AssumedRoleUser"]["Arn"] == session_arn
    assert aws_json(server, "sts", "get-caller-identity", credentials=credentials) == {
        "UserId": f"{cli_role['RoleId']}:carol",
        "Account": ACCOUNT_ID,
        "Arn": session_arn,
    }
    got = aws_json(
        server, "secretsmanager", "get-secret-value", "--secret-id", gamma, credentials=credentials
    )
    assert got["SecretString"] == "value of gamma"
    denied = error_of(
        client_of(server, "secretsmanager", credentials).get_secret_value, SecretId=delta
    )
    assert denied["Code"] == "AccessDeniedException"


def test_a_session_policy_narrows_further(
    server: ServerProcess, user: Maker, role: Maker, secret: Maker
) -> None:
    one, two = secret("narrow/one"), secret("narrow/two")
    dave = user("dave")
    both = role("both", trusting(dave.arn), allow("secretsmanager:GetSecretValue"))
    narrower = policy(allow("secretsmanager:GetSecretValue", one), allow("iam:ListUsers"))
    answer = dave.client("sts").assume_role(
        RoleArn=both["Arn"], RoleSessionName="narrow", Policy=narrower
    )
    assert 1 <= answer["PackedPolicySize"] <= 100
    secrets = client_of(server, "secretsmanager", answer["Credentials"])
    assert reads(secrets, one) == "value of narrow/one"
    denied = error_of(secrets.get_secret_value, SecretId=two)
    assert denied["Code"] == "AccessDeniedException"
    assert denied["Message"].endswith(
        "because no session policy allows the secretsmanager:GetSecretValue action"
    )
    # a session policy never widens: the role does not allow iam:ListUsers
    listed = error_of(client_of(server, "iam", answer["Credentials"]).list_users)
    assert (listed["Code"], listed["Status"]) == ("AccessDenied", 403)


def test_session_tags_are_principal_tags(
    server: ServerProcess, user: Maker, role: Maker, secret: Maker
) -> None:
    blue, red = secret("blue/db"), secret("red/db")
    erin = user("erin")
    by_team = allow(
        "secretsmanager:GetSecretValue",
        f"arn:aws:secretsmanager:*:{ACCOUNT_ID}:secret:${{aws:PrincipalTag/team}}/*",
    )
    tagged = role("by-team", trusting(erin.arn, ["sts:AssumeRole", "sts:TagSession"]), by_team)
    sts = erin.client("sts")
    answer = sts.assume_role(
        RoleArn=tagged["Arn"],
        RoleSessionName="erin",
        Tags=[{"Key": "team", "Value": "blue"}],
        TransitiveTagKeys=["team"],
    )
    assert answer["PackedPolicySize"] == 1
    secrets = client_of(server, "secretsmanager", answer["Credentials"])
    assert reads(secrets, blue) == "value of blue/db"
    assert error_of(secrets.get_secret_value, SecretId=red)["Code"] == "AccessDeniedException"
    untagged = client_of(
        server,
        "secretsmanager",
        sts.assume_role(RoleArn=tagged["Arn"], RoleSessionName="erin-2")["Credentials"],
    )
    assert error_of(untagged.get_secret_value, SecretId=blue)["Code"] == "AccessDeniedException"
    twice = error_of(
        sts.assume_role,
        RoleArn=tagged["Arn"],
        RoleSessionName="erin",
        Tags=[{"Key": "team", "Value": "a"}, {"Key": "TEAM", "Value": "b"}],
    )
    assert twice == {
        "Code": "InvalidParameterValue",
        "Message": "Duplicate tag keys found. Please note that Tag keys are case insensitive.",
        "Status": 400,
    }


def test_tags_need_tag_session_and_a_packed_size_within_bounds(user: Maker, role: Maker) -> None:
    frank = user("frank")
    plain = role("untaggable", trusting(frank.arn))
    taggable = role("taggable", trusting(frank.arn, ["sts:AssumeRole", "sts:TagSession"]))
    sts = frank.client("sts")
    refused = error_of(
        sts.assume_role,
        RoleArn=plain["Arn"],
        RoleSessionName="frank",
        Tags=[{"Key": "team", "Value": "blue"}],
    )
    assert (refused["Code"], refused["Status"]) == ("AccessDenied", 403)
    assert "sts:TagSession" in refused["Message"]
    tags = [{"Key": f"{n:02}" + "k" * 126, "Value": "v" * 256} for n in range(11)]
    too_large = error_of(
        sts.assume_role, RoleArn=taggable["Arn"], RoleSessionName="frank", Tags=tags
    )
    assert too_large == {
        "Code": "PackedPolicyTooLarge",
        "Message": "Packed size of session tags consumes 104% of allotted space.",
        "Status": 400,
    }
    fits = sts.assume_role(RoleArn=taggable["Arn"], RoleSessionName="frank", Tags=tags[:10])
    assert fits["PackedPolicySize"] == 94


def test_a_trust_policy_that_does_not_name_the_user_refuses(
    server: ServerProcess, user: Maker, role: Maker
) -> None:
    grace, heidi = user("grace"), user("heidi")
    private = role("private", trusting(grace.arn))
    sts = heidi.client("sts")
    refused = error_of(sts.assume_role, RoleArn=private["Arn"], RoleSessionName="heidi")
    assert refused["Code"] == "AccessDenied" and refused["Status"] == 403
    assert refused["Message"].startswith(
        f"User: {heidi.arn} is not authorized to perform: sts:AssumeRole on resource: "
        f"{private['Arn']}"
    )
    missing = f"arn:aws:iam::{ACCOUNT_ID}:role/no-such-role"
    assert error_of(sts.assume_role, RoleArn=missing, RoleSessionName="heidi") == {
        "Code": "AccessDenied",
        "Message": f"User: {heidi.arn} is not authorized to perform: sts:AssumeRole on "
        f"resource: {missing}",
        "Status": 403,
    }
    root = error_of(
        server.client("sts").assume_role, RoleArn=private["Arn"], RoleSessionName="root"
    )
    assert root == {
        "Code": "AccessDenied",
        "Message": "Roles may not be assumed by root accounts.",
        "Status": 403,
    }


def test_the_trust_policy_tests_the_external_id(user: Maker, role: Maker) -> None:
    ivan = user("ivan")
    condition = {"StringEquals": {"sts:ExternalId": "Unicorn-42"}}
    partner = role("partner", trusting(ivan.arn, Condition=condition))
    sts = ivan.client("sts")
    for given in ({}, {"ExternalId": "unicorn-42"}):
        refused = error_of(sts.assume_role, RoleArn=partner["Arn"], RoleSessionName="ivan", **given)
        assert refused["Code"] == "AccessDenied"
    answer = sts.assume_role(
        RoleArn=partner["Arn"], RoleSessionName="ivan", ExternalId="Unicorn-42"
    )
    assert answer["AssumedRoleUser"]["Arn"].endswith(":assumed-role/partner/ivan")


def test_durations_are_bounded_as_aws_bounds_them(
    server: ServerProcess, user: Maker, role: Maker
) -> None:
    judy = user("judy")
    hour = role("hour", trusting(judy.arn))
    long = role("long", trusting(judy.arn), MaxSessionDuration=7200)
    next_hop = role("next-hop", trusting(long["Arn"]), MaxSessionDuration=43_200)
    iam_allow = allow("sts:AssumeRole", next_hop["Arn"])
    server.client("iam").put_role_policy(
        RoleName="long", PolicyName="hop", PolicyDocument=policy(iam_allow)
    )
    sts = judy.client("sts", validate=False)
    for seconds, constraint in (
        (899, "greater than or equal to 900"),
        (43_201, "less than or equal to 43200"),
    ):
        wrong = error_of(
            sts.assume_role, RoleArn=hour["Arn"], RoleSessionName="judy", DurationSeconds=seconds
        )
        assert wrong == {
            "Code": "ValidationError",
            "Message": f"1 validation error detected: Value '{seconds}' at 'durationSeconds' "
            f"failed to satisfy constraint: Member must have value {constraint}",
            "Status": 400,
        }
    over = error_of(
        sts.assume_role, RoleArn=hour["Arn"], RoleSessionName="judy", DurationSeconds=3601
    )
    assert over == {
        "Code": "ValidationError",
        "Message": "The requested DurationSeconds exceeds the MaxSessionDuration set for this "
        "role.",
        "Status": 400,
    }
    before = time.time()
    got = sts.assume_role(RoleArn=long["Arn"], RoleSessionName="judy", DurationSeconds=7200)
    assert int(before) + 7200 <= got["Credentials"]["Expiration"].timestamp() <= time.time() + 7200
    chained = client_of(server, "sts", got["Credentials"], validate=False)
    hop = error_of(
        chained.assume_role, RoleArn=next_hop["Arn"], RoleSessionName="hop", DurationSeconds=3601
    )
    assert hop == {
        "Code": "ValidationError",
        "Message": "The requested DurationSeconds exceeds the 1 hour session limit for roles "
        "assumed by role chaining.",
        "Status": 400,
    }
    hopped = chained.assume_role(RoleArn=next_hop["Arn"], RoleSessionName="hop")
    assert hopped["AssumedRoleUser"]["Arn"].endswith(":assumed-role/next-hop/hop")


def test_a_tampered_token_is_refused(server: ServerProcess, user: Maker, role: Maker) -> None:
    mallory = user("mallory")
    target = role("target", trusting(mallory.arn))
    credentials = mallory.client("sts").assume_role(
        RoleArn=target["Arn"], RoleSessionName="mallory"
    )["Credentials"]
    token = credentials["SessionToken"]
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
    for bad in (tampered, None):
        signed = {**credentials, "SessionToken": bad}
        assert error_of(client_of(server, "sts", signed).get_caller_identity) == INVALID_TOKEN


def test_a_role_session_calls_iam_as_its_policies_allow(
    server: ServerProcess, user: Maker, role: Maker
) -> None:
    """Unlike a GetSessionToken session (refused by IAM without MFA), a role session
    reaches IAM's policy decision."""
    oscar = user("oscar")
    admin = role("user-lister", trusting(oscar.arn), allow("iam:ListUsers"))
    credentials = oscar.client("sts").assume_role(RoleArn=admin["Arn"], RoleSessionName="oscar")[
        "Credentials"
    ]
    session_iam = client_of(server, "iam", credentials)
    names = [listed["UserName"] for listed in session_iam.list_users()["Users"]]
    assert "oscar" in names
    refused = error_of(session_iam.create_user, UserName="intruder")
    assert (refused["Code"], refused["Status"]) == ("AccessDenied", 403)
    assert refused["Message"].startswith(
        f"User: arn:aws:sts::{ACCOUNT_ID}:assumed-role/user-lister/oscar is not authorized to "
        "perform: iam:CreateUser"
    )
    assert "intruder" not in [u["UserName"] for u in server.client("iam").list_users()["Users"]]


EXPIRED = {
    "Code": "ExpiredTokenException",
    "Message": "The security token included in the request is expired",
    "Status": 403,
}


def test_sessions_expire_after_their_duration(
    server: ServerProcess, user: Maker, role: Maker, secret: Maker
) -> None:
    epsilon = secret("epsilon")
    peggy = user("peggy")
    reader = role("expiring", trusting(peggy.arn), allow("secretsmanager:GetSecretValue", epsilon))
    assumed = peggy.client("sts").assume_role(
        RoleArn=reader["Arn"], RoleSessionName="peggy", DurationSeconds=900
    )["Credentials"]
    user_session = peggy.client("sts").get_session_token(DurationSeconds=900)["Credentials"]
    assumed_secrets = client_of(server, "secretsmanager", assumed)
    assert reads(assumed_secrets, epsilon) == "value of epsilon"
    try:
        set_clock(server, 901)
        assert error_of(assumed_secrets.get_secret_value, SecretId=epsilon) == EXPIRED
        user_sts = client_of(server, "sts", user_session)  # query services say ExpiredToken
        assert error_of(user_sts.get_caller_identity) == {**EXPIRED, "Code": "ExpiredToken"}
        stderr = aws_error(server, "secretsmanager", "list-secrets", credentials=assumed)
        assert "(ExpiredTokenException)" in stderr and EXPIRED["Message"] in stderr
        assert reads(secrets_of(server), epsilon) == "value of epsilon"  # long-term keys still sign
    finally:
        set_clock(server, 0)
    assert reads(assumed_secrets, epsilon) == "value of epsilon"  # within its 900 s again


def secrets_of(server: ServerProcess) -> Any:
    return server.client("secretsmanager")
