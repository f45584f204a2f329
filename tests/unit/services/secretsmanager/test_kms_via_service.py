"""Every GetSecretValue asks KMS to Decrypt the version's data key as its own caller, acting
via `secretsmanager.<region>.amazonaws.com`, whoever called just before.

`KmsEnvelope` keeps the last via-service caller it made (a new Caller per request costs
more than comparing one): these tests prove KMS still sees each request's principal,
region and origin, is asked through the request's own authorizer (not an equal one),
decides each time, and that a refusal for one caller is not carried to the next.
Secrets Manager runs over KMS on a memory storage (`kms_over_memory`), as `app.py` wires
them; the authorizer records KMS's questions and answers as told.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from tests.unit.services.kms_over_memory import kms_over_memory

from strongroom.clock import Clock
from strongroom.crypto import system_random
from strongroom.errors import AccessDeniedException
from strongroom.identity import Principal
from strongroom.policy import Decision, Verdict
from strongroom.services import secretsmanager as sm_service
from strongroom.services.caller import Caller, Context, ResourcePolicy
from strongroom.services.secretsmanager import OPERATIONS, SecretsManager

ACCOUNT = "111122223333"
ALICE = Principal("AKIAALICEALICEALICE1", ACCOUNT, "alice")
BOB = Principal("AKIABOBBOBBOBBOBBOB1", ACCOUNT, "bob")
VALUE = "s" * 1024
V1 = "11111111-1111-4111-8111-111111111111"


@dataclass(frozen=True)
class Asked:
    """One KMS question: who, acting via which service, in which region, from where."""

    user: str
    via_service: str | None
    region: str
    source_ip: str | None


@dataclass
class KmsRecorder:
    """Allows everything but `kms:Decrypt` for the users in `kms_refused`; records every
    `kms:Decrypt` question. Two recorders refusing the same users are equal."""

    kms_refused: set[str] = field(default_factory=set)
    asked: list[Asked] = field(default_factory=list, compare=False)

    def decide(
        self,
        caller: Caller,
        action: str,
        resource: str,
        context: Context,
        resource_policy: ResourcePolicy | None,
    ) -> Verdict:
        if action != "kms:Decrypt":
            return Verdict(Decision.ALLOW)
        user = caller.principal.user_name
        self.asked.append(Asked(user, caller.via_service, caller.region, caller.source_ip))
        if user in self.kms_refused:
            return Verdict(Decision.IMPLICIT_DENY, "identity")
        return Verdict(Decision.ALLOW)


@pytest.fixture
def sm() -> SecretsManager:
    base = kms_over_memory()
    plugin = sm_service.plugin(base.barrier, base.kms, Clock(), system_random)
    assert isinstance(plugin.context, SecretsManager)
    return plugin.context


def call(sm: SecretsManager, caller: Caller, name: str, **params: Any) -> dict[str, Any]:
    return OPERATIONS[name](sm, caller, **params)


def test_each_read_asks_kms_as_its_own_caller_via_the_service(sm: SecretsManager) -> None:
    recorder = KmsRecorder()
    callers = {
        "alice here": Caller(ALICE, "us-east-1", recorder, None, "10.0.0.1", True),
        "alice elsewhere": Caller(ALICE, "us-east-1", recorder, None, "10.0.0.2", True),
        "bob": Caller(BOB, "us-east-1", recorder, None, "10.0.0.1", True),
        "alice in eu": Caller(ALICE, "eu-west-1", recorder, None, "10.0.0.1", True),
    }
    for region in ("us-east-1", "eu-west-1"):
        owner = Caller(ALICE, region, recorder)
        call(sm, owner, "CreateSecret", Name="app/db", SecretString=VALUE, ClientRequestToken=V1)
    order = ["alice here", "alice here", "bob", "alice here", "alice elsewhere", "alice in eu"]
    order += ["alice here"]
    recorder.asked.clear()
    for who in order:
        got = call(sm, callers[who], "GetSecretValue", SecretId="app/db")
        assert got["SecretString"] == VALUE
    expected = [
        Asked(
            callers[who].principal.user_name,
            f"secretsmanager.{callers[who].region}.amazonaws.com",
            callers[who].region,
            callers[who].source_ip,
        )
        for who in order
    ]
    assert recorder.asked == expected  # one Decrypt per read, each as its caller


def test_kms_refusing_one_caller_refuses_only_that_caller(sm: SecretsManager) -> None:
    recorder = KmsRecorder(kms_refused={"bob"})
    alice = Caller(ALICE, "us-east-1", recorder, None, "10.0.0.1", True)
    bob = Caller(BOB, "us-east-1", recorder, None, "10.0.0.1", True)
    call(sm, alice, "CreateSecret", Name="app/db", SecretString=VALUE, ClientRequestToken=V1)
    for _ in range(2):
        assert call(sm, alice, "GetSecretValue", SecretId="app/db")["SecretString"] == VALUE
        with pytest.raises(AccessDeniedException):
            call(sm, bob, "GetSecretValue", SecretId="app/db")
    recorder.kms_refused.clear()  # KMS decides again on the next read: Bob now may
    assert call(sm, bob, "GetSecretValue", SecretId="app/db")["SecretString"] == VALUE


def test_each_read_asks_its_own_authorizer_even_an_equal_one(sm: SecretsManager) -> None:
    first, second = KmsRecorder(), KmsRecorder()
    assert first == second and first is not second
    owner = Caller(ALICE, "us-east-1", first)
    call(sm, owner, "CreateSecret", Name="app/db", SecretString=VALUE, ClientRequestToken=V1)
    for recorder in (first, second, first):
        recorder.asked.clear()
        call(sm, Caller(ALICE, "us-east-1", recorder), "GetSecretValue", SecretId="app/db")
        assert len(recorder.asked) == 1
