"""IAM policy documents: parse policy JSON and check it against the IAM policy grammar.

`parse_policy` returns the parsed document only when it is a well-formed IAM policy
(resource-based by default, identity-based on request); anything else raises
`PolicyGrammarError`. It checks shape, not meaning: whether a principal exists or a
policy is too broad is for its callers (see `public_access`).

Invariants:
- A document `parse_policy` returns passed every check here, so code that reads it may
  rely on the shapes below (Statement non-empty, values strings or lists of strings).
- Error messages name only this module's own element names and statement positions,
  never text from the policy, so they are safe to return to any caller.
- JSON that a second parser could read differently is refused: duplicate keys, NaN and
  Infinity. Errors never chain the JSON decoder's exception, which holds the whole text.
- Pure and stdlib only.
"""

from __future__ import annotations

import json
import re
from typing import Any, Final

VERSIONS: Final = frozenset({"2012-10-17", "2008-10-17"})

_TOP_LEVEL: Final = frozenset({"Version", "Id", "Statement"})
_STATEMENT_ELEMENTS: Final = frozenset(
    {
        "Sid",
        "Effect",
        "Principal",
        "NotPrincipal",
        "Action",
        "NotAction",
        "Resource",
        "NotResource",
        "Condition",
    }
)
_EFFECTS: Final = frozenset({"Allow", "Deny"})
_PRINCIPAL_TYPES: Final = frozenset({"AWS", "Service", "Federated", "CanonicalUser"})

# "service:action"; IAM matches actions case-insensitively and allows * and ? wildcards.
_ACTION: Final = re.compile(r"[A-Za-z0-9-]+:[A-Za-z0-9_*?-]+")
# "service:name"; the name may hold a tag key, and tag keys may hold spaces.
_CONDITION_KEY: Final = re.compile(r"[A-Za-z0-9-]+:[^\x00-\x1f]+")
_WILDCARDS: Final = ("*", "?")

# The IAM condition operators, before the optional ForAllValues:/ForAnyValue: prefix and
# IfExists suffix.
_CONDITION_OPERATORS: Final = frozenset(
    {
        "StringEquals",
        "StringNotEquals",
        "StringEqualsIgnoreCase",
        "StringNotEqualsIgnoreCase",
        "StringLike",
        "StringNotLike",
        "NumericEquals",
        "NumericNotEquals",
        "NumericLessThan",
        "NumericLessThanEquals",
        "NumericGreaterThan",
        "NumericGreaterThanEquals",
        "DateEquals",
        "DateNotEquals",
        "DateLessThan",
        "DateLessThanEquals",
        "DateGreaterThan",
        "DateGreaterThanEquals",
        "Bool",
        "BinaryEquals",
        "IpAddress",
        "NotIpAddress",
        "ArnEquals",
        "ArnLike",
        "ArnNotEquals",
        "ArnNotLike",
        "Null",
    }
)
_SET_OPERATOR_PREFIXES: Final = ("ForAllValues:", "ForAnyValue:")
_IF_EXISTS: Final = "IfExists"


class PolicyGrammarError(Exception):
    """The text is not a well-formed IAM policy; the message says why and is safe to show."""


def parse_policy(text: str, *, resource_policy: bool = True) -> dict[str, Any]:
    """Parse policy JSON and check its IAM grammar; return the document.

    `resource_policy` (the default) requires each statement to name exactly one of
    Principal/NotPrincipal and lets Resource be omitted; False checks an identity policy,
    which must name no principal and exactly one of Resource/NotResource.
    """
    document = _load_json(text)
    _check_top_level(document)
    seen_sids: set[str] = set()
    for index, statement in enumerate(_statements(document["Statement"]), start=1):
        where = f"Statement {index}"
        _check_statement(statement, where, resource_policy)
        sid = statement.get("Sid")
        if sid is not None:
            if sid in seen_sids:
                raise PolicyGrammarError(f"{where}: its Sid is already used by another statement.")
            seen_sids.add(sid)
    return document


def _load_json(text: str) -> dict[str, Any]:
    """The JSON object in `text`; duplicate keys and non-finite numbers are refused."""
    try:
        value = json.loads(text, object_pairs_hook=_unique_keys, parse_constant=_no_constant)
    except (ValueError, RecursionError):
        # `from None`: a JSONDecodeError carries the whole policy text in `.doc`.
        raise PolicyGrammarError("The policy is not valid JSON.") from None
    if not isinstance(value, dict):
        raise PolicyGrammarError("The policy must be a JSON object.")
    return value


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object's dict, refusing a key given twice (parsers disagree on which wins)."""
    result = dict(pairs)
    if len(result) != len(pairs):
        raise PolicyGrammarError("The policy repeats a key within one JSON object.")
    return result


def _no_constant(name: str) -> Any:
    """Refuse NaN, Infinity and -Infinity, which are not JSON."""
    raise ValueError("non-finite number")


def _check_top_level(document: dict[str, Any]) -> None:
    """Only Version, Id and Statement; Version one of VERSIONS; Statement present."""
    if not document.keys() <= _TOP_LEVEL:
        raise PolicyGrammarError("The policy has an unknown top-level element.")
    version = document.get("Version")
    if version is not None and not (isinstance(version, str) and version in VERSIONS):
        raise PolicyGrammarError("The policy Version must be 2012-10-17 or 2008-10-17.")
    if "Id" in document and not isinstance(document["Id"], str):
        raise PolicyGrammarError("The policy Id must be a string.")
    if "Statement" not in document:
        raise PolicyGrammarError("The policy has no Statement.")


def _statements(value: Any) -> list[dict[str, Any]]:
    """Statement as a list: one object, or a non-empty list of objects."""
    if isinstance(value, dict):
        return [value]
    if isinstance(value, list) and value and all(isinstance(item, dict) for item in value):
        return value
    raise PolicyGrammarError("Statement must be an object or a non-empty list of objects.")


def _check_statement(statement: dict[str, Any], where: str, resource_policy: bool) -> None:
    """One statement's elements, each by its own rule."""
    if not statement.keys() <= _STATEMENT_ELEMENTS:
        raise PolicyGrammarError(f"{where}: it has an unknown element.")
    if "Sid" in statement and not isinstance(statement["Sid"], str):
        raise PolicyGrammarError(f"{where}: Sid must be a string.")
    if "Effect" not in statement:
        raise PolicyGrammarError(f"{where}: it has no Effect.")
    if not (isinstance(statement["Effect"], str) and statement["Effect"] in _EFFECTS):
        raise PolicyGrammarError(f"{where}: Effect must be Allow or Deny.")
    action = _one_of(statement, "Action", "NotAction", where, required=True)
    if action is not None:
        _check_actions(statement[action], where, action)
    _check_principal_element(statement, where, resource_policy)
    resource = _one_of(statement, "Resource", "NotResource", where, required=not resource_policy)
    if resource is not None:
        _check_resources(statement[resource], where, resource)
    if "Condition" in statement:
        _check_condition(statement["Condition"], where)


def _one_of(
    statement: dict[str, Any], first: str, second: str, where: str, *, required: bool
) -> str | None:
    """Which of two exclusive elements the statement names; both is an error, as is none
    when `required`."""
    present = [name for name in (first, second) if name in statement]
    if len(present) == 2:
        raise PolicyGrammarError(f"{where}: it names both {first} and {second}.")
    if not present:
        if required:
            raise PolicyGrammarError(f"{where}: it has no {first} or {second}.")
        return None
    return present[0]


def _strings(value: Any, where: str, name: str) -> list[str]:
    """A string or a non-empty list of strings, as a list; no string may be empty."""
    items = [value] if isinstance(value, str) else value
    if not (isinstance(items, list) and items and all(isinstance(v, str) for v in items)):
        raise PolicyGrammarError(f"{where}: {name} must be a string or a non-empty list of them.")
    if not all(items):
        raise PolicyGrammarError(f"{where}: {name} has an empty string.")
    return items


def _check_actions(value: Any, where: str, name: str) -> None:
    """Each action is "*" or "service:action" (wildcards allowed in the action part)."""
    for action in _strings(value, where, name):
        if action != "*" and not _ACTION.fullmatch(action):
            raise PolicyGrammarError(f'{where}: each {name} must be "*" or "service:action".')


def _check_resources(value: Any, where: str, name: str) -> None:
    """Each resource is "*" or an ARN (six colon-separated parts, wildcards allowed)."""
    for resource in _strings(value, where, name):
        if resource != "*" and not (resource.startswith("arn:") and resource.count(":") >= 5):
            raise PolicyGrammarError(f'{where}: each {name} must be "*" or an ARN.')


def _check_principal_element(statement: dict[str, Any], where: str, resource_policy: bool) -> None:
    """Resource policies name exactly one of Principal/NotPrincipal; identity policies none."""
    name = _one_of(statement, "Principal", "NotPrincipal", where, required=resource_policy)
    if name is None:
        return
    if not resource_policy:
        raise PolicyGrammarError(f"{where}: an identity policy cannot name a {name}.")
    _check_principal(statement[name], where, name)


def _check_principal(value: Any, where: str, name: str) -> None:
    """Either "*" or an object of AWS/Service/Federated/CanonicalUser -> string(s).

    A wildcard is only ever the whole value "*", and only for AWS: IAM refuses partial
    wildcards in principals, and a broad principal must stay easy to recognise.
    """
    if value == "*":
        return
    if not (isinstance(value, dict) and value):
        raise PolicyGrammarError(f'{where}: {name} must be "*" or a non-empty object.')
    if not value.keys() <= _PRINCIPAL_TYPES:
        raise PolicyGrammarError(
            f"{where}: {name} may hold only AWS, Service, Federated and CanonicalUser."
        )
    for kind, entries in value.items():
        for entry in _strings(entries, where, f"{name} {kind}"):
            if any(ch.isspace() for ch in entry):
                raise PolicyGrammarError(f"{where}: {name} {kind} has a value with a space.")
            has_wildcard = any(w in entry for w in _WILDCARDS)
            if has_wildcard and not (entry == "*" and kind == "AWS"):
                raise PolicyGrammarError(f"{where}: {name} {kind} has a misplaced wildcard.")


def _check_condition(value: Any, where: str) -> None:
    """An object of operator -> {condition key -> value or non-empty list of values}."""
    if not isinstance(value, dict):
        raise PolicyGrammarError(f"{where}: Condition must be an object.")
    for operator, block in value.items():
        if not _is_condition_operator(operator):
            raise PolicyGrammarError(f"{where}: Condition has an unknown operator.")
        if not isinstance(block, dict) or not block:
            raise PolicyGrammarError(f"{where}: each Condition operator needs a non-empty object.")
        for key, values in block.items():
            if not _CONDITION_KEY.fullmatch(key):
                raise PolicyGrammarError(f"{where}: Condition has a malformed condition key.")
            _check_condition_values(values, where)


def _is_condition_operator(operator: str) -> bool:
    """Whether `operator` is an IAM operator, with an optional set prefix and IfExists."""
    for prefix in _SET_OPERATOR_PREFIXES:
        if operator.startswith(prefix):
            operator = operator.removeprefix(prefix)
            break
    if operator.endswith(_IF_EXISTS):
        base = operator.removesuffix(_IF_EXISTS)
        return base != "Null" and base in _CONDITION_OPERATORS
    return operator in _CONDITION_OPERATORS


def _check_condition_values(values: Any, where: str) -> None:
    """A scalar (string, number, boolean) or a non-empty list of scalars; never null."""
    items = values if isinstance(values, list) else [values]
    if not items or not all(isinstance(v, str | int | float) for v in items):
        raise PolicyGrammarError(
            f"{where}: a Condition value must be a string, number, boolean or a list of them."
        )
