"""The policy simulator against a real server: what SimulatePrincipalPolicy says of an IAM
user is what the server then does with that user's own requests.

The account root sets up a user (inline, group, managed policies, a tag condition, a
policy variable, a permissions boundary) with boto3; the user's own access key then makes
each request, and it is refused, and for the reason (explicit or implicit deny), exactly
as the simulation said. The AWS CLI simulates once; boto3's paginator pages an answer.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.e2e.aws_cli import aws_json
from tests.e2e.harness import ACCOUNT_ID, REGION, ServerProcess
from tests.e2e.iam_support import allow, deny, make_user, policy
from tests.e2e.kms_support import error_of
from tests.e2e.own_regions import own_server

server = own_server("iam-simulation")

USER_ARN = f"arn:aws:iam::{ACCOUNT_ID}:user/simulated"


def parameter(name: str) -> str:
    return f"arn:aws:ssm:{REGION}:{ACCOUNT_ID}:parameter{name}"


NO_SECRET = policy(deny("ssm:GetParameter", parameter("/app/secret")))


@pytest.fixture(scope="module")
def iam(server: ServerProcess) -> Any:
    return server.client("iam")


@pytest.fixture(scope="module")
def as_user(server: ServerProcess, iam: Any) -> Callable[[str], Any]:
    """The user `simulated` and its policies; `as_user(service)` is a client of its key."""
    simulated = make_user(server, iam, "simulated", Tags=[{"Key": "team", "Value": "blue"}])
    iam.create_user(UserName="someone-else")
    iam.put_user_policy(
        UserName="simulated",
        PolicyName="own",
        PolicyDocument=policy(
            allow(["ssm:GetParameter", "ssm:PutParameter"], parameter("/app/*")),
            allow("iam:GetUser", f"arn:aws:iam::{ACCOUNT_ID}:user/${{aws:username}}"),
            allow(["kms:ListKeys", "secretsmanager:ListSecrets"]),
        ),
    )
    iam.create_group(GroupName="simulated-team")
    iam.add_user_to_group(GroupName="simulated-team", UserName="simulated")
    iam.put_group_policy(
        GroupName="simulated-team", PolicyName="no-secret", PolicyDocument=NO_SECRET
    )
    tagged = {"StringEquals": {"aws:PrincipalTag/team": "blue"}}
    shared = iam.create_policy(
        PolicyName="shared-read",
        PolicyDocument=policy(allow("ssm:GetParameter", parameter("/shared/*"), Condition=tagged)),
    )["Policy"]["Arn"]
    iam.attach_group_policy(GroupName="simulated-team", PolicyArn=shared)
    boundary = iam.create_policy(
        PolicyName="simulated-boundary",
        PolicyDocument=policy(allow(["ssm:*", "iam:GetUser", "secretsmanager:ListSecrets"])),
    )["Policy"]["Arn"]
    iam.put_user_permissions_boundary(UserName="simulated", PermissionsBoundary=boundary)
    root_ssm = server.client("ssm")
    for name in ("/app/db", "/app/secret", "/shared/x", "/other/x"):
        root_ssm.put_parameter(Name=name, Value="v", Type="String")
    return simulated.client


Request = Callable[[Callable[[str], Any]], Any]
CASES: list[tuple[str, str, Request]] = [
    ("ssm:GetParameter", parameter("/app/db"), lambda c: c("ssm").get_parameter(Name="/app/db")),
    (
        "ssm:GetParameter",
        parameter("/app/secret"),
        lambda c: c("ssm").get_parameter(Name="/app/secret"),
    ),
    (
        "ssm:GetParameter",
        parameter("/shared/x"),
        lambda c: c("ssm").get_parameter(Name="/shared/x"),
    ),
    ("ssm:GetParameter", parameter("/other/x"), lambda c: c("ssm").get_parameter(Name="/other/x")),
    (
        "ssm:PutParameter",
        parameter("/app/new"),
        lambda c: c("ssm").put_parameter(Name="/app/new", Value="v", Type="String"),
    ),
    (
        "ssm:PutParameter",
        parameter("/other/new"),
        lambda c: c("ssm").put_parameter(Name="/other/new", Value="v", Type="String"),
    ),
    ("iam:GetUser", USER_ARN, lambda c: c("iam").get_user(UserName="simulated")),
    (
        "iam:GetUser",
        f"arn:aws:iam::{ACCOUNT_ID}:user/someone-else",
        lambda c: c("iam").get_user(UserName="someone-else"),
    ),
    ("kms:ListKeys", "*", lambda c: c("kms").list_keys()),
    ("secretsmanager:ListSecrets", "*", lambda c: c("secretsmanager").list_secrets()),
]


def _outcome(as_user: Callable[[str], Any], request: Request) -> str:
    """What the server did with the user's request, as the simulator words a decision."""
    try:
        request(as_user)
    except ClientError as error:
        assert error.response["Error"]["Code"] in ("AccessDenied", "AccessDeniedException")
        explicit = "with an explicit deny" in error.response["Error"]["Message"]
        return "explicitDeny" if explicit else "implicitDeny"
    return "allowed"


def test_a_users_requests_go_as_simulate_principal_policy_says(
    iam: Any, as_user: Callable[[str], Any]
) -> None:
    simulated = []
    done = []
    for action, resource, request in CASES:
        resources = {} if resource == "*" else {"ResourceArns": [resource]}
        answer = iam.simulate_principal_policy(
            PolicySourceArn=USER_ARN, ActionNames=[action], **resources
        )
        (result,) = answer["EvaluationResults"]
        assert (result["EvalActionName"], result["EvalResourceName"]) == (action, resource)
        simulated.append(result["EvalDecision"])
        done.append(_outcome(as_user, request))
    assert simulated == done
    # and the cases cover each decision, each policy kind and the boundary
    assert simulated == [
        "allowed",
        "explicitDeny",
        "allowed",
        "implicitDeny",
        "allowed",
        "implicitDeny",
        "allowed",
        "implicitDeny",
        "implicitDeny",
        "allowed",
    ]


@pytest.mark.usefixtures("as_user")
def test_the_answer_names_policies_boundary_and_missing_keys(iam: Any) -> None:
    red = {"ContextKeyName": "aws:PrincipalTag/team", "ContextKeyValues": ["red"]}
    answer = iam.simulate_principal_policy(
        PolicySourceArn=USER_ARN,
        ActionNames=["ssm:GetParameter", "kms:ListKeys"],
        ResourceArns=[parameter("/app/secret"), parameter("/shared/x")],
        ContextEntries=[{**red, "ContextKeyType": "string"}],
    )
    secret, shared, *bounded = answer["EvaluationResults"]
    assert secret["EvalDecision"] == "explicitDeny"
    assert secret["MatchedStatements"] == [
        {
            "SourcePolicyId": "no-secret",
            "SourcePolicyType": "group",
            "StartPosition": {"Line": 1, "Column": 41},
            "EndPosition": {"Line": 1, "Column": len(NO_SECRET) - 2},
        }
    ]
    assert secret["ResourceSpecificResults"][0]["EvalResourceDecision"] == "explicitDeny"
    assert shared["EvalDecision"] == "implicitDeny"  # the tag is red in this context
    assert [r["EvalDecision"] for r in bounded] == ["implicitDeny", "implicitDeny"]
    assert bounded[0]["PermissionsBoundaryDecisionDetail"] == {
        "AllowedByPermissionsBoundary": False
    }
    custom = iam.simulate_custom_policy(
        PolicyInputList=[
            policy(allow("s3:GetObject", Condition={"Bool": {"aws:SecureTransport": "true"}}))
        ],
        ActionNames=["s3:GetObject"],
    )
    assert custom["EvaluationResults"][0]["MissingContextValues"] == ["aws:SecureTransport"]


def test_the_cli_simulates_and_boto3_pages(server: ServerProcess, iam: Any) -> None:
    context = json.dumps(
        [
            {
                "ContextKeyName": "aws:username",
                "ContextKeyValues": ["carol"],
                "ContextKeyType": "string",
            }
        ]
    )
    document = policy(allow("s3:GetObject", "arn:aws:s3:::bucket/${aws:username}/*"))
    answer = aws_json(
        server,
        "iam",
        "simulate-custom-policy",
        "--policy-input-list",
        document,
        "--action-names",
        "s3:GetObject",
        "--resource-arns",
        "arn:aws:s3:::bucket/carol/a",
        "arn:aws:s3:::bucket/dave/a",
        "--context-entries",
        context,
    )
    assert [r["EvalDecision"] for r in answer["EvaluationResults"]] == ["allowed", "implicitDeny"]
    pages = iam.get_paginator("simulate_custom_policy").paginate(
        PolicyInputList=[document],
        ActionNames=[f"s3:Action{n}" for n in range(7)],
        PaginationConfig={"PageSize": 3},
    )
    sizes = [len(page["EvaluationResults"]) for page in pages]
    assert sizes == [3, 3, 1]


def test_bad_input_is_aws_s_error(iam: Any) -> None:
    missing = error_of(
        iam.simulate_principal_policy,
        PolicySourceArn=f"arn:aws:iam::{ACCOUNT_ID}:user/nobody-here",
        ActionNames=["s3:GetObject"],
    )
    assert (missing["Code"], missing["Status"]) == ("NoSuchEntity", 404)
    assert missing["Message"] == "The user with name nobody-here cannot be found."
    malformed = error_of(
        iam.simulate_custom_policy, PolicyInputList=["{"], ActionNames=["s3:GetObject"]
    )
    assert (malformed["Code"], malformed["Status"]) == ("InvalidInput", 400)
    assert (
        malformed["Message"]
        == "PolicyInputList.1 is not a valid policy: The policy is not valid JSON."
    )
