"""Labels on parameter versions: LabelParameterVersion and UnlabelParameterVersion.

AWS's rules: a label is on at most one version of a parameter (labelling another version
moves it); a version has at most 10 labels; a label that breaks the naming rules is
returned in InvalidLabels, not raised, and the valid ones still apply.
"""

from __future__ import annotations

from typing import Any

from strongroom.errors import ParameterVersionLabelLimitExceeded, ParameterVersionNotFound
from strongroom.services.caller import Caller
from strongroom.services.ssm import notifications
from strongroom.services.ssm.names import check_label
from strongroom.services.ssm.records import ParameterRecord
from strongroom.services.ssm.service import (
    Operation,
    ParameterStore,
    parameter_to_change,
    writes,
)

MAX_LABELS_PER_VERSION = 10


def _version(record: ParameterRecord, number: int | None) -> int:
    version = record.current.version if number is None else number
    if version not in record.kept:
        raise ParameterVersionNotFound(
            f"Systems Manager could not find version {version} of {record.name}. "
            "Verify the version and try again."
        )
    return version


@writes
def label_parameter_version(
    ps: ParameterStore,
    caller: Caller,
    *,
    Name: str,
    Labels: list[str],
    ParameterVersion: int | None = None,
) -> dict[str, Any]:
    """LabelParameterVersion: attach labels to one version (the current by default)."""
    record = parameter_to_change(ps, caller, "ssm:LabelParameterVersion", Name)
    version = _version(record, ParameterVersion)
    valid = [label for label in dict.fromkeys(Labels) if check_label(label)]
    invalid = [label for label in dict.fromkeys(Labels) if not check_label(label)]
    others = [label for label, v in record.labels.items() if v == version and label not in valid]
    if len(others) + len(valid) > MAX_LABELS_PER_VERSION:
        raise ParameterVersionLabelLimitExceeded(
            "An error occurred (ParameterVersionLabelLimitExceeded) when calling the "
            "LabelParameterVersion operation: A parameter version can have maximum "
            f"{MAX_LABELS_PER_VERSION} labels.Move one or more labels to another version "
            "and try again."
        )
    for label in valid:
        record.labels[label] = version
    if valid:
        ps.repository.save(record)
        notifications.changed(ps, record, "LabelParameterVersion")
    return {"InvalidLabels": invalid, "ParameterVersion": version}


@writes
def unlabel_parameter_version(
    ps: ParameterStore,
    caller: Caller,
    *,
    Name: str,
    ParameterVersion: int,
    Labels: list[str],
) -> dict[str, Any]:
    """UnlabelParameterVersion: labels not on that version are returned as invalid."""
    record = parameter_to_change(ps, caller, "ssm:UnlabelParameterVersion", Name)
    version = _version(record, ParameterVersion)
    removed = [label for label in dict.fromkeys(Labels) if record.labels.get(label) == version]
    invalid = [label for label in dict.fromkeys(Labels) if label not in removed]
    for label in removed:
        del record.labels[label]
    if removed:
        ps.repository.save(record)
        notifications.changed(ps, record, "LabelParameterVersion")
    return {"RemovedLabels": removed, "InvalidLabels": invalid}


OPERATIONS: dict[str, Operation] = {
    "LabelParameterVersion": label_parameter_version,
    "UnlabelParameterVersion": unlabel_parameter_version,
}
