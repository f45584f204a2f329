"""Writing parameters: PutParameter, DeleteParameter, DeleteParameters.

Every new version is written whole in one transaction: the version record, the
parameter record that points at it, its policies' due entries and its change event.
A parameter keeps at most 100 versions: the oldest goes when a new one comes, unless it
has a label (ParameterMaxVersionLimitExceeded, and nothing changes).

PutParameter is authorized with `ssm:Overwrite` and `ssm:Policies` (whether the request
overwrites, whether it sets policies) and, with Tags, `aws:RequestTag/<key>` and
`aws:TagKeys`; with Tags it also needs `ssm:AddTagsToResource`.
"""

from __future__ import annotations

import re
from typing import Any

import regex

from strongroom.errors import (
    HierarchyTypeMismatchException,
    InvalidAllowedPatternException,
    ParameterAlreadyExists,
    ParameterMaxVersionLimitExceeded,
    ParameterNotFound,
    ParameterPatternMismatchException,
    ValidationException,
)
from strongroom.services.caller import Caller, request_tag_keys
from strongroom.services.ssm import notifications, policies, secure_values
from strongroom.services.ssm.names import canonical_name, check_name
from strongroom.services.ssm.parameter_access import flag
from strongroom.services.ssm.records import (
    ADVANCED,
    SECURE_STRING,
    STANDARD,
    STRING,
    ParameterRecord,
    VersionRecord,
)
from strongroom.services.ssm.service import (
    Operation,
    ParameterStore,
    arn_of,
    parameter_to_change,
    user_arn,
    writes,
)
from strongroom.services.ssm.tags import tag_dict

MAX_VERSIONS = 100
PATTERN_SECONDS = 0.1
_VALUE_LIMITS = {STANDARD: 4096, ADVANCED: 8192}
_AMI = re.compile(r"ami-([0-9a-f]{8}|[0-9a-f]{17})")
_DATA_TYPES = ("text", "aws:ec2:image", "aws:ssm:integration")


def _tier(requested: str | None, previous: str | None, value: str, has_policies: bool) -> str:
    """The tier the new version gets (AWS's rules for Intelligent-Tiering and downgrades)."""
    tier = requested or previous or STANDARD
    if tier == "Intelligent-Tiering":
        tier = ADVANCED if len(value) > _VALUE_LIMITS[STANDARD] or has_policies else STANDARD
        if previous == ADVANCED:
            tier = ADVANCED
    if previous == ADVANCED and tier == STANDARD:
        raise ValidationException(
            "This parameter uses the advanced-parameter tier. You can't downgrade a parameter "
            "from the advanced-parameter tier to the standard-parameter tier. If necessary, "
            "you can delete the advanced parameter and recreate it as a standard parameter."
        )
    if len(value) > _VALUE_LIMITS[tier]:
        raise ValidationException(
            "Standard tier parameters support a maximum parameter value of 4096 characters. "
            "To create a larger parameter value, upgrade the parameter to use the "
            "advanced-parameter tier. For more information, see "
            "https://docs.aws.amazon.com/systems-manager/latest/userguide/parameter-store-"
            "advanced-parameters.html"
            if tier == STANDARD
            else "Advanced tier parameters support a maximum parameter value of 8192 characters."
        )
    if has_policies and tier == STANDARD:
        raise ValidationException(
            "Standard tier parameters don't support parameter policies. Use the "
            "advanced-parameter tier to add policies to a parameter."
        )
    return tier


def _check_value(value: str, kind: str, data_type: str, allowed_pattern: str | None) -> None:
    """DataType and AllowedPattern; a SecureString's value is never repeated in an error."""
    if data_type not in _DATA_TYPES:
        raise ValidationException(
            f"The following data type is not supported: {data_type} (Data type names are all "
            "lowercase.)"
        )
    if data_type == "aws:ec2:image" and kind != STRING:
        raise ValidationException("The data type aws:ec2:image is valid only for String.")
    if data_type == "aws:ec2:image" and not _AMI.fullmatch(value):
        raise ValidationException(
            f"Parameter value, {value}, is not in a valid format for data type aws:ec2:image."
            if len(value) < 64
            else "The parameter value is not in a valid format for data type aws:ec2:image."
        )
    if allowed_pattern is not None:
        _check_pattern(value, allowed_pattern)


def _check_pattern(value: str, allowed_pattern: str) -> None:
    """The value must match the caller's regex in full, found within a time limit (a
    pattern that backtracks without end is refused, not left to hold a worker)."""
    try:
        pattern = regex.compile(allowed_pattern)
    except (regex.error, RecursionError, OverflowError, ValueError):
        raise InvalidAllowedPatternException("The allowed pattern is not a valid regex.") from None
    try:
        matched = pattern.fullmatch(value, timeout=PATTERN_SECONDS)
    except TimeoutError:
        raise InvalidAllowedPatternException(
            f"The allowed pattern took longer than {PATTERN_SECONDS} s to match the value."
        ) from None
    if matched is None:
        raise ParameterPatternMismatchException(
            f"Parameter value, does not match the allowed pattern {allowed_pattern}."
        )


def _kept(given: str | None, previous: str | None) -> str | None:
    """A setting of the new version: as given, else as the previous version had it."""
    return given if given is not None else previous


def _make_room(ps: ParameterStore, record: ParameterRecord) -> None:
    """Drop the oldest version if the parameter has 100 (refused if it is labelled)."""
    if len(record.kept) < MAX_VERSIONS:
        return
    oldest = record.kept[0]
    if oldest in record.labels.values():
        raise ParameterMaxVersionLimitExceeded(
            f"You attempted to create a new version of {record.name} by calling the "
            "PutParameter API with the overwrite flag. Version "
            f"{oldest}, the oldest version, can't be deleted because it has a label "
            "associated with it. Move the label to another version of the parameter, and "
            "try again."
        )
    ps.repository.remove_version(record, oldest)
    record.kept.pop(0)


def _schedule(ps: ParameterStore, record: ParameterRecord, parsed: list[policies.Policy]) -> None:
    """Due entries for the current version's policies, replacing the previous version's."""
    for path in record.scheduled:
        ps.repository.unschedule(path)
    record.scheduled = [
        ps.repository.schedule(when, kind, record)
        for when, kind in policies.due_times(parsed, record.current.modified)
    ]


def _kind(requested: str | None, previous: VersionRecord | None) -> str:
    """The new version's type: as given, or the previous one's; never across SecureString."""
    kind = requested or (previous.type if previous else None)
    if kind is None:
        raise ValidationException("A parameter type is required when you create a parameter.")
    if previous is not None and (kind == SECURE_STRING) != (previous.type == SECURE_STRING):
        raise HierarchyTypeMismatchException(
            "The parameter type can't be changed between SecureString and String or "
            "StringList. Delete the parameter and create it again with the new type."
        )
    return kind


def _existing(
    ps: ParameterStore, caller: Caller, name: str, overwrite: bool, tags: object
) -> ParameterRecord | None:
    if tags and overwrite:
        raise ValidationException(
            "Invalid request: tags and overwrite can't be used together. To create a "
            "parameter with tags, please remove overwrite flag. To update tags for an "
            "existing parameter, please use AddTagsToResource or RemoveTagsFromResource."
        )
    existing = ps.repository.load(caller.account_id, caller.region, name)
    if existing is not None and not overwrite:
        raise ParameterAlreadyExists(
            "The parameter already exists. To overwrite this value, set the overwrite option "
            "in the request to true."
        )
    return existing


def _seal(
    ps: ParameterStore,
    caller: Caller,
    record: ParameterRecord,
    version: VersionRecord,
    key: str | None,
) -> None:
    """Encrypt a SecureString version's value in place, under `key` or the one it had."""
    previous = record.current.key_id if record.current.version else None
    version.key_id = key or previous or secure_values.DEFAULT_KEY
    named = None if version.key_id == secure_values.DEFAULT_KEY else version.key_id
    plaintext = version.value
    version.value = secure_values.encrypt(ps.kms, caller, named, record.arn, plaintext)
    version.enveloped = secure_values.is_enveloped(plaintext)


@writes
def put_parameter(
    ps: ParameterStore,
    caller: Caller,
    *,
    Name: str,
    Value: str,
    Description: str | None = None,
    Type: str | None = None,
    KeyId: str | None = None,
    Overwrite: bool = False,
    AllowedPattern: str | None = None,
    Tags: list[dict[str, str]] | None = None,
    Tier: str | None = None,
    Policies: str | None = None,
    DataType: str | None = None,
) -> dict[str, Any]:
    """PutParameter: a new parameter, or (with Overwrite) a new version of one."""
    Name = canonical_name(check_name(Name, arn_prefix=arn_of(caller, "")))
    arn = arn_of(caller, Name)
    tagging = request_tag_keys((tag["Key"], tag["Value"]) for tag in Tags or ())
    keys = {"ssm:Overwrite": flag(Overwrite), "ssm:Policies": flag(bool(Policies)), **tagging}
    caller.authorize("ssm:PutParameter", arn, keys)
    if Tags:
        caller.authorize("ssm:AddTagsToResource", arn, tagging)
    if not Value:
        raise ValidationException(
            "1 validation error detected: Value '' at 'value' failed to satisfy constraint: "
            "Member must have length greater than or equal to 1."
        )
    existing = _existing(ps, caller, Name, Overwrite, Tags)
    previous = None if existing is None else existing.current
    kind = _kind(Type, previous)
    now = round(ps.clock.now(), 3)
    parsed = policies.parse_policies(Policies, now) if Policies else []
    data_type = _kept(DataType, previous.data_type if previous else None) or "text"
    _check_value(Value, kind, data_type, AllowedPattern)
    tier = _tier(Tier, previous.tier if previous else None, Value, bool(parsed))
    record = existing or ParameterRecord(
        name=Name,
        account=caller.account_id,
        region=caller.region,
        partition=caller.partition,
        current=VersionRecord(0, "", kind, now, ""),
        tags=tag_dict(Tags or []),
    )
    _make_room(ps, record)
    version = VersionRecord(
        version=record.current.version + 1,
        value=Value,
        type=kind,
        modified=now,
        modified_user=user_arn(caller),
        tier=tier,
        data_type=data_type,
        description=_kept(Description, previous.description if previous else None),
        allowed_pattern=AllowedPattern,
        policies=[policy.shape() for policy in parsed],
    )
    if kind == SECURE_STRING:
        _seal(ps, caller, record, version, KeyId)
    record.current = version
    record.kept.append(version.version)
    ps.repository.save_version(record, version)
    _schedule(ps, record, parsed)
    ps.repository.save(record)
    notifications.changed(ps, record, "Update" if existing else "Create")
    return {"Version": version.version, "Tier": tier}


def _delete(ps: ParameterStore, caller: Caller, action: str, name: str) -> None:
    record = parameter_to_change(ps, caller, action, name)
    for path in record.scheduled:
        ps.repository.unschedule(path)
    ps.repository.remove(record)
    notifications.changed(ps, record, "Delete")


@writes
def delete_parameter(ps: ParameterStore, caller: Caller, *, Name: str) -> dict[str, Any]:
    """DeleteParameter: the parameter and all its versions."""
    _delete(ps, caller, "ssm:DeleteParameter", Name)
    return {}


@writes
def delete_parameters(ps: ParameterStore, caller: Caller, *, Names: list[str]) -> dict[str, Any]:
    """DeleteParameters: up to 10; those that do not exist are listed, not raised."""
    deleted: list[str] = []
    invalid: list[str] = []
    for name in dict.fromkeys(Names):
        try:
            _delete(ps, caller, "ssm:DeleteParameters", name)
        except ParameterNotFound:
            invalid.append(name)
        else:
            deleted.append(name)
    return {"DeletedParameters": deleted, "InvalidParameters": invalid}


OPERATIONS: dict[str, Operation] = {
    "PutParameter": put_parameter,
    "DeleteParameter": delete_parameter,
    "DeleteParameters": delete_parameters,
}
