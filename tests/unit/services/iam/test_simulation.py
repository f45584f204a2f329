"""The policy simulator answers as the enforcing path decides: AWS's documented cases
through SimulateCustomPolicy and `policy.evaluate`, users, groups and roles through
SimulatePrincipalPolicy and the authorizer; and with AWS's result shapes."""

from __future__ import annotations

import json
from typing import Any

import pytest
from tests.unit.policy.test_aws_documented_cases import ENGINE_BUGS, _cases, _policy_set, _request
from tests.unit.services.iam.iam_world import ACCOUNT, REGION, TRUST, World, arn
from tests.unit.services.iam.simulation_support import (
    BUCKET,
    FILLER,
    KEY,
    OTHER,
    PARAMETER,
    allow,
    custom,
    decisions,
    deny,
    doc,
    entries,
    invalid,
    principal,
    resource_doc,
)

from strongroom.errors import InvalidInputException
from strongroom.identity import Principal
from strongroom.policy import Decision, Verdict, evaluate
from strongroom.services.caller import NO_CONTEXT, Caller
from strongroom.services.iam.authorizer import IamAuthorizer
from strongroom.services.iam.simulation_results import DECISIONS

ALICE = arn("user", "alice")


# --- the required agreement: AWS's documented cases, simulated and enforced ---------------


def _simulable(case: dict[str, Any]) -> bool:
    """A case an IAM user is the caller of, without session policies (CallerArn can only be
    an IAM user; the simulator takes no session policy)."""
    policies, request = case["policies"], case["request"]
    return ":user/" in request["principal_arn"] and policies["session"] is None


SIMULABLE = [case for case in _cases() if _simulable(case)]


def test_every_case_of_an_iam_user_is_simulated() -> None:
    """96 of the 120 documented cases have an IAM user calling; none of them is left out."""
    assert len(SIMULABLE) == 96
    assert all(len(c["policies"]["boundary"] or [None]) == 1 for c in SIMULABLE)


@pytest.mark.parametrize("case", [pytest.param(c, id=c["id"]) for c in SIMULABLE])
def test_simulation_and_the_enforcing_engine_agree_on_every_case(
    world: World, case: dict[str, Any]
) -> None:
    """SimulatePrincipalPolicy and the enforcing path agree on every case: each documented
    case, run through SimulateCustomPolicy and through `policy.evaluate`, has one decision."""
    policies, request = case["policies"], case["request"]
    params: dict[str, Any] = {
        "ResourceArns": [request["resource"]],
        "CallerArn": request["principal_arn"],
        "ContextEntries": entries(request["context"]),
    }
    if policies["boundary"] is not None:
        params["PermissionsBoundaryPolicyInputList"] = [json.dumps(policies["boundary"][0])]
    if policies["resource"] is not None:
        params["ResourcePolicy"] = json.dumps(policies["resource"])
    identity = [json.dumps(d) for d in policies["identity"]] or [FILLER]
    answer = custom(world, identity, [request["action"]], **params)
    enforced = evaluate(_policy_set(policies), _request(request)).decision
    assert decisions(answer) == [DECISIONS[enforced]], case["source"]
    if case["id"] not in ENGINE_BUGS:
        assert enforced is Decision[case["expected"]]


# --- the simulated principal is the enforced principal --------------------------------------


def _alice(world: World) -> None:
    """alice: tagged, inline and group policies, a managed policy, a boundary."""
    world.call("CreateUser", UserName="alice", Tags=[{"Key": "team", "Value": "blue"}])
    world.call(
        "PutUserPolicy",
        UserName="alice",
        PolicyName="own",
        PolicyDocument=doc(
            allow("s3:GetObject", f"{BUCKET}/home/${{aws:username}}/*"),
            allow("ssm:GetParameter", f"{PARAMETER}/*"),
            indent=2,
        ),
    )
    world.call("CreateGroup", GroupName="readers")
    world.call("AddUserToGroup", GroupName="readers", UserName="alice")
    world.call(
        "PutGroupPolicy",
        GroupName="readers",
        PolicyName="team",
        PolicyDocument=doc(
            allow(
                "s3:ListBucket",
                BUCKET,
                Condition={"StringEquals": {"aws:PrincipalTag/team": "blue"}},
            ),
            deny("ssm:GetParameter", f"{PARAMETER}/secret"),
        ),
    )
    managed = world.call("CreatePolicy", PolicyName="writers", PolicyDocument=doc(allow("s3:Put*")))
    world.call("AttachGroupPolicy", GroupName="readers", PolicyArn=managed["Policy"]["Arn"])
    bound = world.call(
        "CreatePolicy", PolicyName="bound", PolicyDocument=doc(allow(["s3:*", "ssm:*"]))
    )
    world.call(
        "PutUserPermissionsBoundary", UserName="alice", PermissionsBoundary=bound["Policy"]["Arn"]
    )
    world.call(
        "PutUserPolicy", UserName="alice", PolicyName="kms", PolicyDocument=doc(allow("kms:*"))
    )


REQUESTS = [
    ("s3:GetObject", f"{BUCKET}/home/alice/notes.txt"),
    ("s3:GetObject", f"{BUCKET}/home/bob/notes.txt"),
    ("s3:ListBucket", BUCKET),
    ("s3:PutObject", f"{BUCKET}/x"),
    ("s3:DeleteObject", f"{BUCKET}/x"),
    ("ssm:GetParameter", f"{PARAMETER}/db"),
    ("ssm:GetParameter", f"{PARAMETER}/secret"),
    ("kms:Decrypt", f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"),
]


def _enforced(world: World, who: Principal, action: str, resource: str) -> Verdict:
    authorizer = IamAuthorizer()
    authorizer.attach(world.iam)
    return authorizer.decide(Caller(who, REGION, authorizer), action, resource, NO_CONTEXT, None)


def test_a_user_is_simulated_as_the_authorizer_decides_its_requests(world: World) -> None:
    _alice(world)
    actions = sorted({action for action, _ in REQUESTS})
    resources = sorted({resource for _, resource in REQUESTS})
    answer = principal(world, ALICE, actions, ResourceArns=resources)
    simulated = {
        (r["EvalActionName"], r["EvalResourceName"]): r for r in answer["EvaluationResults"]
    }
    assert len(simulated) == len(actions) * len(resources)
    who = Principal("AKIAALICEALICEALICE0", ACCOUNT, "alice")
    for (action, resource), result in simulated.items():
        enforced = _enforced(world, who, action, resource)
        assert result["EvalDecision"] == DECISIONS[enforced.decision], (action, resource)
    assert [simulated[r]["EvalDecision"] for r in REQUESTS] == [
        "allowed",
        "implicitDeny",
        "allowed",
        "allowed",
        "implicitDeny",
        "allowed",
        "explicitDeny",
        "implicitDeny",
    ]


def test_a_role_is_simulated_as_a_session_of_it_is_decided(world: World) -> None:
    world.call(
        "CreateRole",
        RoleName="app",
        AssumeRolePolicyDocument=TRUST,
        Tags=[{"Key": "stage", "Value": "dev"}],
    )
    world.call(
        "PutRolePolicy",
        RoleName="app",
        PolicyName="stage",
        PolicyDocument=doc(allow("ssm:GetParameter", f"{PARAMETER}/${{aws:PrincipalTag/stage}}/*")),
    )
    resources = [f"{PARAMETER}/dev/db", f"{PARAMETER}/prod/db"]
    answer = principal(world, arn("role", "app"), ["ssm:GetParameter"], ResourceArns=resources)
    session = Principal("ASIASESSIONSESSION00", ACCOUNT, "app", role_session="app/s")
    enforced = [_enforced(world, session, "ssm:GetParameter", r).decision for r in resources]
    assert decisions(answer) == [DECISIONS[d] for d in enforced] == ["allowed", "implicitDeny"]


def test_a_group_is_simulated_with_its_own_policies(world: World) -> None:
    world.call("CreateGroup", GroupName="g")
    world.call("PutGroupPolicy", GroupName="g", PolicyName="p", PolicyDocument=doc(allow("s3:*")))
    answer = principal(world, arn("group", "g"), ["s3:GetObject", "kms:Decrypt"])
    assert decisions(answer) == ["allowed", "implicitDeny"]
    assert answer["EvaluationResults"][0]["MatchedStatements"][0]["SourcePolicyType"] == "group"


def test_the_principal_keys_are_the_users_and_context_entries_override_them(
    world: World,
) -> None:
    _alice(world)
    asked, bucket = ["s3:ListBucket"], [BUCKET]
    assert decisions(principal(world, ALICE, asked, ResourceArns=bucket)) == ["allowed"]
    red = entries({"aws:PrincipalTag/team": ["red"]})
    assert decisions(principal(world, ALICE, asked, ResourceArns=bucket, ContextEntries=red)) == [
        "implicitDeny"
    ]
    bob = entries({"AWS:USERNAME": ["bob"]})
    home = [f"{BUCKET}/home/bob/x"]
    answer = principal(world, ALICE, ["s3:GetObject"], ResourceArns=home, ContextEntries=bob)
    assert decisions(answer) == ["allowed"]


def test_a_caller_arn_calls_with_the_sources_policies(world: World) -> None:
    _alice(world)
    world.call("CreateUser", UserName="bob", Tags=[{"Key": "team", "Value": "red"}])
    bob = arn("user", "bob")
    home = [f"{BUCKET}/home/bob/x", f"{BUCKET}/home/alice/x"]
    answer = principal(world, ALICE, ["s3:GetObject"], ResourceArns=home, CallerArn=bob)
    assert decisions(answer) == ["allowed", "implicitDeny"]
    assert decisions(
        principal(world, ALICE, ["s3:ListBucket"], ResourceArns=[BUCKET], CallerArn=bob)
    ) == ["implicitDeny"]
    # a user that is not the account's carries no keys of its own
    stranger = f"arn:aws:iam::{ACCOUNT}:user/nobody"
    answer = principal(world, ALICE, ["s3:ListBucket"], ResourceArns=[BUCKET], CallerArn=stranger)
    (result,) = answer["EvaluationResults"][0]["ResourceSpecificResults"]
    assert result["MissingContextValues"] == ["aws:PrincipalTag/team"]


# --- what the answer says -----------------------------------------------------------------


def test_matched_statements_name_their_policies_and_positions(world: World) -> None:
    _alice(world)
    answer = principal(
        world,
        ALICE,
        ["s3:GetObject", "s3:PutObject", "ssm:GetParameter"],
        ResourceArns=[f"{BUCKET}/home/alice/a", f"{PARAMETER}/secret"],
    )
    results = {(r["EvalActionName"], r["EvalResourceName"]): r for r in answer["EvaluationResults"]}
    own = results[("s3:GetObject", f"{BUCKET}/home/alice/a")]["MatchedStatements"]
    assert own == [
        {
            "SourcePolicyId": "own",
            "SourcePolicyType": "user",
            "StartPosition": {"Line": 4, "Column": 5},
            "EndPosition": {"Line": 8, "Column": 5},
        }
    ]
    put = results[("s3:PutObject", f"{BUCKET}/home/alice/a")]["MatchedStatements"]
    assert [(s["SourcePolicyId"], s["SourcePolicyType"]) for s in put] == [
        ("writers", "user-managed")
    ]
    denied = results[("ssm:GetParameter", f"{PARAMETER}/secret")]
    assert denied["EvalDecision"] == "explicitDeny"
    assert [(s["SourcePolicyId"], s["SourcePolicyType"]) for s in denied["MatchedStatements"]] == [
        ("team", "group")
    ]
    assert results[("s3:GetObject", f"{PARAMETER}/secret")]["MatchedStatements"] == []


def test_a_deny_in_a_given_boundary_is_the_matched_statement(world: World) -> None:
    answer = custom(
        world,
        [doc(allow("s3:*"))],
        ["s3:GetObject", "s3:PutObject"],
        PermissionsBoundaryPolicyInputList=[doc(allow("s3:*"), deny("s3:Put*"))],
    )
    get, put = answer["EvaluationResults"]
    assert get["MatchedStatements"][0]["SourcePolicyId"] == "PolicyInputList.1"
    assert get["PermissionsBoundaryDecisionDetail"] == {"AllowedByPermissionsBoundary": True}
    assert put["EvalDecision"] == "explicitDeny"
    assert [s["SourcePolicyId"] for s in put["MatchedStatements"]] == [
        "PermissionsBoundaryPolicyInputList.1"
    ]
    assert put["PermissionsBoundaryDecisionDetail"] == {"AllowedByPermissionsBoundary": False}


def test_a_given_boundary_replaces_the_principals(world: World) -> None:
    _alice(world)
    assert decisions(principal(world, ALICE, ["kms:ListKeys"])) == ["implicitDeny"]
    wider = [doc(allow("*"))]
    answer = principal(world, ALICE, ["kms:ListKeys"], PermissionsBoundaryPolicyInputList=wider)
    assert decisions(answer) == ["allowed"]
    (result,) = answer["EvaluationResults"]
    assert result["PermissionsBoundaryDecisionDetail"] == {"AllowedByPermissionsBoundary": True}
    assert [s["SourcePolicyId"] for s in result["MatchedStatements"]] == ["kms"]


def test_missing_context_values_are_listed_where_aws_lists_them(world: World) -> None:
    condition = {
        "StringEquals": {"aws:SourceVpc": "vpc-1"},
        "Bool": {"aws:SecureTransport": "true"},
    }
    policies = [doc(allow("s3:GetObject", "*", Condition=condition))]
    everywhere = custom(world, policies, ["s3:GetObject"])["EvaluationResults"][0]
    assert everywhere["MissingContextValues"] == ["aws:SourceVpc", "aws:SecureTransport"]
    assert "ResourceSpecificResults" not in everywhere
    assert "EvalDecisionDetails" not in everywhere
    given = entries({"aws:SecureTransport": ["true"]})
    answer = custom(world, policies, ["s3:GetObject"], ResourceArns=[BUCKET], ContextEntries=given)
    (result,) = answer["EvaluationResults"]
    assert (result["MissingContextValues"], result["EvalDecisionDetails"]) == ([], {})
    assert result["ResourceSpecificResults"] == [
        {
            "EvalResourceName": BUCKET,
            "EvalResourceDecision": "implicitDeny",
            "MatchedStatements": [],
            "MissingContextValues": ["aws:SourceVpc"],
        }
    ]


def test_a_resource_policy_needs_a_caller_it_can_name(world: World) -> None:
    policy = resource_doc(ALICE, "s3:*")
    invalid(world, ResourcePolicy=policy)
    world.call("CreateRole", RoleName="r", AssumeRolePolicyDocument=TRUST)
    params = {"PolicySourceArn": arn("role", "r"), "ActionNames": ["s3:GetObject"]}
    world.fails(InvalidInputException, "SimulatePrincipalPolicy", **params, ResourcePolicy=policy)
    world.call("CreateUser", UserName="alice")
    answer = principal(world, ALICE, ["s3:GetObject"], ResourcePolicy=policy)
    assert decisions(answer) == ["allowed"]
    assert answer["EvaluationResults"][0]["MatchedStatements"] == [
        {
            "SourcePolicyId": "ResourcePolicy",
            "SourcePolicyType": "resource",
            "StartPosition": {"Line": 1, "Column": 40},
            "EndPosition": {"Line": 1, "Column": 155},
        }
    ]


def test_across_accounts_both_sides_are_detailed(world: World) -> None:
    stranger = f"arn:aws:iam::{OTHER}:user/carol"
    key_policy = resource_doc(f"arn:aws:iam::{OTHER}:root", "kms:Decrypt")
    policies = [doc(allow("kms:Decrypt"))]
    asked = ["kms:Decrypt", "kms:Encrypt"]
    both = custom(
        world, policies, asked, ResourceArns=[KEY], ResourcePolicy=key_policy, CallerArn=stranger
    )
    decrypt, encrypt = both["EvaluationResults"]
    assert decrypt["EvalDecision"] == "allowed"
    details = {"IAM Policy": "allowed", "Resource Policy": "allowed"}
    assert decrypt["EvalDecisionDetails"] == details
    assert decrypt["ResourceSpecificResults"][0]["EvalDecisionDetails"] == details
    assert encrypt["EvalDecision"] == "implicitDeny"
    details = {"IAM Policy": "implicitDeny", "Resource Policy": "implicitDeny"}
    assert encrypt["EvalDecisionDetails"] == details
    # ResourceOwner names the account of a resource whose ARN names none
    owner = f"arn:aws:iam::{OTHER}:root"
    owned = custom(
        world,
        [doc(allow("s3:GetObject"))],
        ["s3:GetObject"],
        ResourceArns=[BUCKET],
        ResourceOwner=owner,
    )
    (result,) = owned["EvaluationResults"]
    assert result["EvalDecision"] == "implicitDeny"
    assert result["EvalDecisionDetails"] == {
        "IAM Policy": "allowed",
        "Resource Policy": "implicitDeny",
    }


def test_a_key_policy_must_allow_as_kms_requires(world: World) -> None:
    """A ResourcePolicy simulated for kms: is a key policy: IAM policies work only where it
    grants the account (elsewhere they work without it)."""
    naming_bob = resource_doc(arn("user", "bob"), "*")
    policies = [doc(allow(["kms:*", "s3:*"]))]
    asked = ["kms:Decrypt", "s3:GetObject"]
    answer = custom(world, policies, asked, ResourcePolicy=naming_bob, CallerArn=ALICE)
    assert decisions(answer) == ["implicitDeny", "allowed"]
    naming_account = resource_doc(f"arn:aws:iam::{ACCOUNT}:root", "*")
    answer = custom(world, policies, asked, ResourcePolicy=naming_account, CallerArn=ALICE)
    assert decisions(answer) == ["allowed", "allowed"]
