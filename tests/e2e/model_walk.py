"""Every slot of an AWS operation's input, from botocore's model, and bad values to put there.

A slot is one place a value can go: a top-level member, a list's item, a member of a
nested structure, followed `MAX_DEPTH` levels down (maps are not entered). Each slot comes
with a builder that makes a whole request holding a bad value in that slot and plausible
values everywhere else: values of the right type within the model's bounds, and for
members the test names, what it says (from a context of its own: the real resources the
request names).

The bad values: `JUNK` text that breaks parsers, `WRONG_TYPES` per model type, and
`out_of_bounds`, just past each bound the model sets on a shape.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from botocore.loaders import Loader
from botocore.model import ListShape, MapShape, ServiceModel, Shape, StructureShape

JUNK = {
    "deep array": "[" * 1000 + "]" * 1000,
    "deep object": '{"a":' * 1000 + "1" + "}" * 1000,
    "long": "x" * 150_000,  # past every length limit of the model, under the body limit
    "lone surrogate": "\ud800",  # sent as the escape "\\ud800": not valid Unicode text
    "non-ASCII digit": "\u00b2",  # "²": str.isdigit() says yes, int() says no
    "control characters": "\x00\n\u2028\x7f",
}
WRONG_TYPES: dict[str, list[Any]] = {
    "string": [123, True, ["x"], {"a": "x"}],
    "blob": [123, ["eA=="], "*** not base64 ***"],
    "integer": ["12", True, [1], {"a": 1}, 2**64],
    "long": ["12", True, [1], {"a": 1}, 2**64],
    "boolean": ["true", 1, [True]],
    "list": ["x", 5, {"a": 1}],
    "structure": ["x", 5, ["x"]],
}
MAX_DEPTH = 4

C = TypeVar("C")
Build = Callable[[Any, C], Any]
"""(bad value, context) -> the value of a shape with the bad value in one slot."""
Params = Callable[[Any, C], dict[str, Any]]
"""(bad value, context) -> a whole request with the bad value in one slot."""


def load_model(service: str) -> ServiceModel:
    """The service's model from the pinned botocore, as `api/aws/model.py` loads it."""
    loader = Loader(
        extra_search_paths=[Loader.BUILTIN_DATA_PATH], include_default_search_paths=False
    )
    return ServiceModel(loader.load_service_model(service, "service-2"), service)


@dataclass(frozen=True)
class Walk(Generic[C]):
    """The slots of one service's operation inputs, and plausible requests around them.

    `named(name, shape, ctx)`: a plausible value for a string member called `name`, or
    None for the default (an enum's first value, else "plausible"); `nested`: members a
    nested entry is useless without (sent even when optional; a list of them holds one
    item); `companions`: per operation, optional top-level members sent by default, so
    that a bad value reaches deeper than the first "you must provide ..." check;
    `adjust(operation, member, params, ctx)`: last changes to the plausible members sent
    with a bad `member` (None: with none).
    """

    model: ServiceModel
    named: Callable[[str, Shape, C], Any]
    nested: frozenset[str] = frozenset()
    companions: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    adjust: Callable[[str, str | None, dict[str, Any], C], None] = lambda *_: None

    def input(self, operation: str) -> StructureShape:
        shape = self.model.operation_model(operation).input_shape
        assert isinstance(shape, StructureShape)
        return shape

    def plausible(self, name: str, shape: Shape, ctx: C) -> Any:
        """A value the server would accept for member `name`, as far as the test can tell."""
        if isinstance(shape, StructureShape):
            return self.required(shape, ctx)
        if isinstance(shape, MapShape):
            return {}
        if isinstance(shape, ListShape):
            count = max(shape.metadata.get("min", 0), 1 if name in self.nested else 0)
            return [self.plausible(name, shape.member, ctx) for _ in range(count)]
        if shape.type_name == "string" and (value := self.named(name, shape, ctx)) is not None:
            return value
        return _scalar(shape)

    def required(self, shape: StructureShape, ctx: C) -> dict[str, Any]:
        """The required members, and those that a nested entry is useless without."""
        return {
            name: self.plausible(name, member, ctx)
            for name, member in shape.members.items()
            if name in shape.required_members or name in self.nested
        }

    def base(self, operation: str, ctx: C, member: str | None = None) -> dict[str, Any]:
        """The required members and the operation's companions, all plausible, to send
        with a bad `member` (None: with none)."""
        shape = self.input(operation)
        params = self.required(shape, ctx)
        for companion in self.companions.get(operation, ()):
            params[companion] = self.plausible(companion, shape.members[companion], ctx)
        self.adjust(operation, member, params, ctx)
        return params

    def slots(self, operation: str) -> Iterator[tuple[str, Shape, Params[C]]]:
        """Every slot of the operation's input: (where, its shape, how to build the params)."""
        for member, member_shape in self.input(operation).members.items():
            for where, leaf, build in self._nodes(member_shape, 1):
                yield _join(member, where), leaf, self._at_top(operation, member, build)

    def _nodes(self, shape: Shape, depth: int) -> Iterator[tuple[str, Shape, Build[C]]]:
        """`shape` itself and every slot inside it: (where, its shape, how to build)."""
        yield "", shape, lambda bad, ctx: bad
        if depth > MAX_DEPTH:
            return
        if isinstance(shape, StructureShape):
            for member, member_shape in shape.members.items():
                for where, leaf, build in self._nodes(member_shape, depth + 1):
                    yield _join(member, where), leaf, self._in_structure(shape, member, build)
        elif isinstance(shape, ListShape):
            for where, leaf, build in self._nodes(shape.member, depth + 1):
                yield _join("[0]", where), leaf, _in_list(build)

    def _in_structure(self, shape: StructureShape, member: str, build: Build[C]) -> Build[C]:
        return lambda bad, ctx: {**self.required(shape, ctx), member: build(bad, ctx)}

    def _at_top(self, operation: str, member: str, build: Build[C]) -> Params[C]:
        return lambda bad, ctx: {**self.base(operation, ctx, member), member: build(bad, ctx)}


def _scalar(shape: Shape) -> Any:
    """A plausible value of a scalar shape, by its type and bounds."""
    kind = shape.type_name
    if kind == "blob":
        return b"plausible binary"
    if kind in ("integer", "long"):
        return max(shape.metadata.get("min", 1), 1)
    if kind == "boolean":
        return False
    if shape.enum:
        return shape.enum[0]
    return "plausible"


def _join(head: str, where: str) -> str:
    return head + ("." + where if where else "")


def _in_list(build: Build[C]) -> Build[C]:
    return lambda bad, ctx: [build(bad, ctx)]


def out_of_bounds(shape: Shape, filler: str) -> Iterator[tuple[str, Any]]:
    """(label, value) just past each bound the model sets on `shape`; an over-long list
    is made of `filler` items ({} where the items are structures or maps: their own
    validity does not matter)."""
    meta, kind = shape.metadata, shape.type_name
    low, high = meta.get("min"), meta.get("max")
    if kind in ("integer", "long"):
        if high is not None:
            yield "over max", high + 1
        if low is not None:
            yield "under min", low - 1
    elif kind in ("string", "blob"):
        unit: Any = b"x" if kind == "blob" else "x"
        if high is not None:
            yield "over max", unit * (high + 1)
        if low:
            yield "under min", unit * (low - 1)
        if getattr(shape, "enum", None):
            yield "not in enum", "not-an-enum-value"
    elif isinstance(shape, ListShape):
        if high is not None:
            nested = isinstance(shape.member, (StructureShape, MapShape))
            yield "over max", [{} if nested else filler for _ in range(high + 1)]
        if low:
            yield "under min", []
