"""RotateSecret and CancelRotateSecret: configure rotation and start it.

RotateSecret stores the function and the schedule, then starts a rotation now (an empty
AWSPENDING version named by the ClientRequestToken, as AWS makes it) or, with
RotateImmediately false, only tests the configuration (the function's testSecret step on
a pending version that is then removed). The rotation itself runs asynchronously (see
`rotation_engine`); the call answers once it is recorded. AWS's refusals: a rotation not
finished (AWSPENDING on a version other than AWSCURRENT, or a run under way), no function
ARN given or stored, a function that does not exist, a schedule AWS refuses.
"""

from __future__ import annotations

from typing import Any

from strongroom.errors import InvalidRequestException
from strongroom.services.caller import Caller
from strongroom.services.secretsmanager import labels
from strongroom.services.secretsmanager.rotation_runs import new_token, schedule_next, start_run
from strongroom.services.secretsmanager.rotation_schedule import RotationRules as Schedule
from strongroom.services.secretsmanager.secret_access import request_keys
from strongroom.services.secretsmanager.service import (
    Operation,
    SecretsManager,
    require_changeable,
    secret_to_change,
    touch,
    writes,
)

NOT_COMPLETE = "A previous rotation isn't complete. That rotation will be reattempted."
NO_FUNCTION = (
    "You tried to enable rotation on a secret that doesn't already have a Lambda function "
    "ARN configured and you didn't include such an ARN as a parameter in this call."
)


@writes
def _rotate(
    sm: SecretsManager,
    caller: Caller,
    *,
    SecretId: str,
    token: str | None,
    function_arn: str | None,
    rules: dict[str, Any] | None,
    immediately: bool,
    external: bool,
    role_arn: str | None,
) -> dict[str, Any]:
    keys = request_keys(
        RotationLambdaARN=function_arn,
        RotateImmediately=immediately,
        ModifyRotationRules=rules is not None,
        ExternalSecretRotationRoleArn=role_arn,
    )
    record = secret_to_change(
        sm, caller, "secretsmanager:RotateSecret", SecretId, check=require_changeable, context=keys
    )
    if external:
        raise InvalidRequestException(
            "Managed external secrets are not supported by Strongroom: rotate with a "
            "RotationLambdaARN (your function or a strongroom-* built-in)."
        )
    schedule = None if rules is None else Schedule.from_wire(rules)
    run = record.rotation_run
    if run is not None and token is not None and run.token == token:
        return {"ARN": record.arn, "Name": record.name, "VersionId": token}  # a retry
    if run is not None or labels.pending_elsewhere(record) is not None:
        raise InvalidRequestException(NOT_COMPLETE)
    function_arn = function_arn or record.rotation_lambda_arn
    if function_arn is None:
        raise InvalidRequestException(NO_FUNCTION)
    if sm.functions is None:
        raise InvalidRequestException("Rotation functions are not available on this server.")
    caller.authorize("lambda:InvokeFunction", function_arn)  # as AWS asks of the caller too
    sm.functions.require_function(caller, function_arn)
    token = token or new_token(sm)
    if token in record.versions:
        raise InvalidRequestException(
            f"You can't use ClientRequestToken {token} because that value is already in use "
            f"for a version of secret {record.arn}."
        )
    record.rotation_enabled = True
    record.rotation_lambda_arn = function_arn
    if schedule is not None:
        record.rotation_rules = schedule.to_json()
        record.rotation_configured = round(sm.clock.now(), 3)
    schedule_next(sm, record)
    start_run(sm, record, token, test_only=not immediately)
    touch(sm, record)
    sm.repository.save(record)
    return {"ARN": record.arn, "Name": record.name, "VersionId": token}


def rotate_secret(
    sm: SecretsManager,
    caller: Caller,
    *,
    SecretId: str,
    ClientRequestToken: str | None = None,
    RotationLambdaARN: str | None = None,
    RotationRules: dict[str, Any] | None = None,
    ExternalSecretRotationMetadata: list[dict[str, str]] | None = None,
    ExternalSecretRotationRoleArn: str | None = None,
    RotateImmediately: bool = True,
) -> dict[str, Any]:
    """RotateSecret: store the rotation's function and schedule, and rotate now (or, not
    immediately, test the function's testSecret step). Managed external secrets (a
    partner's rotation) are not served: their members are refused."""
    external = ExternalSecretRotationMetadata is not None or ExternalSecretRotationRoleArn
    result = _rotate(
        sm,
        caller,
        SecretId=SecretId,
        token=ClientRequestToken,
        function_arn=RotationLambdaARN,
        rules=RotationRules,
        immediately=RotateImmediately,
        external=bool(external),
        role_arn=ExternalSecretRotationRoleArn,
    )
    if sm.wake_rotations is not None:
        sm.wake_rotations()  # committed: the engine may claim it now
    return result


@writes
def cancel_rotate_secret(sm: SecretsManager, caller: Caller, *, SecretId: str) -> dict[str, Any]:
    """CancelRotateSecret: rotation off (function and schedule kept, as AWS keeps them); a
    run under way is abandoned, its AWSPENDING version left for the caller to settle."""
    record = secret_to_change(
        sm, caller, "secretsmanager:CancelRotateSecret", SecretId, check=require_changeable
    )
    pending = labels.pending_elsewhere(record)
    record.rotation_enabled = False if record.rotation_enabled is not None else None
    record.rotation_run = None
    schedule_next(sm, record)
    touch(sm, record)
    sm.repository.save(record)
    result: dict[str, Any] = {"ARN": record.arn, "Name": record.name}
    if pending is not None:
        result["VersionId"] = pending
    return result


OPERATIONS: dict[str, Operation] = {
    "RotateSecret": rotate_secret,
    "CancelRotateSecret": cancel_rotate_secret,
}
