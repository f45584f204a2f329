"""Every Lambda operation authorizes first (house rule 4) and a refusal changes nothing;
operation functions take exactly the members of their botocore input shape.

A store holds a function with a permission, and the built-ins exist. Each operation is
called with minimal valid parameters (which succeed for a caller allowed everything) by a
caller refused everything: it must raise AccessDeniedException after one question, the
operation's IAM action (Invoke's is `lambda:InvokeFunction`, as in IAM) on the ARN the
request names ("*" for ListFunctions), run nothing, and leave storage byte for byte.
"""

from __future__ import annotations

from typing import Any

import botocore.session
import pytest
from tests.contract.operation_contract import (
    RecordingAuthorizer,
    assert_refused_first,
    signature_tests,
)
from tests.unit.services.awslambda.world import (
    ACCOUNT,
    HANDLER_ZIP,
    PRINCIPAL,
    REGION,
    World,
    caller,
    new_world,
)

from strongroom.services.awslambda import OPERATIONS

MODEL = botocore.session.get_session().get_service_model("lambda")
ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:rotator"
NEW_ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:fresh"

CASES: dict[str, tuple[str, str, dict[str, Any]]] = {
    "CreateFunction": (
        "lambda:CreateFunction",
        NEW_ARN,
        {
            "FunctionName": "fresh",
            "Role": f"arn:aws:iam::{ACCOUNT}:role/r",
            "Code": {"ZipFile": HANDLER_ZIP},
            "Runtime": "python3.12",
            "Handler": "lambda_function.lambda_handler",
        },
    ),
    "GetFunction": ("lambda:GetFunction", ARN, {"FunctionName": "rotator"}),
    "GetFunctionConfiguration": (
        "lambda:GetFunctionConfiguration",
        ARN,
        {"FunctionName": ARN},
    ),
    "ListFunctions": ("lambda:ListFunctions", "*", {}),
    "UpdateFunctionCode": (
        "lambda:UpdateFunctionCode",
        ARN,
        {"FunctionName": "rotator", "ZipFile": HANDLER_ZIP},
    ),
    "UpdateFunctionConfiguration": (
        "lambda:UpdateFunctionConfiguration",
        ARN,
        {"FunctionName": "rotator", "Timeout": 9},
    ),
    "DeleteFunction": ("lambda:DeleteFunction", ARN, {"FunctionName": "rotator"}),
    "Invoke": ("lambda:InvokeFunction", f"{ARN}:$LATEST", {"FunctionName": f"{ARN}:$LATEST"}),
    "AddPermission": (
        "lambda:AddPermission",
        ARN,
        {
            "FunctionName": "rotator",
            "StatementId": "new",
            "Action": "lambda:InvokeFunction",
            "Principal": "secretsmanager.amazonaws.com",
        },
    ),
    "RemovePermission": (
        "lambda:RemovePermission",
        ARN,
        {"FunctionName": "rotator", "StatementId": "sm"},
    ),
    "GetPolicy": ("lambda:GetPolicy", ARN, {"FunctionName": "rotator"}),
}

(
    test_takes_positional_then_keywords_only,
    test_keywords_are_the_members,
    test_only_optional_members_default,
) = signature_tests(OPERATIONS, MODEL, ["lam", "caller"])


def test_every_operation_is_covered() -> None:
    assert set(CASES) == set(OPERATIONS)
    assert set(OPERATIONS) <= set(MODEL.operation_names)


def world_with_a_function() -> World:
    world = new_world()
    world.create()
    world.call(
        "AddPermission",
        FunctionName="rotator",
        StatementId="sm",
        Action="lambda:InvokeFunction",
        Principal="secretsmanager.amazonaws.com",
    )
    return world


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_parameters_succeed_for_an_allowed_caller(name: str) -> None:
    world = world_with_a_function()
    _, _, params = CASES[name]
    world.call(name, **params)


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_refused_caller_is_asked_first_and_changes_nothing(name: str) -> None:
    world = world_with_a_function()
    action, resource, params = CASES[name]

    def call(authorizer: RecordingAuthorizer) -> None:
        world.call(name, caller(authorizer), **params)

    assert_refused_first(call, PRINCIPAL.arn(), action, resource, world.raw)
    assert world.runner.invocations == [] and world.issuer.issued == []
