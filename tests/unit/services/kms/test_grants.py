"""KMS grants in process: their token format, what a grant may hold, whom it names, and
the five operations with the grant hook wired as the plugin wires it.

The authorizer stands in for key and IAM policies: it denies explicitly what a test
lists, allows the account root everything else, allows what a test lists as IAM allows
(when the key policy delegates to IAM, as the default one does), and leaves every other
request implicitly denied, where grants decide.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from strongroom.api.aws.model import ServiceModel
from strongroom.barrier import Barrier, View
from strongroom.clock import Clock
from strongroom.crypto import system_random
from strongroom.errors import (
    AccessDeniedException,
    DisabledException,
    DryRunOperationException,
    InvalidMarkerException,
    KMSInvalidStateException,
    LimitExceededException,
    NotFoundException,
    ValidationException,
)
from strongroom.identity import Principal
from strongroom.keystores import SoftwareKeyStore
from strongroom.policy import Decision, Verdict
from strongroom.services.caller import Caller, Context, ResourcePolicy
from strongroom.services.kms import OPERATIONS, Kms, KmsRepository, grants, run_maintenance
from strongroom.services.kms.grant_errors import (
    InvalidArnException,
    InvalidGrantIdException,
    InvalidGrantTokenException,
)
from strongroom.services.kms.grant_principals import caller_keys, check_principal, principal_key
from strongroom.services.kms.grant_rules import (
    GRANT_OPERATIONS,
    Constraints,
    at_least_as_strict,
    meets,
)
from strongroom.services.kms.grant_token import GrantRef, check_tokens, decode, encode, is_token
from strongroom.services.kms.records import GrantRecord
from strongroom.storage.memory import MemoryStorage

ACCOUNT = "111122223333"
REGION = "us-east-1"
ROOT = Principal("AKIAROOT000000000001", ACCOUNT, "root")
ALICE = Principal("AKIAALICE00000000001", ACCOUNT, "alice")
BOB = Principal("AKIABOB0000000000001", ACCOUNT, "bob")
CAROL = Principal("AKIACAROL00000000001", ACCOUNT, "carol")
SESSION = Principal("ASIASESSION000000001", ACCOUNT, "app", role_session="app/run-1")
OTHER_SESSION = Principal("ASIASESSION000000002", ACCOUNT, "app", role_session="app/run-2")


def arn(principal: Principal) -> str:
    return principal.arn("aws")


@dataclass
class Policies:
    """Stands in for key and IAM policies (see the module docstring)."""

    allow: set[tuple[str, str]] = field(default_factory=set)
    deny: set[tuple[str, str]] = field(default_factory=set)
    key_policy_delegates: bool = True
    """False: key policies name only the account root, so IAM allows nothing on keys."""
    asked: list[tuple[str, str, str, dict[str, tuple[str, ...]]]] = field(default_factory=list)

    def decide(
        self,
        caller: Caller,
        action: str,
        resource: str,
        context: Context,
        resource_policy: ResourcePolicy | None,
    ) -> Verdict:
        who = arn(caller.principal)
        self.asked.append((who, action, resource, dict(context)))
        if (who, action) in self.deny:
            return Verdict(Decision.EXPLICIT_DENY, "identity")
        if who.endswith(":root"):
            return Verdict(Decision.ALLOW)
        if resource_policy is not None and not self.key_policy_delegates:
            return Verdict(Decision.IMPLICIT_DENY, "resource")
        if (who, action) in self.allow:
            return Verdict(Decision.ALLOW)
        return Verdict(Decision.IMPLICIT_DENY, "identity")


@dataclass
class World:
    storage: MemoryStorage
    kms: Kms
    policies: Policies
    key_id: str

    def caller(self, principal: Principal) -> Caller:
        return Caller(principal, REGION, self.policies)

    def call(self, name: str, principal: Principal = ROOT, **params: Any) -> dict[str, Any]:
        return OPERATIONS[name](self.kms, self.caller(principal), **params)

    def grant(self, principal: Principal = ROOT, **params: Any) -> dict[str, Any]:
        params.setdefault("KeyId", self.key_id)
        return self.call("CreateGrant", principal, **params)

    def raw(self) -> dict[str, bytes]:
        return dict(self.storage.scan(""))


def build_kms(barrier: Barrier, clock: Clock | None = None) -> Kms:
    """KMS as the plugin builds it (grants joined to the key access decision)."""
    store = SoftwareKeyStore(View(barrier, "keystores/software/"))
    return Kms(
        KmsRepository(View(barrier, "kms/")), {"software": store}, clock or Clock(), system_random
    )


@pytest.fixture
def world() -> World:
    storage = MemoryStorage()
    barrier = Barrier(storage)
    barrier.initialize(bytes(range(32)))
    kms = build_kms(barrier)
    policies = Policies()
    key_id = OPERATIONS["CreateKey"](kms, Caller(ROOT, REGION, policies))["KeyMetadata"]["KeyId"]
    return World(storage, kms, policies, key_id)


def refused(call: Any, *args: Any, **kwargs: Any) -> str:
    with pytest.raises(AccessDeniedException) as info:
        call(*args, **kwargs)
    return info.value.message


# --- grant tokens -------------------------------------------------------------------

REF = GrantRef(ACCOUNT, REGION, "1234abcd-12ab-34cd-56ef-1234567890ab", "0123456789abcdef" * 4)
GOLDEN = (
    "ATExMTEyMjIyMzMzMwl1cy1lYXN0LTEkMTIzNGFiY2QtMTJhYi0zNGNkLTU2ZWYtMTIzNDU2Nzg5MGFiASNFZ4mr"
    "ze8BI0VniavN7wEjRWeJq83vASNFZ4mrze8AAQIDBAUGBwgJCgsMDQ4P"
)


def test_a_grant_token_is_version_1_as_written_and_names_its_grant() -> None:
    assert encode(REF, bytes(range(16))) == GOLDEN
    assert decode(GOLDEN) == REF
    assert encode(REF, bytes(16)) != GOLDEN  # the nonce makes each token unique


def _with_unused_bits_set() -> str:
    """A token whose last character carries bits beyond its bytes (109 bytes: 4 bits)."""
    token = encode(GrantRef(ACCOUNT, "eu-west-1x", REF.key_id, REF.grant_id), bytes(16))
    assert is_token(token) and token[-1] == "A"
    return token[:-1] + "B"


@pytest.mark.parametrize(
    "token",
    [
        "",
        "not a token",
        GOLDEN + "=",  # padding is not written
        _with_unused_bits_set(),  # not canonical
        GOLDEN[:-4],  # truncated nonce
        "Ag" + GOLDEN[2:],  # version 2 does not exist
        encode(REF, bytes(16)).replace("MTIzNGFiY2Q", "MTIzNEFCQ0Q"),  # upper-case key id
    ],
)
def test_anything_encode_did_not_make_is_an_invalid_grant_token(token: str) -> None:
    assert not is_token(token)
    with pytest.raises(InvalidGrantTokenException):
        decode(token)


def test_grant_tokens_of_a_request_are_checked_for_shape_only() -> None:
    check_tokens(None)
    check_tokens([GOLDEN, encode(GrantRef(ACCOUNT, "eu-west-1", REF.key_id, "f" * 64), bytes(16))])
    with pytest.raises(InvalidGrantTokenException):
        check_tokens([GOLDEN, "x"])


TAKES_GRANT_TOKENS = sorted(
    op.name for op in ServiceModel.load("kms").operations() if "GrantTokens" in op.input_members
)


def test_every_operation_taking_grant_tokens_refuses_a_malformed_one_first(world: World) -> None:
    assert "Decrypt" in TAKES_GRANT_TOKENS and "CreateGrant" in TAKES_GRANT_TOKENS
    before = world.raw()
    for name in TAKES_GRANT_TOKENS:  # refused before anything else is looked at
        with pytest.raises(InvalidGrantTokenException):
            world.call(name, GrantTokens=[GOLDEN, "x"])
    assert world.raw() == before
    token = world.grant(GranteePrincipal=arn(ALICE), Operations=["Encrypt"])["GrantToken"]
    world.call("Encrypt", KeyId=world.key_id, Plaintext=b"p", GrantTokens=[token])


# --- principals and rules -----------------------------------------------------------


@pytest.mark.parametrize(
    "principal",
    [
        f"arn:aws:iam::{ACCOUNT}:root",
        f"arn:aws:iam::{ACCOUNT}:user/alice",
        f"arn:aws:iam::{ACCOUNT}:user/team/alice",
        f"arn:aws:iam::{ACCOUNT}:role/a/b/app",
        f"arn:aws:sts::{ACCOUNT}:assumed-role/app/run-1",
        f"arn:aws:sts::{ACCOUNT}:federated-user/fed",
        "secretsmanager.amazonaws.com",
    ],
)
def test_principals_a_grant_may_name(principal: str) -> None:
    assert check_principal(principal) == principal


@pytest.mark.parametrize(
    "principal",
    ["alice", ACCOUNT, f"arn:aws:iam::{ACCOUNT}:group/admins", "arn:aws:iam::1:user/x", "a:b"],
)
def test_anything_else_is_an_invalid_arn(principal: str) -> None:
    with pytest.raises(InvalidArnException):
        check_principal(principal)


def test_a_role_is_filed_without_its_path_and_names_its_sessions() -> None:
    assert principal_key(f"arn:aws:iam::{ACCOUNT}:role/a/b/app") == (
        f"arn:aws:iam::{ACCOUNT}:role/app"
    )
    keys = caller_keys(Caller(SESSION, REGION, Policies()))
    assert keys == (arn(SESSION), f"arn:aws:iam::{ACCOUNT}:role/app")
    assert caller_keys(Caller(ALICE, REGION, Policies())) == (arn(ALICE),)


def grant_record(**fields: Any) -> GrantRecord:
    base: dict[str, Any] = {
        "grant_id": "0" * 64,
        "key_id": REF.key_id,
        "account": ACCOUNT,
        "region": REGION,
        "partition": "aws",
        "created": 0.0,
        "grantee": arn(ALICE),
        "operations": ["Decrypt"],
        "issuing_account": f"arn:aws:iam::{ACCOUNT}:root",
    }
    return GrantRecord(**{**base, **fields})


def test_equals_needs_exactly_the_context_and_subset_its_pairs() -> None:
    equals = grant_record(equals={"a": "1"})
    assert meets(equals, "Decrypt", {"a": "1"})
    assert not meets(equals, "Decrypt", {"a": "1", "b": "2"})
    assert not meets(equals, "Decrypt", {"A": "1"})  # case-sensitive
    assert not meets(equals, "Decrypt", None)
    subset = grant_record(subset={"a": "1"})
    assert meets(subset, "Decrypt", {"a": "1", "b": "2"})
    assert not meets(subset, "Decrypt", {"a": "2"})
    assert not meets(subset, "Decrypt", None)
    assert meets(grant_record(subset={}), "Decrypt", None)
    # constraints do not apply to DescribeKey and RetireGrant; refuse what takes none
    assert meets(equals, "DescribeKey", None)
    assert not meets(grant_record(operations=["Sign"], equals={"a": "1"}), "Sign", None)


def test_a_grant_made_through_a_grant_is_constrained_at_least_as_strictly() -> None:
    parent = grant_record(subset={"a": "1"})
    assert at_least_as_strict(Constraints(subset={"a": "1", "b": "2"}), parent)
    assert at_least_as_strict(Constraints(equals={"a": "1"}), parent)
    assert not at_least_as_strict(Constraints(), parent)
    assert not at_least_as_strict(Constraints(subset={"b": "2"}), parent)
    exact = grant_record(equals={"a": "1"})
    assert at_least_as_strict(Constraints(equals={"a": "1"}), exact)
    assert not at_least_as_strict(Constraints(subset={"a": "1"}), exact)
    assert at_least_as_strict(Constraints(), grant_record())


def test_grant_operations_are_botocores_enum() -> None:
    import botocore.session

    model = botocore.session.get_session().get_service_model("kms")
    enum = set(model.shape_for("GrantOperation").enum)
    assert enum >= GRANT_OPERATIONS
    # what botocore lists beyond these are operations Strongroom does not serve
    assert enum - GRANT_OPERATIONS <= {"Encapsulate", "Decapsulate"}


# --- grants in the access decision --------------------------------------------------


def test_an_oversized_encryption_context_is_refused_once_authorized(world: World) -> None:
    """Authorize first: a caller allowed nothing hears AccessDenied whatever the context; an
    allowed one, AWS's limit of 8,192 characters."""
    huge = {f"k{n}": "v" * 60 for n in range(200)}
    with pytest.raises(AccessDeniedException):
        world.call("Encrypt", BOB, KeyId=world.key_id, Plaintext=b"p", EncryptionContext=huge)
    with pytest.raises(ValidationException) as info:
        world.call("Encrypt", KeyId=world.key_id, Plaintext=b"p", EncryptionContext=huge)
    assert info.value.message == "The encryption context is larger than 8192 characters."
    fits = {"k": "v" * 8191}
    encrypted = world.call("Encrypt", KeyId=world.key_id, Plaintext=b"p", EncryptionContext=fits)
    assert encrypted["KeyId"].endswith(world.key_id)


def test_a_grant_lets_its_grantee_do_its_operations_and_nothing_else(world: World) -> None:
    blob = world.call("Encrypt", KeyId=world.key_id, Plaintext=b"p")["CiphertextBlob"]
    assert "kms:Decrypt" in refused(world.call, "Decrypt", ALICE, CiphertextBlob=blob)
    created = world.grant(GranteePrincipal=arn(ALICE), Operations=["Decrypt"])
    assert len(created["GrantId"]) == 64 and is_token(created["GrantToken"])
    assert world.call("Decrypt", ALICE, CiphertextBlob=blob)["Plaintext"] == b"p"
    refused(world.call, "Encrypt", ALICE, KeyId=world.key_id, Plaintext=b"p")
    refused(world.call, "Decrypt", BOB, CiphertextBlob=blob)


def test_an_explicit_deny_beats_a_grant(world: World) -> None:
    blob = world.call("Encrypt", KeyId=world.key_id, Plaintext=b"p")["CiphertextBlob"]
    world.grant(GranteePrincipal=arn(ALICE), Operations=["Decrypt"])
    world.policies.deny.add((arn(ALICE), "kms:Decrypt"))
    assert "explicit deny" in refused(world.call, "Decrypt", ALICE, CiphertextBlob=blob)


def test_constraints_are_met_or_the_grant_does_not_apply(world: World) -> None:
    world.grant(
        GranteePrincipal=arn(ALICE),
        Operations=["Encrypt", "GenerateDataKey"],
        Constraints={"EncryptionContextEquals": {"app": "billing"}},
    )
    world.grant(
        GranteePrincipal=arn(BOB),
        Operations=["Encrypt"],
        Constraints={"EncryptionContextSubset": {"app": "billing"}},
    )
    exact = {"app": "billing"}
    more = {"app": "billing", "env": "prod"}
    encrypt = OPERATIONS["Encrypt"]
    alice, bob = world.caller(ALICE), world.caller(BOB)
    assert encrypt(world.kms, alice, KeyId=world.key_id, Plaintext=b"x", EncryptionContext=exact)
    refused(encrypt, world.kms, alice, KeyId=world.key_id, Plaintext=b"x", EncryptionContext=more)
    refused(encrypt, world.kms, alice, KeyId=world.key_id, Plaintext=b"x")
    world.call(
        "GenerateDataKey", ALICE, KeyId=world.key_id, KeySpec="AES_256", EncryptionContext=exact
    )
    assert encrypt(world.kms, bob, KeyId=world.key_id, Plaintext=b"x", EncryptionContext=more)
    refused(
        encrypt, world.kms, bob, KeyId=world.key_id, Plaintext=b"x", EncryptionContext={"app": "x"}
    )


def test_a_role_grant_names_every_session_and_a_session_grant_one(world: World) -> None:
    world.grant(
        GranteePrincipal=f"arn:aws:iam::{ACCOUNT}:role/team/app", Operations=["DescribeKey"]
    )
    assert world.call("DescribeKey", SESSION, KeyId=world.key_id)["KeyMetadata"]
    assert world.call("DescribeKey", OTHER_SESSION, KeyId=world.key_id)["KeyMetadata"]
    world.grant(GranteePrincipal=arn(SESSION), Operations=["Encrypt"])
    world.call("Encrypt", SESSION, KeyId=world.key_id, Plaintext=b"x")
    refused(world.call, "Encrypt", OTHER_SESSION, KeyId=world.key_id, Plaintext=b"x")


def test_an_account_grant_is_delegated_to_iam_policies(world: World) -> None:
    world.policies.key_policy_delegates = False
    world.policies.allow.add((arn(ALICE), "kms:DescribeKey"))
    refused(world.call, "DescribeKey", ALICE, KeyId=world.key_id)  # the key policy refuses
    world.grant(GranteePrincipal=f"arn:aws:iam::{ACCOUNT}:root", Operations=["DescribeKey"])
    world.call("DescribeKey", ALICE, KeyId=world.key_id)  # the grant, as IAM allows
    refused(world.call, "DescribeKey", BOB, KeyId=world.key_id)  # IAM allows bob nothing
    world.call("DescribeKey", ROOT, KeyId=world.key_id)


def test_grants_apply_at_once_and_go_at_once(world: World) -> None:
    world.call("DescribeKey", ROOT, KeyId=world.key_id)
    refused(world.call, "DescribeKey", ALICE, KeyId=world.key_id)  # caches "no grants"
    grant_id = world.grant(GranteePrincipal=arn(ALICE), Operations=["DescribeKey"])["GrantId"]
    world.call("DescribeKey", ALICE, KeyId=world.key_id)
    world.call("RevokeGrant", KeyId=world.key_id, GrantId=grant_id)
    refused(world.call, "DescribeKey", ALICE, KeyId=world.key_id)


# --- CreateGrant --------------------------------------------------------------------


def test_create_grant_passes_its_condition_keys(world: World) -> None:
    world.grant(
        GranteePrincipal=arn(ALICE),
        RetiringPrincipal=arn(BOB),
        Operations=["Decrypt", "Encrypt", "Decrypt"],
        Constraints={"EncryptionContextSubset": {"app": "billing"}},
    )
    who, action, resource, keys = world.policies.asked[-1]
    assert (who, action) == (arn(ROOT), "kms:CreateGrant")
    assert resource.endswith(world.key_id)
    assert keys["kms:GranteePrincipal"] == (arn(ALICE),)
    assert keys["kms:RetiringPrincipal"] == (arn(BOB),)
    assert keys["kms:GrantOperations"] == ("Decrypt", "Encrypt")
    assert keys["kms:GrantConstraintType"] == ("EncryptionContextSubset",)
    assert keys["kms:GrantIsForAWSResource"] == ("false",)
    assert keys["kms:EncryptionContext:app"] == ("billing",)
    via = world.caller(ROOT).via("ebs.us-east-1.amazonaws.com")
    OPERATIONS["CreateGrant"](
        world.kms, via, KeyId=world.key_id, GranteePrincipal=arn(ALICE), Operations=["Decrypt"]
    )
    assert world.policies.asked[-1][3]["kms:GrantIsForAWSResource"] == ("true",)


def test_a_name_makes_create_grant_idempotent(world: World) -> None:
    params: dict[str, Any] = {"GranteePrincipal": arn(ALICE), "Operations": ["Decrypt"]}
    first = world.grant(Name="backup", **params)
    again = world.grant(Name="backup", **params)
    assert again["GrantId"] == first["GrantId"]
    assert again["GrantToken"] != first["GrantToken"]
    assert decode(again["GrantToken"]).grant_id == first["GrantId"]
    other = world.grant(Name="backup", GranteePrincipal=arn(BOB), Operations=["Decrypt"])
    assert other["GrantId"] != first["GrantId"]
    assert world.grant(**params)["GrantId"] != world.grant(**params)["GrantId"]  # no name
    listed = world.call("ListGrants", KeyId=world.key_id)["Grants"]
    assert sorted(g["Name"] for g in listed) == ["", "", "backup", "backup"]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (
            {"Operations": ["CreateGrant"]},
            "Grants must not contain only the CreateGrant operation.",
        ),
        ({"Operations": []}, "Grants must contain at least one operation."),
        ({"Operations": ["Sign"]}, "Grant operations Sign are not valid"),
        (
            {
                "Operations": ["Decrypt"],
                "Constraints": {"EncryptionContextEquals": {str(i): "v" for i in range(9)}},
            },
            "at most 8 encryption context pairs",
        ),
        (
            {
                "Operations": ["Decrypt"],
                "Constraints": {"EncryptionContextSubset": {"k": "v" * 385}},
            },
            "at most 384 characters",
        ),
    ],
)
def test_bad_grants_are_validation_errors_and_change_nothing(
    world: World, params: dict[str, Any], message: str
) -> None:
    before = world.raw()
    with pytest.raises(ValidationException) as info:
        world.grant(GranteePrincipal=arn(ALICE), **params)
    assert message in info.value.message
    assert world.raw() == before


def test_operations_and_constraints_must_suit_the_key(world: World) -> None:
    signing = world.call("CreateKey", KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")
    key_id = signing["KeyMetadata"]["KeyId"]
    world.grant(KeyId=key_id, GranteePrincipal=arn(ALICE), Operations=["Sign", "GetPublicKey"])
    with pytest.raises(ValidationException):
        world.grant(KeyId=key_id, GranteePrincipal=arn(ALICE), Operations=["Decrypt"])
    with pytest.raises(ValidationException) as info:
        world.grant(
            KeyId=key_id,
            GranteePrincipal=arn(ALICE),
            Operations=["Sign"],
            Constraints={"EncryptionContextSubset": {"a": "b"}},
        )
    assert "take no encryption context" in info.value.message
    with pytest.raises(ValidationException):
        world.grant(GranteePrincipal=arn(ALICE), Operations=["GetPublicKey"])


def test_bad_principals_tokens_and_states(world: World) -> None:
    before = world.raw()
    with pytest.raises(InvalidArnException):
        world.grant(GranteePrincipal="alice", Operations=["Decrypt"])
    with pytest.raises(InvalidArnException):
        world.grant(GranteePrincipal=arn(ALICE), RetiringPrincipal="bob", Operations=["Decrypt"])
    with pytest.raises(InvalidGrantTokenException):
        world.grant(GranteePrincipal=arn(ALICE), Operations=["Decrypt"], GrantTokens=["nope"])
    with pytest.raises(DryRunOperationException):
        world.grant(GranteePrincipal=arn(ALICE), Operations=["Decrypt"], DryRun=True)
    assert world.raw() == before
    world.call("DisableKey", KeyId=world.key_id)
    with pytest.raises(DisabledException):
        world.grant(GranteePrincipal=arn(ALICE), Operations=["Decrypt"])
    world.call("ScheduleKeyDeletion", KeyId=world.key_id, PendingWindowInDays=7)
    with pytest.raises(KMSInvalidStateException):
        world.grant(GranteePrincipal=arn(ALICE), Operations=["Decrypt"])
    with pytest.raises(NotFoundException):
        world.grant(KeyId="alias/none", GranteePrincipal=arn(ALICE), Operations=["Decrypt"])


def test_a_grantee_with_create_grant_grants_no_more_than_it_has(world: World) -> None:
    world.grant(
        GranteePrincipal=arn(ALICE),
        Operations=["CreateGrant", "Decrypt", "Encrypt"],
        Constraints={"EncryptionContextSubset": {"app": "billing"}},
    )
    strict = {"EncryptionContextSubset": {"app": "billing", "env": "prod"}}
    world.grant(ALICE, GranteePrincipal=arn(BOB), Operations=["Decrypt"], Constraints=strict)
    refused(world.grant, ALICE, GranteePrincipal=arn(BOB), Operations=["Decrypt"])
    refused(
        world.grant,
        ALICE,
        GranteePrincipal=arn(BOB),
        Operations=["Decrypt", "DescribeKey"],
        Constraints=strict,
    )
    refused(world.grant, BOB, GranteePrincipal=arn(CAROL), Operations=["Decrypt"])


def test_limits_per_grantee(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(grants, "MAX_GRANTS_PER_GRANTEE", 2)
    role = f"arn:aws:iam::{ACCOUNT}:role/app"
    world.grant(GranteePrincipal=role, Operations=["Decrypt"])
    world.grant(GranteePrincipal=f"arn:aws:iam::{ACCOUNT}:role/path/app", Operations=["Decrypt"])
    with pytest.raises(LimitExceededException):
        world.grant(GranteePrincipal=role, Operations=["Encrypt"])
    world.grant(GranteePrincipal=arn(ALICE), Operations=["Decrypt"])


# --- listing ------------------------------------------------------------------------


def test_list_grants_shapes_filters_and_pages(world: World) -> None:
    made = [
        world.grant(GranteePrincipal=arn(ALICE), Operations=["Decrypt"])["GrantId"],
        world.grant(
            GranteePrincipal=arn(BOB),
            RetiringPrincipal=arn(CAROL),
            Operations=["Encrypt"],
            Constraints={"EncryptionContextEquals": {"a": "1"}},
            Name="bobs",
        )["GrantId"],
        world.grant(GranteePrincipal=arn(ALICE), Operations=["DescribeKey"])["GrantId"],
    ]
    key_arn = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{world.key_id}"
    bobs = world.call("ListGrants", KeyId=key_arn, GranteePrincipal=arn(BOB))
    assert bobs["Truncated"] is False and "NextMarker" not in bobs
    (entry,) = bobs["Grants"]
    created = entry.pop("CreationDate")
    assert isinstance(created, float)
    assert entry == {
        "KeyId": key_arn,
        "GrantId": made[1],
        "Name": "bobs",
        "GranteePrincipal": arn(BOB),
        "RetiringPrincipal": arn(CAROL),
        "IssuingAccount": f"arn:aws:iam::{ACCOUNT}:root",
        "Operations": ["Encrypt"],
        "Constraints": {"EncryptionContextEquals": {"a": "1"}},
    }
    one = world.call("ListGrants", KeyId=world.key_id, GrantId=made[0])["Grants"]
    assert [g["GrantId"] for g in one] == [made[0]]
    seen: list[str] = []
    marker: str | None = None
    while True:
        page = world.call("ListGrants", KeyId=world.key_id, Limit=2, **_marker(marker))
        seen += [g["GrantId"] for g in page["Grants"]]
        if not page["Truncated"]:
            break
        marker = page["NextMarker"]
    assert seen == sorted(made)
    with pytest.raises(InvalidMarkerException):
        world.call("ListGrants", KeyId=world.key_id, Marker="nope")
    with pytest.raises(InvalidGrantIdException):
        world.call("ListGrants", KeyId=world.key_id, GrantId="nope")
    assert world.call("ListGrants", KeyId=world.key_id, GrantId="f" * 64)["Grants"] == []


def _marker(marker: str | None) -> dict[str, str]:
    return {} if marker is None else {"Marker": marker}


def test_list_retirable_grants_across_the_accounts_keys(world: World) -> None:
    other = world.call("CreateKey")["KeyMetadata"]["KeyId"]
    for key_id in (world.key_id, other, other):
        world.grant(
            KeyId=key_id,
            GranteePrincipal=arn(ALICE),
            RetiringPrincipal=arn(BOB),
            Operations=["Decrypt"],
        )
    world.grant(GranteePrincipal=arn(ALICE), RetiringPrincipal=arn(CAROL), Operations=["Decrypt"])
    first = world.call("ListRetirableGrants", RetiringPrincipal=arn(BOB), Limit=2)
    assert first["Truncated"] is True and len(first["Grants"]) == 2
    rest = world.call("ListRetirableGrants", RetiringPrincipal=arn(BOB), Marker=first["NextMarker"])
    assert rest["Truncated"] is False and len(rest["Grants"]) == 1
    listed = first["Grants"] + rest["Grants"]
    assert {g["RetiringPrincipal"] for g in listed} == {arn(BOB)}
    assert len({g["GrantId"] for g in listed}) == 3
    # authorized on the retiring principal, through IAM policies only
    assert world.policies.asked[-1][1:3] == ("kms:ListRetirableGrants", arn(BOB))
    refused(world.call, "ListRetirableGrants", ALICE, RetiringPrincipal=arn(BOB))


# --- retiring and revoking ----------------------------------------------------------


def test_who_may_retire_a_grant(world: World) -> None:
    def make(operations: list[str]) -> dict[str, Any]:
        return world.grant(
            GranteePrincipal=arn(ALICE), RetiringPrincipal=arn(BOB), Operations=operations
        )

    plain = make(["Decrypt"])
    # the grantee without RetireGrant, and another principal, may not
    refused(world.call, "RetireGrant", ALICE, GrantToken=plain["GrantToken"])
    refused(world.call, "RetireGrant", CAROL, GrantToken=plain["GrantToken"])
    # the retiring principal may, without any policy
    world.call("RetireGrant", BOB, GrantToken=plain["GrantToken"])
    with pytest.raises(NotFoundException):
        world.call("RetireGrant", BOB, GrantToken=plain["GrantToken"])
    # the grantee may when the grant allows RetireGrant, by key and grant ID
    own = make(["Decrypt", "RetireGrant"])
    world.call("RetireGrant", ALICE, KeyId=world.key_id, GrantId=own["GrantId"])
    # the key's account: its root, and principals IAM allows kms:RetireGrant
    world.call("RetireGrant", ROOT, GrantToken=make(["Decrypt"])["GrantToken"])
    world.policies.allow.add((arn(CAROL), "kms:RetireGrant"))
    world.call("RetireGrant", CAROL, GrantToken=make(["Decrypt"])["GrantToken"])
    # an IAM deny refuses even the retiring principal
    world.policies.deny.add((arn(BOB), "kms:RetireGrant"))
    last = make(["Decrypt"])
    assert "explicit deny" in refused(world.call, "RetireGrant", BOB, GrantToken=last["GrantToken"])
    assert world.call("ListGrants", KeyId=world.key_id)["Grants"][0]["GrantId"] == last["GrantId"]


def test_retire_grant_names_its_grant_one_way_or_the_other(world: World) -> None:
    made = world.grant(GranteePrincipal=arn(ALICE), Operations=["Decrypt"])
    with pytest.raises(ValidationException):
        world.call("RetireGrant", KeyId=world.key_id)
    with pytest.raises(InvalidGrantTokenException):
        world.call("RetireGrant", GrantToken="nope")
    with pytest.raises(InvalidGrantIdException):
        world.call("RetireGrant", KeyId=world.key_id, GrantId="nope")
    with pytest.raises(InvalidGrantIdException):
        world.call("RetireGrant", GrantToken=made["GrantToken"], GrantId="e" * 64)
    with pytest.raises(NotFoundException):
        world.call("RetireGrant", KeyId=world.key_id, GrantId="e" * 64)
    with pytest.raises(DryRunOperationException):
        world.call("RetireGrant", GrantToken=made["GrantToken"], DryRun=True)
    world.call("RetireGrant", GrantToken=made["GrantToken"], KeyId=world.key_id)
    assert world.call("ListGrants", KeyId=world.key_id)["Grants"] == []


def test_revoke_grant_needs_kms_revoke_grant_on_the_key(world: World) -> None:
    made = world.grant(
        GranteePrincipal=arn(ALICE), RetiringPrincipal=arn(ALICE), Operations=["Decrypt"]
    )
    message = refused(world.call, "RevokeGrant", ALICE, KeyId=world.key_id, GrantId=made["GrantId"])
    assert "kms:RevokeGrant" in message
    with pytest.raises(InvalidGrantIdException):
        world.call("RevokeGrant", KeyId=world.key_id, GrantId="x")
    with pytest.raises(NotFoundException):
        world.call("RevokeGrant", KeyId=world.key_id, GrantId="d" * 64)
    with pytest.raises(DryRunOperationException):
        world.call("RevokeGrant", KeyId=world.key_id, GrantId=made["GrantId"], DryRun=True)
    world.policies.allow.add((arn(BOB), "kms:RevokeGrant"))
    world.call("RevokeGrant", BOB, KeyId=world.key_id, GrantId=made["GrantId"])
    assert world.call("ListGrants", KeyId=world.key_id)["Grants"] == []


# --- durability and deletion --------------------------------------------------------


def test_grants_survive_a_new_process_and_go_with_their_destroyed_key(world: World) -> None:
    made = world.grant(
        GranteePrincipal=arn(ALICE), RetiringPrincipal=arn(BOB), Operations=["DescribeKey"]
    )
    barrier = Barrier(world.storage)  # a new process over the same storage
    barrier.unseal(bytes(range(32)))
    clock = Clock()
    later = World(world.storage, build_kms(barrier, clock), world.policies, world.key_id)
    listed = later.call("ListGrants", KeyId=world.key_id)["Grants"]
    assert [g["GrantId"] for g in listed] == [made["GrantId"]]
    later.call("DescribeKey", ALICE, KeyId=world.key_id)
    later.call("ScheduleKeyDeletion", KeyId=world.key_id, PendingWindowInDays=7)
    assert len(later.call("ListRetirableGrants", RetiringPrincipal=arn(BOB))["Grants"]) == 1
    clock.offset_seconds += 8 * 86_400
    assert later.call("ListRetirableGrants", RetiringPrincipal=arn(BOB))["Grants"] == []
    assert run_maintenance(later.kms).destroyed == 1
    assert not [path for path, _ in world.storage.scan("") if "/grants/" in path]
