"""The IAM authorizer decides every principal as AWS does: users and role sessions by
their policies, the root and services by the resource policy, with the condition keys
the caller and the operation bring (see `services.iam.authorizer`)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from tests.unit.services.iam.iam_world import ACCOUNT, REGION, TRUST, World, allow

from strongroom.barrier import Barrier, View
from strongroom.clock import Clock
from strongroom.crypto import system_random
from strongroom.errors import AccessDeniedException
from strongroom.identity import Principal, RoleScope, SessionStore
from strongroom.policy import Decision, Verdict
from strongroom.services.awslambda.builtin_functions import ROLE_NAME as BUILTIN_ROLE
from strongroom.services.awslambda.builtin_functions import ROLE_POLICY as BUILTIN_ROLE_POLICY
from strongroom.services.caller import NO_CONTEXT, Caller, Context, ResourcePolicy
from strongroom.services.iam.authorizer import MAX_KEPT_CHARS, IamAuthorizer
from strongroom.storage.memory import MemoryStorage

ALICE = Principal("AKIAALICEALICEALICE1", ACCOUNT, "alice")
ROOT = Principal("AKIAROOTROOTROOTROOT", ACCOUNT, "root")
SERVICE = Principal.of_service(ACCOUNT, "secretsmanager.amazonaws.com")
OTHER_ACCOUNT = "444455556666"
KEY = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
NOW = 1_800_000_000.0  # 2027-01-15T08:00:00Z


class _Clock(Clock):
    """A clock the test moves by hand."""

    def __init__(self, at: float) -> None:
        super().__init__()
        self.at = at

    def now(self) -> float:
        return self.at


def _document(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def _statement(effect: str = "Allow", action: str = "kms:*", **extra: Any) -> dict[str, Any]:
    return {"Effect": effect, "Action": action, "Resource": "*", **extra}


def _naming(principal: dict[str, str], effect: str = "Allow") -> str:
    """A resource policy: `effect` on kms:* for `principal` (a Principal element)."""
    return _document(_statement(effect, Principal=principal))


ACCOUNT_GRANT = _naming({"AWS": f"arn:aws:iam::{ACCOUNT}:root"})
OTHERS_ONLY = _naming({"AWS": f"arn:aws:iam::{OTHER_ACCOUNT}:root"})


def _authorizer(world: World, sessions: SessionStore | None = None) -> IamAuthorizer:
    authorizer = IamAuthorizer(
        _Clock(NOW),
        None if sessions is None else sessions.find,
        builtin_sessions={f"{BUILTIN_ROLE}/rotate-db": BUILTIN_ROLE_POLICY},
    )
    authorizer.attach(world.iam)
    return authorizer


def _sessions() -> SessionStore:
    barrier = Barrier(MemoryStorage())
    barrier.initialize(bytes(range(32)))
    return SessionStore(View(barrier, "identity/"), system_random, lambda: NOW)


def _decide(
    authorizer: IamAuthorizer,
    principal: Principal,
    action: str = "kms:Encrypt",
    *,
    context: Context = NO_CONTEXT,
    policy: ResourcePolicy | None = None,
    region: str = REGION,
    **edge: Any,
) -> Verdict:
    """The verdict on `principal` doing `action` on KEY; `edge`: the Caller's other fields."""
    caller = Caller(principal, region, authorizer, **edge)
    return authorizer.decide(caller, action, KEY, context, policy)


def _allowed(authorizer: IamAuthorizer, principal: Principal, *args: Any, **kwargs: Any) -> bool:
    return _decide(authorizer, principal, *args, **kwargs).decision is Decision.ALLOW


def _denial(authorizer: IamAuthorizer, principal: Principal, action: str, **kwargs: Any) -> str:
    """The AccessDenied message `Caller.authorize` raises for the request."""
    caller = Caller(principal, REGION, authorizer)
    with pytest.raises(AccessDeniedException) as refused:
        caller.authorize(action, KEY, **kwargs)
    return refused.value.message


def _user_with(world: World, *statements: dict[str, Any]) -> None:
    world.call("CreateUser", UserName="alice")
    world.call(
        "PutUserPolicy", UserName="alice", PolicyName="p", PolicyDocument=_document(*statements)
    )


# --- users -----------------------------------------------------------------------------


def test_a_user_gets_what_its_policies_allow(world: World) -> None:
    authorizer = _authorizer(world)
    world.call("CreateUser", UserName="alice")
    assert not _allowed(authorizer, ALICE)
    assert _denial(authorizer, ALICE, "kms:Encrypt").endswith(
        "because no identity-based policy allows the kms:Encrypt action"
    )
    policy = allow(["kms:Encrypt"], KEY)
    world.call("PutUserPolicy", UserName="alice", PolicyName="p", PolicyDocument=policy)
    assert _allowed(authorizer, ALICE, "kms:Encrypt")
    assert not _allowed(authorizer, ALICE, "kms:Decrypt")


def test_a_changed_policy_is_what_decides_next(world: World) -> None:
    """Compiled documents are cached by text: a new text is a new decision at once."""
    authorizer = _authorizer(world)
    _user_with(world, _statement(action="kms:Encrypt"))
    assert _allowed(authorizer, ALICE)
    deny = _document(_statement("Deny"))
    world.call("PutUserPolicy", UserName="alice", PolicyName="p", PolicyDocument=deny)
    assert _decide(authorizer, ALICE) == Verdict(Decision.EXPLICIT_DENY, "identity")
    assert _denial(authorizer, ALICE, "kms:Encrypt").endswith(
        "with an explicit deny in an identity-based policy"
    )


def test_an_unknown_user_or_a_detached_authorizer_is_allowed_nothing(world: World) -> None:
    assert not _allowed(_authorizer(world), ALICE)
    _user_with(world, _statement())
    assert _allowed(_authorizer(world), ALICE)
    assert not _allowed(IamAuthorizer(), ALICE)
    assert not _allowed(IamAuthorizer(), ALICE, policy=ResourcePolicy(ACCOUNT_GRANT))


def test_a_remembered_verdict_follows_the_clock(world: World) -> None:
    """Verdicts are kept per second: a time condition flips when the second does."""
    clock = _Clock(NOW)
    authorizer = IamAuthorizer(clock)
    authorizer.attach(world.iam)
    until = {"DateLessThan": {"aws:CurrentTime": "2027-01-15T08:00:01Z"}}
    _user_with(world, _statement(action="kms:Encrypt", Condition=until))
    assert _allowed(authorizer, ALICE)
    assert _allowed(authorizer, ALICE)  # remembered
    clock.at += 1
    assert not _allowed(authorizer, ALICE)


def _counting(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The number of request keys of each evaluation, in order."""
    evaluated: list[int] = []
    evaluate = IamAuthorizer._evaluate

    def counted(self: IamAuthorizer, *args: Any) -> Verdict:
        evaluated.append(len(args[5]))
        return evaluate(self, *args)

    monkeypatch.setattr(IamAuthorizer, "_evaluate", counted)
    return evaluated


READING_K = {"StringLike": {"kms:EncryptionContext:k": "*"}}
"""A condition that reads one encryption context key (and holds when it is present)."""


def test_a_verdict_is_kept_only_for_a_request_of_bounded_size(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The request's keys are part of the verdict cache's key and the caller sizes them: a
    request whose keys are huge (an encryption context before its size check) is decided,
    not kept; many small keys (a well-tagged resource) are kept."""
    authorizer = _authorizer(world)
    _user_with(world, _statement(action="kms:Encrypt", Condition=READING_K))
    evaluated = _counting(monkeypatch)
    tagged = {f"aws:ResourceTag/t{n}": ("v" * 100,) for n in range(100)}
    tagged["kms:EncryptionContext:k"] = ("v",)
    huge = {"kms:EncryptionContext:k": ("v" * MAX_KEPT_CHARS,)}
    for context in (tagged, tagged, huge, huge):
        assert _allowed(authorizer, ALICE, context=context)
    assert evaluated == [101, 1, 1]


def test_requests_differing_only_in_keys_no_policy_reads_are_decided_once(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fresh encryption context per call (the AWS Encryption SDK's, a per-object one) is
    not evaluated per call: only the keys some applicable policy reads tell verdicts apart,
    and a change in one of those is decided anew, Deny included."""
    authorizer = _authorizer(world)
    deny_k_secret = {"StringEquals": {"kms:EncryptionContext:k": "secret"}}
    _user_with(
        world,
        _statement(action="kms:Encrypt"),
        _statement("Deny", action="kms:Encrypt", Condition=deny_k_secret),
    )
    evaluated = _counting(monkeypatch)
    for n in range(50):
        context = {"kms:EncryptionContext:object": (f"obj-{n}",), "kms:EncryptionContext:k": ("a",)}
        assert _allowed(authorizer, ALICE, context=context)
    assert evaluated == [2]
    denied = {"kms:EncryptionContext:object": ("obj-50",), "kms:EncryptionContext:k": ("secret",)}
    assert _decide(authorizer, ALICE, context=denied).decision is Decision.EXPLICIT_DENY
    absent = {"kms:EncryptionContext:object": ("obj-51",)}
    assert _allowed(authorizer, ALICE, context=absent)  # k absent: the Deny does not apply
    assert evaluated == [2, 2, 1]
    again = {"kms:EncryptionContext:object": ("obj-52",), "kms:EncryptionContext:k": ("secret",)}
    assert _decide(authorizer, ALICE, context=again).decision is Decision.EXPLICIT_DENY
    assert evaluated == [2, 2, 1]


def test_a_key_read_only_by_the_resource_policy_or_a_variable_tells_verdicts_apart(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    authorizer = _authorizer(world)
    _user_with(
        world,
        _statement(
            action="kms:Encrypt", Resource="arn:aws:kms:*:*:key/${kms:EncryptionContext:id}"
        ),
    )
    evaluated = _counting(monkeypatch)
    mine = {"kms:EncryptionContext:id": (KEY.rsplit("/", 1)[1],)}
    other = {"kms:EncryptionContext:id": ("another",)}
    assert _allowed(authorizer, ALICE, context=mine)
    assert not _allowed(authorizer, ALICE, context=other)  # read by the Resource's variable
    assert evaluated == [1, 1]
    reading = _document(
        _statement(Principal={"AWS": f"arn:aws:iam::{ACCOUNT}:root"}),
        _statement(
            "Deny", Principal="*", Condition={"StringEquals": {"kms:EncryptionContext:x": "no"}}
        ),
    )
    policy = ResourcePolicy(reading, required=True)
    for value in ("yes", "no", "yes", "no"):
        context = {**mine, "kms:EncryptionContext:x": (value,)}
        allowed = _allowed(authorizer, ALICE, context=context, policy=policy)
        assert allowed == (value == "yes")
    assert evaluated == [1, 1, 2, 2]


DENY_X = {"StringEquals": {"kms:EncryptionContext:x": "no"}}


def _x(value: str) -> dict[str, tuple[str, ...]]:
    return {"kms:EncryptionContext:x": (value,)}


def test_a_key_read_only_by_a_session_policy_or_a_boundary_tells_verdicts_apart(
    world: World,
) -> None:
    sessions = _sessions()
    authorizer = _authorizer(world, sessions)
    role = _role(world, _statement(action="kms:Encrypt"))
    limit = _document(
        _statement(action="kms:Encrypt"), _statement("Deny", action="kms:Encrypt", Condition=DENY_X)
    )
    scoped = _assumed(sessions, role, (limit,))
    assert _decide(authorizer, scoped, context=_x("yes")).decision is Decision.ALLOW
    assert _decide(authorizer, scoped, context=_x("no")).decision is Decision.EXPLICIT_DENY
    _user_with(world, _statement(action="kms:Encrypt"))
    arn = world.call("CreatePolicy", PolicyName="b", PolicyDocument=limit)["Policy"]["Arn"]
    world.call("PutUserPermissionsBoundary", UserName="alice", PermissionsBoundary=arn)
    assert _decide(authorizer, ALICE, context=_x("yes")).decision is Decision.ALLOW
    assert _decide(authorizer, ALICE, context=_x("no")).decision is Decision.EXPLICIT_DENY


def test_an_arn_condition_variable_hidden_in_a_quoted_default_is_read(world: World) -> None:
    """Arn values are split at colons before their variables are read: the part
    `${kms:EncryptionContext:evil}` stands inside the whole text's quoted default."""
    authorizer = _authorizer(world)
    value = "arn:aws:kms:${a, '}:${kms:EncryptionContext:evil}:x'}:k"
    deny = {"ArnEquals": {"kms:EncryptionContext:arn": value}}
    _user_with(
        world,
        _statement(action="kms:Encrypt"),
        _statement("Deny", action="kms:Encrypt", Condition=deny),
    )
    arn = ("arn:aws:kms:${a, '}:E:x'}:k",)
    ok = {"kms:EncryptionContext:arn": arn, "kms:EncryptionContext:evil": ("F",)}
    bad = {"kms:EncryptionContext:arn": arn, "kms:EncryptionContext:evil": ("E",)}
    assert _decide(authorizer, ALICE, context=ok).decision is Decision.ALLOW
    assert _decide(authorizer, ALICE, context=bad).decision is Decision.EXPLICIT_DENY


def test_a_text_is_compiled_alike_as_a_resource_policy_whatever_was_compiled_before(
    world: World,
) -> None:
    """A text valid as an identity policy but not as a resource policy (no Principal: a
    key policy stored before its grammar was checked) allows nothing as a resource policy,
    even after the same text was compiled as someone's identity policy."""
    authorizer = _authorizer(world)
    _user_with(world, _statement(action="kms:Encrypt"))
    text = _document(
        _statement(action="kms:Encrypt"), _statement("Deny", action="kms:Encrypt", Condition=DENY_X)
    )
    policy = ResourcePolicy(text)  # not required: the identity policy allows
    assert _decide(authorizer, ALICE, context=_x("yes"), policy=policy).allowed
    authorizer._compile(text)  # as an identity policy
    assert _decide(authorizer, ALICE, context=_x("no"), policy=policy).allowed
    fresh = _authorizer(world)
    fresh._compile(text)
    assert _decide(fresh, ALICE, context=_x("no"), policy=policy).allowed


def test_a_required_resource_policy_must_name_the_users_account(world: World) -> None:
    authorizer = _authorizer(world)
    _user_with(world, _statement())
    assert _allowed(authorizer, ALICE, policy=ResourcePolicy(ACCOUNT_GRANT, required=True))
    assert _allowed(authorizer, ALICE, policy=ResourcePolicy(OTHERS_ONLY))  # not required
    refusing = ResourcePolicy(OTHERS_ONLY, required=True)
    assert _decide(authorizer, ALICE, policy=refusing) == Verdict(
        Decision.IMPLICIT_DENY, "resource"
    )
    assert _denial(authorizer, ALICE, "kms:Encrypt", resource_policy=refusing).endswith(
        "because no resource-based policy allows the kms:Encrypt action"
    )


# --- the root and services ---------------------------------------------------------------


def test_the_root_is_allowed_unless_a_required_resource_policy_names_someone_else(
    world: World,
) -> None:
    authorizer = _authorizer(world)
    assert _allowed(authorizer, ROOT)
    assert _allowed(authorizer, ROOT, policy=ResourcePolicy(ACCOUNT_GRANT, required=True))
    assert _allowed(authorizer, ROOT, policy=ResourcePolicy(OTHERS_ONLY))
    assert _decide(authorizer, ROOT, policy=ResourcePolicy(OTHERS_ONLY, required=True)) == (
        Verdict(Decision.IMPLICIT_DENY, "resource")
    )


def test_an_explicit_deny_in_a_resource_policy_refuses_the_root(world: World) -> None:
    authorizer = _authorizer(world)
    text = _document(
        _statement(Principal={"AWS": f"arn:aws:iam::{ACCOUNT}:root"}),
        _statement("Deny", "kms:Decrypt", Principal={"AWS": "*"}),
    )
    deny = ResourcePolicy(text, required=True)
    assert _allowed(authorizer, ROOT, "kms:Encrypt", policy=deny)
    assert _decide(authorizer, ROOT, "kms:Decrypt", policy=deny) == Verdict(
        Decision.EXPLICIT_DENY, "resource"
    )
    assert _denial(authorizer, ROOT, "kms:Decrypt", resource_policy=deny).endswith(
        "with an explicit deny in a resource-based policy"
    )


def test_a_service_is_decided_by_the_resource_policy_when_there_is_one(world: World) -> None:
    authorizer = _authorizer(world)
    assert _allowed(authorizer, SERVICE)
    naming = ResourcePolicy(_naming({"Service": "secretsmanager.amazonaws.com"}))
    assert _allowed(authorizer, SERVICE, policy=naming)
    assert not _allowed(authorizer, SERVICE, policy=ResourcePolicy(ACCOUNT_GRANT))
    assert not _allowed(authorizer, SERVICE, policy=ResourcePolicy(OTHERS_ONLY, required=True))


# --- condition keys ------------------------------------------------------------------------

EDGE: dict[str, Any] = {
    "region": "eu-west-1",
    "via_service": "secretsmanager.eu-west-1.amazonaws.com",
    "source_ip": "192.0.2.10",
    "secure_transport": True,
}


@pytest.mark.parametrize(
    "changed",
    [
        {},
        {"region": "us-east-1"},
        {"via_service": "ssm.eu-west-1.amazonaws.com"},
        {"via_service": None},
        {"source_ip": "198.51.100.10"},
        {"source_ip": None},
        {"secure_transport": False},
    ],
)
def test_conditions_see_what_the_edge_saw(world: World, changed: dict[str, Any]) -> None:
    """aws:RequestedRegion, kms:ViaService, aws:SourceIp and aws:SecureTransport are the
    Caller's fields: allowed exactly as they are in EDGE."""
    condition = {
        "IpAddress": {"aws:SourceIp": "192.0.2.0/24"},
        "Bool": {"aws:SecureTransport": "true"},
        "StringEquals": {
            "aws:RequestedRegion": "eu-west-1",
            "kms:ViaService": "secretsmanager.eu-west-1.amazonaws.com",
        },
    }
    _user_with(world, _statement(Condition=condition))
    assert _allowed(_authorizer(world), ALICE, **{**EDGE, **changed}) == (not changed)


def test_an_operation_context_key_decides_a_condition(world: World) -> None:
    condition = {"StringEquals": {"kms:EncryptionContext:purpose": "backup"}}
    _user_with(world, _statement(Condition=condition))
    authorizer = _authorizer(world)
    backup = {
        "kms:EncryptionContext:purpose": ("backup",),
        "kms:EncryptionContextKeys": ("purpose",),
    }
    assert _allowed(authorizer, ALICE, context=backup)
    assert not _allowed(authorizer, ALICE, context={"kms:EncryptionContext:purpose": ("other",)})
    assert not _allowed(authorizer, ALICE)


@pytest.mark.parametrize(("first", "allowed"), [("prod", True), ("dev", False)])
def test_keys_that_differ_only_in_case_are_one_key_and_the_first_wins(
    world: World, first: str, allowed: bool
) -> None:
    """Tags `Env` and `env` on one resource: no error, the first one given decides."""
    _user_with(world, _statement(Condition={"StringEquals": {"aws:ResourceTag/Env": "prod"}}))
    other = "dev" if first == "prod" else "prod"
    context = {"aws:ResourceTag/Env": (first,), "aws:resourcetag/env": (other,)}
    assert _allowed(_authorizer(world), ALICE, context=context) is allowed


# --- role sessions -------------------------------------------------------------------------


def _role(world: World, *statements: dict[str, Any], tags: dict[str, str] | None = None) -> Any:
    role = world.call(
        "CreateRole",
        RoleName="reader",
        AssumeRolePolicyDocument=TRUST,
        Path="/apps/",
        Tags=[{"Key": k, "Value": v} for k, v in (tags or {}).items()],
    )["Role"]
    if statements:
        document = _document(*statements)
        world.call("PutRolePolicy", RoleName="reader", PolicyName="p", PolicyDocument=document)
    return role


def _assumed(
    sessions: SessionStore,
    role: Any,
    policies: tuple[str, ...] | None = None,
    tags: tuple[tuple[str, str], ...] = (),
) -> Principal:
    """The principal of an AssumeRole session of `role` named `s1`."""
    scope = RoleScope(role["Arn"], role["RoleId"], policies, tags)
    return sessions.issue_for_role(ACCOUNT, "reader/s1", 3600, scope).principal


def test_a_role_session_gets_the_roles_policies_within_its_session_policies(
    world: World,
) -> None:
    sessions = _sessions()
    authorizer = _authorizer(world, sessions)
    role = _role(world, _statement(action="kms:Encrypt"), _statement(action="kms:Decrypt"))
    unlimited = _assumed(sessions, role)
    assert _allowed(authorizer, unlimited, "kms:Encrypt")
    assert _allowed(authorizer, unlimited, "kms:Decrypt")
    scoped = _assumed(
        sessions,
        role,
        (_document(_statement(action="kms:Encrypt"), _statement(action="kms:Sign")),),
    )
    assert _allowed(authorizer, scoped, "kms:Encrypt")
    assert _decide(authorizer, scoped, "kms:Decrypt") == Verdict(Decision.IMPLICIT_DENY, "session")
    assert _decide(authorizer, scoped, "kms:Sign") == Verdict(Decision.IMPLICIT_DENY, "identity")
    assert not _allowed(authorizer, _assumed(sessions, role, ()), "kms:Encrypt")
    assert _denial(authorizer, scoped, "kms:Decrypt").startswith(
        f"User: arn:aws:sts::{ACCOUNT}:assumed-role/reader/s1 is not authorized"
    )


def test_a_role_session_sees_its_principal_tags_and_the_role_arn(world: World) -> None:
    sessions = _sessions()
    authorizer = _authorizer(world, sessions)
    condition = {
        "StringEquals": {
            "aws:PrincipalTag/team": "red",  # the session's tag over the role's
            "aws:PrincipalTag/tier": "gold",  # the role's
            "aws:PrincipalTag/project": "x",  # the session's
        },
        "ArnEquals": {"aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT}:role/apps/reader"},
    }
    role = _role(world, _statement(Condition=condition), tags={"team": "blue", "tier": "gold"})
    assert _allowed(authorizer, _assumed(sessions, role, tags=(("team", "red"), ("project", "x"))))
    assert not _allowed(authorizer, _assumed(sessions, role, tags=(("project", "x"),)))
    assert not _allowed(authorizer, _assumed(sessions, role, tags=(("team", "red"),)))


def test_a_session_of_a_deleted_role_is_allowed_nothing(world: World) -> None:
    """Even where a resource policy names the session itself."""
    sessions = _sessions()
    authorizer = _authorizer(world, sessions)
    session = _assumed(sessions, _role(world))
    naming = ResourcePolicy(_naming({"AWS": session.arn()}))
    assert _allowed(authorizer, session, policy=naming)
    world.call("DeleteRole", RoleName="reader")
    assert _decide(authorizer, session, policy=naming) == Verdict(
        Decision.IMPLICIT_DENY, "identity"
    )


def test_a_session_of_a_role_deleted_and_made_again_is_allowed_nothing(world: World) -> None:
    """The new role of the same name is another role: the old session does not get it."""
    sessions = _sessions()
    authorizer = _authorizer(world, sessions)
    session = _assumed(sessions, _role(world, _statement(action="kms:Encrypt")))
    assert _allowed(authorizer, session, "kms:Encrypt")
    world.call("DeleteRolePolicy", RoleName="reader", PolicyName="p")
    world.call("DeleteRole", RoleName="reader")
    _role(world, _statement(action="kms:Encrypt"))
    assert not _allowed(authorizer, session, "kms:Encrypt")
    again = world.call("GetRole", RoleName="reader")["Role"]
    assert _allowed(authorizer, _assumed(sessions, again))


def test_a_function_session_gets_its_roles_policies(world: World) -> None:
    """A function's session (no RoleScope) is its role's: nothing while IAM holds no such
    role, the role's policies once it does."""
    sessions = _sessions()
    authorizer = _authorizer(world, sessions)
    function = sessions.issue(ACCOUNT, "reader/rotate-db", 900).principal
    assert _decide(authorizer, function) == Verdict(Decision.IMPLICIT_DENY, "identity")
    _role(world, _statement(action="kms:Encrypt"))
    assert _allowed(authorizer, function, "kms:Encrypt")
    assert not _allowed(authorizer, function, "kms:Decrypt")


def test_a_builtin_rotation_functions_session_has_the_builtin_role_policy(
    world: World,
) -> None:
    """While IAM holds no role of that name: secrets, and KMS only through Secrets Manager."""
    sessions = _sessions()
    authorizer = _authorizer(world, sessions)
    builtin = sessions.issue(ACCOUNT, f"{BUILTIN_ROLE}/rotate-db", 900).principal
    assert _allowed(authorizer, builtin, "secretsmanager:GetSecretValue")
    function_arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:strongroom-mysql-single-user"
    rotated_by = "secretsmanager:resource/AllowRotationLambdaArn"
    assert _allowed(
        authorizer, builtin, "secretsmanager:PutSecretValue", context={rotated_by: (function_arn,)}
    )
    custom = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:my-rotator"
    assert not _allowed(
        authorizer, builtin, "secretsmanager:PutSecretValue", context={rotated_by: (custom,)}
    )
    assert not _allowed(authorizer, builtin, "secretsmanager:UpdateSecretVersionStage")
    # a user's function that names the built-in role gets none of it
    impostor = sessions.issue(ACCOUNT, f"{BUILTIN_ROLE}/my-function", 900).principal
    assert not _allowed(authorizer, impostor, "secretsmanager:GetSecretValue")
    via = "secretsmanager.us-east-1.amazonaws.com"
    assert _allowed(authorizer, builtin, "kms:Decrypt", via_service=via)
    assert not _allowed(authorizer, builtin, "kms:Decrypt")
    assert not _allowed(authorizer, builtin, "kms:Encrypt", via_service=via)


def test_a_refusal_names_the_user_with_its_path(world: World) -> None:
    """AWS's message names the user's ARN as IAM writes it, path included."""
    world.call("CreateUser", UserName="pathed", Path="/division/team/")
    pathed = Principal("AKIAPATHEDPATHEDPATH", ACCOUNT, "pathed")
    message = _denial(_authorizer(world), pathed, "kms:Encrypt")
    assert message.startswith(
        f"User: arn:aws:iam::{ACCOUNT}:user/division/team/pathed is not authorized"
    )
