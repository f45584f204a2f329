"""What a policy simulation is given, checked: policies as text, action names, resource
ARNs, the caller and resource owner, and typed context entries.

Every check raises AWS's InvalidInput with a message that names the member at fault (and,
for a policy, the grammar's reason, which never quotes the policy). Context values are
checked against their `ContextKeyType` with the policy engine's own parsing (a value is
well formed exactly when the matching condition operator can read it), then kept as the
strings they were given: the request context holds strings, as AWS's does.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from strongroom.errors import InvalidInputException
from strongroom.policy import Policy, PolicyGrammarError, Request, condition_matches, parse_policy
from strongroom.services.iam.simulation_positions import Span, statement_spans

INPUT_TYPE = "none"
"""`SourcePolicyType` of a policy passed as text (the model's `PolicySourceType` enum has
no closer value; AWS itself has been seen answering "IAM Policy", outside its enum)."""
RESOURCE_TYPE = "resource"

_ACTION: Final = re.compile(r"[A-Za-z0-9-]+:[A-Za-z0-9_.-]+")
_CONTEXT_KEY: Final = re.compile(r"[A-Za-z0-9-]+:[^\x00-\x1f]+")
_USER_ARN: Final = re.compile(r"arn:(aws|aws-cn|aws-us-gov):iam::([0-9]{12}):user/(?:.*/)?[^/]+")
_ACCOUNT: Final = re.compile(r"[0-9]{12}")
_ROOT_ARN: Final = re.compile(r"arn:(?:aws|aws-cn|aws-us-gov):iam::([0-9]{12}):root")
# The condition operator that reads each typed value; "string" values need no check.
_READERS: Final = {
    "numeric": "NumericEquals",
    "boolean": "Bool",
    "ip": "IpAddress",
    "binary": "BinaryEquals",
    "date": "DateEquals",
}


@dataclass(frozen=True, slots=True)
class SourcePolicy:
    """One policy in a simulation, named as `MatchedStatements` names it."""

    source_id: str
    source_type: str
    text: str
    policy: Policy
    spans: list[Span] = field(default_factory=list, compare=False)
    """Where each statement sits in `text` (see `simulation_positions`)."""


def compiled(source_id: str, source_type: str, text: str, document: dict[str, Any]) -> SourcePolicy:
    """A policy `parse_policy` accepted, compiled and located."""
    return SourcePolicy(
        source_id, source_type, text, Policy.from_document(document), statement_spans(text)
    )


def input_policies(member: str, texts: Sequence[str] | None) -> list[SourcePolicy]:
    """Identity (or boundary) policies given as text: `<member>.1`, `<member>.2`, ..."""
    policies = []
    for number, text in enumerate(texts or (), start=1):
        name = f"{member}.{number}"
        policies.append(compiled(name, INPUT_TYPE, text, _parsed(name, text, resource=False)))
    return policies


def resource_policy(text: str | None) -> SourcePolicy | None:
    """The `ResourcePolicy`, checked as a resource-based policy."""
    if text is None:
        return None
    name = "ResourcePolicy"
    return compiled(name, RESOURCE_TYPE, text, _parsed(name, text, resource=True))


def _parsed(name: str, text: str, *, resource: bool) -> dict[str, Any]:
    try:
        return parse_policy(text, resource_policy=resource)
    except PolicyGrammarError as error:
        raise InvalidInputException(f"{name} is not a valid policy: {error}") from None


def action_names(names: Sequence[str]) -> list[str]:
    """`service:Action` names, at least one; wildcards name no single operation."""
    if not names:
        raise InvalidInputException("ActionNames must name at least one action.")
    for name in names:
        if not _ACTION.fullmatch(name):
            raise InvalidInputException(
                f"Action name {name} is not valid: it must be service:Action, without wildcards."
            )
    return list(names)


def resource_arns(arns: Sequence[str] | None) -> list[str]:
    """The resources to simulate on: `*` when none are given."""
    if not arns:
        return ["*"]
    for arn in arns:
        if arn != "*" and not (arn.startswith("arn:") and arn.count(":") >= 5):
            raise InvalidInputException(f"Resource {arn} is not valid: it must be * or an ARN.")
    return list(arns)


def caller_arn(arn: str | None) -> tuple[str, str] | None:
    """(ARN, account) of the simulated calling IAM user, or None when not given."""
    if arn is None:
        return None
    match = _USER_ARN.fullmatch(arn)
    if match is None:
        raise InvalidInputException(f"CallerArn {arn} is not valid: it must be an IAM user ARN.")
    return arn, match.group(2)


def resource_owner(owner: str | None) -> str | None:
    """The account named by `ResourceOwner` (an account id or its root ARN), or None."""
    if owner is None:
        return None
    if _ACCOUNT.fullmatch(owner):
        return owner
    match = _ROOT_ARN.fullmatch(owner)
    if match is None:
        raise InvalidInputException(
            f"ResourceOwner {owner} is not valid: it must be an account id or "
            "arn:aws:iam::<account>:root."
        )
    return match.group(1)


def context_entries(entries: Sequence[Mapping[str, Any]] | None) -> dict[str, tuple[str, ...]]:
    """`ContextEntries` as condition keys (names given twice, in any case, are refused)."""
    keys: dict[str, tuple[str, ...]] = {}
    seen: set[str] = set()
    for number, entry in enumerate(entries or (), start=1):
        name = entry.get("ContextKeyName")
        where = f"ContextEntries.{number}"
        if not name or not _CONTEXT_KEY.fullmatch(name):
            raise InvalidInputException(f"{where}: ContextKeyName must be service:key.")
        if name.lower() in seen:
            raise InvalidInputException(f"{where}: context key {name} is given twice.")
        seen.add(name.lower())
        keys[name] = _values(where, name, entry)
    return keys


def _values(where: str, name: str, entry: Mapping[str, Any]) -> tuple[str, ...]:
    values = tuple(entry.get("ContextKeyValues") or ())
    kind = entry.get("ContextKeyType") or ("string" if len(values) == 1 else "stringList")
    single = kind.removesuffix("List")
    if single == kind and len(values) != 1:
        raise InvalidInputException(f"{where}: a {kind} context key takes exactly one value.")
    for value in values:
        if not _readable(single, value):
            raise InvalidInputException(f"{where}: {value} is not a valid {single} for {name}.")
    return values


def _readable(kind: str, value: str) -> bool:
    """Whether the engine reads `value` as a `kind` (it then equals itself)."""
    operator = _READERS.get(kind)
    if operator is None:
        return True
    probe = Request("", "", "", "", {"simulation:value": (value,)})
    return condition_matches({operator: {"simulation:value": value}}, probe, variables=False)
