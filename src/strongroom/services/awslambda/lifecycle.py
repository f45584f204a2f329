"""Function life cycle: CreateFunction and DeleteFunction.

CreateFunction takes a .zip uploaded directly and a Python runtime; `Publish` is accepted
and ignored (no numbered versions exist here: the answer's Version says `$LATEST`).
Settings that need AWS infrastructure are refused unless left at their default (see
`configuration`). Creating code is refused unless the operator allowed function code.
"""

from __future__ import annotations

from typing import Any

from strongroom.errors import (
    AccessDeniedException,
    InvalidParameterValueException,
    ResourceConflictException,
)
from strongroom.services.awslambda.builtin_functions import is_builtin
from strongroom.services.awslambda.code_package import accept_zip, direct_upload
from strongroom.services.awslambda.configuration import (
    check_limits,
    check_runtime,
    environment_variables,
    refuse_unsupported,
)
from strongroom.services.awslambda.names import LATEST, FunctionRef, check_new_name, resolve
from strongroom.services.awslambda.records import FunctionRecord
from strongroom.services.awslambda.roles import check_role
from strongroom.services.awslambda.service import (
    Lambda,
    Operation,
    function_to_change,
    require_code_allowed,
    writes,
)
from strongroom.services.caller import Caller

MANDATORY = (
    "Runtime and Handler are mandatory parameters for functions created with deployment packages."
)


def _check_new(lam: Lambda, caller: Caller, ref: FunctionRef) -> None:
    """Refuse a function that may not be created here, whatever its settings: code not
    allowed, another account, a qualified or malformed name."""
    if ref.account != caller.account_id:
        raise AccessDeniedException(
            f"Functions are created in the caller's account ({caller.account_id}) only."
        )
    require_code_allowed(lam)
    if ref.qualifier is not None:
        raise InvalidParameterValueException(
            f"A function is created as {LATEST}: name it without a qualifier."
        )
    check_new_name(ref)


@writes
def create_function(
    lam: Lambda,
    caller: Caller,
    *,
    FunctionName: str,
    Role: str,
    Code: dict[str, Any],
    Runtime: str | None = None,
    Handler: str | None = None,
    Description: str = "",
    Timeout: int = 3,
    MemorySize: int = 128,
    Publish: bool = False,
    VpcConfig: dict[str, Any] | None = None,
    PackageType: str | None = None,
    DeadLetterConfig: dict[str, Any] | None = None,
    Environment: dict[str, Any] | None = None,
    KMSKeyArn: str | None = None,
    TracingConfig: dict[str, Any] | None = None,
    Tags: dict[str, str] | None = None,
    Layers: list[str] | None = None,
    FileSystemConfigs: list[dict[str, Any]] | None = None,
    ImageConfig: dict[str, Any] | None = None,
    CodeSigningConfigArn: str | None = None,
    Architectures: list[str] | None = None,
    EphemeralStorage: dict[str, int] | None = None,
    SnapStart: dict[str, Any] | None = None,
    LoggingConfig: dict[str, Any] | None = None,
    CapacityProviderConfig: dict[str, Any] | None = None,
    PublishTo: str | None = None,
    DurableConfig: dict[str, Any] | None = None,
    TenancyConfig: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """CreateFunction, from a .zip uploaded directly (`Code.ZipFile`)."""
    ref = resolve(caller, FunctionName)
    caller.authorize("lambda:CreateFunction", ref.resource)
    _check_new(lam, caller, ref)
    refuse_unsupported(
        {
            "PackageType": PackageType,
            "VpcConfig": VpcConfig,
            "DeadLetterConfig": DeadLetterConfig,
            "KMSKeyArn": KMSKeyArn,
            "TracingConfig": TracingConfig,
            "Layers": Layers,
            "FileSystemConfigs": FileSystemConfigs,
            "ImageConfig": ImageConfig,
            "CodeSigningConfigArn": CodeSigningConfigArn,
            "SnapStart": SnapStart,
            "LoggingConfig": LoggingConfig,
            "CapacityProviderConfig": CapacityProviderConfig,
            "PublishTo": PublishTo,
            "DurableConfig": DurableConfig,
            "TenancyConfig": TenancyConfig,
            "SourceKMSKeyArn": Code.get("SourceKMSKeyArn"),
        }
    )
    if Runtime is None or Handler is None:
        raise InvalidParameterValueException(MANDATORY)
    check_role(lam.role_trust, caller, Role)
    check_runtime(Runtime)
    check_limits(Timeout, MemorySize)
    variables = environment_variables(Environment)
    if is_builtin(ref.name) or lam.repository.load(ref.account, ref.region, ref.name):
        raise ResourceConflictException(f"Function already exist: {ref.name}")
    zipped = direct_upload(
        Code.get("ZipFile"),
        Code.get("S3Bucket"),
        Code.get("S3Key"),
        Code.get("S3ObjectVersion"),
        Code.get("ImageUri"),
    )
    package = accept_zip(zipped, "CreateFunction")
    record = FunctionRecord(
        name=ref.name,
        account=ref.account,
        region=ref.region,
        partition=ref.partition,
        runtime=Runtime,
        handler=Handler,
        role=Role,
        code_id=lam.new_id(),
        code_sha256=package.sha256,
        code_size=package.size,
        last_modified=lam.now(),
        revision_id=lam.new_id(),
        description=Description,
        timeout=Timeout,
        memory_size=MemorySize,
        environment=variables,
        architectures=list(Architectures or ["x86_64"]),
        ephemeral_storage=(EphemeralStorage or {}).get("Size", 512),
        tags=dict(Tags) if Tags else None,
    )
    lam.repository.save_code(record, package.data)
    lam.repository.save(record)
    return record.configuration()


@writes
def delete_function(
    lam: Lambda, caller: Caller, *, FunctionName: str, Qualifier: str | None = None
) -> dict[str, Any]:
    """DeleteFunction: the function, its code and its resource policy."""
    record = function_to_change(lam, caller, "lambda:DeleteFunction", FunctionName, Qualifier)
    if Qualifier == LATEST or FunctionName.endswith(f":{LATEST}"):
        raise InvalidParameterValueException(
            f"{LATEST} version cannot be deleted without deleting the function."
        )
    lam.repository.remove(record)
    return {"StatusCode": 204}


OPERATIONS: dict[str, Operation] = {
    "CreateFunction": create_function,
    "DeleteFunction": delete_function,
}
