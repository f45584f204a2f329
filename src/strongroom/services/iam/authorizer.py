"""The server's authorizer: every request decided by `policy.evaluate`, as AWS decides it.

Who is asking decides which policies apply (`_Subject`):
- an IAM user (or a GetSessionToken session of one): its identity policies (inline,
  attached, its groups') and its permissions boundary;
- an AssumeRole session: its role's identity policies and boundary, and the session
  policies passed to AssumeRole; principal tags are the role's, then the session's;
- the account root: no identity policies, allowed unless a policy denies it, and, where
  the resource's own policy must allow (KMS key policies), only as that policy says;
- an AWS service acting on its own (`secretsmanager.amazonaws.com` invoking a function):
  only the resource's policy, when there is one; allowed without one;
- a function invocation's session: its role's policies (Lambda accepts only roles IAM
  holds, `awslambda.roles`); the built-in rotation functions' role, when IAM holds no
  role of that name, has the fixed policy `app.py` gives (`builtin_sessions`: only the
  built-in functions' own sessions, never a user function naming that role).
A user name or role with no IAM record (deleted meanwhile) is allowed nothing.

The resource's policy (`ResourcePolicy`: a key policy, a secret's policy) joins the same
evaluation. The request context holds the principal's keys (`aws:PrincipalArn`,
`aws:userid`, `aws:username`, `aws:PrincipalTag/*`, ...), the time, what the edge saw
(`aws:SourceIp`, `aws:SecureTransport`, `aws:RequestedRegion`), the service acting for
the caller (`aws:ViaAWSService`, `aws:CalledVia`, `kms:ViaService`, `kms:CallerAccount`)
and the keys the operation passes (`kms:EncryptionContext:*`, `aws:ResourceTag/*`, ...).

Documents are compiled once per text. A principal's compiled policies and context are kept
while the IAM repository's stamp is unchanged or, when it moved, while the records they
come from are the same objects in its cache (which follows other processes' writes); its
verdicts are kept per request (action, resource, everything the context adds) for the
current second, as the clock keys change each second, and also per request reduced to the
keys its policies and the resource's policy read (`Policy.request_keys`), so requests that
differ only in keys no policy reads (a fresh encryption context per call) are evaluated
once.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from strongroom.clock import Clock
from strongroom.identity import Principal, Session
from strongroom.policy import (
    Decision,
    Policy,
    PolicyGrammarError,
    PolicySet,
    Request,
    Verdict,
    evaluate,
    parse_policy,
)
from strongroom.services.caller import ALLOWED, Caller, Context, ResourcePolicy
from strongroom.services.iam.documents import parsed
from strongroom.services.iam.principal_policies import policy_texts
from strongroom.services.iam.records import GROUP, ROLE, USER, EntityRecord, name_in_arn
from strongroom.services.iam.service import Iam

MAX_COMPILED = 4096
"""Compiled documents (by text) and principals kept before that cache starts over."""
MAX_VERDICTS = 1024
"""Verdicts kept per principal and second before that cache starts over."""
MAX_KEPT_CHARS = 32_768
"""A verdict is kept only for a request whose resource and condition keys (names and
values) total at most this many characters: they are part of the cache's key, and a
request's own keys are the caller's to size (an encryption context is checked against
AWS's limit only after it is authorized)."""
_NOBODY = Verdict(Decision.IMPLICIT_DENY, "identity")

FindSession = Callable[[str], Session | None]


class IamAuthorizer:
    """Decides every request; see the module docstring."""

    def __init__(
        self,
        clock: Clock | None = None,
        find_session: FindSession | None = None,
        builtin_sessions: Mapping[str, str] | None = None,
    ):
        """`builtin_sessions`: `<role>/<function>` -> the policy text the server's own
        functions run with while IAM holds no role of that name (the built-in rotation
        functions')."""
        self._iam: Iam | None = None
        self._clock = clock
        self._find_session = find_session
        self._builtin_sessions = dict(builtin_sessions or {})
        self._compiled: dict[str, Policy] = {}
        self._compiled_resource: dict[str, Policy] = {}
        """Apart from identity policies': one text may compile differently as each."""
        self._subjects: dict[tuple[str, str, str, str], _Subject] = {}

    def attach(self, iam: Iam) -> None:
        """Read users, roles and policies from `iam` (the IAM service, built after this)."""
        self._iam = iam

    def decide(
        self,
        caller: Caller,
        action: str,
        resource: str,
        context: Context,
        resource_policy: ResourcePolicy | None,
    ) -> Verdict:
        """AWS's verdict on `caller` doing `action` on `resource`."""
        principal = caller.principal
        if principal.service is not None and resource_policy is None:
            return ALLOWED  # a service acting on its own, on a resource with no policy
        subject = self._subject(caller)
        if subject.policies is None:
            return _NOBODY
        request = (
            action,
            resource,
            resource_policy,
            caller.region,
            caller.via_service,
            caller.source_ip,
            caller.secure_transport,
        )
        items = tuple(context.items()) if context else ()
        verdicts = subject.verdicts  # this second's
        verdict = verdicts.get((*request, items))
        if verdict is None:
            verdict = self._decide_anew(subject, caller, request, items, context, resource_policy)
        return verdict

    def _decide_anew(
        self,
        subject: _Subject,
        caller: Caller,
        request: tuple[object, ...],
        items: tuple[tuple[str, tuple[str, ...]], ...],
        context: Context,
        resource_policy: ResourcePolicy | None,
    ) -> Verdict:
        """The verdict of a request whose exact keys have none kept: that of an earlier
        request differing only in keys no applicable policy reads (a fresh encryption
        context per call, as the AWS Encryption SDK and most envelope encryption send, is
        decided once, not per call), else evaluated now. `request`: what `decide` keys
        verdicts by besides the request's keys, action and resource first."""
        action, resource = str(request[0]), str(request[1])
        compiled = (
            None if resource_policy is None else self._compile_resource_policy(resource_policy.text)
        )
        read = self._keys_read(subject, compiled)
        relevant = tuple(item for item in items if item[0].lower() in read)
        verdicts = subject.verdicts
        verdict = verdicts.get((*request, relevant)) if relevant != items else None
        if verdict is None:
            required = resource_policy is not None and resource_policy.required
            verdict = self._evaluate(subject, subject.context, caller, action, resource,
                                     context, compiled, required)  # fmt: skip
            if not verdict.allowed:
                verdict = Verdict(verdict.decision, verdict.denied_by, subject.arn)
        if len(verdicts) >= MAX_VERDICTS:
            verdicts.clear()
        # Each key bounded, as its size is the caller's to choose (a miss costs far more);
        # the reduced keys are at most the whole.
        whole = _size(resource, context) <= MAX_KEPT_CHARS
        if whole or _size(resource, dict(relevant)) <= MAX_KEPT_CHARS:
            verdicts[(*request, relevant)] = verdict
        if whole and relevant != items:
            verdicts[(*request, items)] = verdict
        return verdict

    @staticmethod
    def _keys_read(subject: _Subject, resource_policy: Policy | None) -> frozenset[str]:
        """The condition keys (lowercased) that the subject's policies and the resource's
        compiled policy can read (`Policy.request_keys`), kept per subject and that policy
        (the very object evaluation uses)."""
        read = subject.keys_read.get(resource_policy)
        if read is None:
            policies = subject.policies
            assert policies is not None
            found: set[str] = set()
            for policy in (*policies.identity, *(policies.boundary or ()),
                           *(policies.session or ())):  # fmt: skip
                found |= policy.request_keys
            if resource_policy is not None:
                found |= resource_policy.request_keys
            if len(subject.keys_read) >= MAX_VERDICTS:
                subject.keys_read.clear()
            read = subject.keys_read[resource_policy] = frozenset(found)
        return read

    def _evaluate(
        self,
        subject: _Subject,
        own: Context,
        caller: Caller,
        action: str,
        resource: str,
        context: Context,
        resource_policy: Policy | None,
        required: bool,
    ) -> Verdict:
        assert subject.policies is not None
        keys = dict(own)
        keys["aws:RequestedRegion"] = (caller.region,)
        if caller.source_ip is not None:
            keys["aws:SourceIp"] = (caller.source_ip,)
        if caller.secure_transport is not None:
            keys["aws:SecureTransport"] = ("true" if caller.secure_transport else "false",)
        via = caller.via_service
        keys["aws:ViaAWSService"] = ("false" if via is None else "true",)
        if via is not None:
            keys["aws:CalledVia"] = (_service_principal(via),)
        if action.startswith("kms:"):
            keys["kms:CallerAccount"] = (caller.account_id,)
            if via is not None:
                keys["kms:ViaService"] = (via,)
        keys.update(context)
        if len({name.lower() for name in keys}) != len(keys):
            keys = _first_of_each_case(keys)
        policies = subject.policies
        if resource_policy is not None:
            policies = PolicySet(
                identity=policies.identity,
                resource=resource_policy,
                boundary=policies.boundary,
                session=policies.session,
                is_root=policies.is_root,
                resource_required=required,
            )
        request = Request(action, resource, subject.arn, caller.account_id, keys)
        return evaluate(policies, request)

    # --- who is asking ---------------------------------------------------------------------

    def _subject(self, caller: Caller) -> _Subject:
        """The caller's policies and context, rebuilt when a record they come from changed
        and their clock keys once a second (see the module docstring)."""
        principal = caller.principal
        now = int(self._clock.now() if self._clock is not None else time.time())
        iam = self._iam
        stamp = iam.repository.stamp() if iam is not None else (0, 0)
        key = (caller.partition, principal.account_id, principal.user_name, principal.access_key_id)
        subject = self._subjects.get(key)
        if subject is None or subject.stamp != stamp:
            sources, build = self._find(caller)
            if subject is None or not _same(subject.sources, sources):
                if len(self._subjects) >= MAX_COMPILED:
                    self._subjects.clear()
                subject = build()
                subject.sources = sources
                self._subjects[key] = subject
            subject.stamp = stamp
        if subject.second != now:
            subject.renew(now)
        return subject

    def _find(self, caller: Caller) -> tuple[tuple[object, ...], Callable[[], _Subject]]:
        """The records the caller's policies come from, and how to build its subject."""
        principal = caller.principal
        partition = caller.partition
        if principal.service is not None:
            return (), lambda: _service_subject(principal)
        if principal.role_session is not None:
            return self._find_role_session(principal, partition)
        if principal.user_name == "root":
            return (), lambda: _root_subject(principal, partition)
        iam = self._iam
        user = None if iam is None else iam.repository.entity(principal.account_id, USER,
                                                              principal.user_name)  # fmt: skip
        if iam is None or user is None:
            return (None,), _nobody
        arn = user.arn(partition)  # with the user's path, as policies name it
        return self._sources(iam, user), lambda: self._user_subject(iam, user, arn)

    def _find_role_session(
        self, principal: Principal, partition: str
    ) -> tuple[tuple[object, ...], Callable[[], _Subject]]:
        assert principal.role_session is not None
        iam = self._iam
        role_name, _, session_name = principal.role_session.partition("/")
        session = self._find_session(principal.access_key_id) if self._find_session else None
        scope = None if session is None else session.scope
        role = None if iam is None else iam.repository.entity(principal.account_id, ROLE,
                                                              role_name)  # fmt: skip
        arn = principal.arn(partition)
        if iam is None or role is None:
            builtin = self._builtin_sessions.get(principal.role_session) if scope is None else None
            if builtin is not None:
                return (None,), lambda: self._builtin_subject(
                    principal, partition, arn, role_name, builtin
                )
            return (None,), _nobody  # no such role (deleted meanwhile, or never made)
        if scope is not None and scope.role_id != role.entity_id:
            return (None,), _nobody  # the assumed role was deleted; this one is another
        sources = (*self._sources(iam, role), session)

        def build() -> _Subject:
            policies = self._policy_set(iam, role)
            if scope is not None and scope.policies is not None:
                policies = PolicySet(
                    identity=policies.identity,
                    boundary=policies.boundary,
                    session=tuple(self._compile(text) for text in scope.policies),
                )
            context = principal_context(
                role, partition, session_name, () if scope is None else scope.tags
            )
            if scope is not None and scope.source_identity is not None:
                context["aws:SourceIdentity"] = (scope.source_identity,)
            return _Subject(arn, policies, context)

        return sources, build

    def _builtin_subject(
        self, principal: Principal, partition: str, arn: str, role_name: str, policy: str
    ) -> _Subject:
        """A session of a built-in function's role: its fixed policy."""
        role_arn = f"arn:{partition}:iam::{principal.account_id}:role/{role_name}"
        context = {
            "aws:PrincipalArn": (role_arn,),
            "aws:PrincipalAccount": (principal.account_id,),
            "aws:PrincipalType": ("AssumedRole",),
        }
        return _Subject(arn, PolicySet(identity=(self._compile(policy),)), context)

    def _user_subject(self, iam: Iam, user: EntityRecord, arn: str) -> _Subject:
        return _Subject(
            arn, self._policy_set(iam, user), principal_context(user, arn.split(":")[1])
        )

    @staticmethod
    def _sources(iam: Iam, entity: EntityRecord) -> tuple[object, ...]:
        """Every record a user's or role's policies come from, as the cache has them."""
        records: list[object] = [entity]
        entities = [entity]
        for group_key in entity.groups if entity.kind == USER else ():
            group = iam.repository.entity(entity.account, GROUP, group_key)
            records.append(group)
            if group is not None:
                entities.append(group)
        arns = [arn for each in entities for arn in each.attached]
        if entity.boundary is not None:
            arns.append(entity.boundary)
        records += [iam.repository.policy(entity.account, name_in_arn(arn)) for arn in arns]
        return tuple(records)

    def _policy_set(self, iam: Iam, entity: EntityRecord) -> PolicySet:
        texts, boundary = policy_texts(iam, entity)
        return PolicySet(
            identity=tuple(self._compile(text) for text in texts),
            boundary=None if boundary is None else tuple(self._compile(t) for t in boundary),
        )

    def _compile(self, text: str) -> Policy:
        """An identity policy (checked when stored), compiled once."""
        policy = self._compiled.get(text)
        if policy is None:
            if len(self._compiled) >= MAX_COMPILED:
                self._compiled.clear()
            policy = Policy.from_document(parsed(text))
            self._compiled[text] = policy
        return policy

    def _compile_resource_policy(self, text: str) -> Policy:
        """A resource's policy, compiled once; one stored before its grammar was checked
        and failing it now allows nothing (fail closed)."""
        policy = self._compiled_resource.get(text)
        if policy is None:
            try:
                policy = Policy.from_document(parse_policy(text, resource_policy=True))
            except PolicyGrammarError:
                policy = Policy(())
            if len(self._compiled_resource) >= MAX_COMPILED:
                self._compiled_resource.clear()
            self._compiled_resource[text] = policy
        return policy


@dataclass(slots=True, eq=False)
class _Subject:
    """What deciding one principal's requests takes, and the records it was built from."""

    arn: str
    policies: PolicySet | None
    """None: the principal is allowed nothing (its IAM record is gone)."""
    own_context: Context
    """The principal's condition keys, without the clock's."""
    context: dict[str, tuple[str, ...]] = field(default_factory=dict)
    second: int = -1
    sources: tuple[object, ...] = ()
    stamp: tuple[int, ...] = ()
    """The IAM repository's stamp when `sources` were last found unchanged."""
    verdicts: dict[tuple[object, ...], Verdict] = field(default_factory=dict)
    """Verdicts by request for the current second (cleared with the clock keys)."""
    keys_read: dict[Policy | None, frozenset[str]] = field(default_factory=dict)
    """The condition keys its policies read, by compiled resource policy (`_keys_read`)."""

    def renew(self, now: int) -> None:
        """The clock keys for second `now`; verdicts of the second before are dropped."""
        self.context = {
            **self.own_context,
            "aws:CurrentTime": (datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),),
            "aws:EpochTime": (str(now),),
        }
        self.second = now
        self.verdicts = {}  # after the new context: `_decide_anew` reads verdicts, then context


def _size(resource: str, context: Context) -> int:
    """The characters of a verdict's resource and condition keys (names and values)."""
    return len(resource) + sum(
        len(name) + sum(len(value) for value in values) for name, values in context.items()
    )


def principal_context(
    entity: EntityRecord,
    partition: str,
    session_name: str = "",
    session_tags: Iterable[tuple[str, str]] = (),
) -> dict[str, tuple[str, ...]]:
    """The condition keys of requests by an IAM user, or by a session `session_name` of a
    role (whose session tags win over the role's tags, in any letter case)."""
    tags = {tag["Key"]: tag["Value"] for tag in entity.tags}
    if session_tags := tuple(session_tags):
        session_keys = {key.lower() for key, _ in session_tags}
        tags = {k: v for k, v in tags.items() if k.lower() not in session_keys}
        tags.update(session_tags)
    context: dict[str, tuple[str, ...]] = {
        "aws:PrincipalArn": (entity.arn(partition),),
        "aws:PrincipalAccount": (entity.account,),
    }
    if entity.kind == USER:
        context["aws:username"] = (entity.name,)
        context["aws:userid"] = (entity.entity_id,)
        context["aws:PrincipalType"] = ("User",)
    else:
        context["aws:userid"] = (f"{entity.entity_id}:{session_name}",)
        context["aws:PrincipalType"] = ("AssumedRole",)
    context.update({f"aws:PrincipalTag/{key}": (value,) for key, value in tags.items()})
    return context


def _nobody() -> _Subject:
    return _Subject("", None, {})


def _root_subject(principal: Principal, partition: str) -> _Subject:
    arn = principal.arn(partition)
    context = {
        "aws:PrincipalArn": (arn,),
        "aws:PrincipalAccount": (principal.account_id,),
        "aws:PrincipalType": ("Account",),
        "aws:userid": (principal.account_id,),
    }
    return _Subject(arn, PolicySet(is_root=True), context)


def _service_subject(principal: Principal) -> _Subject:
    service = principal.service or ""
    return _Subject(service, PolicySet(), {"aws:PrincipalServiceName": (service,)})


def _first_of_each_case(keys: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
    """Keys whose names differ only in case (tags `Env` and `env`) are one condition key
    to AWS: the first one given is kept."""
    kept: dict[str, tuple[str, ...]] = {}
    seen: set[str] = set()
    for name, values in keys.items():
        if name.lower() not in seen:
            seen.add(name.lower())
            kept[name] = values
    return kept


def _service_principal(host: str) -> str:
    """`secretsmanager.us-east-1.amazonaws.com` -> `secretsmanager.amazonaws.com`."""
    return f"{host.split('.', 1)[0]}.amazonaws.com"


def _same(cached: tuple[object, ...], current: tuple[object, ...]) -> bool:
    """Whether the records are the same (the cache's own objects, or equal re-reads)."""
    return len(cached) == len(current) and all(
        a is b or a == b for a, b in zip(cached, current, strict=True)
    )
