"""Key policy documents: anything that is not a resource policy in IAM's grammar, or is
over 32 KB, is MalformedPolicyDocumentException with the grammar's words; and a new
policy that would lock its author out of PutKeyPolicy is refused unless bypassed."""

from __future__ import annotations

import json
import sys
from typing import Any

import pytest

from strongroom.barrier import Barrier, View
from strongroom.clock import Clock
from strongroom.crypto import system_random
from strongroom.errors import AccessDeniedException, MalformedPolicyDocumentException
from strongroom.identity import Principal
from strongroom.keystores import SoftwareKeyStore
from strongroom.services.caller import Caller
from strongroom.services.iam.authorizer import IamAuthorizer
from strongroom.services.kms import OPERATIONS, Kms, KmsRepository
from strongroom.services.kms.policies import check_policy_document, default_policy
from strongroom.storage.memory import MemoryStorage

DEEPER_THAN_PYTHON = sys.getrecursionlimit() + 10
ACCOUNT = "111122223333"
LOCKOUT = "The new key policy will not allow you to update the key policy in the future."


def _policy(principal: str, *statements: dict[str, Any]) -> str:
    """A key policy letting `principal` (an ARN) do everything, and `statements`."""
    everything = {
        "Effect": "Allow",
        "Principal": {"AWS": principal},
        "Action": "kms:*",
        "Resource": "*",
    }
    return json.dumps({"Version": "2012-10-17", "Statement": [everything, *statements]})


OTHERS_ONLY = _policy("arn:aws:iam::444455556666:root")


@pytest.mark.parametrize(
    "policy",
    [
        "[" * DEEPER_THAN_PYTHON + "]" * DEEPER_THAN_PYTHON,
        '{"a":' * DEEPER_THAN_PYTHON + "1" + "}" * DEEPER_THAN_PYTHON,
        '{"Statement": ' + "[" * DEEPER_THAN_PYTHON + "]" * DEEPER_THAN_PYTHON + "}",
        "",
        "not json",
        '{"Statement": [}',
    ],
    ids=["deep array", "deep object", "deep statement", "empty", "words", "unclosed"],
)
def test_text_that_is_not_json_is_malformed(policy: str) -> None:
    with pytest.raises(MalformedPolicyDocumentException) as raised:
        check_policy_document(policy)
    assert raised.value.message == "The new key policy is not valid JSON."


def test_text_that_is_not_unicode_is_malformed() -> None:
    """A lone surrogate (a JSON string may escape one) is refused, not a crash."""
    with pytest.raises(MalformedPolicyDocumentException):
        check_policy_document("\ud800")


def test_a_policy_over_32_kb_is_malformed() -> None:
    statement = {"Effect": "Allow", "Principal": "*", "Action": "kms:*", "Resource": "*"}
    padding = 32_768 - len(json.dumps({"Id": "", "Statement": statement}))
    fits = json.dumps({"Id": "x" * padding, "Statement": statement})
    assert len(fits) == 32_768
    check_policy_document(fits)
    over = "[" * 100_000  # never closed: its size is what is reported
    with pytest.raises(MalformedPolicyDocumentException) as raised:
        check_policy_document(over)
    assert raised.value.message == "The new key policy is larger than 32768 bytes."


@pytest.mark.parametrize(
    ("policy", "message"),
    [
        ("[]", "The new key policy must be a JSON object."),
        ('"text"', "The new key policy must be a JSON object."),
        ("{}", "The new key policy has no Statement."),
        ('{"Version": "2012-10-17"}', "The new key policy has no Statement."),
        (
            '{"Version": "2012-10-17", "Statement": []}',
            "The new key policy is not valid: "
            "Statement must be an object or a non-empty list of objects.",
        ),
        (
            json.dumps({"Statement": [{"Effect": "Allow", "Action": "kms:*", "Resource": "*"}]}),
            "The new key policy is not valid: Statement 1: it has no Principal or NotPrincipal.",
        ),
        (
            '{"Statement": [], "Statement": []}',
            "The new key policy repeats a key within one JSON object.",
        ),
    ],
    ids=["array", "string", "empty", "no statement", "no statements", "no principal", "twice"],
)
def test_a_document_that_is_not_a_resource_policy_is_malformed(policy: str, message: str) -> None:
    with pytest.raises(MalformedPolicyDocumentException) as raised:
        check_policy_document(policy)
    assert raised.value.message == message


def test_the_default_policy_is_a_key_policy() -> None:
    policy = default_policy("aws", "123456789012")
    check_policy_document(policy)
    assert json.loads(policy)["Statement"][0]["Action"] == "kms:*"


# --- the lockout safety check ----------------------------------------------------------


@pytest.fixture
def kms() -> Kms:
    barrier = Barrier(MemoryStorage())
    barrier.initialize(bytes(range(32)))
    store = SoftwareKeyStore(View(barrier, "keystores/software/"))
    return Kms(KmsRepository(View(barrier, "kms/")), {"software": store}, Clock(), system_random)


def _root() -> Caller:
    """The account root, decided by the real authorizer (it needs no IAM records)."""
    return Caller(Principal("AKIAROOTROOTROOTROOT", ACCOUNT, "root"), "us-east-1", IamAuthorizer())


def _call(kms: Kms, operation: str, **params: Any) -> Any:
    return OPERATIONS[operation](kms, _root(), **params)


def _raw(kms: Kms) -> dict[str, bytes]:
    return dict(kms.repository.view.scan(""))


def test_a_policy_that_locks_its_author_out_is_refused_unless_bypassed(kms: Kms) -> None:
    key_id = _call(kms, "CreateKey")["KeyMetadata"]["KeyId"]
    before = _raw(kms)
    with pytest.raises(MalformedPolicyDocumentException) as raised:
        _call(kms, "PutKeyPolicy", KeyId=key_id, Policy=OTHERS_ONLY)
    assert raised.value.message == LOCKOUT
    assert _raw(kms) == before
    _call(
        kms, "PutKeyPolicy", KeyId=key_id, Policy=OTHERS_ONLY, BypassPolicyLockoutSafetyCheck=True
    )
    with pytest.raises(AccessDeniedException):  # the policy took effect: locked out
        _call(kms, "GetKeyPolicy", KeyId=key_id)


def test_a_policy_that_denies_its_author_put_key_policy_is_refused(kms: Kms) -> None:
    key_id = _call(kms, "CreateKey")["KeyMetadata"]["KeyId"]
    deny = {"Effect": "Deny", "Principal": "*", "Action": "kms:PutKeyPolicy", "Resource": "*"}
    with pytest.raises(MalformedPolicyDocumentException, match=LOCKOUT):
        _call(
            kms, "PutKeyPolicy", KeyId=key_id, Policy=_policy(f"arn:aws:iam::{ACCOUNT}:root", deny)
        )
    allowing = _policy(f"arn:aws:iam::{ACCOUNT}:root")
    _call(kms, "PutKeyPolicy", KeyId=key_id, Policy=allowing)
    assert _call(kms, "GetKeyPolicy", KeyId=key_id)["Policy"] == allowing


def test_create_key_refuses_a_policy_that_locks_its_author_out(kms: Kms) -> None:
    before = _raw(kms)
    with pytest.raises(MalformedPolicyDocumentException, match=LOCKOUT):
        _call(kms, "CreateKey", Policy=OTHERS_ONLY)
    with pytest.raises(MalformedPolicyDocumentException, match="no Statement"):
        _call(kms, "CreateKey", Policy="{}", BypassPolicyLockoutSafetyCheck=True)
    assert _raw(kms) == before
    created = _call(kms, "CreateKey", Policy=OTHERS_ONLY, BypassPolicyLockoutSafetyCheck=True)
    assert created["KeyMetadata"]["KeyId"]
