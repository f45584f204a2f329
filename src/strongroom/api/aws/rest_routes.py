"""Which REST operation a request names: its method and path against the models' URI templates.

A REST-JSON model binds each operation to a method and a `requestUri` template such as
`/2015-03-31/functions/{FunctionName}/invocations`: `{Name}` matches one non-empty path
segment, `{Name+}` (greedy) one or more, and a template may require literal query
parameters (`/2019-09-30/functions/{FunctionName}/provisioned-concurrency?List=ALL`).
`RestRoutes.match` finds the operation a request names and its labels, percent-decoded.

Invariants:
- The most specific template wins, whatever the model's order: more literal segments
  first, then one that requires query parameters, then one without a greedy label.
- Labels are matched on the path as sent (a label's `/` arrives as `%2F`; a greedy one's
  as `/`), then decoded; a path that matches nothing is tried once more without one
  trailing `/`; nothing else is normalized.
- `claims` is one set lookup on the first path segment (the API versions the models use,
  such as `2015-03-31`): the cheap test by which the application tells a REST call from
  an operator one. No model path begins with `sys` or `moto-api`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import NamedTuple
from urllib.parse import unquote

__all__ = ["Match", "RestRoutes"]

_LABEL = re.compile(r"\{([^}]+?)(\+?)\}")


class Match(NamedTuple):
    """The operation a request names."""

    service: str
    operation: str
    labels: dict[str, str]
    """Label name (as in the template) -> value, percent-decoded."""


class _Route(NamedTuple):
    service: str
    operation: str
    pattern: re.Pattern[str]
    labels: tuple[str, ...]  # in pattern group order
    query: tuple[tuple[str, str | None], ...]  # required (name, value or any)
    rank: tuple[int, int, int]


class RestRoutes:
    """Every REST operation of some models, indexed by method and first path segment."""

    def __init__(self, templates: Iterable[tuple[str, str, str, str]]) -> None:
        """`templates`: (service, operation, method, requestUri) of each operation."""
        routes: dict[tuple[str, str], list[_Route]] = {}
        owners: dict[str, str] = {}
        for service, operation, method, uri in templates:
            route = _compile(service, operation, uri)
            first = _first_segment(uri.partition("?")[0])
            routes.setdefault((method.upper(), first), []).append(route)
            owners.setdefault(first, service)
        self._routes = {key: sorted(found, key=lambda r: r.rank) for key, found in routes.items()}
        self._owners = owners
        self.prefixes = frozenset(owners)
        """The first path segments of every template."""

    def claims(self, raw_path: str) -> bool:
        """Whether `raw_path` begins like some template (it may still match none)."""
        return _first_segment(raw_path) in self.prefixes

    def owner(self, raw_path: str) -> str | None:
        """The service whose templates begin like `raw_path` (the first to, if several)."""
        return self._owners.get(_first_segment(raw_path))

    def match(self, method: str, raw_path: str, query: Sequence[tuple[str, str]]) -> Match | None:
        """The operation `method` `raw_path` names (query pairs decoded), or None."""
        candidates = self._routes.get((method, _first_segment(raw_path)))
        if not candidates:
            return None
        found = self._match(candidates, raw_path, query)
        if found is None and len(raw_path) > 1 and raw_path[-1] == "/":
            found = self._match(candidates, raw_path[:-1], query)
        return found

    @staticmethod
    def _match(
        candidates: list[_Route], path: str, query: Sequence[tuple[str, str]]
    ) -> Match | None:
        sent: Mapping[str, str] | None = None
        for route in candidates:
            found = route.pattern.fullmatch(path)
            if found is None:
                continue
            if route.query:
                if sent is None:
                    sent = dict(reversed(query))  # the first value of each name
                if not all(
                    name in sent and (value is None or sent[name] == value)
                    for name, value in route.query
                ):
                    continue
            labels = {
                name: unquote(value, errors="surrogateescape") if "%" in value else value
                for name, value in zip(route.labels, found.groups(), strict=True)
            }
            return Match(route.service, route.operation, labels)
        return None


def _first_segment(path: str) -> str:
    return path[1:].partition("/")[0] if path.startswith("/") else ""


def _compile(service: str, operation: str, uri: str) -> _Route:
    """One template as a pattern over the raw path, with its rank (lower sorts first)."""
    path, _, query = uri.partition("?")
    if len(path) > 1 and path.endswith("/"):
        path = path[:-1]
    parts: list[str] = []
    labels: list[str] = []
    greedy = 0
    at = 0
    for found in _LABEL.finditer(path):
        parts.append(re.escape(path[at : found.start()]))
        labels.append(found.group(1))
        greedy += bool(found.group(2))
        parts.append("(.+)" if found.group(2) else "([^/]+)")
        at = found.end()
    parts.append(re.escape(path[at:]))
    literal_segments = sum(1 for segment in path.split("/") if segment and "{" not in segment)
    required = tuple(
        (name, value if sep else None)
        for name, sep, value in (item.partition("=") for item in query.split("&") if item)
    )
    rank = (-literal_segments, -len(required), greedy)
    return _Route(service, operation, re.compile("".join(parts)), tuple(labels), required, rank)
