"""Parameter Store authorizes on the ARNs AWS writes, with AWS's condition keys.

Parameter Store runs over KMS on a memory storage (`kms_over_memory`), as `app.py` wires
them. Its callers' authorizer is either `Recorder` (answers as told, records every
question with its condition keys) or `Policies` (the real policy engine over one identity
policy document).
KMS questions are always allowed: they are KMS's business.
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
from strongroom.errors import AccessDeniedException, ParameterNotFound
from strongroom.identity import Principal
from strongroom.policy import Decision, Policy, PolicySet, Request, Verdict, evaluate, parse_policy
from strongroom.services import ssm as ssm_service
from strongroom.services.caller import AllowAuthenticated, Caller, Context, ResourcePolicy
from strongroom.services.ssm import OPERATIONS, ParameterStore, parameter_access
from strongroom.storage.memory import MemoryStorage

ACCOUNT = "111122223333"
REGION = "us-east-1"
ALICE = Principal("AKIAALICEALICEALICE1", ACCOUNT, "alice")
PREFIX = f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/"
ALLOWED = Verdict(Decision.ALLOW)


@dataclass
class Recorder:
    """Allows what `allows(action)` says; records (action, resource, keys) but KMS's."""

    allows: Callable[[str], bool] = lambda action: True
    asked: list[tuple[str, str, dict[str, tuple[str, ...]]]] = field(default_factory=list)

    def decide(
        self,
        caller: Caller,
        action: str,
        resource: str,
        context: Context,
        resource_policy: ResourcePolicy | None,
    ) -> Verdict:
        assert resource_policy is None  # parameters have none
        if action.startswith("kms:"):
            return ALLOWED
        self.asked.append((action, resource, dict(context)))
        return ALLOWED if self.allows(action) else Verdict(Decision.IMPLICIT_DENY, "identity")


@dataclass
class Policies:
    """The policy engine over one identity policy (statements as dicts)."""

    statements: list[dict[str, Any]]

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
        text = json.dumps({"Version": "2012-10-17", "Statement": self.statements})
        policy = Policy.from_document(parse_policy(text, resource_policy=False))
        arn = caller.principal.arn("aws")
        request = Request(action, resource, arn, ACCOUNT, dict(context))
        return evaluate(PolicySet(identity=[policy]), request)


@dataclass
class World:
    storage: MemoryStorage
    ps: ParameterStore

    def call(self, name: str, who: Caller | None = None, **params: Any) -> dict[str, Any]:
        return OPERATIONS[name](
            self.ps, who or Caller(ALICE, REGION, AllowAuthenticated()), **params
        )

    def raw(self) -> dict[str, bytes]:
        return dict(self.storage.scan(""))

    def put(self, name: str, value: str = "v", **params: Any) -> None:
        self.call("PutParameter", Name=name, Value=value, Type="String", **params)


def as_alice(authorizer: Any) -> Caller:
    return Caller(ALICE, REGION, authorizer)


@pytest.fixture
def world() -> World:
    base = kms_over_memory()
    plugin = ssm_service.plugin(base.barrier, base.kms, Clock(), system_random, None)
    assert isinstance(plugin.context, ParameterStore)
    return World(base.storage, plugin.context)


def allow(action: str, resource: str, **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action: str, resource: str, **extra: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


# --- the ARNs ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "resource"),
    [("/prod/db", "prod/db"), ("/single", "single"), ("single", "single"), ("a.b-c_d", "a.b-c_d")],
)
def test_a_parameter_is_authorized_on_the_arn_aws_writes_for_its_name(
    world: World, name: str, resource: str
) -> None:
    recorder = Recorder()
    world.call("PutParameter", as_alice(recorder), Name=name, Value="v", Type="String")
    world.call("GetParameter", as_alice(recorder), Name=name)
    world.call("GetParameterHistory", as_alice(recorder), Name=name)
    world.call("DeleteParameter", as_alice(recorder), Name=name)
    assert {asked[1] for asked in recorder.asked} == {PREFIX + resource}


def test_an_absent_parameter_is_asked_about_on_its_arn_before_it_is_found_missing(
    world: World,
) -> None:
    recorder = Recorder(lambda action: False)
    with pytest.raises(AccessDeniedException) as refused:
        world.call("GetParameter", as_alice(recorder), Name="/nowhere/x")
    assert recorder.asked == [("ssm:GetParameter", PREFIX + "nowhere/x", {})]
    assert PREFIX + "nowhere/x" in refused.value.message
    with pytest.raises(ParameterNotFound):
        world.call("GetParameter", as_alice(Recorder()), Name="/nowhere/x")


# --- condition keys ------------------------------------------------------------------


def test_put_parameter_passes_overwrite_policies_and_the_requests_tags(world: World) -> None:
    recorder = Recorder()
    who = as_alice(recorder)
    world.call(
        "PutParameter",
        who,
        Name="/app/p",
        Value="1",
        Type="String",
        Tags=[{"Key": "env", "Value": "dev"}],
    )
    tagging = {"aws:RequestTag/env": ("dev",), "aws:TagKeys": ("env",)}
    assert recorder.asked == [
        (
            "ssm:PutParameter",
            PREFIX + "app/p",
            {"ssm:Overwrite": ("false",), "ssm:Policies": ("false",), **tagging},
        ),
        ("ssm:AddTagsToResource", PREFIX + "app/p", tagging),
    ]
    recorder.asked.clear()
    expiry = json.dumps(
        [
            {
                "Type": "Expiration",
                "Version": "1.0",
                "Attributes": {"Timestamp": "2999-01-01T00:00:00.000Z"},
            }
        ]
    )
    world.call(
        "PutParameter",
        who,
        Name="/app/p",
        Value="2",
        Overwrite=True,
        Tier="Advanced",
        Policies=expiry,
    )
    assert recorder.asked == [
        (
            "ssm:PutParameter",
            PREFIX + "app/p",
            {"ssm:Overwrite": ("true",), "ssm:Policies": ("true",)},
        )
    ]


def test_operations_on_a_tagged_parameter_pass_its_tags(world: World) -> None:
    world.put("/app/tagged", Tags=[{"Key": "env", "Value": "prod"}])
    world.put("/app/bare")
    recorder = Recorder()
    who = as_alice(recorder)
    world.call("GetParameter", who, Name="/app/tagged")
    world.call("GetParameters", who, Names=["/app/tagged", "/app/bare"])
    world.call("GetParameterHistory", who, Name="/app/tagged")
    world.call("LabelParameterVersion", who, Name="/app/tagged", Labels=["stable"])
    world.call("ListTagsForResource", who, ResourceType="Parameter", ResourceId="/app/tagged")
    world.call(
        "AddTagsToResource",
        who,
        ResourceType="Parameter",
        ResourceId="/app/tagged",
        Tags=[{"Key": "team", "Value": "blue"}],
    )
    world.call(
        "RemoveTagsFromResource",
        who,
        ResourceType="Parameter",
        ResourceId="/app/tagged",
        TagKeys=["team"],
    )
    prod = {"aws:ResourceTag/env": ("prod",)}
    assert recorder.asked == [
        ("ssm:GetParameter", PREFIX + "app/tagged", prod),
        ("ssm:GetParameters", PREFIX + "app/tagged", prod),
        ("ssm:GetParameters", PREFIX + "app/bare", {}),
        ("ssm:GetParameterHistory", PREFIX + "app/tagged", prod),
        ("ssm:LabelParameterVersion", PREFIX + "app/tagged", prod),
        ("ssm:ListTagsForResource", PREFIX + "app/tagged", prod),
        (
            "ssm:AddTagsToResource",
            PREFIX + "app/tagged",
            {**prod, "aws:RequestTag/team": ("blue",), "aws:TagKeys": ("team",)},
        ),
        (
            "ssm:RemoveTagsFromResource",
            PREFIX + "app/tagged",
            {**prod, "aws:ResourceTag/team": ("blue",), "aws:TagKeys": ("team",)},
        ),
    ]


def test_get_parameters_by_path_asks_for_the_path_with_ssm_recursive(world: World) -> None:
    world.put("/app/one")
    recorder = Recorder()
    for recursive in (False, True):
        world.call("GetParametersByPath", as_alice(recorder), Path="/app", Recursive=recursive)
    world.call("GetParametersByPath", as_alice(recorder), Path="/")
    assert recorder.asked == [
        ("ssm:GetParametersByPath", PREFIX + "app", {"ssm:Recursive": ("false",)}),
        ("ssm:GetParametersByPath", PREFIX + "app", {"ssm:Recursive": ("true",)}),
        ("ssm:GetParametersByPath", PREFIX, {"ssm:Recursive": ("false",)}),
    ]


def test_tag_keys_are_computed_once_per_record_and_follow_its_changes(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    world.put("/app/hot", Tags=[{"Key": "env", "Value": "dev"}])
    computed: list[str] = []
    real = parameter_access.tag_keys

    def counting(record: Any) -> Context:
        computed.append(record.name)
        return real(record)

    monkeypatch.setattr(parameter_access, "tag_keys", counting)
    recorder = Recorder()
    for _ in range(3):
        world.call("GetParameter", as_alice(recorder), Name="/app/hot")
    assert computed == ["/app/hot"]
    world.call(
        "AddTagsToResource",
        ResourceType="Parameter",
        ResourceId="/app/hot",
        Tags=[{"Key": "env", "Value": "prod"}],
    )
    computed.clear()
    for _ in range(2):
        world.call("GetParameter", as_alice(recorder), Name="/app/hot")
    assert computed == ["/app/hot"]
    assert recorder.asked[-1][2] == {"aws:ResourceTag/env": ("prod",)}


# --- the policy engine deciding ------------------------------------------------------


def test_a_path_policy_reads_exactly_its_path(world: World) -> None:
    world.put("/prod/db/host", "db.internal")
    world.put("/dev/db/host", "localhost")
    policy = Policies(
        [
            allow("ssm:GetParameter", PREFIX + "prod/*"),
            allow("ssm:GetParametersByPath", PREFIX + "prod/*"),
            allow("ssm:GetParametersByPath", PREFIX + "prod"),
        ]
    )
    alice = as_alice(policy)
    assert world.call("GetParameter", alice, Name="/prod/db/host")["Parameter"]["Value"] == (
        "db.internal"
    )
    with pytest.raises(AccessDeniedException):
        world.call("GetParameter", alice, Name="/dev/db/host")
    found = world.call("GetParametersByPath", alice, Path="/prod", Recursive=True)
    assert [p["Name"] for p in found["Parameters"]] == ["/prod/db/host"]
    with pytest.raises(AccessDeniedException):
        world.call("GetParametersByPath", alice, Path="/dev", Recursive=True)


def test_ssm_recursive_refuses_a_recursive_read_and_allows_one_level(world: World) -> None:
    world.put("/team/top")
    world.put("/team/deep/secret")
    policy = Policies(
        [
            allow("ssm:GetParametersByPath", PREFIX + "team"),
            deny(
                "ssm:GetParametersByPath",
                PREFIX + "team",
                Condition={"StringEquals": {"ssm:Recursive": "true"}},
            ),
        ]
    )
    alice = as_alice(policy)
    found = world.call("GetParametersByPath", alice, Path="/team")
    assert [p["Name"] for p in found["Parameters"]] == ["/team/top"]
    before = world.raw()
    with pytest.raises(AccessDeniedException) as refused:
        world.call("GetParametersByPath", alice, Path="/team", Recursive=True)
    assert refused.value.message.endswith("with an explicit deny in an identity-based policy")
    assert world.raw() == before


def test_by_path_is_authorized_on_the_path_not_on_each_parameter(world: World) -> None:
    """AWS: a principal allowed GetParametersByPath on `/a` gets every parameter under it,
    even one a policy denies to the other read actions."""
    world.put("/a/open")
    world.put("/a/closed")
    policy = Policies(
        [
            allow("ssm:GetParametersByPath", PREFIX + "a"),
            deny("ssm:GetParameter", PREFIX + "a/closed"),
        ]
    )
    alice = as_alice(policy)
    found = world.call("GetParametersByPath", alice, Path="/a")
    assert [p["Name"] for p in found["Parameters"]] == ["/a/closed", "/a/open"]


def test_a_condition_on_the_parameters_tag(world: World) -> None:
    world.put("/svc/blue", Tags=[{"Key": "team", "Value": "blue"}])
    world.put("/svc/red", Tags=[{"Key": "team", "Value": "red"}])
    world.put("/svc/untagged")
    policy = Policies(
        [
            allow(
                "ssm:GetParameter",
                PREFIX + "svc/*",
                Condition={"StringEquals": {"aws:ResourceTag/team": "blue"}},
            )
        ]
    )
    alice = as_alice(policy)
    assert world.call("GetParameter", alice, Name="/svc/blue")["Parameter"]["Value"] == "v"
    for name in ("/svc/red", "/svc/untagged"):
        with pytest.raises(AccessDeniedException):
            world.call("GetParameter", alice, Name=name)


def test_overwrite_can_be_denied_while_creation_is_allowed(world: World) -> None:
    world.put("/cfg/existing", "old")
    policy = Policies(
        [
            allow("ssm:PutParameter", PREFIX + "*"),
            deny(
                "ssm:PutParameter",
                PREFIX + "*",
                Condition={"StringEquals": {"ssm:Overwrite": "true"}},
            ),
        ]
    )
    alice = as_alice(policy)
    world.call("PutParameter", alice, Name="/cfg/new", Value="n", Type="String")
    before = world.raw()
    with pytest.raises(AccessDeniedException):
        world.call("PutParameter", alice, Name="/cfg/existing", Value="x", Overwrite=True)
    assert world.raw() == before
