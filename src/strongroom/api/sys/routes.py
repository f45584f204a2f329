"""The operator API over HTTP: health, status, unseal, seal; and the dev-only reset.

GET  /sys/health   200 unsealed, 503 sealed, 501 not initialized
GET  /sys/status   {"initialized", "sealed", "threshold", "shares", "progress"}
POST /sys/unseal   {"key": "<share>"} or {"reset": true}      (no credentials: shares are)
POST /sys/seal     SigV4-signed by a known access key
POST /moto-api/reset   dev mode only, unsigned: wipe every service's state
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

import orjson

from strongroom.api.aws import errors as wire_errors
from strongroom.api.aws.sigv4 import Credential
from strongroom.api.sys.operator import Operator
from strongroom.errors import InvalidSignatureException, StrongroomError

log = logging.getLogger("strongroom.api")

OPERATOR_SERVICE = "strongroom"
"""The SigV4 service name operator calls are signed for."""

Authenticate = Callable[[str, str, bytes, Sequence[tuple[bytes, bytes]], bytes], Credential]
"""Verifies a SigV4-signed request or raises the AWS authentication error."""

Authorize = Callable[[Credential, str], None]
"""Raises AccessDeniedException unless the credential's principal may do the action."""


def _error(status: int, code: str, message: str) -> tuple[int, bytes]:
    return status, orjson.dumps({"__type": code, "message": message})


class SysRoutes:
    """Dispatches /sys/* and the dev reset."""

    def __init__(
        self,
        operator: Operator,
        authenticate: Authenticate,
        authorize: Authorize,
        reset: Callable[[], None] | None,
    ) -> None:
        self._operator = operator
        self._authenticate = authenticate
        self._authorize = authorize
        self._reset = reset

    def handle(
        self,
        method: str,
        path: str,
        raw_path: str,
        query: bytes,
        headers: Sequence[tuple[bytes, bytes]],
        body: bytes,
        request_id: str,
    ) -> tuple[int, bytes]:
        """(status, JSON body) for one operator request; never raises."""
        try:
            return self._route(method, path, raw_path, query, headers, body)
        except StrongroomError as error:
            return _error(*wire_errors.to_wire(error, None, request_id))
        except Exception:
            log.exception("internal error in %s %s (request id %s)", method, path, request_id)
            status, code, message = wire_errors.internal_error(None, request_id)
            return _error(status, code, message)

    def _route(
        self,
        method: str,
        path: str,
        raw_path: str,
        query: bytes,
        headers: Sequence[tuple[bytes, bytes]],
        body: bytes,
    ) -> tuple[int, bytes]:
        if path == "/sys/health" and method in ("GET", "HEAD"):
            status = self._operator.status()
            code = 501 if not status["initialized"] else 503 if status["sealed"] else 200
            return code, orjson.dumps(status)
        if path == "/sys/status" and method == "GET":
            return 200, orjson.dumps(self._operator.status())
        if method == "POST" and _from_a_web_page(headers):
            # A browser page may POST here without a preflight; operator tools never send
            # Origin. Refusing it keeps any web page from wiping or probing a local server.
            return _error(403, "AccessDeniedException", "Requests from web pages are refused.")
        if path == "/sys/unseal" and method == "POST":
            request = _json_object(body)
            if request.get("reset") is True:
                return 200, orjson.dumps(self._operator.reset_progress())
            share = request.get("key")
            if not isinstance(share, str):
                return _error(400, "ValidationException", "Give the unseal share as 'key'.")
            return 200, orjson.dumps(self._operator.submit_share(share))
        if path == "/sys/seal" and method == "POST":
            status = self._operator.status()
            if status["sealed"]:  # nothing to do, and no access key can be read to check
                return 200, orjson.dumps(status)
            credential = self._authenticate(method, raw_path, query, headers, body)
            if credential.service != OPERATOR_SERVICE:
                raise InvalidSignatureException(
                    f"Credential should be scoped to correct service: '{OPERATOR_SERVICE}'. "
                )
            self._authorize(credential, "strongroom:Seal")
            return 200, orjson.dumps(self._operator.seal())
        if path == "/moto-api/reset" and method == "POST" and self._reset is not None:
            self._reset()
            return 200, orjson.dumps({"status": "ok"})
        return _error(404, "NotFound", f"No route for {method} {path}.")


def _from_a_web_page(headers: Sequence[tuple[bytes, bytes]]) -> bool:
    return any(name in (b"origin", b"sec-fetch-site") for name, _ in headers)


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        value = orjson.loads(body or b"{}")
    except orjson.JSONDecodeError:
        value = None
    if not isinstance(value, dict):
        raise _BadRequest("The request body must be a JSON object.")
    return value


class _BadRequest(StrongroomError):
    code = "SerializationException"
