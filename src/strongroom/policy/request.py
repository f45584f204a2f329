"""The request context that policies are evaluated against.

A `Request` says who (principal ARN and account) wants to do what (action) to which
resource, and carries the condition keys AWS would put in the request context.

Invariants:
- Condition KEY names are case-insensitive (AWS: "condition key names are not case
  sensitive"); `values` finds a key however it is spelled. Values are kept exactly as
  given: each operator decides whether case matters.
- Every value is a tuple of strings: multivalued keys (aws:TagKeys,
  kms:EncryptionContextKeys) hold several, single-valued keys a 1-tuple. An empty tuple
  is a key with no values, which conditions treat as null, as AWS treats an empty set.
- `context` is the only source of condition keys: nothing is derived from
  `principal_arn` (AWS's aws:PrincipalArn is the role's ARN for a role session, which the
  session ARN alone cannot give, path included), so whoever builds a Request supplies
  every key AWS would, such as aws:PrincipalArn, aws:PrincipalAccount and aws:username.
- Immutable and pure: `context` is copied into a read-only mapping. A `str` given where
  a tuple belongs (`TypeError`: it would read as a tuple of characters) and two keys
  that differ only in case (`ValueError`: which one wins?) are programmer mistakes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

_EMPTY: Mapping[str, tuple[str, ...]] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class Request:
    """One request to authorize: action, resource, principal and condition keys."""

    action: str
    resource: str
    principal_arn: str
    principal_account: str
    context: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: _EMPTY)
    _by_lower: Mapping[str, tuple[str, ...]] = field(
        init=False, repr=False, compare=False, hash=False
    )

    def __post_init__(self) -> None:
        context = dict(self.context)
        index: dict[str, tuple[str, ...]] = {}
        for key, values in context.items():
            if not isinstance(values, tuple) or not all(isinstance(v, str) for v in values):
                raise TypeError(f"context[{key!r}] must be a tuple of strings")
            if key.lower() in index:
                raise ValueError(f"context names {key!r} twice (key names ignore case)")
            index[key.lower()] = values
        object.__setattr__(self, "context", MappingProxyType(context))
        object.__setattr__(self, "_by_lower", MappingProxyType(index))

    def for_action(self, action: str, resource: str) -> Request:
        """The same principal and context asking for another action on another resource:
        the context, checked once, is shared (a caller's template, reused per request)."""
        request = object.__new__(Request)
        for name, value in (
            ("action", action),
            ("resource", resource),
            ("principal_arn", self.principal_arn),
            ("principal_account", self.principal_account),
            ("context", self.context),
            ("_by_lower", self._by_lower),
        ):
            object.__setattr__(request, name, value)
        return request

    def values(self, key: str) -> tuple[str, ...] | None:
        """The values of condition key `key` (any case), or None when it is absent."""
        return self._by_lower.get(key.lower())
