"""Every Secrets Manager operation authorizes first (house rule 4); a refusal changes nothing.

A store holds a secret with two versions (AWSCURRENT and AWSPENDING), a tag and a resource
policy; a secret scheduled for deletion; and a secret replicated to another region. Each
operation is called with minimal valid parameters (the same parameters succeed for a
caller allowed everything) by a caller whose authorizer refuses everything and records what
it was asked: the call must raise AccessDeniedException, the first question must be
`secretsmanager:<Operation>` on the secret's ARN ("*" for operations on no one secret), and
the raw storage must be byte-for-byte unchanged. The operation functions must also take
exactly the members of their botocore input shape, and cover the model.

Rotation functions are reached through a Lambda plug-in whose runner never runs (a
refused call must not get that far, and an allowed RotateSecret only records the run: no
engine claims it here).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import botocore.session
import pytest
from tests.contract.operation_contract import (
    RecordingAuthorizer,
    assert_really_denied,
    assert_refused_first,
    signature_tests,
)

from strongroom.barrier import Barrier, View
from strongroom.clock import Clock
from strongroom.crypto import system_random
from strongroom.errors import AccessDeniedException
from strongroom.functions import Invocation, InvocationResult
from strongroom.identity import Principal
from strongroom.keystores import SoftwareKeyStore
from strongroom.services import awslambda as lambda_service
from strongroom.services import kms as kms_service
from strongroom.services import secretsmanager as sm_service
from strongroom.services.caller import AllowAuthenticated, Caller
from strongroom.services.secretsmanager import OPERATIONS, SecretsManager
from strongroom.storage.memory import MemoryStorage

ACCOUNT = "111122223333"
REGION = "us-east-1"
REPLICA_REGION = "us-west-2"
PRINCIPAL = Principal("AKIAIOSFODNN7EXAMPLE", ACCOUNT, "alice")
MODEL = botocore.session.get_session().get_service_model("secretsmanager")
BUILTIN_FUNCTION = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:strongroom-mysql-single-user"
V1 = "11111111-1111-4111-8111-111111111111"
V2 = "22222222-2222-4222-8222-222222222222"
V3 = "33333333-3333-4333-8333-333333333333"
POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                "Action": "secretsmanager:GetSecretValue",
                "Resource": "*",
            }
        ],
    }
)


@dataclass
class World:
    storage: MemoryStorage
    sm: SecretsManager
    existing: str
    doomed: str
    replicated: str

    def raw(self) -> dict[str, bytes]:
        return dict(self.storage.scan(""))

    def call(self, name: str, who: Caller, **params: Any) -> dict[str, Any]:
        return OPERATIONS[name](self.sm, who, **params)


def caller(authorizer: Any, region: str = REGION) -> Caller:
    return Caller(PRINCIPAL, region, authorizer)


def admin(region: str = REGION) -> Caller:
    return caller(AllowAuthenticated(), region)


def build_sm(storage: MemoryStorage) -> SecretsManager:
    """Secrets Manager over KMS over a barrier on `storage`, as `app.py` wires them."""
    barrier = Barrier(storage)
    barrier.initialize(bytes(range(32)))
    store = SoftwareKeyStore(View(barrier, "keystores/software/"))
    kms = kms_service.plugin(barrier, {"software": store}, Clock(), system_random)
    functions = lambda_service.plugin(
        barrier,
        Clock(),
        system_random,
        invoke=_never_invoked,
        credentials=_NoCredentials(),
        endpoint_url="http://127.0.0.1:1",
        ca_bundle=None,
        allow_code=False,
    )
    plugin = sm_service.plugin(
        barrier, kms, Clock(), system_random, functions, is_leader=lambda: False
    )
    assert isinstance(plugin.context, SecretsManager)
    return plugin.context


def _never_invoked(invocation: Invocation) -> InvocationResult:
    raise AssertionError("no rotation function runs in these tests")


class _NoCredentials:
    def issue(self, *args: object) -> tuple[str, str, str]:
        raise AssertionError("no rotation function runs in these tests")

    def revoke(self, access_key_id: str) -> None:
        raise AssertionError("no rotation function runs in these tests")


@pytest.fixture
def world() -> World:
    storage = MemoryStorage()
    sm = build_sm(storage)
    w = World(storage, sm, "", "", "")

    def create(name: str, token: str) -> str:
        return w.call(
            "CreateSecret", admin(), Name=name, SecretString="s3cr3t", ClientRequestToken=token
        )["ARN"]

    w.existing = create("app/existing", V1)
    w.call(
        "PutSecretValue",
        admin(),
        SecretId=w.existing,
        SecretString="next",
        ClientRequestToken=V2,
        VersionStages=["AWSPENDING"],
    )
    w.call("TagResource", admin(), SecretId=w.existing, Tags=[{"Key": "k", "Value": "v"}])
    w.call("PutResourcePolicy", admin(), SecretId=w.existing, ResourcePolicy=POLICY)
    w.doomed = create("app/doomed", V1)
    w.call("DeleteSecret", admin(), SecretId=w.doomed, RecoveryWindowInDays=7)
    w.replicated = create("app/replicated", V1)
    w.call(
        "ReplicateSecretToRegions",
        admin(),
        SecretId=w.replicated,
        AddReplicaRegions=[{"Region": REPLICA_REGION}],
    )
    return w


def replica_arn(w: World) -> str:
    return w.replicated.replace(f":{REGION}:", f":{REPLICA_REGION}:")


# Operation -> (minimal valid parameters, the resource authorized, the caller's region).
Case = Callable[[World], tuple[dict[str, Any], str, str]]
CASES: dict[str, Case] = {
    "CreateSecret": lambda w: (
        {"Name": "app/new", "SecretString": "x", "ClientRequestToken": V3},
        f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:app/new-??????",
        REGION,
    ),
    "DescribeSecret": lambda w: ({"SecretId": "app/existing"}, w.existing, REGION),
    "GetSecretValue": lambda w: ({"SecretId": w.existing}, w.existing, REGION),
    "BatchGetSecretValue": lambda w: ({"SecretIdList": [w.existing]}, "*", REGION),
    "PutSecretValue": lambda w: (
        {"SecretId": w.existing, "SecretString": "new", "ClientRequestToken": V3},
        w.existing,
        REGION,
    ),
    "UpdateSecret": lambda w: ({"SecretId": w.existing, "Description": "d"}, w.existing, REGION),
    "DeleteSecret": lambda w: ({"SecretId": w.existing}, w.existing, REGION),
    "RestoreSecret": lambda w: ({"SecretId": w.doomed}, w.doomed, REGION),
    "ListSecrets": lambda w: ({}, "*", REGION),
    "ListSecretVersionIds": lambda w: ({"SecretId": w.existing}, w.existing, REGION),
    "UpdateSecretVersionStage": lambda w: (
        {
            "SecretId": w.existing,
            "VersionStage": "AWSPENDING",
            "RemoveFromVersionId": V2,
            "MoveToVersionId": V1,
        },
        w.existing,
        REGION,
    ),
    "TagResource": lambda w: (
        {"SecretId": w.existing, "Tags": [{"Key": "t", "Value": "u"}]},
        w.existing,
        REGION,
    ),
    "UntagResource": lambda w: ({"SecretId": w.existing, "TagKeys": ["k"]}, w.existing, REGION),
    "PutResourcePolicy": lambda w: (
        {"SecretId": w.existing, "ResourcePolicy": POLICY},
        w.existing,
        REGION,
    ),
    "GetResourcePolicy": lambda w: ({"SecretId": w.existing}, w.existing, REGION),
    "DeleteResourcePolicy": lambda w: ({"SecretId": w.existing}, w.existing, REGION),
    "ValidateResourcePolicy": lambda w: ({"ResourcePolicy": POLICY}, "*", REGION),
    "ReplicateSecretToRegions": lambda w: (
        {"SecretId": w.existing, "AddReplicaRegions": [{"Region": "eu-west-1"}]},
        w.existing,
        REGION,
    ),
    "RemoveRegionsFromReplication": lambda w: (
        {"SecretId": w.replicated, "RemoveReplicaRegions": [REPLICA_REGION]},
        w.replicated,
        REGION,
    ),
    "StopReplicationToReplica": lambda w: (
        {"SecretId": "app/replicated"},
        replica_arn(w),
        REPLICA_REGION,
    ),
    "GetRandomPassword": lambda w: ({"PasswordLength": 16}, "*", REGION),
    "RotateSecret": lambda w: (
        {
            "SecretId": w.replicated,
            "RotationLambdaARN": BUILTIN_FUNCTION,
            "RotationRules": {"AutomaticallyAfterDays": 30},
            "RotateImmediately": False,
        },
        w.replicated,
        REGION,
    ),
    "CancelRotateSecret": lambda w: ({"SecretId": w.existing}, w.existing, REGION),
}


# --- the model and the signatures ----------------------------------------------------


def test_every_operation_has_a_case() -> None:
    assert set(CASES) == set(OPERATIONS)


def test_every_model_operation_is_served() -> None:
    assert set(MODEL.operation_names) == set(OPERATIONS)


(
    test_operation_takes_sm_and_caller_then_keywords_only,
    test_keyword_parameters_are_exactly_the_input_members,
    test_required_members_have_no_default_and_optional_ones_do,
) = signature_tests(OPERATIONS, MODEL, ["sm", "caller"])


# --- authorization -------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(OPERATIONS))
def test_minimal_parameters_succeed_when_allowed(world: World, name: str) -> None:
    """So that a refusal below is the authorizer's, not a parameter problem."""
    params, _, region = CASES[name](world)
    result = world.call(name, admin(region), **params)
    assert isinstance(result, dict)


@pytest.mark.parametrize("name", sorted(OPERATIONS))
def test_a_caller_without_permission_is_refused_and_nothing_changes(
    world: World, name: str
) -> None:
    params, resource, region = CASES[name](world)
    assert_refused_first(
        lambda refusing: world.call(name, caller(refusing, region), **params),
        PRINCIPAL.arn(),
        f"secretsmanager:{name}",
        resource,
        world.raw,
    )


def test_a_refused_get_reveals_no_value(world: World) -> None:
    with pytest.raises(AccessDeniedException) as info:
        world.call("GetSecretValue", caller(RecordingAuthorizer()), SecretId=world.existing)
    assert "s3cr3t" not in str(info.value)


def test_validate_with_a_secret_asks_for_that_secret_and_put_too(world: World) -> None:
    params = {"SecretId": "app/existing", "ResourcePolicy": POLICY}
    only_validate = RecordingAuthorizer(frozenset({"secretsmanager:ValidateResourcePolicy"}))
    with pytest.raises(AccessDeniedException):
        world.call("ValidateResourcePolicy", caller(only_validate), **params)
    assert [(a, r) for _, a, r in only_validate.asked] == [
        ("secretsmanager:ValidateResourcePolicy", world.existing),
        ("secretsmanager:PutResourcePolicy", world.existing),
    ]


def test_create_with_tags_and_replicas_asks_for_those_actions_too(world: World) -> None:
    params = {
        "Name": "app/tagged",
        "SecretString": "x",
        "ClientRequestToken": V3,
        "Tags": [{"Key": "k", "Value": "v"}],
        "AddReplicaRegions": [{"Region": "eu-west-1"}],
    }
    pattern = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:app/tagged-??????"
    before = world.raw()
    only_create = RecordingAuthorizer(frozenset({"secretsmanager:CreateSecret"}))
    with pytest.raises(AccessDeniedException):
        world.call("CreateSecret", caller(only_create), **params)
    assert [(a, r) for _, a, r in only_create.asked] == [
        ("secretsmanager:CreateSecret", pattern),
        ("secretsmanager:TagResource", pattern),
    ]
    no_replicas = RecordingAuthorizer(
        frozenset({"secretsmanager:CreateSecret", "secretsmanager:TagResource"})
    )
    with pytest.raises(AccessDeniedException):
        world.call("CreateSecret", caller(no_replicas), **params)
    assert no_replicas.asked[-1][1:] == ("secretsmanager:ReplicateSecretToRegions", pattern)
    assert world.raw() == before


def test_batch_get_needs_get_secret_value_on_each_secret(world: World) -> None:
    only_batch = RecordingAuthorizer(frozenset({"secretsmanager:BatchGetSecretValue"}))
    before = world.raw()
    result = world.call(
        "BatchGetSecretValue", caller(only_batch), SecretIdList=[world.existing, "app/doomed"]
    )
    assert result["SecretValues"] == []
    assert [(e["SecretId"], e["ErrorCode"]) for e in result["Errors"]] == [
        (world.existing, "AccessDeniedException"),
        ("app/doomed", "AccessDeniedException"),
    ]
    assert "s3cr3t" not in repr(result)
    assert ("secretsmanager:GetSecretValue", world.existing) in [
        (a, r) for _, a, r in only_batch.asked
    ]
    assert world.raw() == before


def test_batch_get_by_filter_needs_list_secrets(world: World) -> None:
    only_batch = RecordingAuthorizer(frozenset({"secretsmanager:BatchGetSecretValue"}))
    before = world.raw()
    with pytest.raises(AccessDeniedException):
        world.call(
            "BatchGetSecretValue",
            caller(only_batch),
            Filters=[{"Key": "name", "Values": ["app/"]}],
        )
    assert [(a, r) for _, a, r in only_batch.asked] == [
        ("secretsmanager:BatchGetSecretValue", "*"),
        ("secretsmanager:ListSecrets", "*"),
    ]
    assert world.raw() == before


def test_a_forced_delete_of_an_absent_secret_is_still_authorized(world: World) -> None:
    """AWS answers a forced delete of an absent name with success, but only to a caller
    who may delete secrets: an unauthorized caller is refused."""
    authorizer = RecordingAuthorizer()
    before = world.raw()
    with pytest.raises(AccessDeniedException):
        world.call(
            "DeleteSecret",
            caller(authorizer),
            SecretId="app/absent",
            ForceDeleteWithoutRecovery=True,
        )
    assert [a for _, a, _ in authorizer.asked] == ["secretsmanager:DeleteSecret"]
    assert world.raw() == before


# --- KMS refusing the caller ---------------------------------------------------------


def test_a_write_kms_refuses_is_access_denied_and_changes_nothing(world: World) -> None:
    no_kms = RecordingAuthorizer(frozenset({"secretsmanager:*"}))
    before = world.raw()
    value = {"SecretString": "y", "ClientRequestToken": V3}
    for name, params in [
        ("CreateSecret", {"Name": "app/kms", **value}),
        ("PutSecretValue", {"SecretId": world.existing, **value}),
        ("UpdateSecret", {"SecretId": world.existing, **value}),
    ]:
        with pytest.raises(AccessDeniedException) as info:
            world.call(name, caller(no_kms), **params)
        assert info.value.message == "Access to KMS is not allowed", name
        assert world.raw() == before, name
    assert any(a.startswith("kms:") for _, a, _ in no_kms.asked)


def test_a_read_kms_refuses_is_access_denied_and_records_no_access(world: World) -> None:
    no_kms = RecordingAuthorizer(frozenset({"secretsmanager:*"}))
    before = world.raw()
    with pytest.raises(AccessDeniedException) as info:
        world.call("GetSecretValue", caller(no_kms), SecretId=world.existing)
    assert info.value.message == "Access to KMS is not allowed"
    assert world.raw() == before
    assert "LastAccessedDate" not in world.call("DescribeSecret", admin(), SecretId=world.existing)


@pytest.mark.parametrize("name", sorted(OPERATIONS))
def test_a_real_deny_refuses_and_nothing_changes(world: World, name: str) -> None:
    """The server's own authorizer and an IAM user's explicit deny, not a stand-in."""
    params, resource, region = CASES[name](world)
    assert_really_denied(
        lambda authorizer: world.call(name, caller(authorizer, region), **params),
        PRINCIPAL,
        f"secretsmanager:{name}",
        resource,
        world.raw,
    )
