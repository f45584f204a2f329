"""Calls and documents for the policy simulator's unit tests."""

from __future__ import annotations

import json
from typing import Any

from tests.unit.services.iam.iam_world import ACCOUNT, REGION, World

from strongroom.errors import InvalidInputException

OTHER = "444455556666"
BUCKET = "arn:aws:s3:::amzn-s3-demo-bucket"
PARAMETER = f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/app"
KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
FILLER = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": {"Effect": "Allow", "Action": "none:Nothing", "Resource": "*"},
    }
)
"""An identity policy that grants nothing a test asks for (PolicyInputList needs one)."""


def doc(*statements: dict[str, Any], indent: int | None = None) -> str:
    """An identity policy document."""
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)}, indent=indent)


def resource_doc(principal: str, action: str) -> str:
    """A resource policy allowing `principal` (an AWS principal) `action`."""
    statement = {"Effect": "Allow", "Principal": {"AWS": principal}, "Action": action}
    return json.dumps({"Version": "2012-10-17", "Statement": {**statement, "Resource": "*"}})


def allow(action: str | list[str], resource: str | list[str] = "*", **more: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **more}


def deny(action: str | list[str], resource: str | list[str] = "*", **more: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **more}


def decisions(answer: dict[str, Any]) -> list[str]:
    return [result["EvalDecision"] for result in answer["EvaluationResults"]]


def principal(world: World, source: str, actions: list[str], **params: Any) -> dict[str, Any]:
    """SimulatePrincipalPolicy, as the account root."""
    answer: dict[str, Any] = world.call(
        "SimulatePrincipalPolicy", PolicySourceArn=source, ActionNames=actions, **params
    )
    return answer


def custom(world: World, policies: list[str], actions: list[str], **params: Any) -> dict[str, Any]:
    """SimulateCustomPolicy, as the account root."""
    answer: dict[str, Any] = world.call(
        "SimulateCustomPolicy", PolicyInputList=policies, ActionNames=actions, **params
    )
    return answer


def invalid(world: World, **params: Any) -> str:
    """SimulateCustomPolicy (FILLER, s3:GetObject unless given) fails with InvalidInput."""
    params = {"PolicyInputList": [FILLER], "ActionNames": ["s3:GetObject"], **params}
    return world.fails(InvalidInputException, "SimulateCustomPolicy", **params).message


def typed(name: str, kind: str, *values: str) -> dict[str, Any]:
    """A context entry."""
    return {"ContextKeyName": name, "ContextKeyValues": list(values), "ContextKeyType": kind}


def entries(context: dict[str, list[str]]) -> list[dict[str, Any]]:
    """String context entries (a list when not exactly one value)."""
    return [
        typed(name, "string" if len(values) == 1 else "stringList", *values)
        for name, values in context.items()
    ]
