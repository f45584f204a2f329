"""Secrets Manager authorizes through its secrets' resource policies and AWS's condition keys.

Secrets Manager runs over KMS on a memory storage (`kms_over_memory`), as `app.py` wires
them. Its callers' authorizer is either `Recorder` (answers as told, records every
question with its condition keys and resource policy) or `Policies` (the real policy
engine, with each principal's identity policies and the secret's own policy, as the IAM
authorizer decides).
KMS questions (the value's data key) are always allowed: they are KMS's business.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from tests.unit.services.kms_over_memory import kms_over_memory

from strongroom.clock import Clock
from strongroom.crypto import system_random
from strongroom.errors import AccessDeniedException, PublicPolicyException
from strongroom.identity import Principal
from strongroom.policy import (
    Decision,
    Policy,
    PolicySet,
    Request,
    Verdict,
    evaluate,
    parse_policy,
)
from strongroom.services import secretsmanager as sm_service
from strongroom.services.caller import AllowAuthenticated, Caller, Context, ResourcePolicy
from strongroom.services.secretsmanager import OPERATIONS, SecretsManager, secret_access
from strongroom.storage.memory import MemoryStorage

ACCOUNT = "111122223333"
REGION = "us-east-1"
ALICE = Principal("AKIAALICEALICEALICE1", ACCOUNT, "alice")
BOB = Principal("AKIABOBBOBBOBBOBBOB1", ACCOUNT, "bob")
ROOT = Principal("AKIAROOTROOTROOTROOT", ACCOUNT, "root")
V1 = "11111111-1111-4111-8111-111111111111"
V2 = "22222222-2222-4222-8222-222222222222"
ALLOWED = Verdict(Decision.ALLOW)


def user_arn(principal: Principal) -> str:
    return principal.arn("aws")


def document(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


@dataclass
class Asked:
    action: str
    resource: str
    context: dict[str, tuple[str, ...]]
    policy: ResourcePolicy | None


@dataclass
class Recorder:
    """Allows what `allows(action)` says; records every question but KMS's."""

    allows: Callable[[str], bool] = lambda action: True
    asked: list[Asked] = field(default_factory=list)

    def decide(
        self,
        caller: Caller,
        action: str,
        resource: str,
        context: Context,
        resource_policy: ResourcePolicy | None,
    ) -> Verdict:
        if action.startswith("kms:"):
            return ALLOWED
        self.asked.append(Asked(action, resource, dict(context), resource_policy))
        if self.allows(action):
            return ALLOWED
        return Verdict(Decision.IMPLICIT_DENY, "identity")

    def last(self, action: str) -> Asked:
        return [asked for asked in self.asked if asked.action == action][-1]


@dataclass
class Policies:
    """The policy engine: identity policies by principal ARN, and the resource's policy."""

    identity: dict[str, list[str]] = field(default_factory=dict)

    def decide(
        self,
        caller: Caller,
        action: str,
        resource: str,
        context: Context,
        resource_policy: ResourcePolicy | None,
    ) -> Verdict:
        if action.startswith("kms:"):
            return ALLOWED
        arn = user_arn(caller.principal)
        texts = self.identity.get(arn, [])
        own = [Policy.from_document(parse_policy(t, resource_policy=False)) for t in texts]
        policies = PolicySet(
            identity=own,
            resource=None
            if resource_policy is None
            else Policy.from_document(parse_policy(resource_policy.text, resource_policy=True)),
            is_root=caller.principal.user_name == "root",
        )
        keys = {"aws:PrincipalArn": (arn,), "aws:PrincipalAccount": (ACCOUNT,), **context}
        return evaluate(policies, Request(action, resource, arn, ACCOUNT, keys))


@dataclass
class World:
    storage: MemoryStorage
    sm: SecretsManager

    def call(self, name: str, who: Caller | None = None, **params: Any) -> dict[str, Any]:
        return OPERATIONS[name](self.sm, who or admin(), **params)

    def raw(self) -> dict[str, bytes]:
        return dict(self.storage.scan(""))

    def create(self, name: str, **params: Any) -> str:
        arn: str = self.call(
            "CreateSecret", Name=name, SecretString=f"{name}-value", ClientRequestToken=V1, **params
        )["ARN"]
        return arn


def admin(principal: Principal = ALICE) -> Caller:
    return Caller(principal, REGION, AllowAuthenticated())


def as_(principal: Principal, authorizer: Any) -> Caller:
    return Caller(principal, REGION, authorizer)


@pytest.fixture
def world() -> World:
    base = kms_over_memory()
    plugin = sm_service.plugin(base.barrier, base.kms, Clock(), system_random)
    assert isinstance(plugin.context, SecretsManager)
    return World(base.storage, plugin.context)


def allow(action: str, resource: str = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


# --- what each operation passes ------------------------------------------------------


def test_get_secret_value_passes_the_secrets_keys_its_policy_and_the_request_keys(
    world: World,
) -> None:
    arn = world.create("app/db", Tags=[{"Key": "env", "Value": "prod"}])
    policy = document(allow("secretsmanager:GetSecretValue", Principal={"AWS": user_arn(BOB)}))
    world.call("PutResourcePolicy", SecretId="app/db", ResourcePolicy=policy)
    recorder = Recorder()
    world.call("GetSecretValue", as_(ALICE, recorder), SecretId="app/db")
    asked = recorder.last("secretsmanager:GetSecretValue")
    assert asked.resource == arn
    assert asked.policy == ResourcePolicy(policy, required=False)
    assert asked.context == {
        "secretsmanager:SecretId": ("app/db",),
        "secretsmanager:VersionStage": ("AWSCURRENT",),
        "secretsmanager:SecretPrimaryRegion": (REGION,),
        "secretsmanager:ResourceTag/env": ("prod",),
        "aws:ResourceTag/env": ("prod",),
    }


def test_the_secret_id_is_as_the_request_gave_it_and_versions_as_named(world: World) -> None:
    arn = world.create("app/named")
    recorder = Recorder()
    world.call("GetSecretValue", as_(ALICE, recorder), SecretId=arn, VersionId=V1)
    asked = recorder.last("secretsmanager:GetSecretValue")
    assert asked.context["secretsmanager:SecretId"] == (arn,)
    assert asked.context["secretsmanager:VersionId"] == (V1,)
    assert "secretsmanager:VersionStage" not in asked.context
    assert asked.policy is None  # no policy stored
    world.call("GetSecretValue", as_(ALICE, recorder), SecretId=arn, VersionStage="AWSCURRENT")
    assert recorder.last("secretsmanager:GetSecretValue").context[
        "secretsmanager:VersionStage"
    ] == ("AWSCURRENT",)


def test_create_passes_the_requests_name_description_key_tags_and_replicas(world: World) -> None:
    recorder = Recorder()
    world.call(
        "CreateSecret",
        as_(ALICE, recorder),
        Name="app/new",
        Description="the new one",
        KmsKeyId="alias/aws/secretsmanager",
        Tags=[{"Key": "team", "Value": "blue"}, {"Key": "cost", "Value": "7"}],
        AddReplicaRegions=[{"Region": "eu-west-1"}],
    )
    pattern = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:app/new-??????"
    expected = {
        "secretsmanager:Name": ("app/new",),
        "secretsmanager:Description": ("the new one",),
        "secretsmanager:KmsKeyId": ("alias/aws/secretsmanager",),
        "secretsmanager:AddReplicaRegions": ("eu-west-1",),
        "secretsmanager:ForceOverwriteReplicaSecret": ("false",),
        "aws:RequestTag/team": ("blue",),
        "aws:RequestTag/cost": ("7",),
        "aws:TagKeys": ("team", "cost"),
    }
    for action in ("CreateSecret", "TagResource", "ReplicateSecretToRegions"):
        asked = recorder.last(f"secretsmanager:{action}")
        assert (asked.resource, asked.context) == (pattern, expected), action


def test_delete_passes_the_window_it_takes_effect_with_or_the_force(world: World) -> None:
    world.create("app/gone")
    world.create("app/forced")
    recorder = Recorder()
    world.call("DeleteSecret", as_(ALICE, recorder), SecretId="app/gone")
    keys = recorder.last("secretsmanager:DeleteSecret").context
    assert keys["secretsmanager:RecoveryWindowInDays"] == ("30",)
    assert keys["secretsmanager:ForceDeleteWithoutRecovery"] == ("false",)
    world.call(
        "DeleteSecret", as_(ALICE, recorder), SecretId="app/forced", ForceDeleteWithoutRecovery=True
    )
    keys = recorder.last("secretsmanager:DeleteSecret").context
    assert keys["secretsmanager:ForceDeleteWithoutRecovery"] == ("true",)
    assert "secretsmanager:RecoveryWindowInDays" not in keys


def test_tagging_policies_rotation_and_stages_pass_their_keys(world: World) -> None:
    world.create("app/keys", Tags=[{"Key": "old", "Value": "1"}])
    world.call(
        "PutSecretValue",
        SecretId="app/keys",
        SecretString="v2",
        ClientRequestToken=V2,
        VersionStages=["AWSPENDING"],
    )
    recorder = Recorder(lambda action: action != "secretsmanager:RotateSecret")
    who = as_(ALICE, recorder)
    world.call("TagResource", who, SecretId="app/keys", Tags=[{"Key": "new", "Value": "2"}])
    assert recorder.last("secretsmanager:TagResource").context["aws:TagKeys"] == ("new",)
    assert recorder.last("secretsmanager:TagResource").context["aws:RequestTag/new"] == ("2",)
    world.call("UntagResource", who, SecretId="app/keys", TagKeys=["old"])
    assert recorder.last("secretsmanager:UntagResource").context["aws:TagKeys"] == ("old",)
    bobs = document(allow("secretsmanager:*", Principal={"AWS": user_arn(BOB)}))
    world.call("PutResourcePolicy", who, SecretId="app/keys", ResourcePolicy=bobs)
    keys = recorder.last("secretsmanager:PutResourcePolicy").context
    assert keys["secretsmanager:BlockPublicPolicy"] == ("false",)
    world.call(
        "UpdateSecretVersionStage",
        who,
        SecretId="app/keys",
        VersionStage="AWSPENDING",
        RemoveFromVersionId=V2,
    )
    keys = recorder.last("secretsmanager:UpdateSecretVersionStage").context
    assert keys["secretsmanager:VersionStage"] == ("AWSPENDING",)
    function = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:rotator"
    with pytest.raises(AccessDeniedException):
        world.call("RotateSecret", who, SecretId="app/keys", RotationLambdaARN=function)
    keys = recorder.last("secretsmanager:RotateSecret").context
    assert keys["secretsmanager:RotationLambdaARN"] == (function,)
    assert keys["secretsmanager:RotateImmediately"] == ("true",)
    assert keys["secretsmanager:ModifyRotationRules"] == ("false",)


# --- keys computed once per record ---------------------------------------------------


def test_a_secrets_keys_are_computed_once_per_record_and_follow_its_changes(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    world.create("app/hot", Tags=[{"Key": "env", "Value": "dev"}])
    computed: list[str] = []
    real = secret_access.secret_keys

    def counting(record: Any) -> Context:
        computed.append(record.name)
        return real(record)

    recorder = Recorder()
    who = as_(ALICE, recorder)
    world.call("GetSecretValue", who, SecretId="app/hot")  # the day's first read: a write
    monkeypatch.setattr(secret_access, "secret_keys", counting)
    for _ in range(3):
        world.call("GetSecretValue", who, SecretId="app/hot")
    assert computed == ["app/hot"]
    world.call("TagResource", SecretId="app/hot", Tags=[{"Key": "env", "Value": "prod"}])
    computed.clear()
    world.call("GetSecretValue", who, SecretId="app/hot")
    world.call("GetSecretValue", who, SecretId="app/hot")
    assert computed == ["app/hot"]
    asked = recorder.last("secretsmanager:GetSecretValue")
    assert asked.context["aws:ResourceTag/env"] == ("prod",)


# --- the policy engine deciding ------------------------------------------------------


def test_a_resource_policy_naming_a_user_lets_it_read_without_an_identity_policy(
    world: World,
) -> None:
    world.create("app/shared")
    world.create("app/private")
    policy = document(allow("secretsmanager:GetSecretValue", Principal={"AWS": user_arn(BOB)}))
    world.call("PutResourcePolicy", SecretId="app/shared", ResourcePolicy=policy)
    bob = as_(BOB, Policies())
    assert world.call("GetSecretValue", bob, SecretId="app/shared")["SecretString"] == (
        "app/shared-value"
    )
    with pytest.raises(AccessDeniedException) as denied:
        world.call("GetSecretValue", bob, SecretId="app/private")
    assert denied.value.message == (
        f"User: {user_arn(BOB)} is not authorized to perform: secretsmanager:GetSecretValue "
        f"on resource: {world.call('DescribeSecret', SecretId='app/private')['ARN']} because "
        "no identity-based policy allows the secretsmanager:GetSecretValue action"
    )
    with pytest.raises(AccessDeniedException):  # the policy names one action only
        world.call("DescribeSecret", bob, SecretId="app/shared")


def test_an_explicit_deny_in_the_resource_policy_refuses_the_root_and_changes_nothing(
    world: World,
) -> None:
    arn = world.create("app/locked")
    deny = {
        "Effect": "Deny",
        "Principal": "*",
        "Action": ["secretsmanager:PutSecretValue", "secretsmanager:GetSecretValue"],
        "Resource": "*",
    }
    world.call("PutResourcePolicy", SecretId=arn, ResourcePolicy=document(deny))
    root = as_(ROOT, Policies())
    before = world.raw()
    with pytest.raises(AccessDeniedException) as denied:
        world.call("PutSecretValue", root, SecretId=arn, SecretString="x", ClientRequestToken=V2)
    assert denied.value.message == (
        f"User: arn:aws:iam::{ACCOUNT}:root is not authorized to perform: "
        f"secretsmanager:PutSecretValue on resource: {arn} with an explicit deny in a "
        "resource-based policy"
    )
    assert world.raw() == before
    assert world.call("DescribeSecret", root, SecretId=arn)["Name"] == "app/locked"


def test_conditions_read_the_secrets_tags_under_both_prefixes(world: World) -> None:
    world.create("app/blue", Tags=[{"Key": "team", "Value": "blue"}])
    world.create("app/red", Tags=[{"Key": "team", "Value": "red"}])
    read = "secretsmanager:GetSecretValue"
    for key in ("secretsmanager:ResourceTag/team", "aws:ResourceTag/team"):
        policies = Policies(
            {user_arn(ALICE): [document(allow(read, Condition={"StringEquals": {key: "blue"}}))]}
        )
        alice = as_(ALICE, policies)
        assert world.call("GetSecretValue", alice, SecretId="app/blue")["Name"] == "app/blue"
        with pytest.raises(AccessDeniedException):
            world.call("GetSecretValue", alice, SecretId="app/red")


def test_a_condition_on_the_version_stage_limits_reads_to_awscurrent(world: World) -> None:
    world.create("app/staged")
    world.call(
        "PutSecretValue",
        SecretId="app/staged",
        SecretString="next",
        ClientRequestToken=V2,
        VersionStages=["AWSPENDING"],
    )
    only_current = allow(
        "secretsmanager:GetSecretValue",
        Condition={"StringEquals": {"secretsmanager:VersionStage": "AWSCURRENT"}},
    )
    alice = as_(ALICE, Policies({user_arn(ALICE): [document(only_current)]}))
    assert world.call("GetSecretValue", alice, SecretId="app/staged")["VersionId"] == V1
    with pytest.raises(AccessDeniedException):
        world.call("GetSecretValue", alice, SecretId="app/staged", VersionStage="AWSPENDING")


def test_block_public_policy_still_refuses_an_open_policy_and_changes_nothing(
    world: World,
) -> None:
    arn = world.create("app/guarded")
    public = document(allow("secretsmanager:GetSecretValue", Principal="*"))
    before = world.raw()
    with pytest.raises(PublicPolicyException):
        world.call("PutResourcePolicy", SecretId=arn, ResourcePolicy=public, BlockPublicPolicy=True)
    assert world.raw() == before
    assert "ResourcePolicy" not in world.call("GetResourcePolicy", SecretId=arn)


def test_batch_get_reports_each_refused_secret_in_awss_words(world: World) -> None:
    readable = world.create("app/readable")
    hidden = world.create("app/hidden")
    policies = Policies(
        {
            user_arn(ALICE): [
                document(
                    allow("secretsmanager:BatchGetSecretValue"),
                    allow("secretsmanager:GetSecretValue", readable),
                )
            ]
        }
    )
    result = world.call(
        "BatchGetSecretValue", as_(ALICE, policies), SecretIdList=["app/readable", hidden]
    )
    assert [value["Name"] for value in result["SecretValues"]] == ["app/readable"]
    assert result["Errors"] == [
        {
            "SecretId": hidden,
            "ErrorCode": "AccessDeniedException",
            "Message": f"User: {user_arn(ALICE)} is not authorized to perform: "
            f"secretsmanager:GetSecretValue on resource: {hidden} because no identity-based "
            "policy allows the secretsmanager:GetSecretValue action",
        }
    ]
    assert "app/hidden-value" not in repr(result)
