"""AWS's policy evaluation, case by case against the rule each case checks (IAM User Guide:
"Policy evaluation logic", "Permissions boundaries for IAM entities", "Session policies",
"Cross-account policy evaluation logic", "Troubleshoot access denied error messages"),
plus properties that must hold for any policies."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from strongroom.policy.document import parse_policy
from strongroom.policy.evaluation import (
    Decision,
    Policy,
    PolicySet,
    Verdict,
    access_denied_message,
    evaluate,
    statements_decide,
)
from strongroom.policy.request import Request

ACCOUNT = "111122223333"
OTHER = "444455556666"
ALICE = f"arn:aws:iam::{ACCOUNT}:user/alice"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/app"
SESSION = f"arn:aws:sts::{ACCOUNT}:assumed-role/app/run-1"
FEDERATED = f"arn:aws:sts::{ACCOUNT}:federated-user/carol"
ROOT = f"arn:aws:iam::{ACCOUNT}:root"
STRANGER = f"arn:aws:iam::{OTHER}:user/mallory"
KEY = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
SERVICE = "secretsmanager.amazonaws.com"

ALLOW, EXPLICIT, IMPLICIT = Decision.ALLOW, Decision.EXPLICIT_DENY, Decision.IMPLICIT_DENY


def policy(
    *statements: dict[str, Any], resource: bool = False, version: str = "2012-10-17"
) -> Policy:
    """A policy through the grammar check (so every case is a policy AWS would accept)."""
    document = json.dumps({"Version": version, "Statement": list(statements)})
    return Policy.from_document(parse_policy(document, resource_policy=resource))


def stmt(
    effect: str = "Allow", action: Any = "kms:Encrypt", resource: Any = "*", **extra: Any
) -> dict[str, Any]:
    return {"Effect": effect, "Action": action, "Resource": resource, **extra}


def grant(principal: Any, effect: str = "Allow", **extra: Any) -> Policy:
    """A one-statement resource (key) policy naming `principal`."""
    return policy(stmt(effect, Principal=principal, **extra), resource=True)


def req(
    principal: str = ALICE,
    account: str = ACCOUNT,
    action: str = "kms:Encrypt",
    resource: str = KEY,
    **context: tuple[str, ...],
) -> Request:
    return Request(
        action, resource, principal, account, {k.replace("__", ":"): v for k, v in context.items()}
    )


ALLOW_ALL = policy(stmt(action="*"))
ALLOW_ENCRYPT = policy(stmt())
ALLOW_DECRYPT = policy(stmt(action="kms:Decrypt"))
DENY_ENCRYPT = policy(stmt("Deny"))

CASES: list[tuple[str, PolicySet, Request, Decision, str | None]] = [
    # "By default, all requests are implicitly denied"
    ("nothing applies", PolicySet(), req(), IMPLICIT, "identity"),
    ("identity allow", PolicySet(identity=[ALLOW_ENCRYPT]), req(), ALLOW, None),
    (
        "identity allows another action",
        PolicySet(identity=[ALLOW_DECRYPT]),
        req(),
        IMPLICIT,
        "identity",
    ),
    # "An explicit deny in any policy overrides any allows"
    (
        "deny beats allow, same policy",
        PolicySet(identity=[policy(stmt(), stmt("Deny"))]),
        req(),
        EXPLICIT,
        "identity",
    ),
    (
        "deny beats allow, two policies",
        PolicySet(identity=[ALLOW_ALL, DENY_ENCRYPT]),
        req(),
        EXPLICIT,
        "identity",
    ),
    (
        "resource deny beats identity allow",
        PolicySet(identity=[ALLOW_ALL], resource=grant({"AWS": ALICE}, "Deny")),
        req(),
        EXPLICIT,
        "resource",
    ),
    # "If either the identity-based policy or the resource-based policy within the same
    # account allows the request and the other doesn't, the request is still allowed"
    ("resource allow alone", PolicySet(resource=grant({"AWS": ALICE})), req(), ALLOW, None),
    (
        "resource names someone else",
        PolicySet(resource=grant({"AWS": STRANGER})),
        req(),
        IMPLICIT,
        "identity",
    ),
    # "all requests are implicitly denied with the exception of the AWS account root user"
    ("root, no policies", PolicySet(is_root=True), req(ROOT), ALLOW, None),
    (
        "root, resource deny",
        PolicySet(is_root=True, resource=grant("*", "Deny")),
        req(ROOT),
        EXPLICIT,
        "resource",
    ),
    # boundaries: "the entity can perform only the actions that are allowed by both its
    # identity-based policies and its permissions boundaries" (the ShirleyRodriguez example)
    (
        "boundary lacks the action",
        PolicySet(
            identity=[policy(stmt(action="iam:CreateUser"))],
            boundary=[policy(stmt(action=["s3:*", "cloudwatch:*", "ec2:*"]))],
        ),
        req(action="iam:CreateUser", resource="*"),
        IMPLICIT,
        "boundary",
    ),
    (
        "boundary and identity allow",
        PolicySet(identity=[ALLOW_ENCRYPT], boundary=[ALLOW_ALL]),
        req(),
        ALLOW,
        None,
    ),
    # "it limits the user's permissions but does not provide permissions on its own"
    ("boundary alone grants nothing", PolicySet(boundary=[ALLOW_ALL]), req(), IMPLICIT, "identity"),
    (
        "boundary explicit deny",
        PolicySet(identity=[ALLOW_ALL], boundary=[policy(stmt(action="*"), stmt("Deny"))]),
        req(),
        EXPLICIT,
        "boundary",
    ),
    (
        "empty boundary is set",
        PolicySet(identity=[ALLOW_ALL], boundary=[]),
        req(),
        IMPLICIT,
        "boundary",
    ),
    # "resource-based policies that grant permissions to an IAM user ARN ... are not
    # limited by an implicit deny in an identity-based policy or permissions boundary"
    (
        "user-ARN grant passes boundary",
        PolicySet(resource=grant({"AWS": ALICE}), boundary=[ALLOW_DECRYPT]),
        req(),
        ALLOW,
        None,
    ),
    # "Resource-based policies that grant permissions to an IAM role ARN are limited by an
    # implicit deny in a permissions boundary or session policy"
    (
        "role-ARN grant, boundary",
        PolicySet(resource=grant({"AWS": ROLE}), boundary=[ALLOW_DECRYPT]),
        req(SESSION),
        IMPLICIT,
        "boundary",
    ),
    (
        "role-ARN grant, session policy",
        PolicySet(resource=grant({"AWS": ROLE}), session=[ALLOW_DECRYPT]),
        req(SESSION),
        IMPLICIT,
        "session",
    ),
    # ...but not by an implicit deny in the identity policies (the table in "Policy
    # evaluation logic" lists only boundary and session policy for role ARNs)
    (
        "role-ARN grant, no identity",
        PolicySet(resource=grant({"AWS": ROLE})),
        req(SESSION),
        ALLOW,
        None,
    ),
    # "Permissions granted directly to a session are not limited by an implicit deny in
    # an identity-based policy, a permissions boundary, or session policy"
    (
        "session-ARN grant",
        PolicySet(
            resource=grant({"AWS": SESSION}), boundary=[ALLOW_DECRYPT], session=[ALLOW_DECRYPT]
        ),
        req(SESSION),
        ALLOW,
        None,
    ),
    (
        "session grant, explicit deny in session policy",
        PolicySet(resource=grant({"AWS": SESSION}), session=[DENY_ENCRYPT]),
        req(SESSION),
        EXPLICIT,
        "session",
    ),
    # session policies: "the resulting session's permissions are the intersection of the
    # IAM entity's identity-based policy and the session policies"
    (
        "session policy lacks the action",
        PolicySet(identity=[ALLOW_ALL], session=[ALLOW_DECRYPT]),
        req(SESSION),
        IMPLICIT,
        "session",
    ),
    (
        "session policy cannot add",
        PolicySet(identity=[ALLOW_DECRYPT], session=[ALLOW_ALL]),
        req(SESSION),
        IMPLICIT,
        "identity",
    ),
    (
        "session and identity allow",
        PolicySet(identity=[ALLOW_ALL], session=[ALLOW_ENCRYPT]),
        req(SESSION),
        ALLOW,
        None,
    ),
    (
        "role session without session policy",
        PolicySet(identity=[ALLOW_ALL]),
        req(SESSION),
        ALLOW,
        None,
    ),
    # "If there is no session policy, the code checks whether the principal is a role
    # session ... Otherwise, the request is implicitly denied" (GetFederationToken)
    (
        "federated user without session policy",
        PolicySet(identity=[ALLOW_ALL]),
        req(FEDERATED),
        IMPLICIT,
        "session",
    ),
    (
        "federated user with session policy",
        PolicySet(identity=[ALLOW_ALL], session=[ALLOW_ALL]),
        req(FEDERATED),
        ALLOW,
        None,
    ),
    (
        "federated-user ARN grant",
        PolicySet(resource=grant({"AWS": FEDERATED})),
        req(FEDERATED),
        ALLOW,
        None,
    ),
    # an account principal "delegates authority to the account": its identity policies
    (
        "account grant delegates",
        PolicySet(resource=grant({"AWS": ACCOUNT})),
        req(),
        IMPLICIT,
        "identity",
    ),
    (
        "account grant with identity allow",
        PolicySet(resource=grant({"AWS": ROOT}), identity=[ALLOW_ENCRYPT]),
        req(),
        ALLOW,
        None,
    ),
    # "Permissions boundaries and session policies do not limit permissions granted using
    # ... a wildcard(*) in the Principal element"
    (
        "star grant passes boundary",
        PolicySet(resource=grant("*"), boundary=[ALLOW_DECRYPT]),
        req(SESSION),
        ALLOW,
        None,
    ),
    # "The NotPrincipal element with a Deny effect will always deny any IAM principal that
    # has a permissions boundary policy attached, regardless of the values specified"
    (
        "NotPrincipal deny and a boundary",
        PolicySet(
            identity=[ALLOW_ALL],
            boundary=[ALLOW_ALL],
            resource=policy(stmt("Deny", NotPrincipal={"AWS": [ALICE, ROOT]}), resource=True),
        ),
        req(),
        EXPLICIT,
        "resource",
    ),
    (
        "NotPrincipal deny sparing the caller",
        PolicySet(
            identity=[ALLOW_ALL],
            resource=policy(stmt("Deny", NotPrincipal={"AWS": [ALICE, ROOT]}), resource=True),
        ),
        req(),
        ALLOW,
        None,
    ),
    # "IAM role trust policies and KMS key policies ... must explicitly allow access for
    # principals": resource_required
    (
        "key policy required",
        PolicySet(identity=[ALLOW_ALL], resource_required=True),
        req(),
        IMPLICIT,
        "resource",
    ),
    (
        "key policy enables IAM policies",
        PolicySet(identity=[ALLOW_ALL], resource=grant({"AWS": ROOT}), resource_required=True),
        req(),
        ALLOW,
        None,
    ),
    (
        "key policy enables, IAM silent",
        PolicySet(resource=grant({"AWS": ROOT}), resource_required=True),
        req(),
        IMPLICIT,
        "identity",
    ),
    (
        "key policy names the user",
        PolicySet(resource=grant({"AWS": ALICE}), resource_required=True),
        req(),
        ALLOW,
        None,
    ),
    (
        "key policy excludes root too",
        PolicySet(is_root=True, resource=grant({"AWS": ALICE}), resource_required=True),
        req(ROOT),
        IMPLICIT,
        "resource",
    ),
    (
        "key policy lets root in",
        PolicySet(is_root=True, resource=grant({"AWS": ROOT}), resource_required=True),
        req(ROOT),
        ALLOW,
        None,
    ),
    # cross-account: "The request is allowed only if both evaluations return a decision
    # of Allow": the caller's identity policy AND the resource policy
    (
        "cross-account, identity only",
        PolicySet(identity=[ALLOW_ALL]),
        req(STRANGER, OTHER),
        IMPLICIT,
        "resource",
    ),
    (
        "cross-account, resource only",
        PolicySet(resource=grant({"AWS": OTHER})),
        req(STRANGER, OTHER),
        IMPLICIT,
        "identity",
    ),
    (
        "cross-account, direct grant still needs identity",
        PolicySet(resource=grant({"AWS": STRANGER})),
        req(STRANGER, OTHER),
        IMPLICIT,
        "identity",
    ),
    (
        "cross-account, both",
        PolicySet(identity=[ALLOW_ALL], resource=grant({"AWS": OTHER})),
        req(STRANGER, OTHER),
        ALLOW,
        None,
    ),
    (
        "cross-account, boundary at home",
        PolicySet(
            identity=[ALLOW_ALL], boundary=[ALLOW_DECRYPT], resource=grant({"AWS": STRANGER})
        ),
        req(STRANGER, OTHER),
        IMPLICIT,
        "boundary",
    ),
    (
        "cross-account root",
        PolicySet(is_root=True, resource=grant({"AWS": OTHER})),
        req(f"arn:aws:iam::{OTHER}:root", OTHER),
        ALLOW,
        None,
    ),
    (
        "cross-account resource names another account",
        PolicySet(identity=[ALLOW_ALL], resource=grant({"AWS": ACCOUNT})),
        req(STRANGER, OTHER),
        IMPLICIT,
        "resource",
    ),
    (
        "resource_account overrides the ARN",
        PolicySet(identity=[ALLOW_ALL], resource_account=OTHER),
        req(),
        IMPLICIT,
        "resource",
    ),
    # a service principal has no identity policies: only a resource policy can let it in
    (
        "service principal granted",
        PolicySet(resource=grant({"Service": SERVICE})),
        req("", "", aws__PrincipalServiceName=(SERVICE,)),
        ALLOW,
        None,
    ),
    (
        "service principal not named",
        PolicySet(resource=grant({"AWS": ACCOUNT})),
        req("", "", aws__PrincipalServiceName=(SERVICE,)),
        IMPLICIT,
        "resource",
    ),
]


@pytest.mark.parametrize(
    ("name", "policies", "request_", "decision", "denied_by"), CASES, ids=[c[0] for c in CASES]
)
def test_evaluate(
    name: str, policies: PolicySet, request_: Request, decision: Decision, denied_by: str | None
) -> None:
    assert evaluate(policies, request_) == Verdict(decision, denied_by)


# AWS's worked example in "Policy evaluation logic" (the carlossalazar user and bucket).
CARLOS = "arn:aws:iam::123456789012:user/carlossalazar"
CARLOS_IDENTITY = policy(
    stmt(action=["s3:GetBucketLocation", "s3:ListAllMyBuckets"], resource="arn:aws:s3:::*"),
    stmt(action="s3:*", resource=["arn:aws:s3:::carlossalazar/*", "arn:aws:s3:::carlossalazar"]),
    stmt("Deny", action="s3:*", resource="arn:aws:s3:::*log*"),
)
CARLOS_BUCKET = grant(
    {"AWS": CARLOS},
    action="s3:*",
    resource=["arn:aws:s3:::carlossalazar/*", "arn:aws:s3:::carlossalazar"],
)


@pytest.mark.parametrize(
    ("resource", "decision"),
    [
        ("arn:aws:s3:::carlossalazar-logs/file", EXPLICIT),
        ("arn:aws:s3:::carlossalazar/file", ALLOW),
    ],
)
def test_aws_carlos_example(resource: str, decision: Decision) -> None:
    policies = PolicySet(identity=[CARLOS_IDENTITY], resource=CARLOS_BUCKET)
    request = Request("s3:PutObject", resource, CARLOS, "123456789012", {})
    assert evaluate(policies, request).decision is decision


# AWS's "difference between explicit and implicit denies" example.
GET_LIST = policy(stmt(action=["iam:Get*", "iam:List*"]), stmt("Deny", action="iam:*Report"))


@pytest.mark.parametrize(
    ("action", "decision"),
    [
        ("iam:GetUser", ALLOW),
        ("iam:CreatePolicy", IMPLICIT),
        ("iam:GetOrganizationsAccessReport", EXPLICIT),
    ],
)
def test_aws_explicit_and_implicit_example(action: str, decision: Decision) -> None:
    assert statements_decide(GET_LIST, req(action=action, resource="*")) is decision


@pytest.mark.parametrize(
    ("statement", "action", "resource", "decision"),
    [
        # NotAction "explicitly matches everything except the specified list of actions"
        (stmt(action=None, NotAction="iam:*"), "kms:Encrypt", KEY, ALLOW),
        (stmt(action=None, NotAction="iam:*"), "iam:CreateUser", "*", IMPLICIT),
        (
            stmt("Deny", action=None, NotAction=["kms:*"]),
            "secretsmanager:GetSecretValue",
            "*",
            EXPLICIT,
        ),
        (stmt("Deny", action=None, NotAction=["kms:*"]), "kms:Decrypt", KEY, IMPLICIT),
        # NotResource "explicitly matches every resource except the ones specified"
        (
            stmt("Deny", resource=None, NotResource=KEY),
            "kms:Encrypt",
            KEY.replace("1234abcd", "ffffabcd"),
            EXPLICIT,
        ),
        (stmt("Deny", resource=None, NotResource=KEY), "kms:Encrypt", KEY, IMPLICIT),
    ],
)
def test_not_action_and_not_resource(
    statement: dict[str, Any], action: str, resource: str, decision: Decision
) -> None:
    statement = {k: v for k, v in statement.items() if v is not None}
    assert statements_decide(policy(statement), req(action=action, resource=resource)) is decision


SECRET = f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:"
OWN_SECRETS = stmt(action="secretsmanager:GetSecretValue", resource=SECRET + "${aws:username}-*")


@pytest.mark.parametrize(
    ("version", "resource", "context", "decision"),
    [
        # variables are replaced "with values that come from the context of the request"
        ("2012-10-17", SECRET + "alice-db-AbCdEf", {"aws:username": ("alice",)}, ALLOW),
        ("2012-10-17", SECRET + "bob-db-AbCdEf", {"aws:username": ("alice",)}, IMPLICIT),
        # "not present ... any attempt to match it fails"
        ("2012-10-17", SECRET + "alice-db-AbCdEf", {}, IMPLICIT),
        # without Version 2012-10-17, "${aws:username}" is literal text
        ("2008-10-17", SECRET + "alice-db-AbCdEf", {"aws:username": ("alice",)}, IMPLICIT),
        ("2008-10-17", SECRET + "${aws:username}-x", {"aws:username": ("alice",)}, ALLOW),
    ],
)
def test_resource_variables(
    version: str, resource: str, context: dict[str, tuple[str, ...]], decision: Decision
) -> None:
    request = Request("secretsmanager:GetSecretValue", resource, ALICE, ACCOUNT, context)
    assert statements_decide(policy(OWN_SECRETS, version=version), request) is decision


def test_a_valueless_variable_voids_a_deny_statement() -> None:
    # "If AWS cannot resolve a variable, this might cause the entire statement to be
    # invalid": the Deny does not apply, whether its element is Resource or NotResource
    deny = stmt("Deny", resource=None, NotResource=SECRET + "${aws:username}-*")
    deny = {k: v for k, v in deny.items() if v is not None}
    document = policy(stmt(action="*"), deny)
    request = Request("kms:Encrypt", KEY, SESSION, ACCOUNT, {})
    assert statements_decide(document, request) is ALLOW
    named = Request("kms:Encrypt", KEY, ALICE, ACCOUNT, {"aws:username": ("alice",)})
    assert statements_decide(document, named) is EXPLICIT


def test_conditions_decide_whether_a_statement_applies() -> None:
    # "The Condition element ... specify conditions for when a policy is in effect"
    tagged = policy(stmt(Condition={"StringEquals": {"aws:PrincipalTag/team": "blue"}}))
    blue = Request("kms:Encrypt", KEY, ALICE, ACCOUNT, {"aws:PrincipalTag/team": ("blue",)})
    red = Request("kms:Encrypt", KEY, ALICE, ACCOUNT, {"aws:PrincipalTag/team": ("red",)})
    assert statements_decide(tagged, blue) is ALLOW
    assert statements_decide(tagged, red) is IMPLICIT


def test_statement_may_be_one_object_or_a_list() -> None:
    # "Statement" holds one statement object or an array of them
    single = Policy.from_document(
        parse_policy(
            json.dumps({"Version": "2012-10-17", "Statement": stmt()}), resource_policy=False
        )
    )
    listed = Policy.from_document(
        parse_policy(
            json.dumps({"Version": "2012-10-17", "Statement": [stmt()]}), resource_policy=False
        )
    )
    assert len(single.statements) == len(listed.statements) == 1
    assert single.statements[0].actions == ("kms:Encrypt",) == listed.statements[0].actions
    assert single.statements[0].resources == ("*",)


def test_a_compiled_policy_does_not_change() -> None:
    compiled = grant({"AWS": [ALICE]}, Condition={"StringEquals": {"aws:username": ["alice"]}})
    statement = compiled.statements[0]
    with pytest.raises(AttributeError):
        statement.actions = ("*",)  # type: ignore[misc]
    with pytest.raises(TypeError):
        statement.principal["AWS"] = ("*",)  # type: ignore[index]
    assert statement.condition is not None
    with pytest.raises(TypeError):
        statement.condition["StringEquals"]["aws:username"] = "bob"  # type: ignore[index]


JOHN = "arn:aws:iam::123456789012:user/JohnDoe"


@pytest.mark.parametrize(
    ("verdict", "expected_tail"),
    [
        (
            Verdict(IMPLICIT, "identity"),
            "because no identity-based policy allows the kms:Decrypt action",
        ),
        (Verdict(EXPLICIT, "identity"), "with an explicit deny in an identity-based policy"),
        (
            Verdict(IMPLICIT, "resource"),
            "because no resource-based policy allows the kms:Decrypt action",
        ),
        (Verdict(EXPLICIT, "resource"), "with an explicit deny in a resource-based policy"),
        (
            Verdict(IMPLICIT, "boundary"),
            "because no permissions boundary allows the kms:Decrypt action",
        ),
        (Verdict(EXPLICIT, "boundary"), "with an explicit deny in a permissions boundary"),
        (Verdict(IMPLICIT, "session"), "because no session policy allows the kms:Decrypt action"),
        (Verdict(EXPLICIT, "session"), "with an explicit deny in a session policy"),
    ],
)
def test_access_denied_message(verdict: Verdict, expected_tail: str) -> None:
    # "User: user is not authorized to perform: action on resource: resource because context"
    message = access_denied_message(JOHN, "kms:Decrypt", KEY, verdict)
    head = f"User: {JOHN} is not authorized to perform: kms:Decrypt on resource: {KEY}"
    assert message == f"{head} {expected_tail}"


def test_access_denied_message_refuses_an_allow() -> None:
    with pytest.raises(ValueError):
        access_denied_message(JOHN, "kms:Decrypt", KEY, Verdict(ALLOW))


# Properties over small random policy sets ------------------------------------------------

ACTIONS = ["kms:Encrypt", "kms:Decrypt", "secretsmanager:GetSecretValue"]
RESOURCES = [KEY, KEY.replace("1234abcd", "ffffabcd"), SECRET + "db-AbCdEf"]
CALLERS = [req(ALICE), req(SESSION), req(FEDERATED), req(STRANGER, OTHER)]

actions = st.sampled_from(
    ["*", "kms:*", "kms:Encrypt", "kms:De*", "secretsmanager:Get*", "KMS:ENCRYPT"]
)
resources = st.sampled_from(["*", f"arn:aws:kms:*:{ACCOUNT}:key/*", KEY, SECRET + "*"])
principals = st.sampled_from(
    [
        "*",
        {"AWS": ACCOUNT},
        {"AWS": ALICE},
        {"AWS": ROLE},
        {"AWS": SESSION},
        {"AWS": OTHER},
        {"AWS": [FEDERATED, ROOT]},
    ]
)
conditions = st.sampled_from(
    [
        None,
        None,
        None,
        {"StringEquals": {"aws:username": "alice"}},
        {"Bool": {"aws:SecureTransport": "true"}},
    ]
)


@st.composite
def statements(
    draw: st.DrawFn, *, resource_policy: bool, effect: str | None = None
) -> dict[str, Any]:
    # Mostly Allow, so that the properties about allowed requests see many of them.
    effect = effect or draw(st.sampled_from(["Allow", "Allow", "Allow", "Deny"]))
    result: dict[str, Any] = {"Effect": effect}
    result["NotAction" if draw(st.booleans()) and draw(st.booleans()) else "Action"] = draw(actions)
    result["NotResource" if draw(st.booleans()) and draw(st.booleans()) else "Resource"] = draw(
        resources
    )
    if resource_policy:
        result["NotPrincipal" if draw(st.integers(0, 5)) == 0 else "Principal"] = draw(principals)
    condition = draw(conditions)
    if condition is not None:
        result["Condition"] = condition
    return result


def policies_of(resource_policy: bool) -> st.SearchStrategy[Policy]:
    return st.lists(statements(resource_policy=resource_policy), min_size=1, max_size=3).map(
        lambda s: policy(*s, resource=resource_policy)
    )


identities = policies_of(False)


@st.composite
def policy_sets(draw: st.DrawFn) -> PolicySet:
    return PolicySet(
        identity=draw(st.lists(identities, min_size=draw(st.integers(0, 1)), max_size=3)),
        resource=draw(st.none() | policies_of(True)),
        boundary=draw(st.none() | st.lists(identities, max_size=2)),
        session=draw(st.none() | st.lists(identities, max_size=1)),
        resource_required=draw(st.integers(0, 3)) == 0,
    )


@st.composite
def requests(draw: st.DrawFn) -> Request:
    base = draw(st.sampled_from(CALLERS))
    context = {"aws:SecureTransport": ("true",)} if draw(st.booleans()) else {}
    if base.principal_arn == ALICE and draw(st.booleans()):
        context["aws:username"] = ("alice",)
    return replace(
        base,
        action=draw(st.sampled_from(ACTIONS)),
        resource=draw(st.sampled_from(RESOURCES)),
        context=context,
    )


def _with_statement(policies: PolicySet, where: int, statement_for: Any) -> PolicySet:
    """`policies` with one more statement in the policy slot `where` picks."""

    def extended(existing: Policy | None, resource_policy: bool) -> Policy:
        new = policy(statement_for(resource_policy), resource=resource_policy)
        if existing is None:
            return new
        return Policy(existing.statements + new.statements, existing.version)

    if (
        where == 0
        or (where == 2 and policies.boundary is None)
        or (where == 3 and policies.session is None)
    ):
        return replace(policies, identity=[*policies.identity, extended(None, False)])
    if where == 1:
        return replace(policies, resource=extended(policies.resource, True))
    if where == 2:
        assert policies.boundary is not None
        return replace(
            policies,
            boundary=[extended(p, False) for p in policies.boundary] or [extended(None, False)],
        )
    assert policies.session is not None
    return replace(
        policies, session=[extended(p, False) for p in policies.session] or [extended(None, False)]
    )


def _deny_all(resource_policy: bool) -> dict[str, Any]:
    extra = {"Principal": "*"} if resource_policy else {}
    return stmt("Deny", action="*", **extra)


@given(policy_sets(), requests(), st.integers(0, 3))
def test_an_explicit_deny_anywhere_wins(policies: PolicySet, request: Request, where: int) -> None:
    # "If the code finds even one explicit deny that applies, the code returns a final
    # decision of Deny"
    verdict = evaluate(_with_statement(policies, where, _deny_all), request)
    assert verdict.decision is EXPLICIT


# Allowed requests are a minority of random ones: look at more of them.
@settings(max_examples=400)
@given(policy_sets(), requests(), st.integers(0, 3), st.data())
def test_adding_an_allow_never_takes_access_away(
    policies: PolicySet, request: Request, where: int, data: st.DataObject
) -> None:
    # Allows only ever add: an allowed request stays allowed with one more Allow statement
    # (in an existing policy, or as a new identity policy).
    if not evaluate(policies, request).allowed:
        return
    extra = data.draw(statements(resource_policy=True, effect="Allow"))
    extended = _with_statement(
        policies,
        where,
        lambda resource_policy: (
            extra if resource_policy else {k: v for k, v in extra.items() if "Principal" not in k}
        ),
    )
    assert evaluate(extended, request).allowed


# Allowed requests are a minority of random ones: look at more of them.
@settings(max_examples=400)
@given(policy_sets(), requests(), st.lists(identities, max_size=2))
def test_a_boundary_never_widens(
    policies: PolicySet, request: Request, boundary: list[Policy]
) -> None:
    # "A permissions boundary ... sets the maximum permissions": setting one can only deny
    unbounded = evaluate(replace(policies, boundary=None), request)
    if evaluate(replace(policies, boundary=boundary), request).allowed:
        assert unbounded.allowed


# Allowed requests are a minority of random ones: look at more of them.
@settings(max_examples=400)
@given(policy_sets(), requests(), st.lists(identities, max_size=2))
def test_a_session_policy_never_widens(
    policies: PolicySet, request: Request, session: list[Policy]
) -> None:
    # "You cannot use session policies to grant more permissions than those allowed by the
    # identity-based policy" (a role session or user; a federated user without one has none)
    if request.principal_arn == FEDERATED:
        return
    if evaluate(replace(policies, session=session), request).allowed:
        assert evaluate(replace(policies, session=None), request).allowed


@given(policy_sets(), requests(), st.randoms())
def test_statement_order_never_matters(policies: PolicySet, request: Request, rng: Any) -> None:
    def shuffled(p: Policy) -> Policy:
        items = list(p.statements)
        rng.shuffle(items)
        return Policy(tuple(items), p.version)

    reordered = PolicySet(
        identity=[shuffled(p) for p in reversed(policies.identity)],
        resource=shuffled(policies.resource) if policies.resource else None,
        boundary=[shuffled(p) for p in policies.boundary]
        if policies.boundary is not None
        else None,
        session=[shuffled(p) for p in policies.session] if policies.session is not None else None,
        resource_required=policies.resource_required,
    )
    assert evaluate(reordered, request).decision is evaluate(policies, request).decision


@given(policy_sets(), requests())
def test_nothing_is_allowed_without_an_allow_statement(
    policies: PolicySet, request: Request
) -> None:
    # Deny by default: with every Allow statement removed, nothing (but the root) is allowed
    def denies_only(p: Policy) -> Policy | None:
        kept = tuple(s for s in p.statements if not s.effect_allow)
        return Policy(kept, p.version) if kept else None

    stripped = PolicySet(
        identity=[q for p in policies.identity if (q := denies_only(p))],
        resource=denies_only(policies.resource) if policies.resource else None,
        boundary=policies.boundary,
        session=policies.session,
    )
    assert not evaluate(stripped, request).allowed
