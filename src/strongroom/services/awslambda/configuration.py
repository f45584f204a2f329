"""What a function's configuration may hold here, checked as Lambda checks it.

Strongroom runs Python functions from .zip packages, in a process on its own host: the
runtime must be a Python 3 runtime Lambda still lets you create (the function runs on the
server's own Python; the runtime name is recorded and shown, as the function's
`AWS_EXECUTION_ENV`); Timeout is 1..900 seconds; MemorySize 128..10240 MB; environment
variables follow Lambda's rules (no reserved name, at most 4 KB). Settings that need AWS
infrastructure (VPCs, layers, file systems, container images, code signing, SnapStart,
X-Ray, dead-letter queues, ...) are accepted only when left out or at their default, and
otherwise refused by name: a function never silently runs without what it asked for.

Invariants: no message here echoes an environment variable's value.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import orjson

from strongroom.errors import InvalidParameterValueException, ValidationException

PYTHON_RUNTIMES = frozenset(
    {"python3.9", "python3.10", "python3.11", "python3.12", "python3.13", "python3.14"}
)
RETIRED_RUNTIMES = frozenset({"python2.7", "python3.6", "python3.7", "python3.8"})
RECOMMENDED_RUNTIME = "python3.12"
MAX_TIMEOUT = 900
MAX_MEMORY = 10_240
ENVIRONMENT_LIMIT = 4096
RESERVED_VARIABLES = frozenset(
    {
        "_HANDLER",
        "_X_AMZN_TRACE_ID",
        "AWS_DEFAULT_REGION",
        "AWS_REGION",
        "AWS_EXECUTION_ENV",
        "AWS_LAMBDA_FUNCTION_NAME",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
        "AWS_LAMBDA_FUNCTION_VERSION",
        "AWS_LAMBDA_INITIALIZATION_TYPE",
        "AWS_LAMBDA_LOG_GROUP_NAME",
        "AWS_LAMBDA_LOG_STREAM_NAME",
        "AWS_ACCESS_KEY",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_LAMBDA_RUNTIME_API",
        "LAMBDA_TASK_ROOT",
        "LAMBDA_RUNTIME_DIR",
    }
)
_ENVIRONMENT_REFUSED = "Lambda was unable to configure your environment variables because "


def check_runtime(runtime: str) -> None:
    """Refuse a runtime this server cannot run, in the words Lambda uses for retired ones."""
    if runtime in PYTHON_RUNTIMES:
        return
    if runtime in RETIRED_RUNTIMES:
        raise InvalidParameterValueException(
            f"The runtime parameter of {runtime} is no longer supported for creating or "
            f"updating AWS Lambda functions. We recommend you use the new runtime "
            f"({RECOMMENDED_RUNTIME}) while creating or updating functions."
        )
    raise InvalidParameterValueException(
        f"The runtime parameter of {runtime} is not supported for creating or updating "
        f"functions in Strongroom, which runs Python functions only. We recommend you use "
        f"the runtime ({RECOMMENDED_RUNTIME}) while creating or updating functions."
    )


def _range_error(field: str, value: int, bound: int) -> ValidationException:
    return ValidationException(
        f"1 validation error detected: Value '{value}' at '{field}' failed to satisfy "
        f"constraint: Member must have value less than or equal to {bound}"
    )


def check_limits(timeout: int | None, memory_size: int | None) -> None:
    """Timeout at most 900 seconds, MemorySize at most 10240 MB (the model checks the
    minimums at the edge)."""
    if timeout is not None and timeout > MAX_TIMEOUT:
        raise _range_error("timeout", timeout, MAX_TIMEOUT)
    if memory_size is not None and memory_size > MAX_MEMORY:
        raise _range_error("memorySize", memory_size, MAX_MEMORY)


def environment_variables(environment: Mapping[str, Any] | None) -> dict[str, str] | None:
    """The variables of an `Environment` parameter, checked; None when it is absent."""
    if environment is None:
        return None
    variables = dict(environment.get("Variables") or {})
    reserved = sorted(RESERVED_VARIABLES.intersection(variables))
    if reserved:
        raise InvalidParameterValueException(
            f"{_ENVIRONMENT_REFUSED}the environment variables you have provided contains "
            f"reserved keys that are currently not supported for modification. Reserved "
            f"keys used in this request: {', '.join(reserved)}"
        )
    size = len(orjson.dumps(variables))
    if size > ENVIRONMENT_LIMIT:
        raise InvalidParameterValueException(
            f"{_ENVIRONMENT_REFUSED}the environment variables you have provided exceeded "
            f"the 4KB limit. String measured: {size} bytes"
        )
    return variables


def _empty(value: Any) -> bool:
    return not value


def _vpc_default(value: Any) -> bool:
    return not value.get("SubnetIds") and not value.get("SecurityGroupIds")


def _tracing_default(value: Any) -> bool:
    return value.get("Mode") in (None, "PassThrough")


def _snap_start_default(value: Any) -> bool:
    return value.get("ApplyOn") in (None, "None")


def _logging_default(value: Any) -> bool:
    return value.get("LogFormat") in (None, "Text") and not value.get("LogGroup")


def _zip_package(value: Any) -> bool:
    return bool(value == "Zip")


_DEFAULT_ONLY: dict[str, Callable[[Any], bool]] = {
    "PackageType": _zip_package,
    "VpcConfig": _vpc_default,
    "DeadLetterConfig": lambda value: not value.get("TargetArn"),
    "KMSKeyArn": _empty,
    "TracingConfig": _tracing_default,
    "Layers": _empty,
    "FileSystemConfigs": _empty,
    "ImageConfig": _empty,
    "CodeSigningConfigArn": _empty,
    "SnapStart": _snap_start_default,
    "LoggingConfig": _logging_default,
    "CapacityProviderConfig": _empty,
    "PublishTo": _empty,
    "DurableConfig": _empty,
    "TenancyConfig": _empty,
    "SourceKMSKeyArn": _empty,
    "ImageUri": _empty,
}


def refuse_unsupported(settings: Mapping[str, Any]) -> None:
    """Refuse, by name, the first setting given with a value other than its default."""
    for name, value in settings.items():
        if value is not None and not _DEFAULT_ONLY[name](value):
            raise InvalidParameterValueException(
                f"Strongroom's Lambda API does not support {name}: functions run as "
                f"processes on the Strongroom host. Leave {name} out, or at its default."
            )
