"""From an authenticated AWS request to a service operation and back.

Three wire protocols arrive here: AWS JSON 1.1 (`handle`: POST with X-Amz-Target; KMS,
Secrets Manager, Parameter Store), REST-JSON (`handle_rest`: the method and path name
the operation; Lambda) and AWS query (`handle_query`: a form POSTed to `/`, or a GET's
query string; the `Action` parameter names the operation; IAM, STS). All take the same
checks in the same order, as AWS does: the request names a known service (the target's
prefix; a route; for query, the SigV4 scope's service among the query services, else the
first of them, whose scope check then refuses it); the server is unsealed
(asked after the request's one refresh, which follows what other processes sharing the
storage did); the SigV4 signature verifies and its scope names a valid region and the
service's signing name; the operation exists and is built; the request matches the model.
Then the operation runs; it authorizes first.

An operation the binding lists as `blocking` (it may wait on this same server: Lambda's
Invoke runs a function that calls back over HTTP) is answered with a `Deferred`: the checks
above run on the event loop, the operation (with its audit records and its encoding) in the
HTTP layer's worker thread. The dispatcher keeps no per-request state, so both may run at
once.

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
from typing import Any, Protocol

from strongroom import errors
from strongroom.api.answer import Answer, Deferred
from strongroom.api.aws import errors as wire_errors
from strongroom.api.aws.json_protocol import encode_error
from strongroom.api.aws.model import OperationModel, ServiceModel
from strongroom.api.aws.query_protocol import QueryProtocol, form_pairs, scope_service
from strongroom.api.aws.rest_json_protocol import RestJsonProtocol, text_query
from strongroom.api.aws.rest_routes import RestRoutes
from strongroom.api.aws.sigv4 import Credential, SigV4Verifier
from strongroom.audit import AuditLog
from strongroom.identity import AccessKeyStore
from strongroom.services import Caller
from strongroom.services.caller import Authorizer

log = logging.getLogger("strongroom.api")

_REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-[0-9]{1,2}")
_AWS_JSON = b"application/x-amz-json-1.1"

Origin = tuple[str | None, bool | None]
"""Where a request came from: the peer's IP address and whether over TLS (None: unknown)."""
_NO_ORIGIN: Origin = (None, None)


@dataclass(slots=True)
class ServiceBinding:
    """One AWS service: its model, its operations and what they work with."""

    model: ServiceModel
    operations: Mapping[str, Callable[..., dict[str, Any]]]
    context: Any
    blocking: frozenset[str] = frozenset()
    """Operations that must run off the event loop (`ServicePlugin.blocking`)."""


class _Wire(Protocol):
    """How one protocol writes results and errors."""

    def answer(
        self, operation: OperationModel, result: Mapping[str, Any], request_id: str
    ) -> Answer: ...

    def error(self, status: int, code: str, message: str, request_id: str) -> Answer: ...


class _Json:
    """AWS JSON 1.1: a 200 with the result's JSON, or `{"__type", "message"}`."""

    __slots__ = ()

    def answer(
        self, operation: OperationModel, result: Mapping[str, Any], request_id: str
    ) -> Answer:
        return Answer(200, _AWS_JSON, operation.encode(result), request_id)

    def error(self, status: int, code: str, message: str, request_id: str) -> Answer:
        return Answer(status, _AWS_JSON, encode_error(code, message), request_id)


_JSON = _Json()


class AwsDispatcher:
    """Routes AWS requests (X-Amz-Target or REST routes) to service operations."""

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
        self._by_prefix = {b.model.target_prefix: b for b in bindings if b.model.protocol == "json"}
        rest = [b for b in bindings if b.model.protocol == "rest-json"]
        self._rest = {b.model.name: (b, RestJsonProtocol(b.model)) for b in rest}
        self._routes = RestRoutes(
            (b.model.name, op.name, op.http["method"], op.http["requestUri"])
            for b in rest
            for op in b.model.operations()
        )
        self._query = {
            b.model.signing_name: (b, QueryProtocol(b.model))
            for b in bindings
            if b.model.protocol == "query"
        }
        self._verifier = verifier
        self._access_keys = access_keys
        self._authorizer = authorizer
        self._audit = audit
        self._is_sealed = is_sealed
        self._refresh = refresh
        self._supported: dict[str, OperationModel] = {}  # by label: built and served

    def serves_rest(self, raw_path: str) -> bool:
        """Whether `raw_path` is a REST service's (one set lookup: the first segment)."""
        return self._routes.claims(raw_path)

    @property
    def serves_query(self) -> bool:
        """Whether any AWS query service (IAM, STS) is bound."""
        return bool(self._query)

    def handle(
        self,
        target: str,
        method: str,
        raw_path: str,
        query: bytes,
        headers: Sequence[tuple[bytes, bytes]],
        body: bytes,
        request_id: str,
        origin: Origin = _NO_ORIGIN,
    ) -> Answer | Deferred:
        """Answer one AWS JSON 1.1 request (`target` is its X-Amz-Target); never raises."""
        prefix, _, op_name = target.partition(".")
        binding = self._by_prefix.get(prefix)
        service = binding.model.signing_name if binding else None
        try:
            if binding is None or not op_name:
                raise errors.UnknownOperationException("")
            credential = self._verify(binding, method, raw_path, query, headers, body)
            operation = self._supported.get(target) or self._operation(binding, op_name, target)
            params = operation.decode(body)
            caller = self._caller(credential, origin)
        except errors.StrongroomError as error:
            return self._error(_JSON, error, request_id, target, service)
        except Exception:
            return self._internal(_JSON, request_id, target, service)
        if op_name in binding.blocking:
            return self._defer(binding, operation, _JSON, caller, params, request_id, target)
        return self._run(binding, operation, _JSON, caller, params, request_id, target)

    def handle_rest(
        self,
        method: str,
        raw_path: str,
        query: bytes,
        headers: Sequence[tuple[bytes, bytes]],
        body: bytes,
        request_id: str,
        origin: Origin = _NO_ORIGIN,
    ) -> Answer | Deferred:
        """Answer one REST-JSON request (`serves_rest(raw_path)` is true); never raises."""
        pairs = text_query(query) if query else []
        route = self._routes.match(method, raw_path, pairs)
        if route is None:  # a 404 (`rest_status`), in the words of the path's service
            binding, wire = self._rest[self._routes.owner(raw_path) or next(iter(self._rest))]
            unknown = errors.UnknownOperationException(
                f"No operation is served at {method} {raw_path}."
            )
            label = f"{binding.model.signing_name}.?"
            return self._error(wire, unknown, request_id, label, binding.model.signing_name)
        binding, wire = self._rest[route.service]
        service = binding.model.signing_name
        label = f"{service}.{route.operation}"
        try:
            credential = self._verify(binding, method, raw_path, query, headers, body)
            operation = self._supported.get(label) or self._operation(
                binding, route.operation, label
            )
            params = wire.decode(operation, route.labels, pairs, headers, body)
            caller = self._caller(credential, origin)
        except errors.StrongroomError as error:
            return self._error(wire, error, request_id, label, service)
        except Exception:
            return self._internal(wire, request_id, label, service)
        if route.operation in binding.blocking:
            return self._defer(binding, operation, wire, caller, params, request_id, label)
        return self._run(binding, operation, wire, caller, params, request_id, label)

    def handle_query(
        self,
        method: str,
        raw_path: str,
        query: bytes,
        headers: Sequence[tuple[bytes, bytes]],
        body: bytes,
        request_id: str,
        origin: Origin = _NO_ORIGIN,
    ) -> Answer | Deferred:
        """Answer one AWS query request (`serves_query`; a form POST or a GET with Action:
        a POST's parameters are its query's and its body's); never raises."""
        binding, wire = self._query.get(scope_service(headers, query) or "") or next(
            iter(self._query.values())
        )
        service = binding.model.signing_name
        label = f"{service}.?"
        try:
            credential = self._verify(binding, method, raw_path, query, headers, body)
            pairs = form_pairs(query)
            if method == "POST":
                pairs += form_pairs(body)
            action = next((value for name, value in pairs if name == "Action"), "")
            label = f"{service}.{action}"
            operation = self._supported.get(label) or self._query_operation(
                binding, wire, action, label
            )
            params = wire.decode(operation, pairs)
            caller = self._caller(credential, origin)
        except errors.StrongroomError as error:
            return self._error(wire, error, request_id, label, service)
        except Exception:
            return self._internal(wire, request_id, label, service)
        if action in binding.blocking:
            return self._defer(binding, operation, wire, caller, params, request_id, label)
        return self._run(binding, operation, wire, caller, params, request_id, label)

    # --- the shared steps -----------------------------------------------------------------

    def _verify(
        self,
        binding: ServiceBinding,
        method: str,
        raw_path: str,
        query: bytes,
        headers: Sequence[tuple[bytes, bytes]],
        body: bytes,
    ) -> Credential:
        """Unsealed, then a signature that verifies, scoped to a region and the service."""
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
                f"Credential should be scoped to correct service: '{binding.model.signing_name}'. "
            )
        return credential

    def _caller(self, credential: Credential, origin: Origin) -> Caller:
        """The verified credential's principal, calling in its region from `origin`."""
        key = self._access_keys.find(credential.access_key_id)
        if key is None:  # removed between verify and now
            raise errors.UnrecognizedClientException(
                "The security token included in the request is invalid."
            )
        self._access_keys.note_use(key.access_key_id, credential.region, credential.service)
        return Caller(key.principal, credential.region, self._authorizer, None, *origin)

    def _operation(self, binding: ServiceBinding, op_name: str, label: str) -> OperationModel:
        """The operation `label` names, once it is known to be modeled and served (then it
        is kept under `label`: unknown names are never kept, as clients choose them)."""
        operation = binding.model.operation(op_name)
        if operation is None:
            raise errors.UnknownOperationException("")
        if op_name not in binding.operations:
            raise errors.UnsupportedOperationException(
                f"{label} is not supported by Strongroom yet."
            )
        self._supported[label] = operation
        return operation

    def _query_operation(
        self, binding: ServiceBinding, wire: QueryProtocol, action: str, label: str
    ) -> OperationModel:
        """`_operation`, with the query services' words for a missing or unknown Action."""
        if not action:
            raise errors.UnknownOperationException("The request must contain the parameter Action.")
        if binding.model.operation(action) is None:
            raise errors.UnknownOperationException(
                f"Could not find operation {action[:128]} for version {wire.version}"
            )
        return self._operation(binding, action, label)

    def _run(
        self,
        binding: ServiceBinding,
        operation: OperationModel,
        wire: _Wire,
        caller: Caller,
        params: dict[str, Any],
        request_id: str,
        label: str,
    ) -> Answer:
        """Run the operation between its audit records; never raises."""
        try:
            if self._audit.enabled:  # fail closed: an unrecordable call does not run
                self._record(request_id, caller, label, "request", None)
            result = binding.operations[operation.name](binding.context, caller, **params)
            answer = wire.answer(operation, result, request_id)
            if self._audit.enabled:
                self._record(request_id, caller, label, "outcome", None)
            return answer
        except errors.StrongroomError as error:
            return self._error(wire, error, request_id, label, binding.model.signing_name)
        except Exception:
            return self._internal(wire, request_id, label, binding.model.signing_name)

    def _defer(
        self,
        binding: ServiceBinding,
        operation: OperationModel,
        wire: _Wire,
        caller: Caller,
        params: dict[str, Any],
        request_id: str,
        label: str,
    ) -> Deferred:
        """`_run`, to be called off the event loop."""
        status, code, message = wire_errors.internal_error(binding.model.signing_name, request_id)
        return Deferred(
            lambda: self._run(binding, operation, wire, caller, params, request_id, label),
            lambda: wire.error(status, code, message, request_id),  # `_run` never raises
        )

    def _error(
        self,
        wire: _Wire,
        error: errors.StrongroomError,
        request_id: str,
        label: str,
        service: str | None,
    ) -> Answer:
        if self._audit.enabled and not isinstance(error, errors.AuthenticationError):
            try:
                self._record(request_id, None, label, "outcome", error.code)
            except Exception:
                log.exception("audit failed (request id %s)", request_id)
        status, code, message = wire_errors.to_wire(error, service, request_id)
        return wire.error(status, code, message, request_id)

    def _internal(self, wire: _Wire, request_id: str, label: str, service: str | None) -> Answer:
        log.exception("internal error in %s (request id %s)", label, request_id)
        status, code, message = wire_errors.internal_error(service, request_id)
        return wire.error(status, code, message, request_id)

    def _record(
        self,
        request_id: str,
        caller: Caller | None,
        label: str,
        phase: str,
        error_code: str | None,
    ) -> None:
        self._audit.write(
            {
                "request_id": request_id,
                "phase": phase,
                "principal": None if caller is None else caller.principal.arn(caller.partition),
                "region": None if caller is None else caller.region,
                "operation": label,
                "error": error_code,
            }
        )
