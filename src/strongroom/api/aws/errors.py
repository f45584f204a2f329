"""The one place an error becomes an HTTP status and an AWS error body.

Deliberate errors (`StrongroomError`) keep their code and message. Anything else becomes
the service's own internal-error code with only the request id: no traceback, no detail.
REST services (`rest_status`) answer an error their model declares with the model's
status, a failed authentication or authorization with 403 and an unknown path with 404;
anything else as JSON services do.
"""

from __future__ import annotations

import logging

from strongroom import errors

log = logging.getLogger("strongroom.api")

_STATUS: dict[type[errors.StrongroomError], int] = {
    errors.MissingAuthenticationToken: 403,
    errors.IncompleteSignatureException: 400,
    errors.InvalidSignatureException: 400,
    errors.UnrecognizedClientException: 400,
    errors.AccessDeniedException: 400,
    errors.RequestTooLargeError: 413,
    errors.ThrottlingException: 429,
    errors.NoSuchEntityException: 404,
    errors.IamLimitExceededException: 409,
    errors.DeleteConflictException: 409,
    errors.ServiceUnavailable: 503,
    errors.InternalFailure: 500,
    errors.KMSInternalException: 500,
    errors.InternalServerError: 500,
    errors.ExpiredTokenException: 403,
    errors.ResourceConflictException: 409,
    errors.CodeStorageExceededException: 400,
    errors.ServiceException: 500,
    errors.TooManyRequestsException: 429,
}

INTERNAL_ERROR_CODE = {
    "kms": "KMSInternalException",
    "secretsmanager": "InternalServiceError",
    "ssm": "InternalServerError",
    "lambda": "ServiceException",
    "iam": "ServiceFailure",
}


_REST_STATUS = {
    errors.MissingAuthenticationToken.code: 403,
    errors.IncompleteSignatureException.code: 403,
    errors.InvalidSignatureException.code: 403,
    errors.UnrecognizedClientException.code: 403,
    errors.ExpiredTokenException.code: 403,
    errors.AccessDeniedException.code: 403,
    errors.UnknownOperationException.code: 404,
}
"""Where REST services (API Gateway-fronted, as Lambda) differ from JSON 1.1 ones."""


def rest_status(code: str, status: int, declared: int | None) -> int:
    """The status a REST service answers error `code` with: `declared` (the model's
    `httpStatusCode`) if the model has the error, else its REST status, else `status`."""
    if declared is not None:
        return declared
    return _REST_STATUS.get(code, status)


def status_of(error: errors.StrongroomError) -> int:
    """The HTTP status AWS uses for this error (400 unless listed)."""
    for cls in type(error).__mro__:
        status = _STATUS.get(cls)
        if status is not None:
            return status
    return 400


def internal_error(service: str | None, request_id: str) -> tuple[int, str, str]:
    """(status, code, message) for an unexpected failure: only the request id is said."""
    code = INTERNAL_ERROR_CODE.get(service or "", "InternalFailure")
    return 500, code, f"An internal error occurred (request id {request_id})."


def to_wire(
    error: errors.StrongroomError, service: str | None, request_id: str
) -> tuple[int, str, str]:
    """(status, code, message) for a deliberate error.

    Internal failures (storage, integrity) say only the request id, whatever their message:
    it may name files or databases. Storage that cannot be reached now is a 503 the SDKs
    retry; anything else internal is the service's own internal error.
    """
    if not isinstance(error, errors.InternalFailure):
        return status_of(error), error.code, error.message
    log.error("%s (request id %s): %s", type(error).__name__, request_id, error.message)
    if error.code == "ServiceUnavailableException":
        return 503, error.code, f"Service temporarily unavailable (request id {request_id})."
    return internal_error(service, request_id)
