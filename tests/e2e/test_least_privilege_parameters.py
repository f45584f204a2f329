"""Least privilege on parameters, end to end: IAM users whose identity policies name
parameter ARNs and paths, with Parameter Store's condition keys, on a real server.

The account root makes parameters and IAM users (each with an access key); each user's
boto3 client (and once the AWS CLI) then reads and writes exactly the parameters and paths
its policy allows. A parameter's ARN is `parameter/prod/db` for `/prod/db` (one slash).
GetParametersByPath is authorized on the path (with `ssm:Recursive`), as AWS does, not on
each parameter it returns. Refusals carry AWS's AccessDenied wording and change nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.e2e.aws_cli import aws_error, aws_json
from tests.e2e.harness import ACCOUNT_ID, REGION, ServerProcess
from tests.e2e.iam_support import User, allow, deny, make_user, user_arn
from tests.e2e.kms_support import error_of
from tests.e2e.own_regions import own_server

server = own_server("least-privilege-parameters")
PARAMETERS = f"arn:aws:ssm:{REGION}:{ACCOUNT_ID}:parameter/"


@pytest.fixture(scope="module")
def iam(server: ServerProcess) -> Any:
    return server.client("iam")


@pytest.fixture(scope="module")
def root(server: ServerProcess) -> Any:
    """The account root's Parameter Store client."""
    return server.client("ssm")


MakeUser = Callable[..., tuple[Any, User]]


@pytest.fixture(scope="module")
def ssm_user(server: ServerProcess, iam: Any) -> MakeUser:
    """`ssm_user(name, *statements)`: an IAM user with those statements as its inline
    policy; its Parameter Store client, and the user."""

    def make(name: str, *statements: dict[str, Any]) -> tuple[Any, User]:
        user = make_user(server, iam, name, *statements)
        return user.client("ssm"), user

    return make


def put(root: Any, name: str, value: str, **params: Any) -> None:
    root.put_parameter(Name=name, Value=value, Type=params.pop("Type", "String"), **params)


def names(answer: dict[str, Any]) -> list[str]:
    return [parameter["Name"] for parameter in answer["Parameters"]]


def test_a_user_reads_exactly_the_path_its_policy_names(
    server: ServerProcess, root: Any, ssm_user: MakeUser
) -> None:
    put(root, "/prod/app/db-host", "db.internal")
    put(root, "/prod/app/db-password", "s3cret", Type="SecureString")
    put(root, "/prod/app/pool/size", "10")
    put(root, "/prod/billing/key", "billing")
    put(root, "/dev/app/db-host", "localhost")
    reader, user = ssm_user(
        "app-reader",
        allow(["ssm:GetParameter", "ssm:GetParameters"], PARAMETERS + "prod/app/*"),
        allow("ssm:GetParametersByPath", PARAMETERS + "prod/app"),
    )
    got = reader.get_parameter(Name="/prod/app/db-password", WithDecryption=True)
    assert got["Parameter"]["Value"] == "s3cret"
    both = reader.get_parameters(Names=["/prod/app/db-host", "/prod/app/pool/size"])
    assert sorted(names(both)) == ["/prod/app/db-host", "/prod/app/pool/size"]
    tree = reader.get_parameters_by_path(Path="/prod/app", Recursive=True)
    assert names(tree) == ["/prod/app/db-host", "/prod/app/db-password", "/prod/app/pool/size"]
    for name in ("/prod/billing/key", "/dev/app/db-host"):
        denied = error_of(reader.get_parameter, Name=name)
        resource = PARAMETERS + name.removeprefix("/")
        assert denied == {
            "Code": "AccessDeniedException",
            "Message": f"User: {user_arn('app-reader')} is not authorized to perform: "
            f"ssm:GetParameter on resource: {resource} because no identity-based policy "
            "allows the ssm:GetParameter action",
            "Status": 400,
        }
    assert error_of(reader.get_parameters_by_path, Path="/prod")["Code"] == (
        "AccessDeniedException"
    )
    assert error_of(reader.describe_parameters)["Code"] == "AccessDeniedException"
    refused = error_of(
        reader.put_parameter, Name="/prod/app/db-host", Value="evil.example", Overwrite=True
    )
    assert refused["Code"] == "AccessDeniedException"
    assert root.get_parameter(Name="/prod/app/db-host")["Parameter"]["Value"] == "db.internal"
    # the unchanged AWS CLI, signed with the reader's key, is held to the same policy
    by_path = ("get-parameters-by-path", "--path")
    listed = aws_json(server, "ssm", *by_path, "/prod/app", credentials=user.key)
    assert names(listed) == ["/prod/app/db-host", "/prod/app/db-password"]
    stderr = aws_error(server, "ssm", *by_path, "/dev/app", credentials=user.key)
    assert "AccessDeniedException" in stderr
    assert PARAMETERS + "dev/app" in stderr


def test_ssm_recursive_allows_one_level_and_refuses_the_whole_tree(
    root: Any, ssm_user: MakeUser
) -> None:
    put(root, "/team/top", "t")
    put(root, "/team/deep/inner", "i")
    shallow, _ = ssm_user(
        "shallow-reader",
        allow("ssm:GetParametersByPath", PARAMETERS + "team"),
        deny(
            "ssm:GetParametersByPath",
            PARAMETERS + "team",
            Condition={"StringEquals": {"ssm:Recursive": "true"}},
        ),
    )
    assert names(shallow.get_parameters_by_path(Path="/team")) == ["/team/top"]
    denied = error_of(shallow.get_parameters_by_path, Path="/team", Recursive=True)
    assert denied["Message"] == (
        f"User: {user_arn('shallow-reader')} is not authorized to perform: "
        f"ssm:GetParametersByPath on resource: {PARAMETERS}team with an explicit deny in an "
        "identity-based policy"
    )


def test_by_path_returns_what_lies_under_an_allowed_path_as_aws_does(
    root: Any, ssm_user: MakeUser
) -> None:
    """AWS authorizes GetParametersByPath on the path, not on each parameter returned: a
    parameter denied to GetParameter is still returned under an allowed path."""
    put(root, "/mixed/open", "o")
    put(root, "/mixed/closed", "c")
    reader, _ = ssm_user(
        "path-reader",
        allow(["ssm:GetParametersByPath", "ssm:GetParameter"], PARAMETERS + "mixed*"),
        deny("ssm:GetParameter", PARAMETERS + "mixed/closed"),
    )
    assert error_of(reader.get_parameter, Name="/mixed/closed")["Code"] == ("AccessDeniedException")
    assert names(reader.get_parameters_by_path(Path="/mixed")) == ["/mixed/closed", "/mixed/open"]


def test_conditions_on_tags_guard_reads_and_tagged_creation(root: Any, ssm_user: MakeUser) -> None:
    put(root, "/svc/blue", "b", Tags=[{"Key": "team", "Value": "blue"}])
    put(root, "/svc/red", "r", Tags=[{"Key": "team", "Value": "red"}])
    blue_only = {"StringEquals": {"aws:ResourceTag/team": "blue"}}
    tagged_blue = {"StringEquals": {"aws:RequestTag/team": "blue"}}
    user, _ = ssm_user(
        "blue-team",
        allow("ssm:GetParameter", PARAMETERS + "svc/*", Condition=blue_only),
        allow(
            ["ssm:PutParameter", "ssm:AddTagsToResource"],
            PARAMETERS + "svc/*",
            Condition=tagged_blue,
        ),
    )
    assert user.get_parameter(Name="/svc/blue")["Parameter"]["Value"] == "b"
    assert error_of(user.get_parameter, Name="/svc/red")["Code"] == "AccessDeniedException"
    user.put_parameter(
        Name="/svc/new-blue", Value="n", Type="String", Tags=[{"Key": "team", "Value": "blue"}]
    )
    assert user.get_parameter(Name="/svc/new-blue")["Parameter"]["Value"] == "n"
    refused = error_of(
        user.put_parameter,
        Name="/svc/new-red",
        Value="n",
        Type="String",
        Tags=[{"Key": "team", "Value": "red"}],
    )
    assert refused["Code"] == "AccessDeniedException"
    assert error_of(root.get_parameter, Name="/svc/new-red")["Code"] == "ParameterNotFound"
    root.add_tags_to_resource(
        ResourceType="Parameter", ResourceId="/svc/red", Tags=[{"Key": "team", "Value": "blue"}]
    )
    assert user.get_parameter(Name="/svc/red")["Parameter"]["Value"] == "r"


def test_overwrite_can_be_refused_while_creation_is_allowed(root: Any, ssm_user: MakeUser) -> None:
    put(root, "/config/existing", "original")
    creator, _ = ssm_user(
        "creator",
        allow("ssm:PutParameter", PARAMETERS + "config/*"),
        deny(
            "ssm:PutParameter",
            PARAMETERS + "config/*",
            Condition={"StringEquals": {"ssm:Overwrite": "true"}},
        ),
    )
    assert creator.put_parameter(Name="/config/fresh", Value="f", Type="String")["Version"] == 1
    denied = error_of(
        creator.put_parameter, Name="/config/existing", Value="changed", Overwrite=True
    )
    assert denied["Message"].endswith("with an explicit deny in an identity-based policy")
    answer = root.get_parameter(Name="/config/existing")["Parameter"]
    assert (answer["Value"], answer["Version"]) == ("original", 1)


def test_a_secret_reference_is_authorized_on_its_whole_name_arn_and_all(
    server: ServerProcess, ssm_user: MakeUser
) -> None:
    """A reference by the secret's ARN is authorized on the whole reference name (colons
    and all), so a Deny on the prod secrets' references holds however they are named."""
    secrets = server.client("secretsmanager")
    arn = secrets.create_secret(Name="prod-ref/db", SecretString="prod password")["ARN"]
    references = f"{PARAMETERS}aws/reference/secretsmanager/"
    reader, _ = ssm_user(
        "ref-reader",
        allow("ssm:GetParameter", f"{references}*"),
        allow("secretsmanager:GetSecretValue", "*"),
        deny("ssm:GetParameter", f"{references}prod-ref/*"),
        deny("ssm:GetParameter", f"{references}arn:aws:secretsmanager:*:secret:prod-ref/*"),
    )
    for name in ("prod-ref/db", arn, f"{arn}:AWSCURRENT"):
        refused = error_of(
            reader.get_parameter, Name=f"/aws/reference/secretsmanager/{name}", WithDecryption=True
        )
        assert refused["Code"] == "AccessDeniedException", (name, refused)
    other = secrets.create_secret(Name="dev-ref/db", SecretString="dev password")["ARN"]
    got = reader.get_parameter(Name=f"/aws/reference/secretsmanager/{other}", WithDecryption=True)
    assert got["Parameter"]["Value"] == "dev password"


def test_a_parameter_arn_of_another_account_is_authorized_as_written(
    root: Any, ssm_user: MakeUser
) -> None:
    put(root, "/own/setting", "mine")
    foreign = f"arn:aws:ssm:{REGION}:999988887777:parameter/own/setting"
    reader, _ = ssm_user("own-reader", allow("ssm:GetParameter", f"{PARAMETERS}own/*"))
    assert reader.get_parameter(Name="/own/setting")["Parameter"]["Value"] == "mine"
    refused = error_of(reader.get_parameter, Name=foreign)
    assert refused["Code"] == "AccessDeniedException"
    assert f"on resource: {foreign} " in refused["Message"]
    # Not even the root may read another account's parameter: no resource policy shares it.
    assert error_of(root.get_parameter, Name=foreign)["Code"] == "AccessDeniedException"


def test_a_deny_holds_whatever_partition_an_arn_names(root: Any, ssm_user: MakeUser) -> None:
    put(root, "/sealed/x", "TOPSECRET")
    reader, _ = ssm_user(
        "partition-prober",
        allow("ssm:GetParameter", "*"),
        deny("ssm:GetParameter", f"{PARAMETERS}sealed/*"),
    )
    assert error_of(reader.get_parameter, Name="/sealed/x")["Code"] == "AccessDeniedException"
    for partition in ("aws-cn", "AWS", "zz"):
        name = f"arn:{partition}:ssm:{REGION}:{ACCOUNT_ID}:parameter/sealed/x"
        answer = error_of(reader.get_parameter, Name=name)  # never the parameter itself
        assert answer["Code"] in {"ParameterNotFound", "AccessDeniedException"}, answer
