r"""Request schema from botocore's service models: loaded once, validators compiled once.

`ServiceModel.load("kms")` reads botocore's bundled model once per process: an AWS JSON 1.1
service (`protocol` "json", addressed by X-Amz-Target), a REST-JSON one ("rest-json",
addressed by method and path: Lambda) or an AWS query one ("query", form in and XML out:
IAM, STS; `query_protocol` reads its `metadata` and `result_wrappers`), whose operations
also carry their `http` binding and whose `errors` say each modeled error's HTTP status. Each
`OperationModel` compiles its input shape, on first use (or `ServiceModel.compile_all`),
into nested closures (`validation.ShapeCompiler`) that convert the JSON-decoded request
and check it in one pass:

- A member of the wrong JSON type raises `SerializationException` at once, in Coral's
  words ("NUMBER_VALUE can not be converted to a String", "Start of list found where not
  expected", "Expected list or null", ...); it wins over constraint errors, as on AWS.
- Constraint breaks (required, length, range, pattern, enum) are gathered into one
  `ValidationException` in AWS's form: "2 validation errors detected: Value 'x' at
  'tags.1.member.tagKey' failed to satisfy constraint: ...; ...". At most 10 errors are
  listed. Paths, echoing and conversions are as `validation` and `validation_scalars`
  state them.
- A request nested too deep for the recursive decoders is a `SerializationException`.
- `decode(body)` reads a JSON 1.1 body; `validate(document)` takes a document already
  gathered (REST-JSON: `rest_json_protocol` puts members bound to the URI, query or
  headers under the keys `validation.member_key` gives them).

Invariants: no message holds a sensitive value or blob bytes; compiling is idempotent and
lock-free (a race builds the same closures twice); the first `\p{..}` pattern costs one
~0.1 s pass over Unicode, so servers call `compile_all` at start.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, NamedTuple

from botocore.loaders import Loader

from strongroom.api.aws.json_protocol import encode_body, parse_body
from strongroom.api.aws.validation import Decoder, ShapeCompiler
from strongroom.api.aws.validation_messages import summary
from strongroom.errors import SerializationException, ValidationException

__all__ = ["Decoder", "ErrorShape", "OperationModel", "ServiceModel"]

_PROTOCOLS = frozenset({"json", "rest-json", "query"})

_LOADER = Loader(extra_search_paths=[Loader.BUILTIN_DATA_PATH], include_default_search_paths=False)


class ErrorShape(NamedTuple):
    """An error the model declares (REST protocols answer with its status)."""

    status: int
    sender_fault: bool
    message_key: str
    """"message" or "Message": the member the model gives the error's text."""


class ServiceModel:
    """One AWS JSON, REST-JSON or query service as botocore models it: wire names and operations."""

    _loaded: ClassVar[dict[str, ServiceModel]] = {}

    def __init__(self, name: str, data: Mapping[str, Any]) -> None:
        meta = data["metadata"]
        protocol = meta.get("protocol")
        if protocol not in _PROTOCOLS:
            raise ValueError(f"{name} speaks neither AWS JSON, REST-JSON nor AWS query")
        self.name = name
        self.metadata: Mapping[str, Any] = meta
        """botocore's metadata (the query protocol's `apiVersion`, `xmlNamespace`)."""
        self.result_wrappers: Mapping[str, str] = {
            op: spec["output"]["resultWrapper"]
            for op, spec in data["operations"].items()
            if "resultWrapper" in spec.get("output", {})
        }
        """Operation -> the element the query protocol wraps its result in."""
        self.protocol: str = protocol
        self.target_prefix: str = meta.get("targetPrefix", "")
        """JSON 1.1's X-Amz-Target prefix ("" for a REST-JSON service)."""
        self.signing_name: str = meta.get("signingName", meta["endpointPrefix"])
        self.errors: Mapping[str, ErrorShape] = _errors(data["shapes"])
        """Error code -> what the model says of it."""
        shapes = ShapeCompiler(data["shapes"])
        self._operations = {
            op: OperationModel(
                op,
                spec.get("input", {}).get("shape"),
                shapes,
                spec.get("http", {}),
                spec.get("output", {}).get("shape"),
            )
            for op, spec in data["operations"].items()
        }

    @classmethod
    def load(cls, service_name: str) -> ServiceModel:
        """The model of `service_name` ("kms", "secretsmanager", "ssm"), read once."""
        model = cls._loaded.get(service_name)
        if model is None:
            data = _LOADER.load_service_model(service_name, "service-2")
            model = cls._loaded.setdefault(service_name, cls(service_name, data))
        return model

    def operation(self, name: str) -> OperationModel | None:
        """The operation called `name` ("Encrypt"), or None."""
        return self._operations.get(name)

    def operation_names(self) -> list[str]:
        """Every operation of the service, sorted."""
        return sorted(self._operations)

    def operations(self) -> list[OperationModel]:
        """Every operation of the service, in the model's order."""
        return list(self._operations.values())

    def compile_all(self) -> None:
        """Compile every operation's validator now rather than on its first request."""
        for operation in self._operations.values():
            operation.compile()


class OperationModel:
    """One operation: decode and validate its request, encode its result."""

    __slots__ = (
        "_decoder",
        "http",
        "input_members",
        "input_shape",
        "name",
        "output_shape",
        "sensitive_input",
        "shapes",
    )

    def __init__(
        self,
        name: str,
        input_shape: str | None,
        compiler: ShapeCompiler,
        http: Mapping[str, Any] | None = None,
        output_shape: str | None = None,
    ) -> None:
        self.name = name
        self.input_shape = input_shape
        self.output_shape = output_shape
        self.http: Mapping[str, Any] = http or {}
        """botocore's binding: method, requestUri, responseCode (REST protocols use it)."""
        self.shapes = compiler
        self._decoder: Decoder | None = None
        members = compiler.members(input_shape) if input_shape else {}
        self.input_members = frozenset(members)
        self.sensitive_input = frozenset(
            member
            for member, ref in members.items()
            if ref.get("sensitive") or compiler.reaches(ref["shape"], blobs=False)
        )

    def compile(self) -> Decoder:
        """The input validator, built on first call and kept."""
        if self._decoder is None:
            if self.input_shape is None:
                self._decoder = _no_input
            else:
                self._decoder = self.shapes.decoder(self.input_shape, False)
        return self._decoder

    def decode(self, body: bytes) -> dict[str, Any]:
        """A JSON 1.1 request body as validated parameters keyed by model member name."""
        return self.validate(parse_body(body))

    def validate(self, document: dict[Any, Any]) -> dict[str, Any]:
        """A request document (JSON-decoded, with any located members under their keys) as
        validated parameters keyed by model member name."""
        decoder = self._decoder or self.compile()
        errors: list[str] = []
        try:
            result: dict[str, Any] = decoder(document, "", "", errors)
        except RecursionError:
            raise SerializationException("Request nesting is too deep") from None
        if errors:
            raise ValidationException(summary(errors))
        return result

    def encode(self, result: Mapping[str, Any]) -> bytes:
        """The service's result as the response body."""
        return encode_body(result)


def _no_input(value: Any, parent: str, name: str, errors: list[str]) -> Any:
    return {}


def _errors(shapes: Mapping[str, Any]) -> dict[str, ErrorShape]:
    """Each modeled error's code (its shape name unless the model renames it) and traits."""
    found = {}
    for name, shape in shapes.items():
        if shape.get("exception"):
            trait = shape.get("error", {})
            members = shape.get("members", {})
            found[trait.get("code", name)] = ErrorShape(
                int(trait.get("httpStatusCode", 400)),
                bool(trait.get("senderFault", False)),
                "Message" if "Message" in members else "message",
            )
    return found
