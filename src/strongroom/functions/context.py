"""The context object a handler receives, with the attributes AWS's Python runtime gives.

Child side, standard library only. As in AWS, `memory_limit_in_mb` is a string,
`identity` is a CognitoIdentity whose fields are None unless Cognito called,
`client_context` is None unless a mobile client sent one, and the remaining time counts
down to the invocation's deadline in wall-clock milliseconds, never below zero.
"""

from __future__ import annotations

import sys
import time


class CognitoIdentity:
    """The Amazon Cognito identity that invoked the function (none here)."""

    __slots__ = ("cognito_identity_id", "cognito_identity_pool_id")

    def __init__(self) -> None:
        self.cognito_identity_id: str | None = None
        self.cognito_identity_pool_id: str | None = None

    def __repr__(self) -> str:
        return (
            f"CognitoIdentity([cognito_identity_id={self.cognito_identity_id},"
            f"cognito_identity_pool_id={self.cognito_identity_pool_id}])"
        )


class LambdaContext:
    """What a handler learns about its invocation, function and remaining time."""

    def __init__(
        self,
        *,
        request_id: str,
        function_name: str,
        function_version: str,
        function_arn: str,
        memory_mb: int,
        log_group_name: str,
        log_stream_name: str,
        deadline_ms: int,
    ) -> None:
        """`deadline_ms` is the epoch time, in milliseconds, at which the function times out."""
        self.aws_request_id = request_id
        self.function_name = function_name
        self.function_version = function_version
        self.invoked_function_arn = function_arn
        self.memory_limit_in_mb = str(memory_mb)
        self.log_group_name = log_group_name
        self.log_stream_name = log_stream_name
        self.identity = CognitoIdentity()
        self.client_context: object | None = None
        self.tenant_id: str | None = None
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds left before the function is stopped (0 once past)."""
        return max(self._deadline_ms - int(time.time() * 1000), 0)

    def log(self, message: object) -> None:
        """Write `message` to the function's log, as AWS's `context.log` does."""
        sys.stdout.write(str(message))

    def __repr__(self) -> str:
        return (
            f"LambdaContext([aws_request_id={self.aws_request_id},"
            f"log_group_name={self.log_group_name},"
            f"log_stream_name={self.log_stream_name},"
            f"function_name={self.function_name},"
            f"memory_limit_in_mb={self.memory_limit_in_mb},"
            f"function_version={self.function_version},"
            f"invoked_function_arn={self.invoked_function_arn},"
            f"client_context={self.client_context},"
            f"identity={self.identity},"
            f"tenant_id={self.tenant_id}])"
        )
