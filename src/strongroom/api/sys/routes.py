"""The operator API over HTTP; and the dev-only reset.

GET  /sys/health          200 unsealed, 503 sealed, 501 not initialized
GET  /sys/status          initialized, sealed, seal type, shares, key term, rotation
POST /sys/unseal          {"key", "nonce"?} or {"reset": true, "nonce"}: no credentials
                          (the shares are), rate-limited per client address
POST /sys/seal            signed: strongroom:Seal
POST /sys/rotate          signed: strongroom:Rotate
POST /sys/rekey/init      signed: strongroom:Rekey  {"shares", "threshold"}
POST /sys/rekey/update    signed: strongroom:Rekey  {"nonce", "key"}: a current share
POST /sys/rekey/verify    signed: strongroom:Rekey  {"nonce", "key"}: a new share
POST /sys/rekey/cancel    signed: strongroom:Rekey  {"nonce"?}
     /sys/access-keys...  signed: see api.sys.access_keys
POST /moto-api/reset      dev mode only, unsigned: wipe every service's state
POST /sys/dev/clock       dev mode only, unsigned: {"offset_seconds"}: move this process's
                          service clock, then run one scheduler tick (tests drive time)

Signed means SigV4 for the service `strongroom` by a known, active access key whose
principal is authorized for the action, checked before anything else is done.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any, Protocol

import orjson

from strongroom.api.aws import errors as wire_errors
from strongroom.api.aws.json_protocol import encode_error
from strongroom.api.aws.sigv4 import Credential
from strongroom.api.sys.json_body import json_object
from strongroom.api.sys.operator import Operator
from strongroom.api.sys.rate_limit import RateLimiter
from strongroom.api.sys.rekey import Rekey
from strongroom.barrier import SEALED_MESSAGE
from strongroom.errors import (
    InvalidSignatureException,
    ServiceUnavailable,
    StrongroomError,
    ValidationException,
)
from strongroom.identity import Principal

log = logging.getLogger("strongroom.api")

OPERATOR_SERVICE = "strongroom"
"""The SigV4 service name operator calls are signed for."""

Authenticate = Callable[[str, str, bytes, Sequence[tuple[bytes, bytes]], bytes], Credential]
"""Verifies a SigV4-signed request or raises the AWS authentication error."""

Authorize = Callable[[Credential, str], Principal]
"""The credential's principal if it may do the action, else AccessDeniedException."""

Signed = Callable[[str], Principal]
"""Authenticates the request at hand and authorizes one action; the signer's principal."""


class SignedRoutes(Protocol):
    """A group of signed routes under one path (access keys)."""

    def handle(
        self, method: str, path: str, body: bytes, signed: Signed
    ) -> tuple[int, bytes] | None:
        """(status, JSON body), or None when the path is not one of this group's."""
        ...


_REKEY_STEPS = ("/sys/rekey/init", "/sys/rekey/update", "/sys/rekey/verify", "/sys/rekey/cancel")


def _error(status: int, code: str, message: str) -> tuple[int, bytes]:
    return status, encode_error(code, message)  # never raises, even on a mangled path


class SysRoutes:
    """Dispatches /sys/* and the dev reset."""

    def __init__(
        self,
        operator: Operator,
        rekey: Rekey,
        authenticate: Authenticate,
        authorize: Authorize,
        reset: Callable[[], None] | None,
        unseal_limit: RateLimiter,
        access_keys: SignedRoutes | None = None,
        dev_clock: Callable[[float], dict[str, Any]] | None = None,
    ) -> None:
        """`reset` and `dev_clock` are given in dev mode only."""
        self._dev_clock = dev_clock
        self._operator = operator
        self._rekey = rekey
        self._authenticate = authenticate
        self._authorize = authorize
        self._reset = reset
        self._unseal_limit = unseal_limit
        self._access_keys = access_keys

    def handle(
        self,
        method: str,
        path: str,
        raw_path: str,
        query: bytes,
        headers: Sequence[tuple[bytes, bytes]],
        body: bytes,
        request_id: str,
        client: str | None = None,
    ) -> tuple[int, bytes]:
        """(status, JSON body) for one operator request; never raises."""

        def signed(action: str) -> Principal:
            if self._operator.is_sealed():  # as of the refresh this request began with
                raise ServiceUnavailable(SEALED_MESSAGE)
            credential = self._authenticate(method, raw_path, query, headers, body)
            if credential.service != OPERATOR_SERVICE:
                raise InvalidSignatureException(
                    f"Credential should be scoped to correct service: '{OPERATOR_SERVICE}'. "
                )
            return self._authorize(credential, action)

        try:
            # Like every AWS request: follow what other workers did (a seal, a disabled
            # key) before this process's caches are trusted.
            self._operator.refresh()
            return self._route(method, path, headers, body, client, signed)
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
        headers: Sequence[tuple[bytes, bytes]],
        body: bytes,
        client: str | None,
        signed: Signed,
    ) -> tuple[int, bytes]:
        self._operator.expire_attempts()  # idle shares leave memory on any call, health too
        self._rekey.expire()
        if path == "/sys/health" and method in ("GET", "HEAD"):
            status = self._operator.status()
            code = 501 if not status["initialized"] else 503 if status["sealed"] else 200
            return code, orjson.dumps(status)
        if path == "/sys/status" and method == "GET":
            return 200, orjson.dumps(self._operator.status())
        if method in ("POST", "PUT", "DELETE") and _from_a_web_page(headers):
            # A browser page may POST here without a preflight; operator tools never send
            # Origin. Refusing it keeps any web page from wiping or probing a local server.
            return _error(403, "AccessDeniedException", "Requests from web pages are refused.")
        if path == "/sys/unseal" and method == "POST":
            self._unseal_limit.check(client)
            return 200, orjson.dumps(self._unseal(json_object(body), client))
        if path == "/sys/seal" and method == "POST":
            if self._operator.status()["sealed"]:  # nothing to do; no key could be read
                return 200, orjson.dumps(self._operator.status())
            signed("strongroom:Seal")
            return 200, orjson.dumps(self._operator.seal())
        if path == "/sys/rotate" and method == "POST":
            signed("strongroom:Rotate")
            return 200, orjson.dumps(self._operator.rotate())
        if path in _REKEY_STEPS and method == "POST":
            signed("strongroom:Rekey")
            return 200, orjson.dumps(self._rekey_step(path, json_object(body)))
        if path.startswith("/sys/access-keys") and self._access_keys is not None:
            answer = self._access_keys.handle(method, path, body, signed)
            if answer is not None:
                return answer
        if path == "/moto-api/reset" and method == "POST" and self._reset is not None:
            self._reset()
            return 200, orjson.dumps({"status": "ok"})
        if path == "/sys/dev/clock" and method == "POST" and self._dev_clock is not None:
            offset = json_object(body).get("offset_seconds")
            if not isinstance(offset, int | float) or isinstance(offset, bool):
                raise ValidationException("Give 'offset_seconds' as a number.")
            return 200, orjson.dumps(self._dev_clock(float(offset)))
        return _error(404, "NotFound", f"No route for {method} {path}.")

    def _unseal(self, request: dict[str, Any], client: str | None) -> dict[str, Any]:
        nonce = request.get("nonce")
        if nonce is not None and not isinstance(nonce, str):
            raise ValidationException("The unseal 'nonce' is a string.")
        if request.get("reset") is True:
            if nonce is None:
                raise ValidationException("Name the unseal attempt to reset by its 'nonce'.")
            return self._operator.reset_attempt(nonce)
        share = request.get("key")
        if not isinstance(share, str):
            raise ValidationException("Give the unseal share as 'key'.")
        return self._operator.submit_share(share, nonce, client)

    def _rekey_step(self, path: str, request: dict[str, Any]) -> dict[str, Any]:
        step = path.removeprefix("/sys/rekey/")
        if step == "init":
            return self._rekey.start(request.get("shares"), request.get("threshold"))
        if step == "update":
            return self._rekey.submit(request.get("nonce"), request.get("key"))
        if step == "verify":
            return self._rekey.verify(request.get("nonce"), request.get("key"))
        return self._rekey.cancel(request.get("nonce"))


def _from_a_web_page(headers: Sequence[tuple[bytes, bytes]]) -> bool:
    return any(name in (b"origin", b"sec-fetch-site") for name, _ in headers)
