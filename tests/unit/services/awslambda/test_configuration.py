"""A function's configuration is checked as Lambda checks it: Python runtimes, Timeout and
MemorySize ranges, reserved and oversized environments; settings that need AWS
infrastructure pass only at their default."""

from __future__ import annotations

from typing import Any

import pytest

from strongroom.errors import InvalidParameterValueException, ValidationException
from strongroom.services.awslambda.configuration import (
    check_limits,
    check_runtime,
    environment_variables,
    refuse_unsupported,
)


@pytest.mark.parametrize("runtime", ["python3.9", "python3.11", "python3.12", "python3.14"])
def test_current_python_runtimes_are_accepted(runtime: str) -> None:
    check_runtime(runtime)


def test_retired_runtimes_are_refused_in_lambdas_words() -> None:
    with pytest.raises(InvalidParameterValueException) as info:
        check_runtime("python3.7")
    assert info.value.message == (
        "The runtime parameter of python3.7 is no longer supported for creating or updating "
        "AWS Lambda functions. We recommend you use the new runtime (python3.12) while "
        "creating or updating functions."
    )


@pytest.mark.parametrize("runtime", ["nodejs20.x", "java21", "provided.al2023"])
def test_other_languages_are_refused_saying_why(runtime: str) -> None:
    with pytest.raises(InvalidParameterValueException) as info:
        check_runtime(runtime)
    assert f"The runtime parameter of {runtime} is not supported" in info.value.message
    assert "Python functions only" in info.value.message


def test_timeout_and_memory_maximums() -> None:
    check_limits(900, 10_240)
    check_limits(None, None)
    with pytest.raises(ValidationException) as info:
        check_limits(901, None)
    assert info.value.message == (
        "1 validation error detected: Value '901' at 'timeout' failed to satisfy constraint: "
        "Member must have value less than or equal to 900"
    )
    with pytest.raises(ValidationException) as info:
        check_limits(None, 10_241)
    assert "at 'memorySize'" in info.value.message
    assert "less than or equal to 10240" in info.value.message


def test_environment_variables_are_taken_from_variables() -> None:
    assert environment_variables(None) is None
    assert environment_variables({}) == {}
    assert environment_variables({"Variables": {"A": "1", "TZ": "Europe/Paris"}}) == {
        "A": "1",
        "TZ": "Europe/Paris",
    }


def test_reserved_names_are_refused_all_named() -> None:
    with pytest.raises(InvalidParameterValueException) as info:
        environment_variables({"Variables": {"AWS_REGION": "x", "OK": "1", "_HANDLER": "y"}})
    assert info.value.message == (
        "Lambda was unable to configure your environment variables because the environment "
        "variables you have provided contains reserved keys that are currently not supported "
        "for modification. Reserved keys used in this request: AWS_REGION, _HANDLER"
    )


def test_more_than_4_kb_is_refused_without_echoing_a_value() -> None:
    secret = "s3cr3t-" + "x" * 4100
    with pytest.raises(InvalidParameterValueException) as info:
        environment_variables({"Variables": {"DB_PASSWORD": secret}})
    assert "exceeded the 4KB limit" in info.value.message
    assert "s3cr3t" not in info.value.message


@pytest.mark.parametrize(
    "settings",
    [
        {"PackageType": "Zip"},
        {"VpcConfig": {"SubnetIds": [], "SecurityGroupIds": []}},
        {"TracingConfig": {"Mode": "PassThrough"}},
        {"Layers": []},
        {"SnapStart": {"ApplyOn": "None"}},
        {"LoggingConfig": {"LogFormat": "Text"}},
        {"KMSKeyArn": ""},
        {"DeadLetterConfig": {}},
    ],
)
def test_defaults_pass(settings: dict[str, Any]) -> None:
    refuse_unsupported(settings)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("PackageType", "Image"),
        ("VpcConfig", {"SubnetIds": ["subnet-1"]}),
        ("TracingConfig", {"Mode": "Active"}),
        ("Layers", ["arn:aws:lambda:us-east-1:111122223333:layer:l:1"]),
        ("FileSystemConfigs", [{"Arn": "a", "LocalMountPath": "/mnt/x"}]),
        ("DeadLetterConfig", {"TargetArn": "arn:aws:sqs:us-east-1:111122223333:dlq"}),
        ("SnapStart", {"ApplyOn": "PublishedVersions"}),
        ("LoggingConfig", {"LogFormat": "JSON"}),
    ],
)
def test_anything_else_is_refused_by_name(name: str, value: Any) -> None:
    with pytest.raises(InvalidParameterValueException) as info:
        refuse_unsupported({name: value})
    assert f"does not support {name}" in info.value.message
