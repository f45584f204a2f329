"""Two processes on one SQLite file: a write by one that another's cache has not seen yet
(its data version is refreshed once per request, before the write's transaction begins)
must not mislead the other's writes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from strongroom.barrier import Barrier, View
from strongroom.clock import Clock
from strongroom.crypto import system_random
from strongroom.identity import Principal
from strongroom.keystores import SoftwareKeyStore
from strongroom.services import kms as kms_service
from strongroom.services import secretsmanager as sm_service
from strongroom.services.caller import AllowAuthenticated, Caller
from strongroom.services.secretsmanager import OPERATIONS, SecretsManager
from strongroom.storage.sqlite import SqliteStorage

ACCOUNT = "111122223333"
TOKEN_1 = "11111111-1111-4111-8111-111111111111"
TOKEN_2 = "22222222-2222-4222-8222-222222222222"
ROOT = Caller(Principal("AKIAROOTROOTROOTROOT", ACCOUNT, "root"), "us-east-1", AllowAuthenticated())


def process(path: Path, *, first: bool) -> tuple[SecretsManager, Barrier, SqliteStorage]:
    storage = SqliteStorage(path)
    barrier = Barrier(storage)
    if first:
        barrier.initialize(bytes(range(32)))
    else:
        barrier.unseal(bytes(range(32)))
    store = SoftwareKeyStore(View(barrier, "keystores/software/"))
    kms = kms_service.plugin(barrier, {"software": store}, Clock(), system_random)
    plugin = sm_service.plugin(barrier, kms, Clock(), system_random)
    assert isinstance(plugin.context, SecretsManager)
    return plugin.context, barrier, storage


@pytest.fixture
def two(tmp_path: Path) -> Iterator[tuple[SecretsManager, SecretsManager, Barrier]]:
    one, _, first = process(tmp_path / "shared.db", first=True)
    other, barrier, second = process(tmp_path / "shared.db", first=False)
    yield one, other, barrier
    first.close()
    second.close()


def call(sm: SecretsManager, name: str, **params: Any) -> dict[str, Any]:
    return OPERATIONS[name](sm, ROOT, **params)


def test_a_forced_delete_by_name_deletes_the_secret_the_name_holds_now(
    two: tuple[SecretsManager, SecretsManager, Barrier],
) -> None:
    one, other, other_barrier = two
    old = call(one, "CreateSecret", Name="app/db", SecretString="old", ClientRequestToken=TOKEN_1)[
        "ARN"
    ]
    other_barrier.refresh_data_version()
    assert call(other, "DescribeSecret", SecretId="app/db")["ARN"] == old  # cached there
    call(one, "DeleteSecret", SecretId="app/db", ForceDeleteWithoutRecovery=True)
    new = call(one, "CreateSecret", Name="app/db", SecretString="new", ClientRequestToken=TOKEN_2)[
        "ARN"
    ]
    assert new != old
    # `other` has not refreshed: its cache still holds the old secret under that name
    call(other, "DeleteSecret", SecretId="app/db", ForceDeleteWithoutRecovery=True)
    assert call(one, "ListSecrets")["SecretList"] == []  # the new one went, not nothing
