"""Writing and reading version values: what CreateSecret, PutSecretValue, UpdateSecret,
GetSecretValue and replication share.

A new version is idempotent on its ClientRequestToken (its version id): the same token
with the same value is the version already there; with another value it is refused. A
version a rotation started without a value (AWSPENDING) takes the first value written.
Writing a version is one step inside the operation's transaction: the sealed value and
the secret record that lists it commit together, so no version is ever without its value
and data key. Reading picks a version by id and/or label, decrypts it through KMS, and
records the day of access (a write only on the first read of a day).
"""

from __future__ import annotations

from typing import Any

from strongroom.crypto import equal
from strongroom.errors import (
    InvalidParameterException,
    InvalidRequestException,
    ResourceExistsException,
    ResourceNotFoundException,
)
from strongroom.services.caller import Caller
from strongroom.services.secretsmanager import labels
from strongroom.services.secretsmanager.records import (
    AWSCURRENT,
    SecretRecord,
    day_of,
)
from strongroom.services.secretsmanager.service import SecretsManager

MAX_VALUE_BYTES = 65_536
DEFAULT_KEY = "DefaultEncryptionKey"
"""How ListSecretVersionIds names the AWS managed key."""


def value_of(
    SecretString: str | None, SecretBinary: bytes | None, *, required: bool
) -> tuple[bytes, bool] | None:
    """(bytes, binary?) of the value given, or None if none and none is required."""
    if SecretString is not None and SecretBinary is not None:
        raise InvalidParameterException(
            "You can't specify both a binary secret value and a string secret value in the "
            "same secret."
        )
    if SecretString is None and SecretBinary is None:
        if required:
            raise InvalidRequestException("You must provide either SecretString or SecretBinary.")
        return None
    value = SecretString.encode() if SecretString is not None else bytes(SecretBinary or b"")
    if not value or len(value) > MAX_VALUE_BYTES:
        member = "secretString" if SecretString is not None else "secretBinary"
        raise InvalidParameterException(
            f"The {member} must be between 1 and {MAX_VALUE_BYTES} bytes long."
        )
    return value, SecretBinary is not None


def require_token(token: str | None) -> str:
    """The ClientRequestToken, which every value-writing call needs (SDKs always send one)."""
    if token is None:
        raise InvalidRequestException(
            "You must provide a ClientRequestToken value. We recommend a UUID-type value."
        )
    return token


def existing_version(
    sm: SecretsManager, caller: Caller, record: SecretRecord, token: str, value: tuple[bytes, bool]
) -> bool:
    """Whether `token` is already a version of this secret with this value (an idempotent
    retry); ResourceExistsException if it is one with another value."""
    if token not in record.versions:
        return False
    if sm.repository.value(record, token) is None:
        return False  # rotation's AWSPENDING placeholder: this write gives it its value
    if not same_value(read_value(sm, caller, record, token), value):
        raise ResourceExistsException(
            f"You can't use ClientRequestToken {token} because that value is already in use "
            f"for a version of secret {record.arn}."
        )
    return True


def write_version(
    sm: SecretsManager,
    caller: Caller,
    record: SecretRecord,
    token: str,
    value: tuple[bytes, bool],
    stages: list[str] | None,
    now: float | None = None,
) -> None:
    """Seal `value` as version `token` of `record`, created `now` (default: the clock's
    now), and label it; the caller saves `record`."""
    data, binary = value
    sealed, key_arn = sm.kms.seal(caller, record.kms_key_id, record.arn, token, data, binary)
    now = round(sm.clock.now(), 3) if now is None else now
    labels.add_version(record, token, now, stages)
    record.versions[token].kms_key_ids = [key_arn if record.kms_key_id else DEFAULT_KEY]
    for dropped in labels.purge_deprecated(record, now):
        sm.repository.remove_value(record, dropped)
    sm.repository.save_value(record, token, sealed)
    record.last_changed = now


def read_value(
    sm: SecretsManager, caller: Caller, record: SecretRecord, version_id: str
) -> tuple[bytes, bool]:
    """(plaintext, binary?) of one version, decrypted through KMS."""
    sealed = sm.repository.value(record, version_id)
    if sealed is None:
        raise ResourceNotFoundException(
            f"Secrets Manager can't find the specified secret value for VersionId: {version_id}"
        )
    return sm.kms.open(caller, record.arn, version_id, sealed), sealed.binary


def select_version(record: SecretRecord, version_id: str | None, stage: str | None) -> str:
    """The version GetSecretValue reads: by id, by label (default AWSCURRENT), or both."""
    if version_id is not None:
        info = record.versions.get(version_id)
        if info is None:
            raise ResourceNotFoundException(
                f"Secrets Manager can't find the specified secret value for VersionId: {version_id}"
            )
        if stage is not None and stage not in info.labels:
            raise InvalidRequestException(
                "You provided a VersionStage that is not associated to the provided VersionId."
            )
        return version_id
    label = stage or AWSCURRENT
    holder = record.holder(label)
    if holder is None:
        raise ResourceNotFoundException(
            f"Secrets Manager can't find the specified secret value for staging label: {label}"
        )
    return holder


def value_shape(record: SecretRecord, version_id: str, value: tuple[bytes, bool]) -> dict[str, Any]:
    """GetSecretValue's answer for one version."""
    data, binary = value
    info = record.versions[version_id]
    shape: dict[str, Any] = {"ARN": record.arn, "Name": record.name, "VersionId": version_id}
    if binary:
        shape["SecretBinary"] = data
    else:
        shape["SecretString"] = data.decode()
    shape["VersionStages"] = list(info.labels)
    shape["CreatedDate"] = info.created
    return shape


def note_access(sm: SecretsManager, record: SecretRecord, version_id: str) -> None:
    """Record today as the secret's and the version's last access (day precision): a
    write only on the first read of the day."""
    today = day_of(sm.clock.now())
    if record.last_accessed == today and record.versions[version_id].last_accessed == today:
        return
    try:
        with sm.repository.transaction():
            fresh = sm.repository.load(record.account, record.region, record.name)
            if fresh is None or version_id not in fresh.versions:
                return
            fresh.last_accessed = today
            fresh.versions[version_id].last_accessed = today
            sm.repository.save(fresh)
    except BaseException:
        sm.forget_caches()
        raise


def same_value(left: tuple[bytes, bool], right: tuple[bytes, bool]) -> bool:
    """Whether two values are equal, compared in constant time."""
    return left[1] == right[1] and equal(left[0], right[0])
