"""The policy simulator's inputs: context entries, paging, scenarios, errors (each changes
nothing stored), authorization, and where statements sit in a document."""

from __future__ import annotations

from typing import Any

import pytest
from tests.unit.services.iam.iam_world import ACCOUNT, REGION, World, arn
from tests.unit.services.iam.simulation_support import (
    BUCKET,
    FILLER,
    OTHER,
    allow,
    custom,
    decisions,
    doc,
    invalid,
    typed,
)

from strongroom.errors import AccessDeniedException, InvalidInputException, NoSuchEntityException
from strongroom.policy import Decision, Verdict
from strongroom.services.iam import OPERATIONS
from strongroom.services.iam.simulation_positions import statement_spans

ALICE = arn("user", "alice")


def test_typed_context_values_are_read_as_their_type(world: World) -> None:
    condition = {
        "NumericLessThan": {"s3:max-keys": "10"},
        "IpAddress": {"aws:SourceIp": "203.0.113.0/24"},
        "DateGreaterThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"},
        "Bool": {"aws:MultiFactorAuthPresent": "true"},
        "ForAllValues:StringEquals": {"aws:TagKeys": ["a", "b"]},
        "BinaryEquals": {"k:b": "aGk="},
    }
    context = [
        typed("s3:max-keys", "numeric", "5"),
        typed("aws:SourceIp", "ip", "203.0.113.9"),
        typed("aws:CurrentTime", "date", "2024-05-01T12:00:00Z"),
        typed("aws:MultiFactorAuthPresent", "boolean", "TRUE"),
        typed("aws:TagKeys", "stringList", "a", "b"),
        typed("k:b", "binaryList", "aGk="),
    ]
    policies = [doc(allow("s3:ListBucket", "*", Condition=condition))]
    answer = custom(world, policies, ["s3:ListBucket"], ContextEntries=context)
    assert decisions(answer) == ["allowed"]
    context[0] = typed("s3:max-keys", "numeric", "50")
    answer = custom(world, policies, ["s3:ListBucket"], ContextEntries=context)
    assert decisions(answer) == ["implicitDeny"]


@pytest.mark.parametrize(
    "given",
    [
        [typed("s3:max-keys", "numeric", "ten")],
        [typed("aws:SourceIp", "ip", "10.0.0.0/8")],
        [typed("aws:SourceIp", "ipList", "10.0.0.1", "300.1.1.1")],
        [typed("aws:CurrentTime", "date", "yesterday")],
        [typed("aws:SecureTransport", "boolean", "yes")],
        [typed("k:b", "binary", "not base64!")],
        [typed("aws:username", "string", "a", "b")],
        [typed("aws:username", "string")],
        [typed("username", "string", "a")],
        [typed("aws:username", "string", "a"), typed("AWS:UserName", "string", "b")],
        [{"ContextKeyValues": ["a"], "ContextKeyType": "string"}],
    ],
    ids=[
        "numeric",
        "ip-range",
        "ip-list",
        "date",
        "boolean",
        "binary",
        "string-two",
        "string-none",
        "no-service",
        "twice",
        "no-name",
    ],
)
def test_bad_context_entries_are_invalid_input(world: World, given: list[Any]) -> None:
    invalid(world, ContextEntries=given)


def test_answers_are_paged_in_order(world: World) -> None:
    actions = [f"s3:Action{n}" for n in range(5)]
    resources = [f"{BUCKET}/{n}" for n in range(3)]
    seen: list[tuple[str, str]] = []
    more: dict[str, str] = {}
    while True:
        page = custom(world, [FILLER], actions, ResourceArns=resources, MaxItems=4, **more)
        seen += [(r["EvalActionName"], r["EvalResourceName"]) for r in page["EvaluationResults"]]
        if not page["IsTruncated"]:
            assert "Marker" not in page
            break
        more = {"Marker": page["Marker"]}
    assert seen == [(a, r) for a in actions for r in resources]
    for bad in ("0", "15", "x", "-1", "\u0663"):
        invalid(world, ActionNames=actions, ResourceArns=resources, Marker=bad)
    assert len(custom(world, [FILLER], actions * 30)["EvaluationResults"]) == 100


def test_a_scenario_answers_once_per_action_over_its_resources(world: World) -> None:
    ec2 = f"arn:aws:ec2:{REGION}:{ACCOUNT}"
    resources = [
        f"{ec2}:instance/*",
        f"arn:aws:ec2:{REGION}::image/ami-1",
        f"{ec2}:security-group/sg-1",
        f"{ec2}:network-interface/eni-1",
    ]
    policies = [doc(allow("ec2:RunInstances", resources[:3]))]
    run = ["ec2:RunInstances"]
    scenario = "EC2-VPC-InstanceStore"
    answer = custom(world, policies, run, ResourceArns=resources, ResourceHandlingOption=scenario)
    (result,) = answer["EvaluationResults"]
    assert result["EvalDecision"] == "implicitDeny"
    specific = [
        (r["EvalResourceName"], r["EvalResourceDecision"])
        for r in result["ResourceSpecificResults"]
    ]
    assert specific == [
        (resources[0], "allowed"),
        (resources[1], "allowed"),
        (resources[2], "allowed"),
        (resources[3], "implicitDeny"),
    ]
    policies = [doc(allow("ec2:RunInstances", resources))]
    answer = custom(world, policies, run, ResourceArns=resources, ResourceHandlingOption=scenario)
    assert decisions(answer) == ["allowed"]
    for option in ("EC2-VPC-EBS", "EC2-Classic"):
        invalid(world, ActionNames=run, ResourceArns=resources, ResourceHandlingOption=option)


@pytest.mark.parametrize(
    "source",
    [
        arn("user", "nobody"),
        arn("user", "alice", "/other/"),
        f"arn:aws:iam::{OTHER}:user/alice",
        f"arn:aws-cn:iam::{ACCOUNT}:user/alice",
        arn("role", "alice"),
    ],
)
def test_a_missing_source_is_no_such_entity(world: World, source: str) -> None:
    world.call("CreateUser", UserName="alice")
    error = world.fails(
        NoSuchEntityException,
        "SimulatePrincipalPolicy",
        PolicySourceArn=source,
        ActionNames=["s3:GetObject"],
    )
    assert error.message.endswith(" cannot be found.")


@pytest.mark.parametrize(
    "params",
    [
        {"PolicySourceArn": f"arn:aws:iam::{ACCOUNT}:policy/p"},
        {"PolicySourceArn": "alice"},
        {"ActionNames": []},
        {"ActionNames": ["s3:*"]},
        {"ActionNames": ["GetObject"]},
        {"ResourceArns": ["bucket/key"]},
        {"PolicyInputList": ['{"Statement": []}']},
        {"PolicyInputList": [doc({"Effect": "Allow", "Principal": "*", "Action": "s3:*"})]},
        {"PermissionsBoundaryPolicyInputList": [FILLER, FILLER]},
        {"PermissionsBoundaryPolicyInputList": ["{"]},
        {"ResourcePolicy": FILLER, "CallerArn": ALICE},
        {"CallerArn": f"arn:aws:iam::{ACCOUNT}:role/r"},
        {"CallerArn": f"arn:aws:sts::{ACCOUNT}:assumed-role/r/s"},
        {"ResourceOwner": "1234"},
        {"ResourceOwner": f"arn:aws:iam::{ACCOUNT}:user/alice"},
    ],
)
def test_bad_input_is_invalid_input(world: World, params: dict[str, Any]) -> None:
    world.call("CreateUser", UserName="alice")
    params = {"PolicySourceArn": ALICE, "ActionNames": ["s3:GetObject"], **params}
    world.fails(InvalidInputException, "SimulatePrincipalPolicy", **params)


def test_a_malformed_policy_is_named_in_the_error(world: World) -> None:
    message = invalid(world, PolicyInputList=[FILLER, doc({"Effect": "Allow", "Action": "s3:*"})])
    assert message == (
        "PolicyInputList.2 is not a valid policy: Statement 1: it has no Resource or NotResource."
    )
    invalid(world, PolicyInputList=[])


class Recorder:
    """Answers every question alike; records each."""

    def __init__(self, allowed: bool) -> None:
        self.allowed = allowed
        self.asked: list[tuple[str, str]] = []

    def decide(self, caller: Any, action: str, resource: str, context: Any, policy: Any) -> Verdict:
        self.asked.append((action, resource))
        return Verdict(Decision.ALLOW if self.allowed else Decision.IMPLICIT_DENY, "identity")


@pytest.mark.parametrize("exists", [True, False])
def test_simulate_principal_policy_asks_first_on_the_source(world: World, exists: bool) -> None:
    """A refused caller learns nothing, not even whether the source exists."""
    if exists:
        world.call("CreateUser", UserName="alice")
    refusing = Recorder(allowed=False)
    with pytest.raises(AccessDeniedException):
        OPERATIONS["SimulatePrincipalPolicy"](
            world.iam,
            world.caller(authorizer=refusing),
            PolicySourceArn=ALICE,
            ActionNames=["s3:*"],
        )
    assert refusing.asked == [("iam:SimulatePrincipalPolicy", ALICE)]


def test_simulate_custom_policy_asks_on_everything(world: World) -> None:
    refusing, allowing = Recorder(allowed=False), Recorder(allowed=True)
    params: dict[str, Any] = {"PolicyInputList": [], "ActionNames": ["s3:GetObject"]}
    with pytest.raises(AccessDeniedException):
        OPERATIONS["SimulateCustomPolicy"](world.iam, world.caller(authorizer=refusing), **params)
    params["PolicyInputList"] = [FILLER]
    OPERATIONS["SimulateCustomPolicy"](world.iam, world.caller(authorizer=allowing), **params)
    assert refusing.asked == allowing.asked == [("iam:SimulateCustomPolicy", "*")]


def test_statement_spans_follow_lines_strings_and_escapes() -> None:
    text = (
        '{\n  "Id": "a } \\" ] {",\n  "Statement": [\n    {"Effect": "Allow", "Action": "s3:*",'
        ' "Resource": "arn:aws:s3:::b/{x}"},\n    {\n      "Effect": "Deny",\n'
        '      "Action": ["s3:Put*"], "Resource": "*"\n    }\n  ]\n}'
    )
    assert statement_spans(text) == [((4, 5), (4, 75)), ((5, 5), (8, 5))]
    single = '{"Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}, "Version": "x"}'
    assert statement_spans(single) == [((1, 15), (1, 68))]
    assert statement_spans('{"\\u0053tatement": [{}]}') == [((1, 21), (1, 22))]
    for broken in ("", "[]", '{"Version": "2012-10-17"}', '{"Statement": [{'):
        assert statement_spans(broken) == []
