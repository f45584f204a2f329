"""Least privilege on secrets, end to end: IAM users, identity policies and the secrets' own
resource policies, decided on a real server as AWS decides them.

The account root makes secrets and IAM users (each with an access key) through the
server's own APIs; each user's boto3 client (and once the AWS CLI) then reads exactly the
secrets its policies, or a secret's resource policy, allow. Refusals carry AWS's
AccessDenied wording and change nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.e2e.aws_cli import aws_error, aws_json
from tests.e2e.harness import ACCOUNT_ID, REGION, ServerProcess
from tests.e2e.iam_support import User, allow, deny, make_user, policy, user_arn
from tests.e2e.kms_support import error_of
from tests.e2e.own_regions import own_server

server = own_server("least-privilege-secrets")
ROOT_ARN = f"arn:aws:iam::{ACCOUNT_ID}:root"


def secret_arns(name_prefix: str) -> str:
    """A Resource matching the secrets whose names start with `name_prefix`."""
    return f"arn:aws:secretsmanager:{REGION}:{ACCOUNT_ID}:secret:{name_prefix}"


def refusal(user: str, action: str, resource: str) -> str:
    """AWS's message when no policy allows `action`."""
    return (
        f"User: {user} is not authorized to perform: {action} on resource: {resource} "
        f"because no identity-based policy allows the {action} action"
    )


@pytest.fixture(scope="module")
def iam(server: ServerProcess) -> Any:
    return server.client("iam")


@pytest.fixture(scope="module")
def root(server: ServerProcess) -> Any:
    """The account root's Secrets Manager client."""
    return server.client("secretsmanager")


MakeUser = Callable[..., tuple[Any, User]]


@pytest.fixture(scope="module")
def secrets_user(server: ServerProcess, iam: Any) -> MakeUser:
    """`secrets_user(name, *statements)`: an IAM user with those statements as its inline
    policy (none: no policy at all); its Secrets Manager client, and the user."""

    def make(name: str, *statements: dict[str, Any]) -> tuple[Any, User]:
        user = make_user(server, iam, name, *statements)
        return user.client("secretsmanager"), user

    return make


def create(root: Any, name: str, value: str, **params: Any) -> str:
    arn: str = root.create_secret(Name=name, SecretString=value, **params)["ARN"]
    return arn


def value_of(root: Any, arn: str) -> str:
    text: str = root.get_secret_value(SecretId=arn)["SecretString"]
    return text


def test_a_user_reads_exactly_the_secrets_its_policy_names(
    root: Any, secrets_user: MakeUser
) -> None:
    mine = create(root, "team-a/db", "a-password")
    also_mine = create(root, "team-a/api", "a-token")
    theirs = create(root, "team-b/db", "b-password")
    reader, _ = secrets_user(
        "reader-a", allow("secretsmanager:GetSecretValue", secret_arns("team-a/*"))
    )
    assert reader.get_secret_value(SecretId="team-a/db")["SecretString"] == "a-password"
    assert reader.get_secret_value(SecretId=also_mine)["SecretString"] == "a-token"
    denied = error_of(reader.get_secret_value, SecretId="team-b/db")
    assert denied == {
        "Code": "AccessDeniedException",
        "Message": refusal(user_arn("reader-a"), "secretsmanager:GetSecretValue", theirs),
        "Status": 400,
    }
    described = error_of(reader.describe_secret, SecretId=mine)
    assert described["Message"] == refusal(
        user_arn("reader-a"), "secretsmanager:DescribeSecret", mine
    )
    listed = error_of(reader.list_secrets)
    assert listed["Message"] == refusal(user_arn("reader-a"), "secretsmanager:ListSecrets", "*")
    before = root.describe_secret(SecretId=mine)
    written = error_of(
        reader.put_secret_value, SecretId=mine, SecretString="overwritten by a reader"
    )
    assert written["Code"] == "AccessDeniedException"
    assert value_of(root, mine) == "a-password"
    assert (
        root.describe_secret(SecretId=mine)["VersionIdsToStages"] == (before["VersionIdsToStages"])
    )


def test_only_a_caller_allowed_the_action_learns_that_a_secret_does_not_exist(
    root: Any, secrets_user: MakeUser
) -> None:
    create(root, "team-c/exists", "c-password")
    prober, _ = secrets_user(
        "prober-c", allow("secretsmanager:GetSecretValue", secret_arns("team-c/*"))
    )
    missing = error_of(prober.get_secret_value, SecretId="team-c/missing")
    assert missing["Code"] == "ResourceNotFoundException"
    denied = error_of(prober.get_secret_value, SecretId="team-d/missing")  # outside its policy
    assert denied == {
        "Code": "AccessDeniedException",
        "Message": refusal(user_arn("prober-c"), "secretsmanager:GetSecretValue", "team-d/missing"),
        "Status": 400,
    }
    absent_arn = secret_arns("team-d/gone-AbCdEf")
    assert error_of(prober.describe_secret, SecretId=absent_arn)["Message"] == refusal(
        user_arn("prober-c"), "secretsmanager:DescribeSecret", absent_arn
    )
    # A name is judged as the ARN a secret of that name would have (`<name>-??????`), as
    # CreateSecret is: a user allowed that ARN may force the deletion of an absent name.
    deleter, _ = secrets_user(
        "deleter-e", allow("secretsmanager:DeleteSecret", secret_arns("app-e/db-??????"))
    )
    gone = deleter.delete_secret(SecretId="app-e/db", ForceDeleteWithoutRecovery=True)
    assert gone["Name"] == "app-e/db"
    refused = error_of(deleter.delete_secret, SecretId="app-f/db", ForceDeleteWithoutRecovery=True)
    assert refused["Code"] == "AccessDeniedException"


def test_a_resource_policy_naming_a_user_lets_it_read_with_no_identity_policy(
    server: ServerProcess, root: Any, secrets_user: MakeUser
) -> None:
    shared = create(root, "shared/report", "numbers")
    guest, user = secrets_user("guest")
    assert error_of(guest.get_secret_value, SecretId=shared)["Message"] == refusal(
        user_arn("guest"), "secretsmanager:GetSecretValue", shared
    )
    grant = allow("secretsmanager:GetSecretValue", Principal={"AWS": user_arn("guest")})
    root.put_resource_policy(SecretId=shared, ResourcePolicy=policy(grant))
    assert guest.get_secret_value(SecretId=shared)["SecretString"] == "numbers"
    assert error_of(guest.describe_secret, SecretId=shared)["Code"] == "AccessDeniedException"
    # the unchanged AWS CLI, signed with the guest's key, reads it too
    read = ("get-secret-value", "--secret-id", shared)
    got = aws_json(server, "secretsmanager", *read, credentials=user.key)
    assert got["SecretString"] == "numbers"
    stderr = aws_error(
        server, "secretsmanager", "describe-secret", "--secret-id", shared, credentials=user.key
    )
    assert "AccessDeniedException" in stderr
    assert "secretsmanager:DescribeSecret" in stderr


def test_an_explicit_deny_in_a_resource_policy_refuses_even_the_root(root: Any) -> None:
    locked = create(root, "locked/key", "original")
    fence = deny(["secretsmanager:GetSecretValue", "secretsmanager:PutSecretValue"], Principal="*")
    root.put_resource_policy(SecretId=locked, ResourcePolicy=policy(fence))
    for call, params in [
        (root.get_secret_value, {}),
        (root.put_secret_value, {"SecretString": "replaced"}),
    ]:
        denied = error_of(call, SecretId=locked, **params)
        assert denied["Code"] == "AccessDeniedException"
        assert denied["Message"].startswith(f"User: {ROOT_ARN} is not authorized to perform: ")
        assert denied["Message"].endswith(
            f"on resource: {locked} with an explicit deny in a resource-based policy"
        )
    assert root.describe_secret(SecretId=locked)["Name"] == "locked/key"  # not fenced
    root.delete_resource_policy(SecretId=locked)
    assert value_of(root, locked) == "original"  # the refused write changed nothing


def test_conditions_on_the_secrets_tags_follow_the_tags(root: Any, secrets_user: MakeUser) -> None:
    blue = create(root, "tagged/blue", "b", Tags=[{"Key": "team", "Value": "blue"}])
    red = create(root, "tagged/red", "r", Tags=[{"Key": "team", "Value": "red"}])
    by_service_key, _ = secrets_user(
        "tag-reader-sm",
        allow(
            "secretsmanager:GetSecretValue",
            Condition={"StringEquals": {"secretsmanager:ResourceTag/team": "blue"}},
        ),
    )
    by_global_key, _ = secrets_user(
        "tag-reader-aws",
        allow(
            "secretsmanager:GetSecretValue",
            Condition={"StringEquals": {"aws:ResourceTag/team": "blue"}},
        ),
    )
    for reader in (by_service_key, by_global_key):
        assert reader.get_secret_value(SecretId=blue)["SecretString"] == "b"
        assert error_of(reader.get_secret_value, SecretId=red)["Code"] == "AccessDeniedException"
    root.tag_resource(SecretId=red, Tags=[{"Key": "team", "Value": "blue"}])
    root.tag_resource(SecretId=blue, Tags=[{"Key": "team", "Value": "green"}])
    for reader in (by_service_key, by_global_key):
        assert reader.get_secret_value(SecretId=red)["SecretString"] == "r"
        assert error_of(reader.get_secret_value, SecretId=blue)["Code"] == "AccessDeniedException"


def test_batch_get_reports_each_secret_the_user_may_not_read(
    root: Any, secrets_user: MakeUser
) -> None:
    open_one = create(root, "batch/open", "o")
    closed = create(root, "batch/closed", "c")
    batcher, _ = secrets_user(
        "batcher",
        allow("secretsmanager:BatchGetSecretValue"),
        allow("secretsmanager:GetSecretValue", secret_arns("batch/open-*")),
    )
    result = batcher.batch_get_secret_value(SecretIdList=[open_one, closed])
    assert [(v["ARN"], v["SecretString"]) for v in result["SecretValues"]] == [(open_one, "o")]
    assert result["Errors"] == [
        {
            "SecretId": closed,
            "ErrorCode": "AccessDeniedException",
            "Message": refusal(user_arn("batcher"), "secretsmanager:GetSecretValue", closed),
        }
    ]


def test_block_public_policy_refuses_an_open_policy_and_changes_nothing(root: Any) -> None:
    guarded = create(root, "guarded/one", "g")
    public = allow("secretsmanager:*", Principal="*")
    refused = error_of(
        root.put_resource_policy,
        SecretId=guarded,
        ResourcePolicy=policy(public),
        BlockPublicPolicy=True,
    )
    assert refused["Code"] == "PublicPolicyException"
    assert "ResourcePolicy" not in root.get_resource_policy(SecretId=guarded)
