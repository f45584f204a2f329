"""Running functions: the Invoke operation, and `invoke_function` for other services.

Both go one way: authorize `lambda:InvokeFunction` on the function's ARN, find it, check
that an AWS service principal is allowed by the function's resource policy (see
`permissions`), check the payload (JSON, at most 6 MB, or 1 MB for `Event`), then run it:
temporary credentials issued for its role for Timeout plus a margin, the process runner
called with the function's package and environment, the credentials revoked when it ends,
whatever the outcome. A function's fault (an exception, a timeout, a crash) is its
result (`FunctionError`), never an error of the call.

`RequestResponse` waits for the function; `Event` queues it for a background thread (see
`event_queue`) and answers 202 at once; `DryRun` only checks, and answers 204. At most `SYNC_SLOTS`
synchronous invocations run at once in a process; past that, TooManyRequestsException.
Blocking: call Invoke off the event loop (the plug-in says so).
"""

from __future__ import annotations

import base64
import json
import logging
from typing import Any

from strongroom.errors import (
    AccessDeniedException,
    InvalidParameterValueException,
    TooManyRequestsException,
)
from strongroom.functions import Invocation, InvocationResult
from strongroom.functions.limits import INIT_SECONDS
from strongroom.services.awslambda.credentials import MARGIN_SECONDS
from strongroom.services.awslambda.errors import (
    InvalidRequestContentException,
    RequestTooLargeException,
)
from strongroom.services.awslambda.names import LATEST, not_found
from strongroom.services.awslambda.permissions import service_may_invoke
from strongroom.services.awslambda.records import FunctionRecord
from strongroom.services.awslambda.runtime_environment import (
    invocation_environment,
    log_stream_name,
)
from strongroom.services.awslambda.service import Lambda, Operation, authorized_function
from strongroom.services.caller import Caller

log = logging.getLogger("strongroom.lambda")

SYNC_LIMIT = 6 * 1024 * 1024
EVENT_LIMIT = 1024 * 1024
SYNC_SLOTS = 16
TAIL_BYTES = 4096
_INVOKE = "lambda:InvokeFunction"


def _refuse_constant(name: str) -> None:
    raise ValueError(f"Non-standard token '{name}'")


def event_payload(payload: bytes, invocation_type: str) -> bytes:
    """The event the function gets: the payload once checked as Lambda checks it (an
    empty payload is `{}`). Never echoes the payload: it may hold secrets."""
    limit = EVENT_LIMIT if invocation_type == "Event" else SYNC_LIMIT
    if len(payload) > limit:
        raise RequestTooLargeException(
            f"Request must be smaller than {limit} bytes for the InvokeFunction operation"
        )
    if not payload.strip():
        return b"{}"
    try:
        json.loads(payload.decode("utf-8"), parse_constant=_refuse_constant)
    except UnicodeDecodeError:
        reason = "Invalid UTF-8"
    except json.JSONDecodeError as error:
        reason = f"{error.msg} at line {error.lineno}, column {error.colno}"
    except (ValueError, RecursionError) as error:
        reason = str(error) if isinstance(error, ValueError) else "Nesting too deep"
    else:
        return payload
    raise InvalidRequestContentException(
        f"Could not parse request body into json: Could not parse payload into json: {reason}"
    )


def _prepare(
    lam: Lambda,
    caller: Caller,
    function_name: str,
    qualifier: str | None,
    payload: bytes,
    invocation_type: str,
) -> tuple[FunctionRecord, bytes]:
    """(function, event) once the caller may invoke it and the payload is sound."""
    record = authorized_function(lam, caller, _INVOKE, function_name, qualifier)
    service = caller.principal.service
    if service is not None and not service_may_invoke(lam, record, service, caller.account_id):
        raise AccessDeniedException(
            f"{service} is not authorized to perform: {_INVOKE} on resource: {record.arn} "
            f"because no resource-based policy allows the {_INVOKE} action"
        )
    return record, event_payload(payload, invocation_type)


def _package(lam: Lambda, record: FunctionRecord) -> tuple[FunctionRecord, bytes | None]:
    """(function, its zip) read together: None for a built-in. If another process
    replaced the code since `record` was cached, the fresh configuration is used."""
    if record.is_builtin:
        return record, None
    code = lam.repository.code(record)
    if code is None:
        fresh = lam.repository.load(record.account, record.region, record.name)
        code = None if fresh is None else lam.repository.code(fresh)
        if fresh is None or code is None:
            raise not_found(record.arn)
        record = fresh
    return record, code


def _execute(lam: Lambda, record: FunctionRecord, event: bytes) -> InvocationResult:
    """The result of one run of the function, with credentials of its own."""
    record, code = _package(lam, record)
    request_id = lam.new_id()
    ttl = INIT_SECONDS + record.timeout + MARGIN_SECONDS  # start-up counts apart, as in Lambda
    credentials = lam.credentials.issue(record.account, record.arn, record.role, ttl)
    try:
        environment = invocation_environment(
            record,
            credentials,
            endpoint_url=lam.endpoint_url,
            ca_bundle=lam.ca_bundle,
            log_stream=log_stream_name(lam.clock.now(), lam.random(16)),
        )
        invocation = Invocation(
            handler=record.builtin_handler or record.handler,
            code=code,
            event=event,
            function_name=record.name,
            function_arn=record.arn,
            function_version=LATEST,
            memory_mb=record.memory_size,
            timeout_seconds=float(record.timeout),
            environment=environment,
            request_id=request_id,
        )
        result = lam.invoke(invocation)
    finally:
        lam.credentials.revoke(credentials[0])
    log.info(
        "function %s ran (request id %s): %s in %.0f ms",
        record.arn,
        request_id,
        result.function_error or "success",
        result.duration_ms,
    )
    return result


def _synchronously(lam: Lambda, record: FunctionRecord, event: bytes) -> InvocationResult:
    if not lam.slots.acquire(blocking=False):
        raise TooManyRequestsException("Rate Exceeded.")
    try:
        return _execute(lam, record, event)
    finally:
        lam.slots.release()


def invoke_function(
    lam: Lambda,
    caller: Caller,
    function_name: str,
    payload: bytes,
    *,
    qualifier: str | None = None,
) -> InvocationResult:
    """Run the function with `payload` and wait for its result (blocking): the path the
    Invoke operation's RequestResponse takes, for services that call functions."""
    record, event = _prepare(lam, caller, function_name, qualifier, payload, "RequestResponse")
    return _synchronously(lam, record, event)


def _in_background(lam: Lambda, record: FunctionRecord, event: bytes) -> None:
    try:
        _execute(lam, record, event)
    except Exception:
        log.exception("asynchronous invocation of %s failed", record.arn)


def log_result(result: InvocationResult) -> str:
    """`LogResult`: base64 of the last 4 KB of the invocation's log (the runner's tail,
    START, END and REPORT lines included)."""
    return base64.b64encode(result.log_tail.encode()[-TAIL_BYTES:]).decode()


def invoke(
    lam: Lambda,
    caller: Caller,
    *,
    FunctionName: str,
    InvocationType: str = "RequestResponse",
    LogType: str = "None",
    ClientContext: str | None = None,
    DurableExecutionName: str | None = None,
    Payload: bytes = b"",
    Qualifier: str | None = None,
    TenantId: str | None = None,
) -> dict[str, Any]:
    """Invoke: RequestResponse (200 and the function's answer), Event (202 at once),
    DryRun (204). ClientContext is accepted and not passed on."""
    record, event = _prepare(lam, caller, FunctionName, Qualifier, Payload, InvocationType)
    for name, value in (("DurableExecutionName", DurableExecutionName), ("TenantId", TenantId)):
        if value is not None:
            raise InvalidParameterValueException(
                f"Strongroom's Lambda API does not support {name}: leave it out."
            )
    if InvocationType == "DryRun":
        return {"StatusCode": 204, "Payload": b""}
    if InvocationType == "Event":
        lam.background.submit(_in_background, lam, record, event)
        return {"StatusCode": 202, "Payload": b""}
    result = _synchronously(lam, record, event)
    answer: dict[str, Any] = {"StatusCode": 200}
    if result.function_error is not None:
        answer["FunctionError"] = result.function_error
    if LogType == "Tail":
        answer["LogResult"] = log_result(result)
    answer["Payload"] = result.payload
    answer["ExecutedVersion"] = LATEST
    return answer


OPERATIONS: dict[str, Operation] = {"Invoke": invoke}
