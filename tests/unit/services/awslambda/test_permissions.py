"""Resource policies: AddPermission writes statements as Lambda does, ids are unique,
revisions guard changes, GetPolicy and RemovePermission answer in Lambda's words, and
built-in functions take permissions too."""

from __future__ import annotations

import json

import pytest
from tests.unit.services.awslambda.world import ACCOUNT, REGION, World, new_world

from strongroom.errors import (
    InvalidParameterValueException,
    ResourceConflictException,
    ResourceNotFoundException,
)
from strongroom.services.awslambda.errors import (
    PolicyLengthExceededException,
    PreconditionFailedException,
)

ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:rotator"
SECRET = "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf"
BUILTIN = "strongroom-mysql-alternating-users"


@pytest.fixture
def world() -> World:
    w = new_world()
    w.create()
    return w


def allow_secrets_manager(world: World, name: str = "rotator", sid: str = "sm") -> dict:
    return world.call(
        "AddPermission",
        FunctionName=name,
        StatementId=sid,
        Action="lambda:InvokeFunction",
        Principal="secretsmanager.amazonaws.com",
        SourceAccount=ACCOUNT,
    )


def test_add_permission_writes_the_statement_lambda_writes(world: World) -> None:
    answer = allow_secrets_manager(world)
    statement = json.loads(answer["Statement"])
    assert statement == {
        "Sid": "sm",
        "Effect": "Allow",
        "Principal": {"Service": "secretsmanager.amazonaws.com"},
        "Action": "lambda:InvokeFunction",
        "Resource": ARN,
        "Condition": {"StringEquals": {"AWS:SourceAccount": ACCOUNT}},
    }
    got = world.call("GetPolicy", FunctionName="rotator")
    policy = json.loads(got["Policy"])
    assert policy == {"Version": "2012-10-17", "Id": "default", "Statement": [statement]}
    config = world.call("GetFunctionConfiguration", FunctionName="rotator")
    assert got["RevisionId"] == config["RevisionId"]


@pytest.mark.parametrize(
    ("principal", "element"),
    [
        ("123456789012", {"AWS": "arn:aws:iam::123456789012:root"}),
        ("arn:aws:iam::123456789012:role/r", {"AWS": "arn:aws:iam::123456789012:role/r"}),
        ("*", "*"),
        ("events.amazonaws.com", {"Service": "events.amazonaws.com"}),
    ],
)
def test_principals(world: World, principal: str, element: object) -> None:
    answer = world.call(
        "AddPermission",
        FunctionName="rotator",
        StatementId="s",
        Action="lambda:InvokeFunction",
        Principal=principal,
        SourceArn=SECRET,
    )
    statement = json.loads(answer["Statement"])
    assert statement["Principal"] == element
    assert statement["Condition"] == {
        "ArnLike": {
            "AWS:SourceArn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf"
        }
    }


def test_an_invalid_principal_is_refused(world: World) -> None:
    with pytest.raises(InvalidParameterValueException) as info:
        world.call(
            "AddPermission",
            FunctionName="rotator",
            StatementId="s",
            Action="lambda:InvokeFunction",
            Principal="nobody",
        )
    assert info.value.message == (
        "The provided principal was invalid. Please check the principal and try again."
    )


def test_statement_ids_are_unique(world: World) -> None:
    allow_secrets_manager(world)
    with pytest.raises(ResourceConflictException) as info:
        allow_secrets_manager(world)
    assert info.value.message == (
        "The statement id (sm) provided already exists. Please provide a new statement id, "
        "or remove the existing statement."
    )


def test_revisions_guard_permission_changes(world: World) -> None:
    revision = world.call("GetFunction", FunctionName="rotator")["Configuration"]["RevisionId"]
    with pytest.raises(PreconditionFailedException):
        world.call(
            "AddPermission",
            FunctionName="rotator",
            StatementId="s",
            Action="lambda:InvokeFunction",
            Principal="*",
            RevisionId="stale",
        )
    world.call(
        "AddPermission",
        FunctionName="rotator",
        StatementId="s",
        Action="lambda:InvokeFunction",
        Principal="*",
        RevisionId=revision,
    )
    newer = world.call("GetPolicy", FunctionName="rotator")["RevisionId"]
    assert newer != revision
    with pytest.raises(PreconditionFailedException):
        world.call("RemovePermission", FunctionName="rotator", StatementId="s", RevisionId=revision)
    world.call("RemovePermission", FunctionName="rotator", StatementId="s", RevisionId=newer)


def test_remove_permission_and_get_policy_when_nothing_is_left(world: World) -> None:
    allow_secrets_manager(world)
    with pytest.raises(ResourceNotFoundException) as info:
        world.call("RemovePermission", FunctionName="rotator", StatementId="other")
    assert info.value.message == "Statement other is not found in resource policy."
    assert world.call("RemovePermission", FunctionName="rotator", StatementId="sm") == {}
    with pytest.raises(ResourceNotFoundException) as info:
        world.call("GetPolicy", FunctionName="rotator")
    assert info.value.message == "The resource you requested does not exist."


def test_a_policy_stays_under_20_kb(world: World) -> None:
    source = "arn:aws:secretsmanager:us-east-1:123456789012:secret:" + "x" * 1000
    with pytest.raises(PolicyLengthExceededException):
        for number in range(40):
            world.call(
                "AddPermission",
                FunctionName="rotator",
                StatementId=f"s{number}",
                Action="lambda:InvokeFunction",
                Principal="secretsmanager.amazonaws.com",
                SourceArn=source,
            )
    statements = json.loads(world.call("GetPolicy", FunctionName="rotator")["Policy"])["Statement"]
    assert 10 < len(statements) < 40
    assert len(json.dumps(statements)) < 20_480


def test_builtins_take_permissions_per_account_and_region(world: World) -> None:
    before = world.call("GetFunction", FunctionName=BUILTIN)["Configuration"]["RevisionId"]
    allow_secrets_manager(world, BUILTIN)
    policy = world.call("GetPolicy", FunctionName=BUILTIN)
    after = world.call("GetFunction", FunctionName=BUILTIN)["Configuration"]["RevisionId"]
    assert policy["RevisionId"] == after != before
    with pytest.raises(ResourceNotFoundException):
        world.call("GetPolicy", FunctionName="rotator")  # another function's policy is apart
