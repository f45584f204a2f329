"""Who may use a key: its key policy and the request's KMS condition keys, then grants.

AWS's rule for KMS: the key policy must allow, either the caller directly or the account
(the default key policy's `arn:aws:iam::<account>:root`), which lets IAM policies decide;
without that, not even the account root may use the key. An explicit deny anywhere wins.
Where policies leave the request implicitly denied, a grant on the key for the caller and
the operation, whose constraints the request's encryption context meets, allows it.

The condition keys of a key (`kms:KeySpec`, `kms:KeyUsage`, `kms:KeyOrigin`,
`kms:MultiRegion`, `kms:MultiRegionKeyType`, `aws:ResourceTag/*`, and
`kms:ResourceAliases`: the names of the aliases now pointing at it, absent when none does)
are computed once per record and set of alias names, and the same mapping is reused
while neither changes (the authorizer keys its verdicts by the context's items, so an
alias created, moved, deleted or gone with its key changes the next decision at once);
the request adds `kms:RequestAlias`, `kms:EncryptionContext:<key>`,
`kms:EncryptionContextKeys` and what the operation passes (algorithms, ...).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from types import MappingProxyType

from strongroom.policy import Decision
from strongroom.services.caller import NO_CONTEXT, Caller, Context, ResourcePolicy
from strongroom.services.kms.ciphertext_blob import is_small_context
from strongroom.services.kms.records import KeyRecord

GrantCheck = Callable[[Caller, str, KeyRecord, Mapping[str, str] | None, object, Context], bool]
"""Whether a grant lets `caller` do the action (`kms:Decrypt`) on the key, given the
request's encryption context (None: the operation takes none), for CreateGrant the grant
asked for (else None), and the request's condition keys (for grants to an account, which
its IAM policies then decide)."""

AliasNames = Callable[[str, str, str], tuple[str, ...]]
"""The names of a key's aliases by its account, region and key id (`alias/...`), as the
same tuple object while they are unchanged, so comparing by identity is usually enough."""

MAX_KEYS = 4096
_NO_BYPASS: Context = MappingProxyType({"kms:BypassPolicyLockoutSafetyCheck": ("false",)})
"""The later PutKeyPolicy the lockout check imagines is one without the bypass."""


def encryption_context_keys(encryption_context: Mapping[str, str] | None) -> Context:
    """`kms:EncryptionContext:<key>` for each pair and `kms:EncryptionContextKeys`
    (shared, read-only)."""
    if not encryption_context:
        return NO_CONTEXT
    items = tuple(encryption_context.items())
    return _kept_context_keys(items) if is_small_context(items) else _context_keys(items)


def _context_keys(items: tuple[tuple[str, str], ...]) -> Context:
    keys: dict[str, tuple[str, ...]] = {f"kms:EncryptionContext:{k}": (v,) for k, v in items}
    keys["kms:EncryptionContextKeys"] = tuple(k for k, _ in items)
    return MappingProxyType(keys)


_kept_context_keys = functools.lru_cache(maxsize=1024)(_context_keys)
"""`_context_keys` of small contexts (`ciphertext_blob.is_small_context`): at most 1,024."""


def algorithm_keys(algorithm: str | None) -> Context:
    """`kms:EncryptionAlgorithm` for the algorithm a request names, else the default."""
    return {"kms:EncryptionAlgorithm": (algorithm or "SYMMETRIC_DEFAULT",)}


class KeyAccess:
    """Authorizes operations on keys (see the module docstring)."""

    def __init__(self) -> None:
        self.grants: GrantCheck | None = None
        """Set when KMS is built (`Kms.__post_init__`: `grant_check`)."""
        self.aliases: AliasNames | None = None
        """Set when KMS is built (`Kms.__post_init__`: the repository's `alias_names`)."""
        self._keys: dict[str, tuple[KeyRecord, tuple[str, ...], Context, ResourcePolicy]] = {}

    def authorize(
        self,
        caller: Caller,
        action: str,
        record: KeyRecord,
        *,
        key_ref: str = "",
        encryption_context: Mapping[str, str] | None = None,
        context: Context = NO_CONTEXT,
        shared: bool = True,
        requested_grant: object = None,
    ) -> None:
        """Raise AccessDeniedException unless `caller` may do `action` on the key.

        `shared`: the record is the repository's cached, read-only one (its keys may be
        kept); False for a private copy that the operation is about to change.
        `requested_grant`: what a CreateGrant asks to grant (a grant allows CreateGrant
        only for less than itself).
        """
        key_keys, policy = self._of(record, shared)
        keys = key_keys
        if encryption_context or context or key_ref.startswith("alias/"):
            keys = {**key_keys, **encryption_context_keys(encryption_context), **context}
            if key_ref.startswith("alias/"):
                keys["kms:RequestAlias"] = (key_ref,)
        verdict = caller.verdict(action, record.arn, keys, policy)
        if verdict.decision is Decision.ALLOW:
            return
        grants = self.grants
        if (
            verdict.decision is Decision.IMPLICIT_DENY
            and grants is not None
            and grants(caller, action, record, encryption_context, requested_grant, keys)
        ):
            return
        caller.refuse(action, record.arn, verdict)

    def would_allow(self, caller: Caller, action: str, record: KeyRecord, policy: str) -> bool:
        """Whether `policy`, were it the key's policy, would let `caller` do `action`
        (PutKeyPolicy's and CreateKey's lockout safety check)."""
        keys = {**self._of(record, shared=False)[0], **_NO_BYPASS}
        verdict = caller.verdict(action, record.arn, keys, ResourcePolicy(policy, True))
        return verdict.decision is Decision.ALLOW

    def _of(self, record: KeyRecord, shared: bool) -> tuple[Context, ResourcePolicy]:
        """The key's condition keys and policy, kept while a shared record is the same
        object (the repository replaces, never changes, the records it shares) and its
        aliases have the same names."""
        names = self.aliases
        aliases = () if names is None else names(record.account, record.region, record.key_id)
        cached = self._keys.get(record.arn) if shared else None
        if cached is not None and cached[0] is record:
            if cached[1] is aliases:
                return cached[2], cached[3]
            if cached[1] == aliases:  # the same names, indexed again: keep the mapping
                self._keys[record.arn] = (record, aliases, cached[2], cached[3])
                return cached[2], cached[3]
        keys: dict[str, tuple[str, ...]] = {
            "kms:KeySpec": (record.key_spec,),
            "kms:KeyUsage": (record.key_usage,),
            "kms:KeyOrigin": (record.origin,),
            "kms:MultiRegion": ("true" if record.multi_region else "false",),
        }
        if record.multi_region:
            primary = record.primary_region == record.region
            keys["kms:MultiRegionKeyType"] = ("PRIMARY" if primary else "REPLICA",)
        for tag, value in record.tags.items():
            keys[f"aws:ResourceTag/{tag}"] = (value,)
        if aliases:
            keys["kms:ResourceAliases"] = aliases
        context = MappingProxyType(keys)
        policy = ResourcePolicy(record.policy, required=True)
        if not shared:
            return context, policy
        if len(self._keys) >= MAX_KEYS:
            self._keys.clear()
        self._keys[record.arn] = (record, aliases, context, policy)
        return context, policy
