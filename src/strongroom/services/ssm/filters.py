"""DescribeParameters and GetParametersByPath filters: check the wire lists, compile them
into one predicate over a parameter's facts.

Pure: no storage, no clock. Checking happens once, when compiling; the predicate looks at
one parameter. The edge has already checked the shapes (key pattern, lengths, at most 50
values, the legacy key enum). Sources: [D] AWS documentation (API reference
ParameterStringFilter, ParametersFilter, DescribeParameters, GetParametersByPath; user guide
"Searching for Systems Manager parameters", "Labeling parameters"), [3P] moto (its texts
and its tests written against AWS), [C] our choice.

Rules:
- Filters AND; the values of one filter OR [D: "filters to limit"; 3P]. No filter: all.
- DescribeParameters takes `Filters` (legacy) or `ParameterFilters`, not both [D]: both
  non-empty is a ValidationException [3P text].
- ParameterFilters keys for DescribeParameters: Name, Type, KeyId, Path, Tier, DataType,
  `tag:<key>`; not Label [D]. For GetParametersByPath: Type, KeyId, Label only; not tag,
  DataType, Name, Path, Tier [D]. Another key is an InvalidFilterKey [3P texts, which list
  the keys as AWS once did]. A key twice is an InvalidFilterKey [3P].
- Options [D]: Equals and BeginsWith; Name also Contains (DescribeParameters); Path only
  Recursive and OneLevel; Label (GetParametersByPath) only Equals. Default: OneLevel for
  Path, else Equals [D: user guide, 3P]. Another option is an InvalidFilterOption [3P text;
  the text for Label is ours, C].
- Values: required except for `tag:` keys, where none means "has the tag" [3P]; missing is
  an InvalidFilterValue [3P text]. Type and Tier values must be real types and tiers: an
  InvalidFilterValue [3P text; moto raises InvalidFilterOption, we raise the value error,
  C]. Path values: not under `/aws` or `/ssm` (a ValidationException [3P text]), and well
  formed (`names.check_path`'s error).
- Name compares with the leading slash made uniform on both sides for Equals and
  BeginsWith, since `/a` and `a` are one parameter [D: names; 3P: `param` and `/param`
  both find `param`]; Contains is a plain substring of `/`+name [3P]. Values are
  case-sensitive [C].
- Path: `names.is_under` with the option (Recursive or one level) [3P tests: `/fo` finds
  nothing under `/foo`; `/` one level finds `foo`].
- KeyId, Type, Tier, DataType: the attribute itself; a parameter without a key never
  matches a KeyId filter [3P].
- `tag:<key>`: the tag's value; a parameter without that tag never matches [3P].
- Label: the parameter has that label on any version [D: GetParametersByPath with a Label
  filter answers "a list of specific parameter versions that all use the same label",
  i.e. the labelled version, not the latest; `requested_labels` tells the caller which].
- Legacy `Filters` (Name, Type, KeyId): Name is BeginsWith, the others Equals [3P]; they
  AND as ParameterFilters do [C: moto ORs them].
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from strongroom.errors import (
    InvalidFilterKey,
    InvalidFilterOption,
    InvalidFilterValue,
    ValidationException,
)
from strongroom.services.ssm.names import check_path, is_under

EQUALS = "Equals"
BEGINS_WITH = "BeginsWith"
CONTAINS = "Contains"
RECURSIVE = "Recursive"
ONE_LEVEL = "OneLevel"

TYPES = ("String", "StringList", "SecureString")
TIERS = ("Standard", "Advanced", "Intelligent-Tiering")
_DESCRIBE_KEYS = frozenset({"Name", "Type", "KeyId", "Path", "Tier", "DataType"})
_PATH_KEYS = frozenset({"Type", "KeyId", "Label"})
_LEGACY_KEYS = ("Name", "Type", "KeyId")
_DESCRIBE_KEYS_TEXT = "[Path, Name, Type, KeyId, Tier]"
_PATH_KEYS_TEXT = "[Type, KeyId]"
_RESERVED_PATHS = ("/aws", "/ssm")

BOTH_FILTERS = "You can use either Filters or ParameterFilters in a single request."
RESERVED_PATH = (
    'Filters for common parameters can\'t be prefixed with "aws" or "ssm" '
    "(case-insensitive). When using global parameters, please specify within a global "
    "namespace."
)


@dataclass(frozen=True)
class ParameterFacts:
    """What the filters see of a parameter: its current version's attributes, every label
    of any of its versions, and its tags."""

    name: str
    type: str
    key_id: str | None
    tier: str
    data_type: str
    labels: frozenset[str]
    tags: Mapping[str, str]


Predicate = Callable[[ParameterFacts], bool]


@dataclass(frozen=True)
class _Filter:
    key: str
    option: str
    values: tuple[str, ...]


def compile_describe_filters(
    filters: Sequence[Mapping[str, Any]] | None,
    parameter_filters: Sequence[Mapping[str, Any]] | None,
) -> Predicate:
    """One predicate for DescribeParameters' `Filters` or `ParameterFilters`."""
    if filters and parameter_filters:
        raise ValidationException(BOTH_FILTERS)
    if filters:
        return _all_of([_compile(_read_legacy(wire)) for wire in filters])
    checked = _checked(parameter_filters or [], _describe_key, _describe_option)
    return _all_of([_compile(f) for f in checked])


def compile_path_filters(parameter_filters: Sequence[Mapping[str, Any]] | None) -> Predicate:
    """One predicate for GetParametersByPath's `ParameterFilters`."""
    checked = _checked(parameter_filters or [], _path_key, _path_option)
    return _all_of([_compile(f) for f in checked])


def requested_labels(parameter_filters: Sequence[Mapping[str, Any]] | None) -> tuple[str, ...]:
    """The values of the Label filter, in order (none without one): GetParametersByPath
    answers the version that holds the first of them the parameter has."""
    for wire in parameter_filters or []:
        if wire.get("Key") == "Label":
            return tuple(wire.get("Values") or ())
    return ()


def _all_of(checks: list[Predicate]) -> Predicate:
    def matches(facts: ParameterFacts) -> bool:
        return all(check(facts) for check in checks)

    return matches


# --- reading and checking ------------------------------------------------------------


def _read(wire: Mapping[str, Any]) -> _Filter:
    key = str(wire["Key"])
    default = ONE_LEVEL if key == "Path" else EQUALS
    option = wire.get("Option") or default
    return _Filter(key, str(option), tuple(wire.get("Values") or ()))


def _read_legacy(wire: Mapping[str, Any]) -> _Filter:
    key = str(wire["Key"])
    if key not in _LEGACY_KEYS:
        raise InvalidFilterKey(
            f"The following filter key is not valid: {key}. "
            "Valid filter keys include: [Name, Type, KeyId]."
        )
    values = tuple(wire.get("Values") or ())
    if not values:
        raise InvalidFilterValue(_missing(key))
    return _Filter(key, BEGINS_WITH if key == "Name" else EQUALS, values)


def _checked(
    wires: Sequence[Mapping[str, Any]],
    check_key: Callable[[str], None],
    check_option: Callable[[_Filter], None],
) -> list[_Filter]:
    """The filters in order, each checked as AWS does: key, values present, not a
    duplicate, Path values, Type and Tier values, then the option."""
    seen: set[str] = set()
    checked = []
    for f in map(_read, wires):
        check_key(f.key)
        if not f.values and not f.key.startswith("tag:"):
            raise InvalidFilterValue(_missing(f.key))
        if f.key in seen:
            raise InvalidFilterKey(
                f"The following filter is duplicated in the request: {f.key}. "
                "A request can contain only one occurrence of a specific filter."
            )
        seen.add(f.key)
        _check_values(f)
        check_option(f)
        checked.append(f)
    return checked


def _missing(key: str) -> str:
    return f"The following filter values are missing : null for filter key {key}."


def _describe_key(key: str) -> None:
    if key not in _DESCRIBE_KEYS and not (key.startswith("tag:") and len(key) > 4):
        raise InvalidFilterKey(_invalid_key(key, _DESCRIBE_KEYS_TEXT))


def _path_key(key: str) -> None:
    if key not in _PATH_KEYS:
        raise InvalidFilterKey(_invalid_key(key, _PATH_KEYS_TEXT))


def _invalid_key(key: str, valid: str) -> str:
    return f"The following filter key is not valid: {key}. Valid filter keys include: {valid}."


def _check_values(f: _Filter) -> None:
    if f.key == "Path":
        if f.option not in (RECURSIVE, ONE_LEVEL):
            raise _invalid_option(f.option, "[Recursive, OneLevel]")
        if any(value.lower().startswith(_RESERVED_PATHS) for value in f.values):
            raise ValidationException(RESERVED_PATH)
        for value in f.values:
            check_path(value)
    elif f.key in ("Type", "Tier"):
        allowed = TYPES if f.key == "Type" else TIERS
        for value in f.values:
            if value not in allowed:
                raise InvalidFilterValue(
                    f"The following filter value is not valid: {value}. "
                    f"Valid values include: [{', '.join(allowed)}]."
                )


def _describe_option(f: _Filter) -> None:
    if f.key == "Path":
        return
    allowed = (EQUALS, BEGINS_WITH, CONTAINS) if f.key == "Name" else (EQUALS, BEGINS_WITH)
    if f.option not in allowed:
        raise _invalid_option(f.option, "[BeginsWith, Equals]")


def _path_option(f: _Filter) -> None:
    if f.key == "Label":
        if f.option != EQUALS:
            raise _invalid_option(f.option, "[Equals]")
    elif f.option not in (EQUALS, BEGINS_WITH):
        raise _invalid_option(f.option, "[BeginsWith, Equals]")


def _invalid_option(option: str, valid: str) -> InvalidFilterOption:
    return InvalidFilterOption(
        f"The following filter option is not valid: {option}. Valid options include: {valid}."
    )


# --- matching ------------------------------------------------------------------------


def _compile(f: _Filter) -> Predicate:
    if f.key == "Path":
        recursive = f.option == RECURSIVE
        return lambda p: any(is_under(p.name, path, recursive) for path in f.values)
    if f.key == "Label":
        wanted = frozenset(f.values)
        return lambda p: not wanted.isdisjoint(p.labels)
    if f.key == "Name":
        return _compile_name(f)
    if f.key.startswith("tag:"):
        return _compile_tag(f.key[4:], f)
    attribute = _ATTRIBUTES[f.key]
    compare = _comparison(f.option, f.values)
    return lambda p: compare(attribute(p))


def _compile_name(f: _Filter) -> Predicate:
    if f.option == CONTAINS:
        return lambda p: any(value in _slashed(p.name) for value in f.values)
    compare = _comparison(f.option, tuple(_slashed(value) for value in f.values))
    return lambda p: compare(_slashed(p.name))


def _compile_tag(tag_key: str, f: _Filter) -> Predicate:
    compare = _comparison(f.option, f.values)

    def matches(p: ParameterFacts) -> bool:
        value = p.tags.get(tag_key)
        return value is not None and (not f.values or compare(value))

    return matches


def _comparison(option: str, values: tuple[str, ...]) -> Callable[[str | None], bool]:
    """Whether an attribute (None: absent, never matches) equals or begins with a value."""
    if option == BEGINS_WITH:
        return lambda seen: seen is not None and seen.startswith(values)
    return lambda seen: seen is not None and seen in values


def _slashed(name: str) -> str:
    return "/" + name.removeprefix("/")


_ATTRIBUTES: dict[str, Callable[[ParameterFacts], str | None]] = {
    "Type": lambda p: p.type,
    "KeyId": lambda p: p.key_id,
    "Tier": lambda p: p.tier,
    "DataType": lambda p: p.data_type,
}
