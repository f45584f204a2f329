"""Who may act on a secret: identity policies and the secret's resource policy, with AWS's
Secrets Manager condition keys.

AWS's rule for a secret in the caller's own account (every secret here is): an Allow in
the caller's identity policies OR in the secret's resource policy suffices, and an
explicit Deny in either wins, even over the account root. So the stored policy joins the
decision as a `ResourcePolicy` that is not required.

Condition keys (Service Authorization Reference, "Condition keys for AWS Secrets Manager"):
- of the secret, computed once per record object (the repository's cached records are
  shared and replaced, never changed, so identity says the keys are still right):
  `secretsmanager:ResourceTag/<k>` and `aws:ResourceTag/<k>`,
  `secretsmanager:resource/AllowRotationLambdaArn`, `secretsmanager:resource/Type`,
  `secretsmanager:SecretPrimaryRegion` (a replica's primary region, else its own);
- of the request: `secretsmanager:SecretId` (the id as the request gave it) and what each
  operation passes through `request_keys`. A member AWS documents a default for (a flag,
  the recovery window, AWSCURRENT) is there with the value the request takes effect with,
  given or not, so that a Deny on the risky value cannot be sidestepped by leaving the
  member out; other members are there only when the request carries them.

A private copy read to be changed (`secret_to_change`) is a new object each time: its keys
are computed for that call and not kept.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

from strongroom.services.caller import NO_CONTEXT, Caller, Context, ResourcePolicy
from strongroom.services.secretsmanager.records import SecretRecord, secret_arn

MAX_SECRETS = 4096
"""Secrets whose keys are kept before that cache starts over."""
PREFIX = "secretsmanager:"

RequestMember = str | bool | int | Sequence[str] | None


def request_keys(**members: RequestMember) -> Context:
    """`secretsmanager:<Member>` for each member the request carries (None: it does not):
    flags as "true"/"false", numbers in decimal, a list as its values."""
    keys: dict[str, tuple[str, ...]] = {}
    for member, value in members.items():
        if value is None:
            continue
        if isinstance(value, bool):
            keys[PREFIX + member] = ("true" if value else "false",)
        elif isinstance(value, int):
            keys[PREFIX + member] = (str(value),)
        elif isinstance(value, str):
            keys[PREFIX + member] = (value,)
        else:
            keys[PREFIX + member] = tuple(value)
    return keys


def tag_pairs(tags: Iterable[Mapping[str, str]] | None) -> list[tuple[str, str]]:
    """(key, value) of each tag a request sets (one without a Key is refused later)."""
    return [(tag["Key"], tag.get("Value", "")) for tag in tags or () if "Key" in tag]


def replica_keys(regions: list[dict[str, str]] | None, force: bool) -> Context:
    """`secretsmanager:AddReplicaRegions` and `secretsmanager:ForceOverwriteReplicaSecret`
    of a request that adds replicas."""
    if regions is None:
        return NO_CONTEXT
    named = [entry["Region"] for entry in regions if "Region" in entry]
    return request_keys(AddReplicaRegions=named, ForceOverwriteReplicaSecret=force)


def secret_keys(record: SecretRecord) -> Context:
    """The condition keys the secret itself brings (see the module docstring)."""
    keys: dict[str, tuple[str, ...]] = {
        "secretsmanager:SecretPrimaryRegion": (record.primary_region or record.region,),
    }
    if record.rotation_lambda_arn is not None:
        keys["secretsmanager:resource/AllowRotationLambdaArn"] = (record.rotation_lambda_arn,)
    if record.secret_type is not None:
        keys["secretsmanager:resource/Type"] = (record.secret_type,)
    for tag, value in record.tags or ():
        keys[f"secretsmanager:ResourceTag/{tag}"] = (value,)
        keys[f"aws:ResourceTag/{tag}"] = (value,)
    return MappingProxyType(keys)


def _policy_of(record: SecretRecord) -> ResourcePolicy | None:
    return None if record.policy is None else ResourcePolicy(record.policy)


def _with_request(keys: Context, secret_id: str | None, context: Context) -> Context:
    """The secret's keys, the request's and `secretsmanager:SecretId`."""
    if secret_id is None and not context:
        return keys
    merged = {**keys, **context}
    if secret_id is not None:
        merged["secretsmanager:SecretId"] = (secret_id,)
    return merged


@dataclass(slots=True, eq=False)
class _Kept:
    """One secret's keys and policy, for one record object."""

    record: SecretRecord
    arn: str
    keys: Context
    policy: ResourcePolicy | None
    last: tuple[str | None, Context, Context] | None = None
    """The last request's (secret id, context, all its keys): the hot path repeats one."""


class SecretAccess:
    """Authorizes operations on secrets (see the module docstring)."""

    def __init__(self) -> None:
        self._kept: dict[str, _Kept] = {}

    def authorize(
        self,
        caller: Caller,
        action: str,
        record: SecretRecord,
        *,
        secret_id: str | None = None,
        context: Context = NO_CONTEXT,
        shared: bool = True,
    ) -> None:
        """Raise AccessDeniedException unless `caller` may do `action` on the secret.

        `secret_id`: the id as the request named the secret; `context`: the request's
        other keys (the same object again and again on the hot path, which then costs no
        new mapping); `shared`: `record` is the repository's cached object (its keys are
        kept), not a private copy."""
        if not shared:
            keys = _with_request(secret_keys(record), secret_id, context)
            caller.authorize(action, record.arn, keys, _policy_of(record))
            return
        kept = self._of(record)
        last = kept.last
        if last is not None and last[1] is context and last[0] == secret_id:
            keys = last[2]
        else:
            keys = _with_request(kept.keys, secret_id, context)
            kept.last = (secret_id, context, keys)
        caller.authorize(action, kept.arn, keys, kept.policy)

    def authorize_missing(
        self, caller: Caller, action: str, secret_id: str, context: Context = NO_CONTEXT
    ) -> None:
        """Raise AccessDeniedException unless `caller` may do `action` on the secret
        `secret_id` names, which does not exist, so that only a caller allowed the action
        learns that there is no such secret. Judged on the ARN the id gives: an ARN as
        written, a name as the ARN a secret of that name would have, its suffix unknown
        (`<name>-??????`, as CreateSecret is judged); a refusal names the id as the
        request gave it, as AWS's does."""
        resource = secret_id
        if not secret_id.startswith("arn:"):
            resource = secret_arn(
                caller.partition, caller.region, caller.account_id, secret_id, "??????"
            )
        keys = _with_request(NO_CONTEXT, secret_id, context)
        verdict = caller.verdict(action, resource, keys)
        if not verdict.allowed:
            caller.refuse(action, secret_id, verdict)

    def _of(self, record: SecretRecord) -> _Kept:
        """What is kept of the secret, while the record is the same object."""
        kept = self._kept.get(record.secret_id)
        if kept is not None and kept.record is record:
            return kept
        kept = _Kept(record, record.arn, secret_keys(record), _policy_of(record))
        if len(self._kept) >= MAX_SECRETS:
            self._kept.clear()
        self._kept[record.secret_id] = kept
        return kept
