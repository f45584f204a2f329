"""Changing a function: UpdateFunctionCode and UpdateFunctionConfiguration.

Each change gives the function a new RevisionId and LastModified; a `RevisionId` given
with the request must be the current one. `Publish` is accepted and ignored (no numbered
versions exist here). While the operator has not allowed function code, nothing that
decides what runs may change: UpdateFunctionCode is refused, and so is a configuration
change of Handler, Runtime or Environment (environment variables such as PYTHONPATH or
LD_PRELOAD can steer what a process loads).
"""

from __future__ import annotations

from typing import Any

from strongroom.services.awslambda.code_package import accept_zip, direct_upload
from strongroom.services.awslambda.configuration import (
    check_limits,
    check_runtime,
    environment_variables,
    refuse_unsupported,
)
from strongroom.services.awslambda.records import FunctionRecord
from strongroom.services.awslambda.roles import check_role
from strongroom.services.awslambda.service import (
    Lambda,
    Operation,
    function_to_change,
    require_code_allowed,
    require_revision,
    writes,
)
from strongroom.services.caller import Caller


def _touch(lam: Lambda, record: FunctionRecord) -> None:
    record.last_modified = lam.now()
    record.revision_id = lam.new_id()


@writes
def update_function_code(
    lam: Lambda,
    caller: Caller,
    *,
    FunctionName: str,
    ZipFile: bytes | None = None,
    S3Bucket: str | None = None,
    S3Key: str | None = None,
    S3ObjectVersion: str | None = None,
    ImageUri: str | None = None,
    Publish: bool = False,
    DryRun: bool = False,
    RevisionId: str | None = None,
    Architectures: list[str] | None = None,
    SourceKMSKeyArn: str | None = None,
    PublishTo: str | None = None,
) -> dict[str, Any]:
    """UpdateFunctionCode, from a .zip uploaded directly; DryRun checks and changes nothing."""
    record = function_to_change(lam, caller, "lambda:UpdateFunctionCode", FunctionName)
    require_code_allowed(lam)
    refuse_unsupported({"SourceKMSKeyArn": SourceKMSKeyArn, "PublishTo": PublishTo})
    require_revision(record, RevisionId)
    zipped = direct_upload(ZipFile, S3Bucket, S3Key, S3ObjectVersion, ImageUri)
    package = accept_zip(zipped, "UpdateFunctionCode")
    if DryRun:
        return record.configuration()
    lam.repository.remove_code(record)
    record.code_id = lam.new_id()
    record.code_sha256 = package.sha256
    record.code_size = package.size
    if Architectures:
        record.architectures = list(Architectures)
    _touch(lam, record)
    lam.repository.save_code(record, package.data)
    lam.repository.save(record)
    return record.configuration()


def _steers_code(
    record: FunctionRecord,
    handler: str | None,
    runtime: str | None,
    variables: dict[str, str] | None,
) -> bool:
    """Whether the change would alter what the function's process loads."""
    return (
        (handler is not None and handler != record.handler)
        or (runtime is not None and runtime != record.runtime)
        or (variables is not None and variables != (record.environment or {}))
    )


@writes
def update_function_configuration(
    lam: Lambda,
    caller: Caller,
    *,
    FunctionName: str,
    Role: str | None = None,
    Handler: str | None = None,
    Description: str | None = None,
    Timeout: int | None = None,
    MemorySize: int | None = None,
    VpcConfig: dict[str, Any] | None = None,
    Environment: dict[str, Any] | None = None,
    Runtime: str | None = None,
    DeadLetterConfig: dict[str, Any] | None = None,
    KMSKeyArn: str | None = None,
    TracingConfig: dict[str, Any] | None = None,
    RevisionId: str | None = None,
    Layers: list[str] | None = None,
    FileSystemConfigs: list[dict[str, Any]] | None = None,
    ImageConfig: dict[str, Any] | None = None,
    EphemeralStorage: dict[str, int] | None = None,
    SnapStart: dict[str, Any] | None = None,
    LoggingConfig: dict[str, Any] | None = None,
    CapacityProviderConfig: dict[str, Any] | None = None,
    DurableConfig: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """UpdateFunctionConfiguration: only the settings given change; `Environment`
    replaces every variable (an empty one removes them all)."""
    record = function_to_change(lam, caller, "lambda:UpdateFunctionConfiguration", FunctionName)
    refuse_unsupported(
        {
            "VpcConfig": VpcConfig,
            "DeadLetterConfig": DeadLetterConfig,
            "KMSKeyArn": KMSKeyArn,
            "TracingConfig": TracingConfig,
            "Layers": Layers,
            "FileSystemConfigs": FileSystemConfigs,
            "ImageConfig": ImageConfig,
            "SnapStart": SnapStart,
            "LoggingConfig": LoggingConfig,
            "CapacityProviderConfig": CapacityProviderConfig,
            "DurableConfig": DurableConfig,
        }
    )
    require_revision(record, RevisionId)
    if Role is not None:
        check_role(lam.role_trust, caller, Role)
    if Runtime is not None:
        check_runtime(Runtime)
    check_limits(Timeout, MemorySize)
    variables = environment_variables(Environment)
    if _steers_code(record, Handler, Runtime, variables):
        require_code_allowed(lam)
    changes = {
        "role": Role,
        "handler": Handler,
        "description": Description,
        "timeout": Timeout,
        "memory_size": MemorySize,
        "runtime": Runtime,
    }
    for name, value in changes.items():
        if value is not None:
            setattr(record, name, value)
    if variables is not None:
        record.environment = variables
    if EphemeralStorage is not None:
        record.ephemeral_storage = EphemeralStorage["Size"]
    _touch(lam, record)
    lam.repository.save(record)
    return record.configuration()


OPERATIONS: dict[str, Operation] = {
    "UpdateFunctionCode": update_function_code,
    "UpdateFunctionConfiguration": update_function_configuration,
}
