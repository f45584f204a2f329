"""Lambda's error documents for a function that fails inside its own process.

Child side, standard library only. The shapes and messages are those of AWS's Python
runtime interface client: `{"errorMessage", "errorType", "requestId", "stackTrace"}`,
with `Runtime.*` types for a handler that cannot be loaded or whose input or output
cannot be (un)marshalled, and the exception's class name for a handler that raised. A
stack trace starts at the first frame outside the bootstrap, as AWS's does.
"""

from __future__ import annotations

import traceback
from typing import Any

MALFORMED_HANDLER_NAME = "Runtime.MalformedHandlerName"
BUILT_IN_MODULE_CONFLICT = "Runtime.BuiltInModuleConflict"
IMPORT_MODULE_ERROR = "Runtime.ImportModuleError"
USER_CODE_SYNTAX_ERROR = "Runtime.UserCodeSyntaxError"
HANDLER_NOT_FOUND = "Runtime.HandlerNotFound"
UNMARSHAL_ERROR = "Runtime.UnmarshalError"
MARSHAL_ERROR = "Runtime.MarshalError"
RESPONSE_SIZE_TOO_LARGE = "Function.ResponseSizeTooLarge"


class Fault(Exception):
    """A failure the runtime names itself (`Runtime.*`), with an optional trace."""

    def __init__(self, error_type: str, message: str, trace: list[str] | None = None) -> None:
        super().__init__(message)
        self.error_type = error_type
        self.message = message
        self.trace = trace or []

    def document(self, request_id: str) -> dict[str, Any]:
        """Lambda's error document for this fault."""
        return error_document(self.message, self.error_type, self.trace, request_id)


def error_document(
    message: str, error_type: str, trace: list[str], request_id: str
) -> dict[str, Any]:
    """`{"errorMessage", "errorType", "requestId", "stackTrace"}` as the runtime writes it."""
    return {
        "errorMessage": message,
        "errorType": error_type,
        "requestId": request_id,
        "stackTrace": trace,
    }


def exception_document(
    error: BaseException, request_id: str, bootstrap_file: str
) -> dict[str, Any]:
    """The error document for an exception raised by the function's code."""
    frames = traceback.extract_tb(error.__traceback__)
    first = next(
        (index for index, frame in enumerate(frames) if frame.filename != bootstrap_file),
        len(frames),
    )
    trace = traceback.format_list(frames[first:])
    return error_document(str(error), type(error).__name__, trace, request_id)


def response_too_large(limit: int) -> dict[str, Any]:
    """The document Lambda answers when a response is over its size limit."""
    return {
        "errorMessage": (
            f"Response payload size exceeded maximum allowed payload size ({limit} bytes)."
        ),
        "errorType": RESPONSE_SIZE_TOO_LARGE,
    }


def log_lines(document: dict[str, Any]) -> list[str]:
    """How the runtime logs an error document: `[ERROR] Type: message`, then the trace."""
    header = "[ERROR]"
    if document.get("errorType"):
        header += f" {document['errorType']}"
        if document.get("errorMessage"):
            header += ":"
    if document.get("errorMessage"):
        header += f" {document['errorMessage']}"
    lines = [header]
    trace = document.get("stackTrace")
    if trace is not None:
        lines.append("Traceback (most recent call last):")
        for element in trace:
            lines.extend(str(element).splitlines())
    return lines
