"""What every service operation owes the edge and the caller (DESIGN.md, contract tests).

The edge validates a request against botocore's model and calls
`OPERATIONS[name](context, caller, **params)`: so an operation takes its context and the
caller positionally, then exactly its input shape's members as keywords, the required ones
without a default and the optional ones with one. And it authorizes first (house rule 4):
a caller refused everything is asked one question, the operation's action on its resource,
gets AccessDeniedException naming both, and nothing stored changes.

`signature_tests` makes a service's signature tests; `assert_refused_first` checks one
refusal; `RecordingAuthorizer` answers as it is told and records every question it is asked
(`Question`: who, the action, the resource, the condition keys and the resource policy).
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pytest
from botocore.model import ServiceModel, Shape

from strongroom.barrier import Barrier, View
from strongroom.clock import Clock
from strongroom.crypto import system_random
from strongroom.errors import AccessDeniedException
from strongroom.identity import AccessKeyStore, Principal
from strongroom.policy import Verdict
from strongroom.services.caller import (
    ALLOWED,
    DENIED,
    AllowAuthenticated,
    Caller,
    Context,
    ResourcePolicy,
)
from strongroom.services.iam import OPERATIONS as IAM_OPERATIONS
from strongroom.services.iam import Iam
from strongroom.services.iam import plugin as iam_plugin
from strongroom.services.iam.authorizer import IamAuthorizer
from strongroom.storage.memory import MemoryStorage


@dataclass(frozen=True, slots=True)
class Question:
    """One question an authorizer was asked, as `decide` got it."""

    principal_arn: str
    action: str
    resource: str
    context: Context
    resource_policy: ResourcePolicy | None


class RecordingAuthorizer:
    """Allows the actions in `allowed` (exact, or a "service:*" prefix) and the (action,
    resource) pairs in `pairs`; records every question it is asked, with the condition
    keys and resource policy that came with it (`requests`)."""

    def __init__(
        self,
        allowed: frozenset[str] = frozenset(),
        pairs: frozenset[tuple[str, str]] = frozenset(),
    ) -> None:
        self.allowed = allowed
        self.pairs = pairs
        self.requests: list[Question] = []

    def decide(
        self,
        caller: Caller,
        action: str,
        resource: str,
        context: Context,
        resource_policy: ResourcePolicy | None,
    ) -> Verdict:
        principal_arn = caller.principal.arn(caller.partition)
        self.requests.append(
            Question(principal_arn, action, resource, dict(context), resource_policy)
        )
        service = action.split(":", 1)[0]
        allowed = (
            action in self.allowed
            or f"{service}:*" in self.allowed
            or (action, resource) in self.pairs
        )
        return ALLOWED if allowed else DENIED

    @property
    def asked(self) -> list[tuple[str, str, str]]:
        """(principal ARN, action, resource) of every question, in order."""
        return [(q.principal_arn, q.action, q.resource) for q in self.requests]

    def questions(self) -> list[tuple[str, str]]:
        """(action, resource) of every question, in order."""
        return [(q.action, q.resource) for q in self.requests]


def keyword_only(function: Callable[..., Any]) -> dict[str, inspect.Parameter]:
    """The function's keyword-only parameters, by name."""
    return {
        p.name: p
        for p in inspect.signature(function).parameters.values()
        if p.kind is inspect.Parameter.KEYWORD_ONLY
    }


def assert_positional(function: Callable[..., Any], names: list[str]) -> None:
    """`function` takes exactly `names` positionally (no defaults), then keywords only."""
    parameters = list(inspect.signature(function).parameters.values())
    positional = [p.name for p in parameters if p.kind is not inspect.Parameter.KEYWORD_ONLY]
    assert positional == names
    assert all(p.default is inspect.Parameter.empty for p in parameters[: len(names)])


def assert_keywords_are_the_members(function: Callable[..., Any], shape: Shape | None) -> None:
    """`function`'s keywords are exactly the members of its input shape."""
    members = set() if shape is None else set(shape.members)
    assert set(keyword_only(function)) == members


def assert_only_optional_members_default(
    function: Callable[..., Any], shape: Shape | None, name: str
) -> None:
    """A required member has no default; an optional one has one."""
    required = set() if shape is None else set(shape.required_members)
    for member, parameter in keyword_only(function).items():
        has_default = parameter.default is not inspect.Parameter.empty
        if member in required:
            assert not has_default, f"{name}.{member} is required but has a default"
        else:
            assert has_default, f"{name}.{member} is optional but has no default"


def signature_tests(
    operations: Mapping[str, Callable[..., Any]], model: ServiceModel, positional: list[str]
) -> tuple[Callable[[str], None], ...]:
    """The three signature tests, parametrized by operation name, for a test module to
    bind as its own: positional parameters, keywords, defaults."""
    names = sorted(operations)

    @pytest.mark.parametrize("name", names)
    def takes_positional_then_keywords_only(name: str) -> None:
        assert_positional(operations[name], positional)

    @pytest.mark.parametrize("name", names)
    def keywords_are_the_members(name: str) -> None:
        shape = model.operation_model(name).input_shape
        assert_keywords_are_the_members(operations[name], shape)

    @pytest.mark.parametrize("name", names)
    def only_optional_members_default(name: str) -> None:
        shape = model.operation_model(name).input_shape
        assert_only_optional_members_default(operations[name], shape, name)

    return (
        takes_positional_then_keywords_only,
        keywords_are_the_members,
        only_optional_members_default,
    )


def real_deny(user: Principal, action: str, resource: str) -> IamAuthorizer:
    """The server's authorizer (`IamAuthorizer`) over an IAM of its own in which `user` is
    an IAM user whose one inline policy allows `*` but denies `action` on `resource`."""
    barrier = Barrier(MemoryStorage())
    barrier.initialize(bytes(range(32)))
    keys = AccessKeyStore(View(barrier, "identity/"), system_random, Clock())
    iam = iam_plugin(barrier, keys, Clock(), system_random).context
    assert isinstance(iam, Iam)
    root = Caller(Principal("AKIAROOTROOTROOTROOT", user.account_id, "root"), "us-east-1",
                  AllowAuthenticated())  # fmt: skip
    IAM_OPERATIONS["CreateUser"](iam, root, UserName=user.user_name)
    document = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "*", "Resource": "*"},
            {"Effect": "Deny", "Action": action, "Resource": resource},
        ],
    }
    IAM_OPERATIONS["PutUserPolicy"](
        iam,
        root,
        UserName=user.user_name,
        PolicyName="deny-one",
        PolicyDocument=json.dumps(document),
    )
    authorizer = IamAuthorizer()
    authorizer.attach(iam)
    return authorizer


def assert_really_denied(
    call: Callable[[IamAuthorizer], Any],
    user: Principal,
    action: str,
    resource: str,
    stored: Callable[[], Any],
) -> None:
    """`call(authorizer)` by `user`, whom the real authorizer denies `action` on `resource`
    (`real_deny`), raises AWS's explicit-deny AccessDenied and leaves `stored()` as it was."""
    authorizer = real_deny(user, action, resource)
    before = stored()
    with pytest.raises(AccessDeniedException) as info:
        call(authorizer)
    assert info.value.message == (
        f"User: {user.arn()} is not authorized to perform: {action} on resource: {resource} "
        "with an explicit deny in an identity-based policy"
    )
    assert stored() == before


def assert_refused_first(
    call: Callable[[RecordingAuthorizer], Any],
    principal_arn: str,
    action: str,
    resource: str,
    stored: Callable[[], Any],
) -> None:
    """`call(authorizer)` by a caller refused everything asks one question, `action` on
    `resource`, raises AccessDeniedException naming both, and leaves `stored()` as it was."""
    authorizer = RecordingAuthorizer()
    before = stored()
    with pytest.raises(AccessDeniedException) as info:
        call(authorizer)
    assert authorizer.asked == [(principal_arn, action, resource)]
    assert action in info.value.message and resource in info.value.message
    assert info.value.code == "AccessDeniedException"
    assert stored() == before
