"""Whether one statement's Action, Resource and Principal elements name a request.

AWS's rules (IAM User Guide, "IAM JSON policy elements" Action, NotAction, Resource,
NotResource, Principal, NotPrincipal):
- Actions: "service:action"; prefix and name are case-insensitive; `*` matches any run of
  characters and `?` one; "*" alone is every action. No policy variables.
- Resources: ARNs compared case-sensitively. `*` and `?` are wildcards "within the
  individual segments of an ARN"; a `*` that is "the last character of a resource ARN
  segment ... can expand to match beyond the colon boundaries". After the fifth colon (the
  resource part, which itself may hold colons) wildcards match any character. Policy
  variables are substituted first (2012-10-17 only); their values never act as wildcards,
  and a variable with no value makes the pattern match nothing (`resource_pattern` None).
- Principal (resource policies): "*" and {"AWS": "*"} are every principal; an account id
  or `arn:...:iam::<account>:root` is any principal of that account (it "delegates
  authority to the account"); a user, role session or federated-user ARN names exactly
  that caller; a role ARN names the sessions of that role; {"Service": name} a call made
  by that AWS service (the request's aws:PrincipalServiceName). Entries are ORed. How an
  entry names the caller is a `Grant`, which evaluation needs: AWS limits a role-ARN grant
  by the session's boundary and session policy but not a direct grant, and an account
  grant only delegates to the account's identity policies.
- NotPrincipal: AWS checks a caller as a chain: its account, then its role (for a
  session), then the caller itself. A Deny with NotPrincipal applies unless every link of
  the chain is listed; an Allow applies only when no link is listed. Both err closed.

Invariants: pure, stdlib only, never raises on any request; matching time is linear in
text times pattern (no backtracking regular expressions on policy text).
"""

from __future__ import annotations

import enum
import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

from strongroom.policy.request import Request
from strongroom.policy.variables import WildcardPattern, wildcard_pattern

PrincipalElement = str | Mapping[str, str | Sequence[str]]

_ANY_RUN: Final = "<*>"  # variables.WildcardPattern's wildcard tokens
_ANY_ONE: Final = "<?>"
_ARN_FIXED_COLONS: Final = 5  # arn:partition:service:region:account:<resource>
_ACCOUNT_ID: Final = re.compile(r"[0-9]{12}")
_ROOT: Final = re.compile(r"arn:([^:]+):iam::([0-9]{12}):root")
_SESSION: Final = re.compile(r"arn:([^:]+):sts::([0-9]{12}):assumed-role/([^/]+)/.+")
_ROLE: Final = re.compile(r"arn:([^:]+):iam::([0-9]{12}):role/(?:.*/)?([^/]+)")
_SERVICE_KEY: Final = "aws:PrincipalServiceName"
_FEDERATED_KEY: Final = "aws:FederatedProvider"


class Grant(enum.IntEnum):
    """How a Principal element names the caller; higher is more direct."""

    ACCOUNT = 1  # the caller's account: a delegation to that account's identity policies
    ROLE = 2  # the role whose session is calling: limited by boundary and session policy
    DIRECT = 3  # the caller itself, "*", or the calling service


def action_matches(pattern: str, action: str) -> bool:
    """Whether an Action/NotAction entry names `action` (case-insensitive, wildcards)."""
    if pattern == "*":
        return True
    return _action_pattern(pattern).matches(action.lower())


@functools.lru_cache(maxsize=4096)
def _action_pattern(pattern: str) -> WildcardPattern:
    compiled = wildcard_pattern(pattern.lower(), None)
    assert compiled is not None  # without a request nothing is substituted
    return compiled


def resource_pattern(text: str, request: Request, *, variables: bool = True) -> ArnPattern | None:
    """A Resource/NotResource entry ready to match; None when a variable has no value.

    `variables` False is the 2008-10-17 language, where `${...}` is literal text.
    """
    compiled = wildcard_pattern(text, request if variables else None)
    return None if compiled is None else _arn_pattern(compiled)


def resource_matches(
    pattern: str, resource: str, request: Request, *, variables: bool = True
) -> bool:
    """Whether a Resource entry names `resource` (an entry with a valueless variable: no)."""
    if pattern == "*":
        return True
    compiled = resource_pattern(pattern, request, variables=variables)
    return compiled is not None and compiled.matches(resource)


# A token is (kind, char): _LITERAL with its character, or a wildcard that may or may not
# cross a colon.
_LITERAL, _RUN, _RUN_IN_SEGMENT, _ONE, _ONE_IN_SEGMENT = range(5)
_Tokens = tuple[tuple[int, str], ...]


@dataclass(frozen=True, slots=True)
class ArnPattern:
    """A resource pattern after substitution, with AWS's ARN segment rule."""

    tokens: _Tokens
    literal: str | None = field(default=None, init=False, compare=False, repr=False)
    """The whole pattern when it holds no wildcard (matching is string equality)."""
    prefix: str | None = field(default=None, init=False, compare=False, repr=False)
    """What comes before the pattern's only wildcard, a final colon-crossing `*`
    (matching is `startswith`)."""

    def __post_init__(self) -> None:
        kinds = [kind for kind, _ in self.tokens]
        text = "".join(char for _, char in self.tokens)
        if all(kind == _LITERAL for kind in kinds):
            object.__setattr__(self, "literal", text)
        elif kinds[-1] == _RUN and all(kind == _LITERAL for kind in kinds[:-1]):
            object.__setattr__(self, "prefix", text)

    def matches(self, text: str) -> bool:
        """Whether all of `text` matches: equality or a prefix for the common shapes, else
        a set-of-states walk, O(len(text) * tokens)."""
        if self.literal is not None:
            return text == self.literal
        if self.prefix is not None:
            return text.startswith(self.prefix)
        tokens = self.tokens
        end = len(tokens)
        states = _skip_runs(tokens, {0})
        for char in text:
            following: set[int] = set()
            for state in states:
                if state == end:
                    continue
                kind, literal = tokens[state]
                if kind == _LITERAL:
                    if literal == char:
                        following.add(state + 1)
                elif kind == _RUN or (kind == _RUN_IN_SEGMENT and char != ":"):
                    following.add(state)
                elif kind == _ONE or (kind == _ONE_IN_SEGMENT and char != ":"):
                    following.add(state + 1)
            if not following:
                return False
            states = _skip_runs(tokens, following)
        return end in states


@functools.lru_cache(maxsize=4096)
def _arn_pattern(pattern: WildcardPattern) -> ArnPattern:
    """The pattern's tokens with AWS's segment rule applied to the first five fields."""
    source = pattern.tokens
    is_arn = source[:4] == ("a", "r", "n", ":")
    tokens: list[tuple[int, str]] = []
    colons = 0
    for index, token in enumerate(source):
        fixed_part = is_arn and colons < _ARN_FIXED_COLONS
        if token == _ANY_RUN:
            ends_segment = index + 1 == len(source) or source[index + 1] == ":"
            tokens.append((_RUN_IN_SEGMENT if fixed_part and not ends_segment else _RUN, ""))
        elif token == _ANY_ONE:
            tokens.append((_ONE_IN_SEGMENT if fixed_part else _ONE, ""))
        else:
            colons += token == ":"
            tokens.append((_LITERAL, token))
    return ArnPattern(tuple(tokens))


def _skip_runs(tokens: _Tokens, states: set[int]) -> set[int]:
    """`states` plus every state reached by letting run wildcards match nothing."""
    result: set[int] = set()
    for state in states:
        result.add(state)
        while state < len(tokens) and tokens[state][0] in (_RUN, _RUN_IN_SEGMENT):
            state += 1
            result.add(state)
    return result


def principal_grant(element: PrincipalElement, request: Request) -> Grant | None:
    """How a Principal element names the request's caller (the most direct entry), or None."""
    best: Grant | None = None
    for kind, entry in _entries(element):
        grant = _entry_grant(kind, entry, request)
        if grant is not None and (best is None or grant > best):
            best = grant
    return best


def principal_matches(element: PrincipalElement, request: Request) -> bool:
    """Whether a Principal element names the request's caller at all."""
    return principal_grant(element, request) is not None


def not_principal_applies(element: PrincipalElement, request: Request, *, deny: bool) -> bool:
    """Whether a statement with this NotPrincipal applies to the caller (see module doc)."""
    listed = [_link_listed(link, element, request) for link in _chain(request)]
    return not all(listed) if deny else not any(listed)


def _entries(element: PrincipalElement) -> list[tuple[str, str]]:
    """(type, entry) pairs; the bare "*" is {"AWS": "*"}."""
    if isinstance(element, str):
        return [("AWS", element)]
    pairs: list[tuple[str, str]] = []
    for kind, entries in element.items():
        values = (entries,) if isinstance(entries, str) else entries
        pairs.extend((kind, value) for value in values)
    return pairs


def _entry_grant(kind: str, entry: str, request: Request) -> Grant | None:
    """How one entry names the caller."""
    if kind == "Service":
        return Grant.DIRECT if entry in (request.values(_SERVICE_KEY) or ()) else None
    if kind == "Federated":
        return Grant.DIRECT if entry in (request.values(_FEDERATED_KEY) or ()) else None
    if kind != "AWS":
        return None  # CanonicalUser (S3 only) names no caller here
    if entry == "*" or (entry == request.principal_arn and entry != ""):
        return Grant.DIRECT
    if _names_role_of(entry, request):
        return Grant.ROLE
    if _is_service_call(request):
        return None  # a service belongs to no account
    if _account_of_entry(entry) == request.principal_account != "":
        return Grant.ACCOUNT
    return None


def _account_of_entry(entry: str) -> str | None:
    """The account an account entry ("123456789012" or its root ARN) names."""
    if _ACCOUNT_ID.fullmatch(entry):
        return entry
    root = _ROOT.fullmatch(entry)
    return root.group(2) if root else None


def _names_role_of(entry: str, request: Request) -> bool:
    """Whether `entry` is the ARN of the role the caller is a session of (or is)."""
    role = _ROLE.fullmatch(entry)
    if role is None:
        return False
    if entry == request.principal_arn:
        return True
    session = _SESSION.fullmatch(request.principal_arn)
    # Role names are unique within an account whatever their path, and a session's ARN
    # drops the path: partition, account and name identify the role.
    return session is not None and session.groups() == role.groups()


def _is_service_call(request: Request) -> bool:
    return request.values(_SERVICE_KEY) is not None


def _chain(request: Request) -> list[str]:
    """The links AWS checks for NotPrincipal: "account", "role" (sessions), "self"."""
    if _is_service_call(request):
        return ["self"]
    if _ROOT.fullmatch(request.principal_arn):
        return ["account"]
    if _SESSION.fullmatch(request.principal_arn):
        return ["account", "role", "self"]
    return ["account", "self"]


def _link_listed(link: str, element: PrincipalElement, request: Request) -> bool:
    """Whether the element lists that link of the caller's chain."""
    wanted = {"account": Grant.ACCOUNT, "role": Grant.ROLE, "self": Grant.DIRECT}[link]
    for kind, entry in _entries(element):
        if kind == "AWS" and entry == "*":
            return True
        grant = _entry_grant(kind, entry, request)
        if grant is wanted:
            return True
        # The root ARN names the root user itself as well as its account.
        if link == "account" and grant is Grant.DIRECT and _ROOT.fullmatch(entry):
            return True
    return False
