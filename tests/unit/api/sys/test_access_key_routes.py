"""The /sys/access-keys routes, constructed directly: each authorizes first, acts only on
the signer's account, and never answers a secret except the new key's."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from strongroom.api.sys.access_keys import AccessKeyRoutes
from strongroom.barrier import Barrier, View
from strongroom.errors import (
    AccessDeniedException,
    DeleteConflictException,
    IamLimitExceededException,
    NoSuchEntityException,
    SerializationException,
    StrongroomError,
    ValidationException,
)
from strongroom.identity import AccessKey, AccessKeyStore, Principal
from strongroom.storage.memory import MemoryStorage

ACCOUNT = "111122223333"
OTHER = "444455556666"


class Signer:
    """Stands in for the router's `signed`: records the actions asked, may deny them."""

    def __init__(self, key: AccessKey, deny: bool = False) -> None:
        self.principal = key.principal
        self.deny = deny
        self.actions: list[str] = []

    def __call__(self, action: str) -> Principal:
        self.actions.append(action)
        if self.deny:
            raise AccessDeniedException(f"not allowed: {action}")
        return self.principal


@pytest.fixture
def store() -> AccessKeyStore:
    barrier = Barrier(MemoryStorage())
    barrier.initialize(bytes(32))
    return AccessKeyStore(View(barrier, "identity/"))


def call(store: AccessKeyStore, signer: Signer, method: str, path: str, body: bytes = b"") -> Any:
    answer = AccessKeyRoutes(store).handle(method, path, body, signer)
    assert answer is not None
    status, payload = answer
    assert status == 200
    return orjson.loads(payload)


def test_create_list_disable_enable_delete(store: AccessKeyStore) -> None:
    first = store.create(ACCOUNT)
    signer = Signer(first)
    made = call(store, signer, "POST", "/sys/access-keys", b"{}")
    assert made["account_id"] == ACCOUNT and made["status"] == "Active"
    assert made["user_name"] == "root" and made["last_used"] is None
    assert store.secret_for(made["access_key_id"]) == made["secret_access_key"]
    store.note_use(made["access_key_id"], "eu-west-1", "kms")

    listing = call(store, signer, "GET", "/sys/access-keys")
    by_id = {key["access_key_id"]: key for key in listing["access_keys"]}
    assert set(by_id) == {first.access_key_id, made["access_key_id"]}
    assert by_id[made["access_key_id"]]["last_used"]["region"] == "eu-west-1"
    assert by_id[made["access_key_id"]]["last_used"]["service"] == "kms"
    assert by_id[first.access_key_id]["last_used"] is None
    text = orjson.dumps(listing).decode()
    assert made["secret_access_key"] not in text and first.secret_access_key not in text
    assert "secret" not in text

    path = f"/sys/access-keys/{made['access_key_id']}"
    assert call(store, signer, "POST", path + "/disable")["status"] == "Inactive"
    assert store.secret_for(made["access_key_id"]) is None
    assert call(store, signer, "POST", path + "/enable")["status"] == "Active"
    assert store.secret_for(made["access_key_id"]) is not None
    assert call(store, signer, "DELETE", path)["deleted"] is True
    assert store.find(made["access_key_id"]) is None
    assert signer.actions == [
        "strongroom:CreateAccessKey",
        "strongroom:ListAccessKeys",
        "strongroom:UpdateAccessKey",
        "strongroom:UpdateAccessKey",
        "strongroom:DeleteAccessKey",
    ]


@pytest.mark.parametrize(
    ("method", "suffix", "action"),
    [
        ("POST", "", "strongroom:CreateAccessKey"),
        ("GET", "", "strongroom:ListAccessKeys"),
        ("POST", "/{id}/disable", "strongroom:UpdateAccessKey"),
        ("POST", "/{id}/enable", "strongroom:UpdateAccessKey"),
        ("DELETE", "/{id}", "strongroom:DeleteAccessKey"),
    ],
)
def test_every_route_authorizes_before_it_acts(
    store: AccessKeyStore, method: str, suffix: str, action: str
) -> None:
    first = store.create(ACCOUNT)
    second = store.create(ACCOUNT)
    denied = Signer(first, deny=True)
    path = "/sys/access-keys" + suffix.format(id=second.access_key_id)
    with pytest.raises(AccessDeniedException):
        AccessKeyRoutes(store).handle(method, path, b"not json", denied)
    assert denied.actions == [action]  # asked before the body was even read
    assert [(k.access_key_id, k.status) for k in store.list(ACCOUNT)] == [
        (k.access_key_id, "Active") for k in sorted((first, second), key=_order)
    ]


def _order(key: AccessKey) -> tuple[float, str]:
    return (key.created or 0.0, key.access_key_id)


def test_another_accounts_keys_are_no_such_entity(store: AccessKeyStore) -> None:
    mine = store.create(ACCOUNT)
    theirs = store.create(OTHER)
    store.create(OTHER)
    signer = Signer(mine)
    for method, suffix in (("POST", "/disable"), ("POST", "/enable"), ("DELETE", "")):
        path = f"/sys/access-keys/{theirs.access_key_id}{suffix}"
        with pytest.raises(NoSuchEntityException, match=theirs.access_key_id):
            AccessKeyRoutes(store).handle(method, path, b"", signer)
    listed = call(store, signer, "GET", "/sys/access-keys")["access_keys"]
    assert [key["access_key_id"] for key in listed] == [mine.access_key_id]
    assert store.secret_for(theirs.access_key_id) == theirs.secret_access_key


@pytest.mark.parametrize(
    ("method", "suffix", "body", "error"),
    [
        ("POST", "/{own}/disable", b"", DeleteConflictException),
        ("DELETE", "/{own}", b"", DeleteConflictException),
        ("POST", "/not-an-id/disable", b"", ValidationException),
        ("DELETE", "/" + "A" * 129, b"", ValidationException),
        ("POST", "", b'{"user_name": "alice"}', ValidationException),
        ("POST", "", b"[]", SerializationException),
        ("POST", "", b"{", SerializationException),
    ],
)
def test_refusals(
    store: AccessKeyStore, method: str, suffix: str, body: bytes, error: type[StrongroomError]
) -> None:
    own = store.create(ACCOUNT)
    path = "/sys/access-keys" + suffix.format(own=own.access_key_id)
    with pytest.raises(error):
        AccessKeyRoutes(store).handle(method, path, body, Signer(own))
    assert [(k.access_key_id, k.status) for k in store.list(ACCOUNT)] == [
        (own.access_key_id, "Active")
    ]


def test_a_third_key_is_over_the_quota(store: AccessKeyStore) -> None:
    signer = Signer(store.create(ACCOUNT))
    call(store, signer, "POST", "/sys/access-keys")
    with pytest.raises(IamLimitExceededException, match="AccessKeysPerUser: 2"):
        AccessKeyRoutes(store).handle("POST", "/sys/access-keys", b"", signer)
    assert len(store.list(ACCOUNT)) == 2


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/sys/status"),
        ("PUT", "/sys/access-keys"),
        ("GET", "/sys/access-keys/AKIAX/disable"),
        ("POST", "/sys/access-keys/AKIAX/rotate"),
        ("POST", "/sys/access-keys/AKIAX"),
        ("POST", "/sys/access-keysX"),
    ],
)
def test_other_paths_and_methods_are_left_to_the_router(
    store: AccessKeyStore, method: str, path: str
) -> None:
    signer = Signer(store.create(ACCOUNT))
    assert AccessKeyRoutes(store).handle(method, path, b"", signer) is None
    assert signer.actions == []
