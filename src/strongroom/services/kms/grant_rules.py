"""What a grant may allow on a key, its constraints, and when a request meets them.

AWS's rules ("Grant operations", "Using grant constraints", CreateGrant):
- A grant allows only operations its key supports (a symmetric encryption key: the
  encryption and data key operations; an RSA encryption key: Encrypt, Decrypt, the two
  ReEncrypts and GetPublicKey; a signing key: Sign, Verify, GetPublicKey; an HMAC key:
  GenerateMac, VerifyMac; a key agreement key: DeriveSharedSecret, GetPublicKey), and
  on any key DescribeKey, CreateGrant and RetireGrant; never CreateGrant alone.
- EncryptionContextEquals allows an operation only when the request's encryption context
  is exactly the constraint's; EncryptionContextSubset when it holds every pair of the
  constraint (and maybe more). Keys and values compare case-sensitively. A grant with
  both needs both. Each has at most 8 pairs, each value at most 384 characters.
- Constraints apply to operations that take an encryption context, so only on symmetric
  encryption keys; on DescribeKey and RetireGrant they do not apply; a grant that allows
  CreateGrant lets its grantee create only grants with a subset of its operations and
  constraints as strict or stricter (`at_least_as_strict`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from strongroom.errors import ValidationException
from strongroom.services.kms.key_specs import (
    ENCRYPT_DECRYPT,
    GENERATE_VERIFY_MAC,
    KEY_AGREEMENT,
    SIGN_VERIFY,
    SYMMETRIC_DEFAULT,
)
from strongroom.services.kms.records import GrantRecord, KeyRecord

TAKES_CONTEXT = frozenset(
    {
        "Encrypt",
        "Decrypt",
        "ReEncryptFrom",
        "ReEncryptTo",
        "GenerateDataKey",
        "GenerateDataKeyWithoutPlaintext",
        "GenerateDataKeyPair",
        "GenerateDataKeyPairWithoutPlaintext",
    }
)
"""Grant operations whose requests carry an encryption context (on a symmetric key)."""

UNCONSTRAINED = frozenset({"DescribeKey", "RetireGrant"})
"""Grant operations a constraint does not apply to."""

_ANY_KEY = frozenset({"DescribeKey", "CreateGrant", "RetireGrant"})
_BY_USAGE: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        ENCRYPT_DECRYPT: frozenset(
            {"Encrypt", "Decrypt", "ReEncryptFrom", "ReEncryptTo", "GetPublicKey"}
        ),
        SIGN_VERIFY: frozenset({"Sign", "Verify", "GetPublicKey"}),
        GENERATE_VERIFY_MAC: frozenset({"GenerateMac", "VerifyMac"}),
        KEY_AGREEMENT: frozenset({"DeriveSharedSecret", "GetPublicKey"}),
    }
)
_SYMMETRIC = TAKES_CONTEXT | _ANY_KEY
GRANT_OPERATIONS = frozenset({*_SYMMETRIC, *(op for ops in _BY_USAGE.values() for op in ops)})
"""Every operation a grant may name (botocore's GrantOperation enum)."""

MAX_PAIRS = 8
MAX_VALUE_LENGTH = 384
EQUALS = "EncryptionContextEquals"
SUBSET = "EncryptionContextSubset"


def key_operations(record: KeyRecord) -> frozenset[str]:
    """The grant operations `record`'s key supports."""
    if record.key_spec == SYMMETRIC_DEFAULT:
        return _SYMMETRIC
    return _BY_USAGE.get(record.key_usage, frozenset()) | _ANY_KEY


def check_operations(record: KeyRecord, operations: Iterable[str]) -> list[str]:
    """The requested operations, each once, in the order given; ValidationException for an
    empty list, CreateGrant alone, or one the key does not support."""
    chosen = list(dict.fromkeys(operations))
    if not chosen:
        raise ValidationException("Grants must contain at least one operation.")
    if chosen == ["CreateGrant"]:
        raise ValidationException("Grants must not contain only the CreateGrant operation.")
    supported = key_operations(record)
    refused = [op for op in chosen if op not in supported]
    if refused:
        raise ValidationException(
            f"Grant operations {', '.join(refused)} are not valid for {record.arn}, "
            f"whose key spec is {record.key_spec} and key usage {record.key_usage}."
        )
    return chosen


@dataclass(frozen=True, slots=True)
class Constraints:
    """A grant's encryption context constraints (None: not set)."""

    equals: dict[str, str] | None = None
    subset: dict[str, str] | None = None

    @classmethod
    def of(cls, raw: Mapping[str, Any] | None) -> Constraints:
        """From CreateGrant's `Constraints` member (already of the model's shape)."""
        if not raw:
            return cls()
        equals, subset = raw.get(EQUALS), raw.get(SUBSET)
        return cls(
            None if equals is None else dict(equals), None if subset is None else dict(subset)
        )

    @property
    def types(self) -> tuple[str, ...]:
        """The constraint types set (`kms:GrantConstraintType`)."""
        return tuple(
            name
            for name, value in ((EQUALS, self.equals), (SUBSET, self.subset))
            if value is not None
        )

    def pairs(self) -> dict[str, str]:
        """Every constrained pair (`kms:EncryptionContext:*` at CreateGrant)."""
        return {**(self.subset or {}), **(self.equals or {})}


def check_constraints(record: KeyRecord, constraints: Constraints) -> None:
    """ValidationException for constraints the key cannot have or that are too large."""
    if not constraints.types:
        return
    if record.key_spec != SYMMETRIC_DEFAULT:
        raise ValidationException(
            f"Grant constraints are not valid for {record.arn}: operations with a key of "
            f"spec {record.key_spec} take no encryption context."
        )
    for name in constraints.types:
        pairs = constraints.equals if name == EQUALS else constraints.subset
        assert pairs is not None
        if len(pairs) > MAX_PAIRS:
            raise ValidationException(
                f"{name} may hold at most {MAX_PAIRS} encryption context pairs."
            )
        if any(len(value) > MAX_VALUE_LENGTH for value in pairs.values()):
            raise ValidationException(
                f"An encryption context value in {name} may be at most "
                f"{MAX_VALUE_LENGTH} characters."
            )


def meets(grant: GrantRecord, operation: str, context: Mapping[str, str] | None) -> bool:
    """Whether a request for `operation` with encryption `context` meets the grant's
    constraints (`context` None: none was given)."""
    if not grant.constrained or operation in UNCONSTRAINED:
        return True
    if operation not in TAKES_CONTEXT:
        return False  # no such grant can be made; refuse rather than guess
    given = context or {}
    if grant.equals is not None and dict(given) != grant.equals:
        return False
    subset = grant.subset
    return subset is None or all(given.get(k) == v for k, v in subset.items())


def at_least_as_strict(child: Constraints, parent: GrantRecord) -> bool:
    """Whether every request `child` allows, `parent`'s constraints allow too."""
    if parent.equals is not None and child.equals != parent.equals:
        return False
    if parent.subset is None:
        return True
    required = parent.subset.items()
    return any(
        held is not None and all(held.get(k) == v for k, v in required)
        for held in (child.subset, child.equals)
    )
