"""The authorizer that enforces IAM users' identity policies (issue 12, first step).

A request by an IAM user (`arn:aws:iam::<account>:user/<name>`) is decided by
`policy.evaluate` over the user's identity policies (inline, attached, and its groups')
and its permissions boundary, as AWS decides a same-account request with no resource
policy. The request context carries the principal's keys (`aws:username`, `aws:userid`,
`aws:PrincipalArn`, `aws:PrincipalAccount`, `aws:PrincipalType`, `aws:PrincipalTag/*`)
and the time (`aws:CurrentTime`, `aws:EpochTime`); keys this hook does not see yet
(source IP, transport, encryption context, via-service) are absent, which AWS's rules
treat as absent keys.

Everyone else is decided as before this step: the account root, AWS services acting on
their own and the per-invocation sessions of rotation functions are allowed (resource
policies, key policies, roles and STS come next). A user name with no IAM user record
(deleted meanwhile) is allowed nothing.

Documents are compiled once per stored text; a user's compiled policies, request template
and verdicts (by action and resource) are kept while the IAM repository's stamp is
unchanged or, when it moved, while the records they come from are the same objects in its
cache (which follows other processes' writes); the template's clock keys, and with them
the verdicts, are renewed every second.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

from strongroom.clock import Clock
from strongroom.policy import (
    Decision,
    Policy,
    PolicySet,
    Request,
    Verdict,
    access_denied_message,
    evaluate,
)
from strongroom.services.iam.documents import parsed
from strongroom.services.iam.principal_policies import policy_texts
from strongroom.services.iam.records import GROUP, USER, EntityRecord, name_in_arn
from strongroom.services.iam.service import Iam

MAX_COMPILED = 4096
"""Compiled documents (by text) and users kept before the cache starts over."""
MAX_VERDICTS = 1024
"""Verdicts kept per user and second before that cache starts over."""


class IamAuthorizer:
    """Decides (principal ARN, action, resource) questions; see the module docstring."""

    def __init__(self, clock: Clock | None = None) -> None:
        self._iam: Iam | None = None
        self._clock = clock
        self._compiled: dict[str, Policy] = {}
        self._deciders: dict[tuple[str, str], _UserDecider] = {}

    def attach(self, iam: Iam) -> None:
        """Read users and policies from `iam` (the IAM service, built after this)."""
        self._iam = iam

    def is_allowed(self, principal_arn: str, action: str, resource: str) -> bool:
        """True when the principal may do `action` on `resource`."""
        verdict = self._verdict(principal_arn, action, resource)
        return verdict is None or verdict.allowed

    def denial_message(self, principal_arn: str, action: str, resource: str) -> str:
        """AWS's AccessDenied wording for a refused request (asked only after a refusal)."""
        verdict = self._verdict(principal_arn, action, resource)
        if verdict is None or verdict.allowed:  # changed meanwhile: say no more than this
            verdict = Verdict(Decision.IMPLICIT_DENY, None)
        return access_denied_message(principal_arn, action, resource, verdict)

    def _verdict(self, principal_arn: str, action: str, resource: str) -> Verdict | None:
        """The engine's verdict for an IAM user's request (None: not a user's, allowed)."""
        account, user_name = _iam_user(principal_arn)
        if user_name is None:
            return None  # root, services, sessions: as before (see the module docstring)
        iam = self._iam
        user = None if iam is None else iam.repository.entity(account, USER, user_name)
        if iam is None or user is None:
            return Verdict(Decision.IMPLICIT_DENY, "identity")
        decider = self._decider(iam, user, principal_arn)
        verdict = decider.verdicts.get((action, resource))
        if verdict is None:  # exact: the template (clock keys included) is the same
            if len(decider.verdicts) >= MAX_VERDICTS:
                decider.verdicts.clear()
            verdict = evaluate(decider.policies, decider.template.for_action(action, resource))
            decider.verdicts[(action, resource)] = verdict
        return verdict

    def _decider(self, iam: Iam, user: EntityRecord, principal_arn: str) -> _UserDecider:
        """The user's compiled policies and request template, rebuilt when any record they
        come from is not the one the IAM repository's cache holds now (it changed), and
        the template's clock keys once a second."""
        now = int(self._clock.now() if self._clock is not None else time.time())
        stamp = iam.repository.stamp()
        key = (user.account, user.name)
        decider = self._deciders.get(key)
        if decider is None or decider.stamp != stamp:  # IAM may have changed: look closer
            sources = self._sources(iam, user)
            if decider is None or not _same(decider.sources, sources):
                if len(self._deciders) >= MAX_COMPILED:
                    self._deciders.clear()
                decider = _UserDecider(sources, self._policies(iam, user), self._template(
                    user, principal_arn, now), now, stamp)  # fmt: skip
                self._deciders[key] = decider
            decider.stamp = stamp
        if decider.second != now:
            decider.template, decider.second = self._template(user, principal_arn, now), now
            decider.verdicts.clear()
        return decider

    @staticmethod
    def _sources(iam: Iam, user: EntityRecord) -> tuple[object, ...]:
        """Every record the user's policies come from, as the repository's cache has them."""
        records: list[object] = [user]
        entities = [user]
        for group_key in user.groups:
            group = iam.repository.entity(user.account, GROUP, group_key)
            records.append(group)
            if group is not None:
                entities.append(group)
        arns = [arn for entity in entities for arn in entity.attached]
        if user.boundary is not None:
            arns.append(user.boundary)
        records += [iam.repository.policy(user.account, name_in_arn(arn)) for arn in arns]
        return tuple(records)

    def _policies(self, iam: Iam, user: EntityRecord) -> PolicySet:
        texts, boundary = policy_texts(iam, user)
        return PolicySet(
            identity=tuple(self._compile(text) for text in texts),
            boundary=None if boundary is None else tuple(self._compile(t) for t in boundary),
        )

    def _compile(self, text: str) -> Policy:
        policy = self._compiled.get(text)
        if policy is None:
            if len(self._compiled) >= MAX_COMPILED:
                self._compiled.clear()
            policy = Policy.from_document(parsed(text))
            self._compiled[text] = policy
        return policy

    @staticmethod
    def _template(user: EntityRecord, principal_arn: str, now: int) -> Request:
        """A request by the user with its condition keys; `for_action` fills the rest."""
        context: dict[str, tuple[str, ...]] = {
            "aws:username": (user.name,),
            "aws:userid": (user.entity_id,),
            "aws:PrincipalArn": (principal_arn,),
            "aws:PrincipalAccount": (user.account,),
            "aws:PrincipalType": ("User",),
            "aws:CurrentTime": (datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),),
            "aws:EpochTime": (str(now),),
        }
        for tag in user.tags:
            context[f"aws:PrincipalTag/{tag['Key']}"] = (tag["Value"],)
        return Request("", "", principal_arn, user.account, context)


@dataclass(slots=True)
class _UserDecider:
    """What deciding one user's requests takes, and the records it was built from."""

    sources: tuple[object, ...]
    policies: PolicySet
    template: Request
    second: int
    stamp: tuple[int, ...]
    """The IAM repository's stamp when `sources` were last found unchanged."""
    verdicts: dict[tuple[str, str], Verdict] = field(default_factory=dict)
    """Verdicts by (action, resource) for this template (cleared with it)."""


def _same(cached: tuple[object, ...], current: tuple[object, ...]) -> bool:
    return len(cached) == len(current) and all(a is b for a, b in zip(cached, current, strict=True))


def _iam_user(principal_arn: str) -> tuple[str, str | None]:
    """(account, user name) of an IAM user's ARN; (account or "", None) for anyone else."""
    parts = principal_arn.split(":", 5)
    if len(parts) != 6 or parts[2] != "iam" or not parts[5].startswith("user/"):
        return (parts[4] if len(parts) == 6 else ""), None
    return parts[4], parts[5].rsplit("/", 1)[-1]
