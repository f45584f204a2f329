"""Secret values and their versions: GetSecretValue, BatchGetSecretValue,
PutSecretValue, ListSecretVersionIds and UpdateSecretVersionStage."""

from __future__ import annotations

import base64
from types import MappingProxyType
from typing import Any

import orjson

from strongroom.errors import (
    InvalidNextTokenException,
    InvalidParameterException,
    StrongroomError,
)
from strongroom.services.caller import Caller, Context
from strongroom.services.secretsmanager import labels, replication
from strongroom.services.secretsmanager.listing import matching_secrets
from strongroom.services.secretsmanager.records import AWSCURRENT
from strongroom.services.secretsmanager.secret_access import request_keys
from strongroom.services.secretsmanager.service import (
    Operation,
    SecretsManager,
    authorized_secret,
    require_changeable,
    require_not_deleted,
    secret_to_change,
    touch,
    writes,
)
from strongroom.services.secretsmanager.versions import (
    existing_version,
    note_access,
    read_value,
    require_token,
    select_version,
    value_of,
    value_shape,
    write_version,
)

_CURRENT: Context = MappingProxyType({"secretsmanager:VersionStage": (AWSCURRENT,)})
"""GetSecretValue's keys when it names no version: AWSCURRENT is read."""


def _version_keys(version_id: str | None, stage: str | None) -> Context:
    """`secretsmanager:VersionId` and `secretsmanager:VersionStage` as the request takes
    effect: a version named by id has no stage unless one is given too."""
    if version_id is None and stage is None:
        return _CURRENT
    return request_keys(VersionId=version_id, VersionStage=stage)


def _get_value(
    sm: SecretsManager,
    caller: Caller,
    secret_id: str,
    version_id: str | None = None,
    stage: str | None = None,
) -> dict[str, Any]:
    record = authorized_secret(
        sm,
        caller,
        "secretsmanager:GetSecretValue",
        secret_id,
        check=require_not_deleted,
        context=_version_keys(version_id, stage),
    )
    chosen = select_version(record, version_id, stage)
    value = read_value(sm, caller, record, chosen)
    note_access(sm, record, chosen)
    return value_shape(record, chosen, value)


def get_secret_value(
    sm: SecretsManager,
    caller: Caller,
    *,
    SecretId: str,
    VersionId: str | None = None,
    VersionStage: str | None = None,
) -> dict[str, Any]:
    """GetSecretValue: a version's value (AWSCURRENT unless a version or label is named)."""
    return _get_value(sm, caller, SecretId, VersionId, VersionStage)


def batch_get_secret_value(
    sm: SecretsManager,
    caller: Caller,
    *,
    SecretIdList: list[str] | None = None,
    Filters: list[dict[str, Any]] | None = None,
    MaxResults: int | None = None,
    NextToken: str | None = None,
) -> dict[str, Any]:
    """BatchGetSecretValue: the AWSCURRENT values of up to 20 secrets, by id or by filter;
    a secret that cannot be read is an entry of `Errors`, not a failed call."""
    caller.authorize("secretsmanager:BatchGetSecretValue", "*")
    if (SecretIdList is None) == (Filters is None):
        raise InvalidParameterException(
            "Either 'SecretIdList' or 'Filters' must be provided, but not both."
        )
    if MaxResults is not None and Filters is None:
        raise InvalidParameterException(
            "'Filters' not specified. 'Filters' must also be specified when 'MaxResults' "
            "is provided."
        )
    next_token = None
    if Filters is not None:
        caller.authorize("secretsmanager:ListSecrets", "*")
        page, next_token = matching_secrets(
            sm, caller, Filters, MaxResults or 20, NextToken, include_deleted=False
        )
        ids = [record.arn for record in page]
    else:
        ids = list(dict.fromkeys(SecretIdList or []))
    values: list[dict[str, Any]] = []
    failures: list[dict[str, str]] = []
    for secret_id in ids:
        try:
            values.append(_get_value(sm, caller, secret_id))
        except StrongroomError as error:
            failures.append(
                {"SecretId": secret_id, "ErrorCode": error.code, "Message": error.message}
            )
    result: dict[str, Any] = {"SecretValues": values, "Errors": failures}
    if next_token is not None:
        result["NextToken"] = next_token
    return result


@writes
def put_secret_value(
    sm: SecretsManager,
    caller: Caller,
    *,
    SecretId: str,
    ClientRequestToken: str | None = None,
    SecretBinary: bytes | None = None,
    SecretString: str | None = None,
    VersionStages: list[str] | None = None,
    RotationToken: str | None = None,
) -> dict[str, Any]:
    """PutSecretValue: a new version, AWSCURRENT unless other labels are given."""
    value = value_of(SecretString, SecretBinary, required=True)  # AWS checks it first
    record = secret_to_change(
        sm, caller, "secretsmanager:PutSecretValue", SecretId, check=require_changeable
    )
    assert value is not None
    token = require_token(ClientRequestToken)
    if not existing_version(sm, caller, record, token, value):
        write_version(sm, caller, record, token, value, VersionStages)
        sm.repository.save(record)
        replication.follow(sm, caller, record)
    return {
        "ARN": record.arn,
        "Name": record.name,
        "VersionId": token,
        "VersionStages": list(record.versions[token].labels),
    }


def _version_token(secret_id: str, version_id: str) -> str:
    return base64.urlsafe_b64encode(orjson.dumps([secret_id, version_id])).decode()


def _after_token(secret_id: str, token: str, ids: list[str]) -> int:
    try:
        owner, version_id = orjson.loads(base64.urlsafe_b64decode(token.encode()))
    except (ValueError, TypeError):
        raise InvalidNextTokenException("The NextToken value is not valid.") from None
    if owner != secret_id or version_id not in ids:
        raise InvalidNextTokenException("The NextToken value is not valid.")
    return ids.index(version_id) + 1


def list_secret_version_ids(
    sm: SecretsManager,
    caller: Caller,
    *,
    SecretId: str,
    MaxResults: int = 100,
    NextToken: str | None = None,
    IncludeDeprecated: bool = False,
) -> dict[str, Any]:
    """ListSecretVersionIds: labelled versions (and deprecated ones if asked), oldest first."""
    record = authorized_secret(sm, caller, "secretsmanager:ListSecretVersionIds", SecretId)
    ordered = sorted(record.versions.items(), key=lambda item: (item[1].created, item[0]))
    ids = [vid for vid, info in ordered if info.labels or IncludeDeprecated]
    start = 0 if NextToken is None else _after_token(record.secret_id, NextToken, ids)
    page = ids[start : start + MaxResults]
    versions = []
    for version_id in page:
        info = record.versions[version_id]
        entry: dict[str, Any] = {"VersionId": version_id}
        if info.labels:
            entry["VersionStages"] = list(info.labels)
        if info.last_accessed is not None:
            entry["LastAccessedDate"] = info.last_accessed
        entry["CreatedDate"] = info.created
        entry["KmsKeyIds"] = list(info.kms_key_ids)
        versions.append(entry)
    result: dict[str, Any] = {"Versions": versions, "ARN": record.arn, "Name": record.name}
    if start + MaxResults < len(ids):
        result["NextToken"] = _version_token(record.secret_id, page[-1])
    return result


@writes
def update_secret_version_stage(
    sm: SecretsManager,
    caller: Caller,
    *,
    SecretId: str,
    VersionStage: str,
    RemoveFromVersionId: str | None = None,
    MoveToVersionId: str | None = None,
) -> dict[str, Any]:
    """UpdateSecretVersionStage: move a label between versions, or remove it."""
    record = secret_to_change(
        sm,
        caller,
        "secretsmanager:UpdateSecretVersionStage",
        SecretId,
        check=require_changeable,
        context=request_keys(VersionStage=VersionStage),
    )
    labels.move_label(record, VersionStage, RemoveFromVersionId, MoveToVersionId)
    touch(sm, record)
    sm.repository.save(record)
    replication.follow(sm, caller, record)
    return {"ARN": record.arn, "Name": record.name}


OPERATIONS: dict[str, Operation] = {
    "GetSecretValue": get_secret_value,
    "BatchGetSecretValue": batch_get_secret_value,
    "PutSecretValue": put_secret_value,
    "ListSecretVersionIds": list_secret_version_ids,
    "UpdateSecretVersionStage": update_secret_version_stage,
}
