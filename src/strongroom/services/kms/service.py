"""The KMS service's dependencies and the lookups every operation shares.

`Kms` is built once by the package's `plugin`; operations are plain functions
`(kms, caller, **params)`. Key identifiers are resolved here the way AWS resolves them:
key id, key ARN, alias name or alias ARN, always within the caller's account and region.
An operation on one key gets it from `authorized_key` (read-only) or `key_to_change` (a
private copy): found, then authorized, then its state checked, in that order, so
authorizing first is structural.
"""

from __future__ import annotations

import contextlib
import functools
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from strongroom.clock import Clock
from strongroom.crypto import RandomBytes
from strongroom.errors import (
    DisabledException,
    DryRunOperationException,
    KMSInvalidStateException,
    NotFoundException,
)
from strongroom.keystores import KeyStore
from strongroom.services.caller import NO_CONTEXT, Caller, Context
from strongroom.services.kms.grant_check import grant_check
from strongroom.services.kms.key_access import KeyAccess
from strongroom.services.kms.records import (
    DISABLED,
    ENABLED,
    PENDING_DELETION,
    PENDING_IMPORT,
    PENDING_REPLICA_DELETION,
    KeyRecord,
    alias_arn,
    key_arn,
)
from strongroom.services.kms.repository import KmsRepository
from strongroom.services.kms.usage_tracker import UsageTracker
from strongroom.services.plugin import Operation as Operation  # re-exported to the operations


@dataclass(slots=True)
class Kms:
    """What KMS operations work with."""

    repository: KmsRepository
    keystores: dict[str, KeyStore]
    clock: Clock
    random: RandomBytes
    usage: UsageTracker = field(init=False)
    """Each key's latest cryptographic use (GetKeyLastUsage), beside its records."""
    access: KeyAccess = field(init=False)
    """Key policies, condition keys and grants: who may use a key."""

    def __post_init__(self) -> None:
        self.usage = UsageTracker(self.repository.view, self.clock)
        self.access = KeyAccess()
        self.access.grants = grant_check(self.repository)
        self.access.aliases = self.repository.alias_names

    def keystore(self, record: KeyRecord) -> KeyStore:
        """The key store holding this key's material."""
        return self.keystores[record.key_store]

    def forget_caches(self) -> None:
        """Drop cached records (after a rolled-back write). Material stays cached: it never
        changes, and material a rolled-back write made is under a key id nothing names."""
        self.repository.forget()

    def forget_everything(self) -> None:
        """Drop every record, material and key use held in memory (on seal, or after state
        was wiped underneath)."""
        self.repository.forget()
        self.usage.clear()
        for keystore in self.keystores.values():
            keystore.forget()


OperationT = TypeVar("OperationT", bound=Operation)


def writes(operation: OperationT) -> OperationT:
    """Run a mutating operation as one storage transaction.

    Its reads and writes, the key store's included, commit together and are serialized
    against every other process on the same storage, so concurrent read-modify-writes never
    lose an update. A failure rolls everything back and drops the caches it may have filled.
    """

    @functools.wraps(operation)
    def run(kms: Kms, caller: Caller, **params: Any) -> dict[str, Any]:
        with write_transaction(kms):
            return operation(kms, caller, **params)

    return run  # type: ignore[return-value]


@contextlib.contextmanager
def write_transaction(kms: Kms) -> Iterator[None]:
    """One storage transaction for a write (see `writes`); a failure drops the caches."""
    try:
        with kms.repository.transaction():
            yield
    except BaseException:
        kms.forget_caches()
        raise


_KEY_ID = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
    r"|mrk-[0-9a-fA-F]{32}"
)


def is_key_id(value: str) -> bool:
    """Whether `value` is a key id: a UUID in its canonical 8-4-4-4-12 form, or a
    multi-Region key's `mrk-` and 32 hex digits."""
    return _KEY_ID.fullmatch(value) is not None


def _not_found(caller: Caller, key_id: str) -> NotFoundException:
    if is_key_id(key_id):
        arn = key_arn(caller.partition, caller.region, caller.account_id, key_id)
        return NotFoundException(f"Key '{arn}' does not exist")
    return NotFoundException(f"Invalid keyId '{key_id}'")


_ALIAS_NAME = re.compile(r"alias/[a-zA-Z0-9/_-]+")


def key_id_of(kms: Kms, caller: Caller, key_ref: str, *, aliases: bool = True) -> str:
    """The key id `key_ref` names in the caller's account and region (not checked to exist).

    Anything that is not a key id, key ARN, alias name or alias ARN of the caller's
    partition, account and region is not found, before storage is touched.
    """
    if key_ref.startswith("arn:"):
        parts = key_ref.split(":", 5)
        if len(parts) != 6 or parts[2] != "kms" or parts[1] != caller.partition:
            raise NotFoundException(f"Invalid arn {key_ref}")
        if parts[3] != caller.region:
            raise NotFoundException(f"Invalid arn {parts[3]}")
        if parts[4] != caller.account_id:
            raise _not_found(caller, parts[5].removeprefix("key/"))
        key_ref = parts[5]
        if key_ref.startswith("key/"):
            key_ref = key_ref[4:]
        elif not key_ref.startswith("alias/"):
            raise NotFoundException(f"Invalid arn {key_ref}")
    if key_ref.startswith("alias/"):
        if not aliases or not _ALIAS_NAME.fullmatch(key_ref):
            raise _not_found(caller, key_ref)
        alias = kms.repository.alias(caller.account_id, caller.region, key_ref)
        if alias is None:
            arn = alias_arn(caller.partition, caller.region, caller.account_id, key_ref)
            raise NotFoundException(f"Alias {arn} is not found.")
        return alias.target_key_id
    if not is_key_id(key_ref):
        raise _not_found(caller, key_ref)
    return key_ref.lower()


def find_key(kms: Kms, caller: Caller, key_ref: str, *, aliases: bool = True) -> KeyRecord:
    """The key `key_ref` names, or `NotFoundException`. Deleted keys are not found.

    It does not authorize: an operation that acts on a key gets it from `authorized_key`
    or `key_to_change`; this is for lookups whose authorization is not on the key
    (ListAliases' filter).
    """
    key_id = key_id_of(kms, caller, key_ref, aliases=aliases)
    record = kms.repository.key(caller.account_id, caller.region, key_id)
    if record is None or is_past_deletion(kms, record):
        raise _not_found(caller, key_id)
    return record


KeyCheck = Callable[[KeyRecord], None]
"""A key-state check run once the caller is authorized (`require_usable`, ...)."""


def authorized_key(
    kms: Kms,
    caller: Caller,
    action: str,
    key_ref: str,
    *,
    aliases: bool = True,
    check: KeyCheck | None = None,
    encryption_context: Mapping[str, str] | None = None,
    context: Context = NO_CONTEXT,
    requested_grant: object = None,
) -> KeyRecord:
    """The key `key_ref` names (shared, read-only), once `caller` may do `action` on it.

    The preamble of every operation on one key, in AWS's order: find it (else
    `NotFoundException`), authorize `action` on its ARN under its key policy (with the
    request's encryption context and condition keys, `KeyAccess`), then `check` its
    state. The body is `find_key`'s, inlined: this is the hot path (Encrypt, Decrypt).
    """
    key_id = key_id_of(kms, caller, key_ref, aliases=aliases)
    record = kms.repository.key(caller.account_id, caller.region, key_id)
    if record is None or is_past_deletion(kms, record):
        raise _not_found(caller, key_id)
    kms.access.authorize(
        caller,
        action,
        record,
        key_ref=key_ref,
        encryption_context=encryption_context,
        context=context,
        requested_grant=requested_grant,
    )
    if check is not None:
        check(record)
    return record


def key_to_change(
    kms: Kms,
    caller: Caller,
    action: str,
    key_ref: str,
    *,
    aliases: bool = True,
    check: KeyCheck | None = None,
    context: Context = NO_CONTEXT,
) -> KeyRecord:
    """Like `authorized_key`, but a private copy read inside the operation's transaction,
    to change and `save`."""
    found = find_key(kms, caller, key_ref, aliases=aliases)
    record = kms.repository.load(found.account, found.region, found.key_id)
    if record is None:
        raise _not_found(caller, found.key_id)
    kms.access.authorize(caller, action, record, key_ref=key_ref, context=context, shared=False)
    if check is not None:
        check(record)
    return record


def is_past_deletion(kms: Kms, record: KeyRecord) -> bool:
    """Whether the key's deletion date has passed: it counts as deleted from then on."""
    return (
        record.state == PENDING_DELETION
        and record.deletion_date is not None
        and record.deletion_date <= kms.clock.now()
    )


_STATE_WORDS = {
    PENDING_DELETION: "pending deletion",
    PENDING_REPLICA_DELETION: "pending deletion",
    PENDING_IMPORT: "pending import",
}


def require_usable(record: KeyRecord) -> None:
    """Refuse cryptographic use of a key that is not enabled."""
    if record.state == ENABLED:
        return
    if record.state == DISABLED:
        raise DisabledException(f"{record.arn} is disabled.")
    words = _STATE_WORDS.get(record.state, record.state)
    raise KMSInvalidStateException(f"{record.arn} is {words}.")


def require_not_pending_deletion(record: KeyRecord) -> None:
    """Refuse management changes to a key that is pending deletion."""
    if record.state in (PENDING_DELETION, PENDING_REPLICA_DELETION):
        raise KMSInvalidStateException(f"{record.arn} is pending deletion.")


def require_enabled_or_disabled(record: KeyRecord) -> None:
    """Refuse enabling or disabling a key that is pending deletion or import."""
    if record.state not in (ENABLED, DISABLED):
        words = _STATE_WORDS.get(record.state, record.state)
        raise KMSInvalidStateException(f"{record.arn} is {words}.")


def refuse_if_dry_run(dry_run: bool) -> None:
    """DryRun: every check passed, so the call would have succeeded; nothing is done."""
    if dry_run:
        raise DryRunOperationException(
            "The request would have succeeded, but the DryRun option is set."
        )
