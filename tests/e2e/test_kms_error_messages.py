"""KMS alias errors in AWS's exact wording, through boto3.

Clients and tests compare these messages, so each is checked whole:
- a name without `alias/` (CreateAlias, UpdateAlias, DeleteAlias): ValidationException
  with AWS's message and link;
- a name under the reserved `alias/aws/`: NotAuthorizedException with no message on
  CreateAlias and UpdateAlias; DeleteAlias refuses it with KMSInvalidStateException; the
  AWS managed alias survives all three, still naming its key;
- a duplicate name: AlreadyExistsException naming the alias ARN; a missing alias:
  NotFoundException naming the alias ARN; an unknown key id: `Key '<key ARN>' does not
  exist`.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.e2e.harness import ACCOUNT_ID, REGION, ServerProcess
from tests.e2e.kms_support import error_of, new_key
from tests.e2e.managed_keys import managed_aliases

PREFIX_MESSAGE = (
    'Alias must start with the prefix "alias/". Please see '
    "https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html"
)
MANAGED_ALIAS = "alias/aws/secretsmanager"


def _name() -> str:
    return f"alias/msg-{uuid.uuid4().hex[:10]}"


def _arn(name: str) -> str:
    return f"arn:aws:kms:{REGION}:{ACCOUNT_ID}:{name}"


@pytest.mark.parametrize("name", ["wrongprefix/my-alias", "my-alias", "Alias/x", "aliases/x"])
def test_alias_without_the_prefix(kms: Any, name: str) -> None:
    key_id = new_key(kms)["KeyId"]
    expected = {"Code": "ValidationException", "Message": PREFIX_MESSAGE, "Status": 400}
    assert error_of(kms.create_alias, AliasName=name, TargetKeyId=key_id) == expected
    assert error_of(kms.update_alias, AliasName=name, TargetKeyId=key_id) == expected
    assert error_of(kms.delete_alias, AliasName=name) == expected
    assert kms.list_aliases(KeyId=key_id)["Aliases"] == []


def test_reserved_aliases_are_refused_and_survive(strongroom_server: ServerProcess) -> None:
    kms, sm = strongroom_server.client("kms"), strongroom_server.client("secretsmanager")
    sm.create_secret(Name=f"msg-{uuid.uuid4().hex[:10]}", SecretString="made by the test")
    [managed] = managed_aliases(kms, MANAGED_ALIAS)
    key_id = new_key(kms)["KeyId"]
    not_authorized = {"Code": "NotAuthorizedException", "Message": "", "Status": 400}
    for name in (MANAGED_ALIAS, "alias/aws/ebs", "alias/aws/custom"):
        assert error_of(kms.create_alias, AliasName=name, TargetKeyId=key_id) == not_authorized
        assert error_of(kms.update_alias, AliasName=name, TargetKeyId=key_id) == not_authorized
        assert error_of(kms.delete_alias, AliasName=name) == {
            "Code": "KMSInvalidStateException",
            "Message": f"The alias {name} is a AWS managed alias and cannot be deleted.",
            "Status": 400,
        }
    assert managed_aliases(kms, MANAGED_ALIAS) == [managed]
    assert kms.describe_key(KeyId=MANAGED_ALIAS)["KeyMetadata"]["KeyId"] == managed["TargetKeyId"]
    assert kms.list_aliases(KeyId=key_id)["Aliases"] == []


def test_duplicate_and_missing_aliases_and_keys(kms: Any) -> None:
    key_id = new_key(kms)["KeyId"]
    name, missing = _name(), _name()
    kms.create_alias(AliasName=name, TargetKeyId=key_id)
    assert error_of(kms.create_alias, AliasName=name, TargetKeyId=key_id) == {
        "Code": "AlreadyExistsException",
        "Message": f"An alias with the name {_arn(name)} already exists",
        "Status": 400,
    }
    not_found = {
        "Code": "NotFoundException",
        "Message": f"Alias {_arn(missing)} is not found.",
        "Status": 400,
    }
    assert error_of(kms.delete_alias, AliasName=missing) == not_found
    assert error_of(kms.update_alias, AliasName=missing, TargetKeyId=key_id) == not_found
    assert error_of(kms.describe_key, KeyId=missing) == not_found
    unknown = str(uuid.uuid4())
    no_key = {
        "Code": "NotFoundException",
        "Message": f"Key '{_arn('key/' + unknown)}' does not exist",
        "Status": 400,
    }
    assert error_of(kms.create_alias, AliasName=_name(), TargetKeyId=unknown) == no_key
    assert error_of(kms.update_alias, AliasName=name, TargetKeyId=unknown) == no_key
    assert kms.describe_key(KeyId=name)["KeyMetadata"]["KeyId"] == key_id
