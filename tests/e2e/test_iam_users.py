"""IAM users through IAM's own API (query protocol), and their identity policies enforced.

The account root manages users with the AWS CLI and boto3; each user's own access key
then does exactly what its policies (inline, attached, group, boundary) allow on KMS,
Secrets Manager and Parameter Store, and nothing else, with AWS's AccessDenied wording.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from tests.e2e.aws_cli import aws_json
from tests.e2e.harness import ACCOUNT_ID, ServerProcess
from tests.e2e.iam_support import allow, deny, make_user, policy
from tests.e2e.kms_support import error_of
from tests.e2e.own_regions import own_server

server = own_server("iam-users")


@pytest.fixture(scope="module")
def iam(server: ServerProcess) -> Any:
    return server.client("iam")


@pytest.fixture(scope="module")
def root_kms(server: ServerProcess) -> Any:
    return server.client("kms")


UserClients = Callable[[str], Callable[[str], Any]]


@pytest.fixture(scope="module")
def user(server: ServerProcess, iam: Any) -> UserClients:
    """`user(name)` creates the user (tagged team=blue) and an access key;
    `user(name)(service)` is a boto3 client signed with that key."""
    team = [{"Key": "team", "Value": "blue"}]
    return lambda name: make_user(server, iam, name, Tags=team).client


def test_the_cli_manages_users_keys_and_policies(server: ServerProcess) -> None:
    created = aws_json(server, "iam", "create-user", "--user-name", "cli-user")
    assert created["User"]["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:user/cli-user"
    assert created["User"]["UserId"].startswith("AIDA")
    document = policy(allow("kms:DescribeKey"))
    aws_json(server, "iam", "put-user-policy", "--user-name", "cli-user",
             "--policy-name", "describe", "--policy-document", document)  # fmt: skip
    got = aws_json(server, "iam", "get-user-policy", "--user-name", "cli-user",
                   "--policy-name", "describe")  # fmt: skip
    assert got["PolicyDocument"] == json.loads(document)
    names = [u["UserName"] for u in aws_json(server, "iam", "list-users")["Users"]]
    assert "cli-user" in names


def test_a_user_does_what_its_policy_allows_and_nothing_else(
    user: UserClients, iam: Any, root_kms: Any
) -> None:
    key = root_kms.create_key()["KeyMetadata"]
    other = root_kms.create_key()["KeyMetadata"]
    clients = user("encrypter")
    iam.put_user_policy(
        UserName="encrypter",
        PolicyName="encrypt-one-key",
        PolicyDocument=policy(allow("kms:Encrypt", key["Arn"])),
    )
    kms = clients("kms")
    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"allowed")["CiphertextBlob"]
    denied = error_of(kms.decrypt, CiphertextBlob=blob)
    assert denied["Code"] == "AccessDeniedException"
    assert denied["Message"] == (
        f"User: arn:aws:iam::{ACCOUNT_ID}:user/encrypter is not authorized to perform: "
        f"kms:Decrypt on resource: {key['Arn']} because no identity-based policy allows the "
        "kms:Decrypt action"
    )
    assert error_of(kms.encrypt, KeyId=other["KeyId"], Plaintext=b"x")["Code"] == (
        "AccessDeniedException"
    )
    # and the user cannot widen its own rights
    refused = error_of(clients("iam").put_user_policy, UserName="encrypter",
                       PolicyName="more", PolicyDocument=policy(allow("*")))  # fmt: skip
    assert refused["Code"] == "AccessDenied"
    assert iam.list_user_policies(UserName="encrypter")["PolicyNames"] == ["encrypt-one-key"]
    # the root is unaffected
    assert root_kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"allowed"


def test_an_explicit_deny_wins_and_groups_and_managed_policies_count(
    user: UserClients, iam: Any
) -> None:
    clients = user("grouped")
    iam.create_group(GroupName="readers")
    iam.add_user_to_group(GroupName="readers", UserName="grouped")
    managed = iam.create_policy(
        PolicyName="secrets-read", PolicyDocument=policy(allow("secretsmanager:ListSecrets"))
    )["Policy"]
    iam.attach_group_policy(GroupName="readers", PolicyArn=managed["Arn"])
    secrets = clients("secretsmanager")
    assert "SecretList" in secrets.list_secrets()
    iam.put_user_policy(
        UserName="grouped",
        PolicyName="no-listing",
        PolicyDocument=policy(deny("secretsmanager:List*")),
    )
    denied = error_of(secrets.list_secrets)
    assert denied["Code"] == "AccessDeniedException"
    assert denied["Message"].endswith("with an explicit deny in an identity-based policy")


def test_a_permissions_boundary_limits_what_policies_allow(user: UserClients, iam: Any) -> None:
    clients = user("bounded")
    iam.put_user_policy(
        UserName="bounded",
        PolicyName="broad",
        PolicyDocument=policy(allow(["ssm:*", "secretsmanager:ListSecrets"])),
    )
    boundary = iam.create_policy(PolicyName="ssm-only", PolicyDocument=policy(allow("ssm:*")))[
        "Policy"
    ]
    iam.put_user_permissions_boundary(UserName="bounded", PermissionsBoundary=boundary["Arn"])
    clients("ssm").put_parameter(Name="/bounded/p", Value="v", Type="String")
    denied = error_of(clients("secretsmanager").list_secrets)
    assert denied["Code"] == "AccessDeniedException"
    assert "because no permissions boundary allows" in denied["Message"]


def test_conditions_read_the_principal(user: UserClients, iam: Any) -> None:
    """`${aws:username}` in a resource and `aws:PrincipalTag` in a condition."""
    clients = user("pathuser")
    iam.put_user_policy(
        UserName="pathuser",
        PolicyName="own-path",
        PolicyDocument=policy(
            allow(
                "ssm:PutParameter",
                f"arn:aws:ssm:*:{ACCOUNT_ID}:parameter/home/${{aws:username}}/*",
                Condition={"StringEquals": {"aws:PrincipalTag/team": "blue"}},
            )
        ),
    )
    ssm = clients("ssm")
    ssm.put_parameter(Name="/home/pathuser/setting", Value="v", Type="String")
    denied = error_of(ssm.put_parameter, Name="/home/someone/setting", Value="v", Type="String")
    assert denied["Code"] == "AccessDeniedException"
    iam.untag_user(UserName="pathuser", TagKeys=["team"])
    again = error_of(ssm.put_parameter, Name="/home/pathuser/other", Value="v", Type="String")
    assert again["Code"] == "AccessDeniedException"


def test_a_deleted_users_key_stops_working(user: UserClients, iam: Any) -> None:
    clients = user("leaver")
    iam.put_user_policy(
        UserName="leaver", PolicyName="p", PolicyDocument=policy(allow("kms:ListKeys"))
    )
    kms = clients("kms")
    kms.list_keys()
    for key in iam.list_access_keys(UserName="leaver")["AccessKeyMetadata"]:
        iam.delete_access_key(UserName="leaver", AccessKeyId=key["AccessKeyId"])
    iam.delete_user_policy(UserName="leaver", PolicyName="p")
    iam.delete_user(UserName="leaver")
    assert error_of(kms.list_keys)["Code"] == "UnrecognizedClientException"
