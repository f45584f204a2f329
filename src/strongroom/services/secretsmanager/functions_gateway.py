"""How Secrets Manager calls rotation functions: the Lambda service's operation functions.

Secrets Manager reaches functions only through the Lambda plug-in's operations (never its
storage), as the service principal `secretsmanager.amazonaws.com` acting in the secret's
account, so the function's resource policy, authorization and audit apply as to any
caller. An invocation blocks (the function runs in its own process): call it off the
event loop.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import orjson

from strongroom.errors import AccessDeniedException, ResourceNotFoundException
from strongroom.identity import Principal
from strongroom.services.caller import Authorizer, Caller
from strongroom.services.plugin import Operation, ServicePlugin

SERVICE_PRINCIPAL = "secretsmanager.amazonaws.com"


@dataclass(frozen=True, slots=True)
class StepOutcome:
    """What one rotation step's invocation returned."""

    failed: bool
    error: str
    """On failure, the function's error type and message (bounded); else empty."""


class FunctionsGateway:
    """The Lambda service, as Secrets Manager calls it."""

    def __init__(self, functions: ServicePlugin, authorizer: Authorizer) -> None:
        self._operations: Mapping[str, Operation] = functions.operations
        self._context = functions.context
        self._authorizer = authorizer

    def _service_caller(self, account: str, region: str) -> Caller:
        return Caller(Principal.of_service(account, SERVICE_PRINCIPAL), region, self._authorizer)

    def require_function(self, caller: Caller, function_arn: str) -> None:
        """Refuse (as AWS does) a rotation function that does not exist, or that Secrets
        Manager may not invoke (its policy does not allow `secretsmanager.amazonaws.com`):
        a DryRun invocation checks both and runs nothing."""
        try:
            self._operations["Invoke"](
                self._context,
                self._service_caller(caller.account_id, caller.region),
                FunctionName=function_arn,
                InvocationType="DryRun",
            )
        except ResourceNotFoundException:
            raise ResourceNotFoundException(
                "Secrets Manager cannot find the specified Lambda function."
            ) from None
        except AccessDeniedException:
            raise AccessDeniedException(
                "Secrets Manager cannot invoke the specified Lambda function. Ensure that the "
                f"function policy grants access to the principal {SERVICE_PRINCIPAL}."
            ) from None

    def run_step(
        self, account: str, region: str, function_arn: str, event: dict[str, str]
    ) -> StepOutcome:
        """Invoke the function with one rotation step's event (blocking)."""
        result = self._operations["Invoke"](
            self._context,
            self._service_caller(account, region),
            FunctionName=function_arn,
            Payload=orjson.dumps(event),
        )
        if not result.get("FunctionError"):
            return StepOutcome(False, "")
        return StepOutcome(True, _describe_error(result.get("Payload", b"")))


def _describe_error(payload: bytes) -> str:
    """`<errorType>: <errorMessage>` from Lambda's error document, at most 512 characters."""
    try:
        document = orjson.loads(payload)
    except orjson.JSONDecodeError:
        return "the function failed"
    if not isinstance(document, dict):
        return "the function failed"
    kind = str(document.get("errorType") or "Error")
    message = str(document.get("errorMessage") or "")
    return f"{kind}: {message}"[:512]
