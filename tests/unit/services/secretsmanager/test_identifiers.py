"""How a SecretId names a secret: by name, full ARN or partial ARN, always within the
caller's own partition, account and region.

AWS's rules (docs/secretsmanager-semantics.md, "Secret identifiers"): a name is taken as
it is; an ARN whose resource ends in `-` and six letters or digits is a full ARN, and its
suffix must match the secret's; any other ARN is a partial one naming the secret; an ARN of
another partition, service, account, region or resource type names nothing here
(ResourceNotFoundException); a name outside the alphabet is a ValidationException.
"""

from __future__ import annotations

import pytest

from strongroom.barrier import Barrier, View
from strongroom.clock import Clock
from strongroom.crypto import system_random
from strongroom.errors import ResourceNotFoundException, ValidationException
from strongroom.identity import Principal
from strongroom.keystores import SoftwareKeyStore
from strongroom.services import kms as kms_service
from strongroom.services import secretsmanager as sm_service
from strongroom.services.caller import AllowAuthenticated, Caller
from strongroom.services.secretsmanager.records import SecretRecord
from strongroom.services.secretsmanager.service import (
    NOT_FOUND,
    SecretsManager,
    find_secret,
)
from strongroom.storage.memory import MemoryStorage

ACCOUNT = "111122223333"
REGION = "us-east-1"
CALLER = Caller(Principal("AKIAIOSFODNN7EXAMPLE", ACCOUNT, "alice"), REGION, AllowAuthenticated())
BASE = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:"


def record(name: str, suffix: str, number: int, region: str = REGION) -> SecretRecord:
    return SecretRecord(
        secret_id=f"{number:032x}",
        name=name,
        account=ACCOUNT,
        region=region,
        partition="aws-cn" if region.startswith("cn-") else "aws",
        suffix=suffix,
        created=1_700_000_000.0,
        last_changed=1_700_000_000.0,
    )


@pytest.fixture
def sm() -> SecretsManager:
    """Secrets Manager holding `app/db` (suffix Ab12Cd), `db-abcdef` (a name that ends like
    a suffix, its own suffix Zz99Yy), `db` (suffix abcdef) and `cn/db` in cn-north-1."""
    barrier = Barrier(MemoryStorage())
    barrier.initialize(bytes(range(32)))
    store = SoftwareKeyStore(View(barrier, "keystores/software/"))
    kms = kms_service.plugin(barrier, {"software": store}, Clock(), system_random)
    context = sm_service.plugin(barrier, kms, Clock(), system_random).context
    assert isinstance(context, SecretsManager)
    for number, (name, suffix) in enumerate(
        [("app/db", "Ab12Cd"), ("db-abcdef", "Zz99Yy"), ("db", "abcdef")]
    ):
        context.repository.add(record(name, suffix, number))
    context.repository.add(record("cn/db", "Qq11Ww", 9, region="cn-north-1"))
    return context


def found(sm: SecretsManager, secret_id: str, caller: Caller = CALLER) -> str:
    """The ARN of the secret `secret_id` resolves to."""
    return find_secret(sm, caller, secret_id).arn


def not_found(sm: SecretsManager, secret_id: str, caller: Caller = CALLER) -> None:
    with pytest.raises(ResourceNotFoundException) as info:
        find_secret(sm, caller, secret_id)
    assert info.value.message == NOT_FOUND


# --- how an id is read ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("secret_id", "expected"),
    [
        ("app/db", "app/db-Ab12Cd"),
        ("db-abcdef", "db-abcdef-Zz99Yy"),  # a name is never split
        ("db", "db-abcdef"),
        (BASE + "app/db-Ab12Cd", "app/db-Ab12Cd"),
        (BASE + "app/db", "app/db-Ab12Cd"),
        (BASE + "db-abcdef-Zz99Yy", "db-abcdef-Zz99Yy"),
        (BASE + "db-abcdef", "db-abcdef"),  # AWS reads it as the full ARN of `db`
        (BASE + "db", "db-abcdef"),
        (BASE + "-abcdef", None),  # no name before it: a partial ARN of "-abcdef"
        (BASE + "app/db-Ab12C", None),  # five characters: the partial ARN of that name
        (BASE + "app/db-Ab12C_", None),  # not a letter or digit: the same
        (BASE + "app/db-Xy34Zw", None),  # another suffix: a re-created secret's old ARN
        (BASE + "app/db-ab12cd", None),  # suffixes are case-sensitive
    ],
)
def test_which_secret_an_id_names(sm: SecretsManager, secret_id: str, expected: str | None) -> None:
    if expected is None:
        not_found(sm, secret_id)
    else:
        assert found(sm, secret_id) == BASE + expected


@pytest.mark.parametrize(
    "secret_id",
    [
        f"arn:aws-cn:secretsmanager:{REGION}:{ACCOUNT}:secret:app/db-Ab12Cd",
        f"arn:aws:secretsmanager:us-west-2:{ACCOUNT}:secret:app/db-Ab12Cd",
        f"arn:aws:secretsmanager:{REGION}:444455556666:secret:app/db-Ab12Cd",
        f"arn:aws:ssm:{REGION}:{ACCOUNT}:secret:app/db-Ab12Cd",
        f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:parameter:app/db-Ab12Cd",
        f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:",
        f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret",
        "arn:aws:secretsmanager",
        "arn:",
    ],
    ids=[
        "partition",
        "region",
        "account",
        "service",
        "resource type",
        "no resource",
        "no resource part",
        "truncated",
        "bare arn",
    ],
)
def test_an_arn_outside_the_callers_namespace_names_nothing(
    sm: SecretsManager, secret_id: str
) -> None:
    not_found(sm, secret_id)


@pytest.mark.parametrize("name", ["bad name", "semi;colon", "tab\there", "ümlaut", "a*", ""])
def test_a_name_outside_the_alphabet_is_a_validation_error(sm: SecretsManager, name: str) -> None:
    with pytest.raises(ValidationException, match="Invalid name"):
        find_secret(sm, CALLER, name)


def test_a_lenient_lookup_finds_no_secret_under_a_bad_name(sm: SecretsManager) -> None:
    """The resource-policy operations answer not found, not a validation error."""
    with pytest.raises(ResourceNotFoundException):
        find_secret(sm, CALLER, "bad name", strict=False)
    assert find_secret(sm, CALLER, "app/db", strict=False).arn == BASE + "app/db-Ab12Cd"


# --- find_secret ---------------------------------------------------------------------


def test_a_name_a_full_arn_and_a_partial_arn_find_the_same_secret(sm: SecretsManager) -> None:
    arn = BASE + "app/db-Ab12Cd"
    assert found(sm, "app/db") == arn
    assert found(sm, arn) == arn
    assert found(sm, BASE + "app/db") == arn


def test_names_are_case_sensitive_and_whole(sm: SecretsManager) -> None:
    not_found(sm, "App/db")
    not_found(sm, "app/d")
    not_found(sm, "app/db/")
    not_found(sm, BASE + "app/d")


def test_a_name_that_ends_like_a_suffix(sm: SecretsManager) -> None:
    """By name and by full ARN it is found; as a partial ARN AWS reads it as the full ARN
    of `db` with suffix `abcdef`."""
    assert found(sm, "db-abcdef") == BASE + "db-abcdef-Zz99Yy"
    assert found(sm, BASE + "db-abcdef-Zz99Yy") == BASE + "db-abcdef-Zz99Yy"
    assert found(sm, BASE + "db-abcdef") == BASE + "db-abcdef"  # the secret `db`


def test_the_caller_region_picks_the_namespace_and_partition(sm: SecretsManager) -> None:
    china = Caller(CALLER.principal, "cn-north-1", AllowAuthenticated())
    arn = f"arn:aws-cn:secretsmanager:cn-north-1:{ACCOUNT}:secret:cn/db-Qq11Ww"
    assert found(sm, "cn/db", china) == arn
    assert found(sm, arn, china) == arn
    not_found(sm, arn.replace("arn:aws-cn:", "arn:aws:"), china)
    not_found(sm, "cn/db")
    not_found(sm, arn)
    not_found(sm, "app/db", china)


def test_a_secret_scheduled_for_deletion_still_resolves(sm: SecretsManager) -> None:
    doomed = sm.repository.load(ACCOUNT, REGION, "app/db")
    assert doomed is not None
    doomed.deleted_date, doomed.deletion_date = 1_700_000_000.0, 1_700_604_800.0
    sm.repository.save(doomed)
    assert found(sm, "app/db") == BASE + "app/db-Ab12Cd"
