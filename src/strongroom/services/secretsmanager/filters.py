"""ListSecrets / BatchGetSecretValue `Filters`: compile the wire list into one predicate.

Pure: no storage, no clock, no I/O. `compile_filters` does the per-request work once
(splitting and folding the search values); the predicate it returns looks at one secret.
The edge has already checked the shape (key enum, value pattern, lengths); here only the
meaning is decided. Sources: [D] AWS documentation (API reference `Filter`, user guide "Find
secrets in AWS Secrets Manager"), [3P] moto, [C] our choice. See also
docs/secretsmanager-semantics.md, "ListSecrets filters".

Rules:
- Several filters AND, the values of one filter OR [D]; a repeated key is one more AND [3P].
  No filters: every secret matches.
- `name`, `tag-key`, `tag-value`, `primary-region`: the value is a prefix of the attribute,
  case-sensitive [D] (user guide: `Data` finds `DatabaseSecret`, not `databaseSecret` or
  `MyData`).
- `description`: every word of the value is a prefix of some word of the description, in
  any order, case-insensitive [D: the user guide says it matches words and `My Description`
  finds "Description of my secret"; the API reference's "prefix match" is read as a prefix
  of words, as moto does [3P]].
- `owning-service`: prefix, case-insensitive [C: the user guide says not case-sensitive,
  the API reference says case-sensitive; we take the looser one, which hides nothing. Flip
  `_OWNING_SERVICE` to change it].
- `all`: as `description`, over the name, the description, each tag key and each tag value,
  case-insensitive [D]. Every word of the value must hit within one attribute [3P: moto; the
  user guide's "the word my or secret" is not read as OR].
- Words (`words`): runs of letters and digits; a run is also cut where a lowercase letter
  meets an uppercase one and between letters and digits [D: `credsDatabase#892` gives
  `creds`, `Database`, `892`]. A capital run before a word is cut before its last capital
  (`SecretFTag` gives `Secret`, `F`, `Tag`; moto's AWS-verified test finds it by `t`) [A].
- Negation: `!v` matches a secret none of whose attribute values matches `v` [D says only
  "negation"; this reading is C]. So a secret without the attribute (no description, no
  tags, not replicated, not service-owned) matches every negated value and no plain one
  [C; moto refuses both when the description is missing]. Only the first `!` negates [C].
- A word-matched value without words (`""`, `!`, `-/`) matches no attribute, so its negation
  matches every secret [C, as moto]. The prefix `""` matches every attribute present [C].
- A filter without `Key` or `Values` is an InvalidParameterException [3P texts]. An unknown
  key is a ValueError: the edge has already refused it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from strongroom.errors import InvalidParameterException

_T = TypeVar("_T")

_RUN = re.compile(r"[^\W\d_]+|\d+")
"""A run of letters or a run of digits: everything else separates words."""


@dataclass(frozen=True)
class Searchable:
    """What the filters see of a secret. `""` is no description, `{}` no tags."""

    name: str
    description: str
    tags: Mapping[str, str]
    primary_region: str | None
    owning_service: str | None


def compile_filters(filters: list[dict[str, Any]]) -> Callable[[Searchable], bool]:
    """One predicate for the wire `Filters` list: all filters must match (none: always)."""
    checks = [_compile_filter(wire) for wire in filters]

    def matches(secret: Searchable) -> bool:
        return all(check(secret) for check in checks)

    return matches


def words(text: str) -> list[str]:
    """The search words of `text`: `"credsDatabase#892"` -> `["creds", "Database", "892"]`."""
    return [word for run in _RUN.findall(text) for word in _split_camel(run)]


def _split_camel(run: str) -> list[str]:
    """Cut a run of letters where a lowercase letter is followed by an uppercase one, and
    before the last capital of a capital run that starts a word (`FTag` -> `F`, `Tag`)."""
    cuts = [
        i
        for i in range(1, len(run))
        if (run[i - 1].islower() and run[i].isupper())
        or (run[i - 1].isupper() and run[i].isupper() and i + 1 < len(run) and run[i + 1].islower())
    ]
    return [run[start:end] for start, end in zip([0, *cuts], [*cuts, len(run)], strict=True)]


@dataclass(frozen=True)
class _Key(Generic[_T]):
    """How one filter key reads a secret, and how it compares one value with an attribute."""

    attributes: Callable[[Searchable], tuple[_T, ...]]
    term: Callable[[str], Callable[[_T], bool]]


def _compile_filter(wire: dict[str, Any]) -> Callable[[Searchable], bool]:
    """One filter: any of its values matches."""
    key, values = wire.get("Key"), wire.get("Values")
    if not key:
        raise InvalidParameterException("Invalid filter key")
    if not values:
        raise InvalidParameterException(f"Invalid filter values for key: {key}")
    spec = _KEYS.get(key)
    if spec is None:
        raise ValueError(f"unknown filter key {key!r}: the edge checks the enum")
    tests = [_compile_value(value, spec.term) for value in values]

    def matches(secret: Searchable) -> bool:
        found = spec.attributes(secret)
        return any(test(found) for test in tests)

    return matches


def _compile_value(
    value: str, term: Callable[[str], Callable[[_T], bool]]
) -> Callable[[tuple[_T, ...]], bool]:
    """One value: some attribute matches it, or, for `!value`, none does."""
    negated = value.startswith("!")
    hits = term(value[1:] if negated else value)

    def matches(found: tuple[_T, ...]) -> bool:
        return any(hits(attribute) for attribute in found) != negated

    return matches


def _prefix(value: str) -> Callable[[str], bool]:
    """Case-sensitive prefix; the attribute is compared as stored."""
    return lambda attribute: attribute.startswith(value)


def _folded_prefix(value: str) -> Callable[[str], bool]:
    """Case-insensitive prefix; the attribute arrives already casefolded."""
    folded = value.casefold()
    return lambda attribute: attribute.startswith(folded)


def _word_prefixes(value: str) -> Callable[[tuple[str, ...]], bool]:
    """Every word of `value` starts some word of the attribute (its words, casefolded)."""
    wanted = _folded_words(value)
    if not wanted:
        return lambda attribute: False
    return lambda attribute: all(any(have.startswith(w) for have in attribute) for w in wanted)


def _folded_words(text: str) -> tuple[str, ...]:
    return tuple(word.casefold() for word in words(text))


def _optional(value: str | None) -> tuple[str, ...]:
    return () if value is None else (value,)


def _name(secret: Searchable) -> tuple[str, ...]:
    return (secret.name,)


def _description(secret: Searchable) -> tuple[str, ...]:
    return (secret.description,) if secret.description else ()


def _tag_keys(secret: Searchable) -> tuple[str, ...]:
    return tuple(secret.tags)


def _tag_values(secret: Searchable) -> tuple[str, ...]:
    return tuple(secret.tags.values())


def _primary_region(secret: Searchable) -> tuple[str, ...]:
    return _optional(secret.primary_region)


def _folded_owning_service(secret: Searchable) -> tuple[str, ...]:
    return tuple(service.casefold() for service in _optional(secret.owning_service))


def _description_words(secret: Searchable) -> tuple[tuple[str, ...], ...]:
    return tuple(_folded_words(text) for text in _description(secret))


def _all_words(secret: Searchable) -> tuple[tuple[str, ...], ...]:
    texts = (*_name(secret), *_description(secret), *_tag_keys(secret), *_tag_values(secret))
    return tuple(_folded_words(text) for text in texts)


_OWNING_SERVICE: _Key[str] = _Key(_folded_owning_service, _folded_prefix)
"""Case-insensitive (user guide); `_Key(lambda s: _optional(s.owning_service), _prefix)`
would follow the API reference instead."""

_KEYS: dict[str, _Key[Any]] = {
    "name": _Key(_name, _prefix),
    "description": _Key(_description_words, _word_prefixes),
    "tag-key": _Key(_tag_keys, _prefix),
    "tag-value": _Key(_tag_values, _prefix),
    "primary-region": _Key(_primary_region, _prefix),
    "owning-service": _OWNING_SERVICE,
    "all": _Key(_all_words, _word_prefixes),
}
