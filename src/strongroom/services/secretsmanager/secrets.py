"""Secret life cycle: CreateSecret, UpdateSecret, DescribeSecret, DeleteSecret,
RestoreSecret, and the destruction the scheduler finishes."""

from __future__ import annotations

from typing import Any

from strongroom.errors import (
    InvalidParameterException,
    InvalidRequestException,
    ResourceExistsException,
    ResourceNotFoundException,
)
from strongroom.services.caller import Caller, Context, request_tag_keys
from strongroom.services.secretsmanager import replication, rotation_runs
from strongroom.services.secretsmanager.records import (
    AWSCURRENT,
    AWSPENDING,
    AWSPREVIOUS,
    DAY,
    SecretRecord,
    secret_arn,
)
from strongroom.services.secretsmanager.secret_access import replica_keys, request_keys, tag_pairs
from strongroom.services.secretsmanager.service import (
    ON_REPLICA,
    Operation,
    SecretsManager,
    authorized_secret,
    check_name,
    require_changeable,
    require_primary,
    secret_to_change,
    touch,
    writes,
)
from strongroom.services.secretsmanager.tags import merged_tags
from strongroom.services.secretsmanager.versions import (
    DEFAULT_KEY,
    existing_version,
    require_token,
    value_of,
    write_version,
)

_SUFFIX_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


def _suffix(sm: SecretsManager) -> str:
    """Six characters from the alphabet above, uniformly (62 * 4 = 248 < 256: rejection)."""
    chars: list[str] = []
    while len(chars) < 6:
        for byte in sm.random(8):
            if byte < 248 and len(chars) < 6:
                chars.append(_SUFFIX_ALPHABET[byte % 62])
    return "".join(chars)


def _created(record: SecretRecord, version_id: str | None) -> dict[str, Any]:
    result: dict[str, Any] = {"ARN": record.arn, "Name": record.name}
    if version_id is not None:
        result["VersionId"] = version_id
    if record.replicas:
        result["ReplicationStatus"] = record.replication_status()
    return result


def _arn_pattern(caller: Caller, name: str) -> str:
    """The ARN a secret of that name would have, its suffix still unknown."""
    return secret_arn(caller.partition, caller.region, caller.account_id, name, "??????")


def _authorize_create(
    caller: Caller,
    name: str,
    tags: list[dict[str, str]] | None,
    replicas: list[dict[str, str]] | None,
    context: Context,
) -> None:
    """CreateSecret, and TagResource and ReplicateSecretToRegions when the request tags or
    replicates, on the ARN the secret will have, with the request's keys."""
    pattern = _arn_pattern(caller, name)
    keys = {**context, **request_tag_keys(tag_pairs(tags))}
    caller.authorize("secretsmanager:CreateSecret", pattern, keys)
    if tags:
        caller.authorize("secretsmanager:TagResource", pattern, keys)
    if replicas:
        caller.authorize("secretsmanager:ReplicateSecretToRegions", pattern, keys)


def _retry_of(
    sm: SecretsManager,
    caller: Caller,
    existing: SecretRecord,
    token: str | None,
    value: tuple[bytes, bool] | None,
) -> dict[str, Any]:
    """The answer to a CreateSecret whose name is taken: the same call again (same token,
    same value) gets the first answer; anything else is refused."""
    if existing.is_deleted:
        raise InvalidRequestException(
            "You can't create this secret because a secret with this name is already "
            "scheduled for deletion."
        )
    if (
        token is not None
        and value is not None
        and existing_version(sm, caller, existing, token, value)
    ):
        return _created(existing, token)
    raise ResourceExistsException(
        f"The operation failed because the secret {existing.name} already exists."
    )


@writes
def create_secret(
    sm: SecretsManager,
    caller: Caller,
    *,
    Name: str,
    ClientRequestToken: str | None = None,
    Description: str | None = None,
    KmsKeyId: str | None = None,
    SecretBinary: bytes | None = None,
    SecretString: str | None = None,
    Tags: list[dict[str, str]] | None = None,
    AddReplicaRegions: list[dict[str, str]] | None = None,
    ForceOverwriteReplicaSecret: bool = False,
    Type: str | None = None,
) -> dict[str, Any]:
    """CreateSecret: a secret, with its first version if a value is given."""
    check_name(Name)
    context = request_keys(Name=Name, Description=Description, KmsKeyId=KmsKeyId, Type=Type)
    context = {**context, **replica_keys(AddReplicaRegions, ForceOverwriteReplicaSecret)}
    _authorize_create(caller, Name, Tags, AddReplicaRegions, context)
    value = value_of(SecretString, SecretBinary, required=False)
    token = require_token(ClientRequestToken) if value is not None else ClientRequestToken
    existing = sm.repository.load(caller.account_id, caller.region, Name)
    if existing is not None:
        return _retry_of(sm, caller, existing, token, value)
    now = round(sm.clock.now(), 3)
    record = SecretRecord(
        secret_id=sm.random(16).hex(),
        name=Name,
        account=caller.account_id,
        region=caller.region,
        partition=caller.partition,
        suffix=_suffix(sm),
        created=now,
        last_changed=now,
        description=Description,
        kms_key_id=KmsKeyId or None,
        secret_type=Type,
        tags=merged_tags(None, Tags) if Tags is not None else None,
    )
    if value is not None and token is not None:
        write_version(sm, caller, record, token, value, None, now)  # one date, as AWS
    sm.repository.add(record)
    if AddReplicaRegions:
        replication.add_replicas(sm, caller, record, AddReplicaRegions, ForceOverwriteReplicaSecret)
    return _created(record, token if value is not None else None)


def _change_key(sm: SecretsManager, caller: Caller, record: SecretRecord, key_id: str) -> None:
    """Future versions under `key_id` ("" = the AWS managed key); the labelled versions'
    data keys are wrapped under it too (the old wraps stay, so either key decrypts)."""
    new_key = key_id or None
    if new_key == record.kms_key_id:
        return
    key_arn = sm.kms.check_key(caller, new_key, record.arn)
    record.kms_key_id = new_key
    shown = key_arn if new_key else DEFAULT_KEY
    for version_id, info in record.versions.items():
        if not {AWSCURRENT, AWSPENDING, AWSPREVIOUS} & set(info.labels):
            continue
        sealed = sm.repository.value(record, version_id)
        if sealed is None:
            continue
        rewrapped, _ = sm.kms.rewrap(caller, new_key, record.arn, version_id, sealed)
        sm.repository.save_value(record, version_id, rewrapped)
        info.kms_key_ids = [shown, *[k for k in info.kms_key_ids if k != shown]]


@writes
def update_secret(
    sm: SecretsManager,
    caller: Caller,
    *,
    SecretId: str,
    ClientRequestToken: str | None = None,
    Description: str | None = None,
    KmsKeyId: str | None = None,
    SecretBinary: bytes | None = None,
    SecretString: str | None = None,
    Type: str | None = None,
) -> dict[str, Any]:
    """UpdateSecret: description, key, type, and a new AWSCURRENT version if a value is given."""
    record = secret_to_change(
        sm,
        caller,
        "secretsmanager:UpdateSecret",
        SecretId,
        check=require_changeable,
        context=request_keys(Description=Description, KmsKeyId=KmsKeyId, Type=Type),
    )
    value = value_of(SecretString, SecretBinary, required=False)
    version_id = None
    if value is not None:
        version_id = require_token(ClientRequestToken)
        if existing_version(sm, caller, record, version_id, value):
            return _created(record, version_id)
    changed = Description is not None or KmsKeyId is not None or Type is not None
    if Description is not None:
        record.description = Description
    if Type is not None:
        record.secret_type = Type
    if KmsKeyId is not None:
        _change_key(sm, caller, record, KmsKeyId)
    if value is not None and version_id is not None:
        write_version(sm, caller, record, version_id, value, None)
    elif changed:
        touch(sm, record)
    if changed or value is not None:
        sm.repository.save(record)
        replication.follow(sm, caller, record)
    result = _created(record, version_id)
    result.pop("ReplicationStatus", None)
    return result


def describe_secret(sm: SecretsManager, caller: Caller, *, SecretId: str) -> dict[str, Any]:
    """DescribeSecret: metadata and the labelled versions; works while scheduled for
    deletion and whatever the KMS key's state."""
    record = authorized_secret(sm, caller, "secretsmanager:DescribeSecret", SecretId)
    shape = record.summary(versions_key="VersionIdsToStages")
    if record.replicas:
        shape["ReplicationStatus"] = record.replication_status()
    run = rotation_runs.run_status(record)
    if run is not None:
        shape["StrongroomRotationRun"] = run
    return shape


def _check_window(window: int | None, force: bool) -> int:
    if window is not None and not 7 <= window <= 30:
        raise InvalidParameterException(
            "The RecoveryWindowInDays value must be between 7 and 30 days (inclusive)."
        )
    if window is not None and force:
        raise InvalidParameterException(
            "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays."
        )
    return 30 if window is None else window


def destroy(sm: SecretsManager, record: SecretRecord) -> None:
    """Erase a secret: its values, index entries and record (the caller scrubs after the
    transaction commits, so the deleted values are gone from the files too)."""
    sm.repository.remove(record)


def _deletion_keys(window: int, force: bool) -> Context:
    """`secretsmanager:ForceDeleteWithoutRecovery`, and the recovery window unless forced."""
    return request_keys(
        ForceDeleteWithoutRecovery=force, RecoveryWindowInDays=None if force else window
    )


@writes
def _delete(
    sm: SecretsManager, caller: Caller, *, SecretId: str, window: int, force: bool
) -> dict[str, Any]:
    keys = _deletion_keys(window, force)
    try:
        record = secret_to_change(sm, caller, "secretsmanager:DeleteSecret", SecretId, context=keys)
    except ResourceNotFoundException:
        if force and not SecretId.startswith("arn:"):  # AWS: forcing an absent secret is fine
            # (authorized already: `secret_to_change` judged the name as `<name>-??????`)
            return {"Name": SecretId, "DeletionDate": round(sm.clock.now(), 3)}
        raise
    if record.primary_region is not None:
        raise InvalidParameterException(ON_REPLICA)
    if record.replicas:
        regions = ", ".join(sorted(record.replicas))
        raise InvalidParameterException(
            f"You can't delete secret {record.arn} that still has replica regions [{regions}]"
        )
    now = round(sm.clock.now(), 3)
    if force:
        destroy(sm, record)
        return {"ARN": record.arn, "Name": record.name, "DeletionDate": now}
    if record.is_deleted:
        raise InvalidRequestException(
            "You tried to perform the operation on a secret that's currently marked deleted."
        )
    record.deleted_date = now
    record.deletion_date = now + window * DAY
    sm.repository.save(record)
    sm.repository.schedule_purge(record)
    return {"ARN": record.arn, "Name": record.name, "DeletionDate": record.deletion_date}


def delete_secret(
    sm: SecretsManager,
    caller: Caller,
    *,
    SecretId: str,
    RecoveryWindowInDays: int | None = None,
    ForceDeleteWithoutRecovery: bool = False,
) -> dict[str, Any]:
    """DeleteSecret: scheduled for deletion after 7-30 days (30 by default), restorable
    until then; or, forced, destroyed now and scrubbed from the storage's files."""
    window = _check_window(RecoveryWindowInDays, ForceDeleteWithoutRecovery)
    result = _delete(sm, caller, SecretId=SecretId, window=window, force=ForceDeleteWithoutRecovery)
    if ForceDeleteWithoutRecovery:
        sm.repository.scrub_or_owe()
    return result


@writes
def restore_secret(sm: SecretsManager, caller: Caller, *, SecretId: str) -> dict[str, Any]:
    """RestoreSecret: a secret scheduled for deletion comes back whole."""
    record = secret_to_change(
        sm, caller, "secretsmanager:RestoreSecret", SecretId, check=require_primary
    )
    if record.is_deleted:
        sm.repository.unschedule_purge(record)
        record.deleted_date = None
        record.deletion_date = None
        rotation_runs.refile(sm, record)
        touch(sm, record)
        sm.repository.save(record)
    return {"ARN": record.arn, "Name": record.name}


def destroy_due(sm: SecretsManager) -> int:
    """The scheduler's job: destroy every secret whose recovery window has ended, one
    transaction each, then scrub; how many were destroyed."""
    destroyed = 0
    for due_path, (account, region, name) in list(sm.repository.due(sm.clock.now())):
        try:
            with sm.repository.transaction():
                record = sm.repository.load(account, region, name)
                if record is not None and record.deletion_date is not None:
                    destroy(sm, record)
                    destroyed += 1
                sm.repository.remove_due(due_path)  # also a stale entry, if one is left
        except BaseException:
            sm.forget_caches()
            raise
    if destroyed:
        sm.repository.scrub_or_owe()
    return destroyed


OPERATIONS: dict[str, Operation] = {
    "CreateSecret": create_secret,
    "UpdateSecret": update_secret,
    "DescribeSecret": describe_secret,
    "DeleteSecret": delete_secret,
    "RestoreSecret": restore_secret,
}
