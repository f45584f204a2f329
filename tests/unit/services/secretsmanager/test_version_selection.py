"""GetSecretValue reads the version that holds the label asked for (AWSCURRENT by default),
wherever it sits among a secret's versions: the newest, or an older one a label was moved
back to, among deprecated versions kept beside them.

Secrets Manager runs over KMS on a memory storage (`kms_over_memory`), as `app.py` wires
them, with every caller allowed.
"""

from __future__ import annotations

from typing import Any

import pytest
from tests.unit.services.kms_over_memory import kms_over_memory

from strongroom.clock import Clock
from strongroom.crypto import system_random
from strongroom.errors import ResourceNotFoundException
from strongroom.identity import Principal
from strongroom.services import secretsmanager as sm_service
from strongroom.services.caller import AllowAuthenticated, Caller
from strongroom.services.secretsmanager import OPERATIONS, SecretsManager

ALICE = Principal("AKIAALICEALICEALICE1", "111122223333", "alice")
CALLER = Caller(ALICE, "us-east-1", AllowAuthenticated())
VERSIONS = 40


def token(n: int) -> str:
    return f"{n:08d}-1111-4111-8111-111111111111"


@pytest.fixture
def sm() -> SecretsManager:
    base = kms_over_memory()
    plugin = sm_service.plugin(base.barrier, base.kms, Clock(), system_random)
    assert isinstance(plugin.context, SecretsManager)
    sm = plugin.context
    call(sm, "CreateSecret", Name="app/db", SecretString="v0", ClientRequestToken=token(0))
    for n in range(1, VERSIONS):
        put = {"SecretString": f"v{n}", "ClientRequestToken": token(n)}
        call(sm, "PutSecretValue", SecretId="app/db", **put)
    return sm


def call(sm: SecretsManager, name: str, **params: Any) -> dict[str, Any]:
    return OPERATIONS[name](sm, CALLER, **params)


def move(sm: SecretsManager, label: str, **versions: str) -> None:
    call(sm, "UpdateSecretVersionStage", SecretId="app/db", VersionStage=label, **versions)


def read(sm: SecretsManager, **params: Any) -> tuple[str, str, list[str]]:
    got = call(sm, "GetSecretValue", SecretId="app/db", **params)
    return got["VersionId"], got["SecretString"], got["VersionStages"]


def test_the_newest_version_is_current_and_the_one_before_previous(sm: SecretsManager) -> None:
    newest = VERSIONS - 1
    assert read(sm) == (token(newest), f"v{newest}", ["AWSCURRENT"])
    previous = read(sm, VersionStage="AWSPREVIOUS")
    assert previous == (token(newest - 1), f"v{newest - 1}", ["AWSPREVIOUS"])


def test_a_label_moved_back_to_an_old_version_is_read_there(sm: SecretsManager) -> None:
    newest = VERSIONS - 1
    move(sm, "AWSCURRENT", MoveToVersionId=token(3), RemoveFromVersionId=token(newest))
    move(sm, "audit", MoveToVersionId=token(0))
    assert read(sm) == (token(3), "v3", ["AWSCURRENT"])
    assert read(sm, VersionStage="AWSPREVIOUS") == (token(newest), f"v{newest}", ["AWSPREVIOUS"])
    assert read(sm, VersionStage="audit") == (token(0), "v0", ["audit"])
    with pytest.raises(ResourceNotFoundException):
        read(sm, VersionStage="AWSPENDING")
