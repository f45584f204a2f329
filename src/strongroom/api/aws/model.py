r"""Request schema from botocore's service models: loaded once, validators compiled once.

`ServiceModel.load("kms")` reads botocore's bundled model once per process. Each
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

Invariants: no message holds a sensitive value or blob bytes; compiling is idempotent and
lock-free (a race builds the same closures twice); the first `\p{..}` pattern costs one
~0.1 s pass over Unicode, so servers call `compile_all` at start.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from botocore.loaders import Loader

from strongroom.api.aws.json_protocol import encode_body, parse_body
from strongroom.api.aws.validation import Decoder, ShapeCompiler
from strongroom.api.aws.validation_messages import summary
from strongroom.errors import SerializationException, ValidationException

__all__ = ["Decoder", "OperationModel", "ServiceModel"]

_LOADER = Loader(extra_search_paths=[Loader.BUILTIN_DATA_PATH], include_default_search_paths=False)


class ServiceModel:
    """One AWS JSON service as botocore models it: wire names and operations."""

    _loaded: ClassVar[dict[str, ServiceModel]] = {}

    def __init__(self, name: str, data: Mapping[str, Any]) -> None:
        meta = data["metadata"]
        if meta.get("protocol") != "json":
            raise ValueError(f"{name} does not speak the AWS JSON protocol")
        self.name = name
        self.target_prefix: str = meta["targetPrefix"]
        self.signing_name: str = meta.get("signingName", meta["endpointPrefix"])
        shapes = ShapeCompiler(data["shapes"])
        self._operations = {
            op: OperationModel(op, spec.get("input", {}).get("shape"), shapes)
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

    def compile_all(self) -> None:
        """Compile every operation's validator now rather than on its first request."""
        for operation in self._operations.values():
            operation.compile()


class OperationModel:
    """One operation: decode and validate its request, encode its result."""

    __slots__ = ("_compiler", "_decoder", "_input", "input_members", "name", "sensitive_input")

    def __init__(self, name: str, input_shape: str | None, compiler: ShapeCompiler) -> None:
        self.name = name
        self._input = input_shape
        self._compiler = compiler
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
            if self._input is None:
                self._decoder = _no_input
            else:
                self._decoder = self._compiler.decoder(self._input, False)
        return self._decoder

    def decode(self, body: bytes) -> dict[str, Any]:
        """The request body as validated parameters keyed by model member name."""
        params = parse_body(body)
        decoder = self._decoder or self.compile()
        errors: list[str] = []
        try:
            result: dict[str, Any] = decoder(params, "", "", errors)
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
