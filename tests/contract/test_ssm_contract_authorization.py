"""Every Parameter Store operation authorizes first (house rule 4); a refusal changes nothing.

A store holds `/app/existing` (a String with two versions, a label on version 1 and a tag),
`/app/secure` (a SecureString) and `plain` (a single-level name), over KMS and Secrets
Manager wired as `app.py` wires them. Each operation is called with minimal valid
parameters (the same parameters succeed for a caller allowed everything) by a caller whose
authorizer refuses everything and records what it was asked: the call must raise
AccessDeniedException, the first question must be `ssm:<Operation>` on the parameter's ARN
(the path's ARN for GetParametersByPath, "*" for DescribeParameters, as AWS's service
authorization reference has them), the raw storage must be byte-for-byte unchanged and no
event may be emitted. The operation functions must also take exactly the members of their
botocore input shape.

As on AWS, a caller without permission learns nothing from a refusal: asking for a
parameter that does not exist is refused the same way, not answered ParameterNotFound.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import botocore.session
import pytest
from tests.contract.operation_contract import (
    RecordingAuthorizer,
    assert_really_denied,
    assert_refused_first,
    signature_tests,
)
from tests.parameter_store import PARAMETER_STORE

from strongroom.barrier import Barrier, View
from strongroom.clock import Clock
from strongroom.crypto import system_random
from strongroom.errors import AccessDeniedException
from strongroom.events import Outbox
from strongroom.identity import Principal
from strongroom.keystores import SoftwareKeyStore
from strongroom.services import kms as kms_service
from strongroom.services import secretsmanager as sm_service
from strongroom.services import ssm as ssm_service
from strongroom.services.caller import AllowAuthenticated, Caller
from strongroom.services.ssm import OPERATIONS, ParameterStore
from strongroom.storage.memory import MemoryStorage

ACCOUNT = "111122223333"
REGION = "us-east-1"
PRINCIPAL = Principal("AKIAIOSFODNN7EXAMPLE", ACCOUNT, "alice")
MODEL = botocore.session.get_session().get_service_model("ssm")
ARN_PREFIX = f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/"
EXISTING = "/app/existing"
SECURE = "/app/secure"
CANARY = "canary-4b1d-secure-value"


def arn(name: str) -> str:
    return ARN_PREFIX + name.removeprefix("/")


@dataclass
class World:
    storage: MemoryStorage
    ps: ParameterStore
    events: list[dict[str, Any]] = field(default_factory=list)

    def raw(self) -> dict[str, bytes]:
        return dict(self.storage.scan(""))

    def call(self, name: str, who: Caller, **params: Any) -> dict[str, Any]:
        return OPERATIONS[name](self.ps, who, **params)

    def snapshot(self) -> dict[str, bytes]:
        """Everything stored, the outbox's events included."""
        return self.raw()


def caller(authorizer: Any) -> Caller:
    return Caller(PRINCIPAL, REGION, authorizer)


def admin() -> Caller:
    return caller(AllowAuthenticated())


def build(storage: MemoryStorage, events: list[dict[str, Any]]) -> ParameterStore:
    """Parameter Store over KMS and Secrets Manager over a barrier on `storage`, as
    `app.py` wires them: its events go to a real outbox (so they commit or roll back with
    the change, and the raw snapshot holds them), and are also appended to `events`."""
    barrier = Barrier(storage)
    outbox = Outbox(View(barrier, "events/"), Clock().now, system_random)

    def emit(event: dict[str, Any]) -> None:
        outbox.emit(event)
        events.append(event)

    barrier.initialize(bytes(range(32)))
    store = SoftwareKeyStore(View(barrier, "keystores/software/"))
    kms = kms_service.plugin(barrier, {"software": store}, Clock(), system_random)
    secrets = sm_service.plugin(barrier, kms, Clock(), system_random)
    plugin = ssm_service.plugin(barrier, kms, Clock(), system_random, emit, secrets)
    assert isinstance(plugin.context, ParameterStore)
    return plugin.context


@pytest.fixture
def world() -> World:
    storage = MemoryStorage()
    events: list[dict[str, Any]] = []
    w = World(storage, build(storage, events), events)
    tags = [{"Key": "env", "Value": "test"}]
    w.call("PutParameter", admin(), Name=EXISTING, Value="one", Type="String", Tags=tags)
    w.call("PutParameter", admin(), Name=EXISTING, Value="two", Overwrite=True)
    w.call("LabelParameterVersion", admin(), Name=EXISTING, Labels=["stable"], ParameterVersion=1)
    w.call("PutParameter", admin(), Name=SECURE, Value=CANARY, Type="SecureString")
    w.call("PutParameter", admin(), Name="plain", Value="p", Type="String")
    secrets = w.ps.secrets
    assert secrets is not None
    secrets.operations["CreateSecret"](
        secrets.context,
        admin(),
        Name="app/secret",
        SecretString="secret-value",
        ClientRequestToken="11111111-1111-4111-8111-111111111111",
    )
    return w


# Operation -> (minimal valid parameters, the resource authorized).
Case = Callable[[], tuple[dict[str, Any], str]]
CASES: dict[str, Case] = {
    "PutParameter": lambda: ({"Name": "/app/new", "Value": "v", "Type": "String"}, arn("/app/new")),
    "GetParameter": lambda: ({"Name": EXISTING}, arn(EXISTING)),
    "GetParameters": lambda: ({"Names": [EXISTING]}, arn(EXISTING)),
    "GetParametersByPath": lambda: ({"Path": "/app"}, arn("/app")),
    "GetParameterHistory": lambda: ({"Name": EXISTING}, arn(EXISTING)),
    "DescribeParameters": lambda: ({}, "*"),
    "DeleteParameter": lambda: ({"Name": EXISTING}, arn(EXISTING)),
    "DeleteParameters": lambda: ({"Names": [EXISTING]}, arn(EXISTING)),
    "LabelParameterVersion": lambda: (
        {"Name": EXISTING, "Labels": ["fresh"], "ParameterVersion": 2},
        arn(EXISTING),
    ),
    "UnlabelParameterVersion": lambda: (
        {"Name": EXISTING, "ParameterVersion": 1, "Labels": ["stable"]},
        arn(EXISTING),
    ),
    "AddTagsToResource": lambda: (
        {"ResourceType": "Parameter", "ResourceId": EXISTING, "Tags": [{"Key": "k", "Value": "v"}]},
        arn(EXISTING),
    ),
    "ListTagsForResource": lambda: (
        {"ResourceType": "Parameter", "ResourceId": EXISTING},
        arn(EXISTING),
    ),
    "RemoveTagsFromResource": lambda: (
        {"ResourceType": "Parameter", "ResourceId": EXISTING, "TagKeys": ["env"]},
        arn(EXISTING),
    ),
}


def _absent(params: dict[str, Any]) -> dict[str, Any]:
    """The same parameters naming `/app/absent` instead of the existing parameter."""
    swapped = {"Name": "/app/absent", "ResourceId": "/app/absent", "Names": ["/app/absent"]}
    return {k: swapped.get(k, v) for k, v in params.items()}


UNNAMED = ("PutParameter", "GetParametersByPath", "DescribeParameters")
NAMED = sorted(op for op in OPERATIONS if op not in UNNAMED)
"""Operations on parameters named in the request (that may not exist)."""


# --- the model and the signatures ----------------------------------------------------


def test_every_operation_has_a_case() -> None:
    assert set(CASES) == set(OPERATIONS)


def test_the_parameter_store_operations_are_served_and_only_they() -> None:
    assert set(OPERATIONS) == PARAMETER_STORE
    assert set(MODEL.operation_names) >= PARAMETER_STORE


(
    test_operation_takes_ps_and_caller_then_keywords_only,
    test_keyword_parameters_are_exactly_the_input_members,
    test_required_members_have_no_default_and_optional_ones_do,
) = signature_tests(OPERATIONS, MODEL, ["ps", "caller"])


# --- authorization -------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(OPERATIONS))
def test_minimal_parameters_succeed_when_allowed(world: World, name: str) -> None:
    """So that a refusal below is the authorizer's, not a parameter problem."""
    params, _ = CASES[name]()
    result = world.call(name, admin(), **params)
    assert isinstance(result, dict)


@pytest.mark.parametrize("name", sorted(OPERATIONS))
def test_a_caller_without_permission_is_refused_and_nothing_changes(
    world: World, name: str
) -> None:
    params, resource = CASES[name]()
    assert_refused_first(
        lambda refusing: world.call(name, caller(refusing), **params),
        PRINCIPAL.arn(),
        f"ssm:{name}",
        resource,
        world.snapshot,
    )


@pytest.mark.parametrize("name", NAMED)
def test_an_absent_parameter_is_refused_not_reported_missing(world: World, name: str) -> None:
    """A caller who may not act on a name must not learn whether it exists (AWS answers
    AccessDeniedException, not ParameterNotFound, to such a caller)."""
    params, _ = CASES[name]()
    authorizer = RecordingAuthorizer()
    before = world.snapshot()
    with pytest.raises(AccessDeniedException):
        world.call(name, caller(authorizer), **_absent(params))
    assert authorizer.questions()[:1] == [(f"ssm:{name}", arn("/app/absent"))]
    assert world.snapshot() == before


@pytest.mark.parametrize(
    ("name", "resource"),
    [
        ("/app/existing:1", arn(EXISTING)),
        ("/app/existing:stable", arn(EXISTING)),
        (arn(EXISTING), arn(EXISTING)),
        (arn(EXISTING) + ":2", arn(EXISTING)),
        ("plain", arn("plain")),
        ("/plain", arn("plain")),
    ],
)
def test_get_parameter_asks_about_the_parameter_whatever_the_selector(
    world: World, name: str, resource: str
) -> None:
    authorizer = RecordingAuthorizer()
    with pytest.raises(AccessDeniedException):
        world.call("GetParameter", caller(authorizer), Name=name)
    assert authorizer.questions() == [("ssm:GetParameter", resource)]
    allowed = RecordingAuthorizer(pairs=frozenset({("ssm:GetParameter", resource)}))
    assert world.call("GetParameter", caller(allowed), Name=name)["Parameter"]["Value"]


@pytest.mark.parametrize(
    ("path", "resource"),
    [("/app", arn("/app")), ("/app/", ARN_PREFIX + "app/")],
)
def test_get_parameters_by_path_asks_about_the_path_as_given(
    world: World, path: str, resource: str
) -> None:
    authorizer = RecordingAuthorizer()
    with pytest.raises(AccessDeniedException) as info:
        world.call("GetParametersByPath", caller(authorizer), Path=path, Recursive=True)
    assert authorizer.questions() == [("ssm:GetParametersByPath", resource)]
    assert "existing" not in info.value.message


def test_get_parameters_is_refused_whole_when_one_name_is_not_allowed(world: World) -> None:
    only_existing = RecordingAuthorizer(pairs=frozenset({("ssm:GetParameters", arn(EXISTING))}))
    with pytest.raises(AccessDeniedException) as info:
        world.call("GetParameters", caller(only_existing), Names=[EXISTING, SECURE])
    assert arn(SECURE) in info.value.message
    assert ("ssm:GetParameters", arn(SECURE)) in only_existing.questions()


def test_delete_parameters_deletes_nothing_when_one_name_is_not_allowed(world: World) -> None:
    only_existing = RecordingAuthorizer(pairs=frozenset({("ssm:DeleteParameters", arn(EXISTING))}))
    before = world.snapshot()
    with pytest.raises(AccessDeniedException):
        world.call("DeleteParameters", caller(only_existing), Names=[EXISTING, SECURE])
    assert world.snapshot() == before
    assert world.call("GetParameter", admin(), Name=EXISTING)["Parameter"]["Value"] == "two"


def test_put_with_tags_needs_add_tags_to_resource_too(world: World) -> None:
    """AWS: creating a parameter with tags takes ssm:PutParameter and ssm:AddTagsToResource."""
    only_put = RecordingAuthorizer(frozenset({"ssm:PutParameter"}))
    before = world.snapshot()
    with pytest.raises(AccessDeniedException):
        world.call(
            "PutParameter",
            caller(only_put),
            Name="/app/tagged",
            Value="v",
            Type="String",
            Tags=[{"Key": "k", "Value": "v"}],
        )
    assert only_put.questions() == [
        ("ssm:PutParameter", arn("/app/tagged")),
        ("ssm:AddTagsToResource", arn("/app/tagged")),
    ]
    assert world.snapshot() == before


def test_an_overwrite_refused_keeps_every_version(world: World) -> None:
    authorizer = RecordingAuthorizer()
    before = world.snapshot()
    with pytest.raises(AccessDeniedException):
        world.call("PutParameter", caller(authorizer), Name=EXISTING, Value="x", Overwrite=True)
    assert world.snapshot() == before
    history = world.call("GetParameterHistory", admin(), Name=EXISTING)["Parameters"]
    assert [(p["Version"], p["Value"]) for p in history] == [(1, "one"), (2, "two")]


def test_a_refused_read_reveals_no_value(world: World) -> None:
    for name, params in [
        ("GetParameter", {"Name": SECURE, "WithDecryption": True}),
        ("GetParameters", {"Names": [SECURE], "WithDecryption": True}),
        ("GetParametersByPath", {"Path": "/app", "WithDecryption": True}),
        ("GetParameterHistory", {"Name": SECURE, "WithDecryption": True}),
    ]:
        with pytest.raises(AccessDeniedException) as info:
            world.call(name, caller(RecordingAuthorizer()), **params)
        assert CANARY not in repr(info.value), name


def test_a_secret_reference_needs_get_parameter(world: World) -> None:
    """Reading a secret through Parameter Store is a GetParameter: a caller Secrets
    Manager and KMS would serve, but who may not call ssm:GetParameter, is refused."""
    reference = "/aws/reference/secretsmanager/app/secret"
    no_ssm = RecordingAuthorizer(frozenset({"secretsmanager:*", "kms:*"}))
    with pytest.raises(AccessDeniedException) as info:
        world.call("GetParameter", caller(no_ssm), Name=reference, WithDecryption=True)
    assert no_ssm.questions()[:1] == [("ssm:GetParameter", arn(reference))]
    assert "secret-value" not in repr(info.value)


# --- KMS refusing the caller ---------------------------------------------------------


def test_a_secure_write_kms_refuses_is_access_denied_and_changes_nothing(world: World) -> None:
    no_kms = RecordingAuthorizer(frozenset({"ssm:*"}))
    before = world.snapshot()
    for params in [
        {"Name": "/app/new-secure", "Value": "v", "Type": "SecureString"},
        {"Name": SECURE, "Value": "v2", "Overwrite": True},
        {
            "Name": "/app/big-secure",
            "Value": "v" * 5000,
            "Type": "SecureString",
            "Tier": "Advanced",
        },
    ]:
        with pytest.raises(AccessDeniedException):
            world.call("PutParameter", caller(no_kms), **params)
        assert world.snapshot() == before, params["Name"]
    assert any(action.startswith("kms:") for action, _ in no_kms.questions())


def test_a_secure_read_kms_refuses_is_access_denied(world: World) -> None:
    no_kms = RecordingAuthorizer(frozenset({"ssm:*"}))
    before = world.snapshot()
    with pytest.raises(AccessDeniedException) as info:
        world.call("GetParameter", caller(no_kms), Name=SECURE, WithDecryption=True)
    assert CANARY not in repr(info.value)
    assert world.snapshot() == before
    shown = world.call("GetParameter", caller(no_kms), Name=SECURE)["Parameter"]["Value"]
    assert shown != CANARY  # without decryption: the ciphertext, and no KMS call needed


@pytest.mark.parametrize("name", sorted(OPERATIONS))
def test_a_real_deny_refuses_and_nothing_changes(world: World, name: str) -> None:
    """The server's own authorizer and an IAM user's explicit deny, not a stand-in."""
    params, resource = CASES[name]()
    assert_really_denied(
        lambda authorizer: world.call(name, caller(authorizer), **params),
        PRINCIPAL,
        f"ssm:{name}",
        resource,
        world.snapshot,
    )
