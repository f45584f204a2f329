"""ListSecrets, and the filtered walk BatchGetSecretValue shares with it.

Pages are keyset-paginated: the token names the sort order and the index key of the
last secret returned, so a page costs the same with 100 secrets or 100,000. Orders by
creation date and by name walk an index (see `repository`); orders by last-changed and
last-accessed dates change with every write, so they are sorted in memory per page
(linear in the number of secrets). A page examines at most `SCAN_BUDGET` secrets: a
filter that matches few may answer a short or empty page with a NextToken, as AWS does.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import orjson

from strongroom.errors import InvalidNextTokenException
from strongroom.services.caller import Caller
from strongroom.services.secretsmanager.filters import Searchable, compile_filters
from strongroom.services.secretsmanager.records import SecretRecord
from strongroom.services.secretsmanager.repository import ORDERS
from strongroom.services.secretsmanager.service import Operation, SecretsManager
from strongroom.services.time_keys import time_key

SCAN_BUDGET = 2_000
_SORT_FIELDS = {"last-changed-date": "last_changed", "last-accessed-date": "last_accessed"}


def _order(sort_by: str, sort_order: str) -> str:
    base = "created" if sort_by == "created-date" else sort_by
    return base if sort_order == "asc" else f"{base}-desc"


def _token(order: str, key: str) -> str:
    return base64.urlsafe_b64encode(orjson.dumps([order, key])).decode()


def _token_key(order: str, token: str | None) -> str | None:
    if token is None:
        return None
    try:
        token_order, key = orjson.loads(base64.urlsafe_b64decode(token.encode()))
    except (ValueError, TypeError):
        raise InvalidNextTokenException("The NextToken value is not valid.") from None
    if token_order != order or not isinstance(key, str):
        raise InvalidNextTokenException("The NextToken value is not valid.")
    return key


def _sorted_in_memory(
    sm: SecretsManager, caller: Caller, order: str, after: str | None
) -> Iterator[tuple[str, str]]:
    field = _SORT_FIELDS[order.removesuffix("-desc")]
    entries = []
    for record in sm.repository.all_in(caller.account_id, caller.region):
        moment = getattr(record, field) or 0.0
        entries.append((f"{time_key(moment)}.{record.secret_id}", record.name))
    entries.sort(reverse=order.endswith("-desc"))
    for key, name in entries:
        if after is None or (key < after if order.endswith("-desc") else key > after):
            yield key, name


def _walk(
    sm: SecretsManager, caller: Caller, order: str, after: str | None
) -> Iterator[tuple[str, str]]:
    if order in ORDERS:
        return sm.repository.ordered(caller.account_id, caller.region, order, after)
    return _sorted_in_memory(sm, caller, order, after)


def _searchable(record: SecretRecord) -> Searchable:
    return Searchable(
        name=record.name,
        description=record.description or "",
        tags=dict(record.tags or []),
        primary_region=record.shown_primary_region,
        owning_service=None,
    )


def matching_secrets(
    sm: SecretsManager,
    caller: Caller,
    filters: list[dict[str, Any]] | None,
    limit: int,
    token: str | None,
    *,
    include_deleted: bool,
    sort_by: str = "created-date",
    sort_order: str = "asc",
) -> tuple[list[SecretRecord], str | None]:
    """One page of the secrets that pass `filters`, and the token of the next page."""
    order = _order(sort_by, sort_order)
    matches = compile_filters(filters or [])
    page: list[SecretRecord] = []
    walk = _walk(sm, caller, order, _token_key(order, token))
    for examined, (key, name) in enumerate(walk, start=1):
        record = sm.repository.secret(caller.account_id, caller.region, name)
        if (
            record is not None
            and (include_deleted or not record.is_deleted)
            and matches(_searchable(record))
        ):
            page.append(record)
        if len(page) == limit or examined == SCAN_BUDGET:
            return page, _token(order, key)
    return page, None


def list_secrets(
    sm: SecretsManager,
    caller: Caller,
    *,
    IncludePlannedDeletion: bool = False,
    MaxResults: int = 100,
    NextToken: str | None = None,
    Filters: list[dict[str, Any]] | None = None,
    SortOrder: str = "asc",
    SortBy: str = "created-date",
) -> dict[str, Any]:
    """ListSecrets: metadata of the account's secrets in this region, page by page."""
    caller.authorize("secretsmanager:ListSecrets", "*")
    page, next_token = matching_secrets(
        sm,
        caller,
        Filters,
        MaxResults,
        NextToken,
        include_deleted=IncludePlannedDeletion,
        sort_by=SortBy,
        sort_order=SortOrder,
    )
    result: dict[str, Any] = {
        "SecretList": [record.summary(versions_key="SecretVersionsToStages") for record in page]
    }
    if next_token is not None:
        result["NextToken"] = next_token
    return result


OPERATIONS: dict[str, Operation] = {"ListSecrets": list_secrets}
