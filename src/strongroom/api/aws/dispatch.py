"""From an authenticated AWS JSON request to a service operation and back.

Order of checks, as AWS does them: target names a known service; the server is unsealed
(asked after the request's one refresh, which follows what other processes sharing the
storage did); the SigV4 signature verifies and its scope names a valid region and that
service; the operation exists and is built; the body matches the model. Then the
operation runs; it authorizes first.

Audit: when the `AuditLog` has a sink (none is wired yet, so today nothing is recorded),
the request is recorded before the operation runs (if it cannot be, the operation does not
run: rule 8) and its outcome before the answer leaves. A record names the request id,
phase, principal, region, operation and error code; no parameter is recorded.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from strongroom import errors
from strongroom.api.aws import errors as wire_errors
from strongroom.api.aws.json_protocol import encode_error
from strongroom.api.aws.model import OperationModel, ServiceModel
from strongroom.api.aws.sigv4 import SigV4Verifier
from strongroom.audit import AuditLog
from strongroom.identity import AccessKeyStore
from strongroom.policy import Authorizer
from strongroom.services import Caller

log = logging.getLogger("strongroom.api")

_REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-[0-9]{1,2}")


@dataclass(slots=True)
class ServiceBinding:
    """One AWS service: its model, its operations and what they work with."""

    model: ServiceModel
    operations: Mapping[str, Callable[..., dict[str, Any]]]
    context: Any


@dataclass(frozen=True, slots=True)
class Response:
    """What goes back on the wire."""

    status: int
    body: bytes


class AwsDispatcher:
    """Routes `X-Amz-Target` requests to service operations."""

    def __init__(
        self,
        bindings: Sequence[ServiceBinding],
        verifier: SigV4Verifier,
        access_keys: AccessKeyStore,
        authorizer: Authorizer,
        audit: AuditLog,
        is_sealed: Callable[[], bool],
        refresh: Callable[[], None] | None = None,
    ) -> None:
        """`refresh` begins every request (None when there is nothing to follow: a single
        process); `is_sealed` is then asked, without side effects."""
        self._by_prefix = {b.model.target_prefix: b for b in bindings}
        self._verifier = verifier
        self._access_keys = access_keys
        self._authorizer = authorizer
        self._audit = audit
        self._is_sealed = is_sealed
        self._refresh = refresh
        self._operations: dict[tuple[str, str], OperationModel] = {}

    def handle(
        self,
        target: str,
        method: str,
        raw_path: str,
        query: bytes,
        headers: Sequence[tuple[bytes, bytes]],
        body: bytes,
        request_id: str,
    ) -> Response:
        """Answer one request; never raises."""
        prefix, _, op_name = target.partition(".")
        binding = self._by_prefix.get(prefix)
        service = binding.model.signing_name if binding else None
        try:
            if binding is None or not op_name:
                raise errors.UnknownOperationException("")
            if self._refresh is not None:  # follow other processes: a seal, new writes
                self._refresh()
            if self._is_sealed():
                raise errors.ServiceUnavailable(
                    "Strongroom is sealed: unseal it with `strongroom operator unseal`."
                )
            credential = self._verifier.verify(method, raw_path, query, headers, body)
            if not _REGION.fullmatch(credential.region):
                raise errors.InvalidSignatureException(
                    f"Credential should be scoped to a valid region, not '{credential.region}'. "
                )
            if credential.service != binding.model.signing_name:
                raise errors.InvalidSignatureException(
                    f"Credential should be scoped to correct service: "
                    f"'{binding.model.signing_name}'. "
                )
            operation = self._operation(binding, op_name)
            params = operation.decode(body)
            key = self._access_keys.find(credential.access_key_id)
            if key is None:  # removed between verify and now
                raise errors.UnrecognizedClientException(
                    "The security token included in the request is invalid."
                )
            self._access_keys.note_use(key.access_key_id, credential.region, credential.service)
            caller = Caller(key.principal, credential.region, self._authorizer)
            if self._audit.enabled:  # fail closed: an unrecordable call does not run
                self._record(request_id, caller, target, "request", None)
            result = binding.operations[op_name](binding.context, caller, **params)
            payload = operation.encode(result)
            if self._audit.enabled:
                self._record(request_id, caller, target, "outcome", None)
            return Response(200, payload)
        except errors.StrongroomError as error:
            return self._error_response(error, request_id, target, service)
        except Exception:
            log.exception("internal error in %s (request id %s)", target, request_id)
            status, code, message = wire_errors.internal_error(service, request_id)
            return Response(status, encode_error(code, message))

    def _operation(self, binding: ServiceBinding, op_name: str) -> OperationModel:
        key = (binding.model.target_prefix, op_name)
        operation = self._operations.get(key)
        if operation is None:
            operation = binding.model.operation(op_name)
            if operation is None:  # not cached: clients choose these names
                raise errors.UnknownOperationException("")
            self._operations[key] = operation
        if op_name not in binding.operations:
            raise errors.UnsupportedOperationException(
                f"{binding.model.target_prefix}.{op_name} is not supported by Strongroom yet."
            )
        return operation

    def _error_response(
        self, error: errors.StrongroomError, request_id: str, target: str, service: str | None
    ) -> Response:
        if self._audit.enabled and not isinstance(error, errors.AuthenticationError):
            try:
                self._record(request_id, None, target, "outcome", error.code)
            except Exception:
                log.exception("audit failed (request id %s)", request_id)
        status, code, message = wire_errors.to_wire(error, service, request_id)
        return Response(status, encode_error(code, message))

    def _record(
        self,
        request_id: str,
        caller: Caller | None,
        target: str,
        phase: str,
        error_code: str | None,
    ) -> None:
        self._audit.write(
            {
                "request_id": request_id,
                "phase": phase,
                "principal": None if caller is None else caller.principal.arn(caller.partition),
                "region": None if caller is None else caller.region,
                "operation": target,
                "error": error_code,
            }
        )
