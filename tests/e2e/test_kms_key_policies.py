"""KMS key policies enforced as AWS enforces them, through boto3 and the AWS CLI.

A key is usable only if its key policy allows the caller directly, or allows the account
(the default policy) and the caller's IAM policies then allow; not even the account root
may use a key whose policy leaves it out. PutKeyPolicy refuses a policy that would lock
its author out unless BypassPolicyLockoutSafetyCheck is given. Conditions read the
request: encryption context, source address, the service acting for the caller; and the
key: its aliases as they are at that moment (`kms:ResourceAliases`). AWS managed keys are
usable only through their service.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from tests.e2e.aws_cli import aws_error
from tests.e2e.harness import ACCOUNT_ID, ServerProcess
from tests.e2e.iam_support import allow, deny, make_user, policy, user_arn
from tests.e2e.kms_support import error_of
from tests.e2e.own_regions import own_server

server = own_server("kms-key-policies")
ROOT = f"arn:aws:iam::{ACCOUNT_ID}:root"


def grant(principal: str, action: str | list[str], **extra: Any) -> dict[str, Any]:
    """A key policy statement allowing `principal` (an ARN) `action` on the key."""
    return allow(action, Principal={"AWS": principal}, **extra)


ACCOUNT_ADMIN = grant(ROOT, "kms:*")


@pytest.fixture(scope="module")
def iam(server: ServerProcess) -> Any:
    return server.client("iam")


@pytest.fixture(scope="module")
def root_kms(server: ServerProcess) -> Any:
    return server.client("kms")


@pytest.fixture(scope="module")
def user(server: ServerProcess, iam: Any) -> Callable[[str], Callable[[str], Any]]:
    """`user(name)` creates the user and an access key; `user(name)(service)` is a client."""
    return lambda name: make_user(server, iam, name).client


def test_a_key_policy_naming_a_user_is_enough_and_leaves_out_everyone_else(
    user: Any, iam: Any, root_kms: Any
) -> None:
    alice = user("alice")("kms")
    bob = user("bob")("kms")
    iam.put_user_policy(
        UserName="bob",
        PolicyName="all-kms",
        PolicyDocument=policy(allow("kms:*")),
    )
    key = root_kms.create_key(
        Policy=policy(grant(user_arn("alice"), ["kms:Encrypt", "kms:Decrypt"])),
        BypassPolicyLockoutSafetyCheck=True,
    )["KeyMetadata"]
    blob = alice.encrypt(KeyId=key["KeyId"], Plaintext=b"hers")["CiphertextBlob"]
    assert alice.decrypt(CiphertextBlob=blob)["Plaintext"] == b"hers"
    refused = error_of(bob.decrypt, CiphertextBlob=blob)
    assert refused["Code"] == "AccessDeniedException"
    assert refused["Message"] == (
        f"User: {user_arn('bob')} is not authorized to perform: kms:Decrypt on resource: "
        f"{key['Arn']} because no resource-based policy allows the kms:Decrypt action"
    )
    # not even the account root: the policy does not name the account
    root_refused = error_of(root_kms.decrypt, CiphertextBlob=blob)
    assert root_refused["Code"] == "AccessDeniedException"
    assert root_refused["Message"].startswith(f"User: {ROOT} is not authorized")
    assert error_of(root_kms.get_key_policy, KeyId=key["KeyId"])["Code"] == (
        "AccessDeniedException"
    )
    assert error_of(alice.describe_key, KeyId=key["KeyId"])["Code"] == "AccessDeniedException"


def test_the_default_policy_delegates_to_iam(user: Any, iam: Any, root_kms: Any) -> None:
    key = root_kms.create_key()["KeyMetadata"]
    carol = user("carol")("kms")
    refused = error_of(carol.encrypt, KeyId=key["KeyId"], Plaintext=b"x")
    assert refused["Message"].endswith(
        "because no identity-based policy allows the kms:Encrypt action"
    )
    iam.put_user_policy(
        UserName="carol",
        PolicyName="encrypt",
        PolicyDocument=policy(allow("kms:Encrypt", key["Arn"])),
    )
    assert carol.encrypt(KeyId=key["KeyId"], Plaintext=b"x")["KeyId"] == key["Arn"]
    # an explicit deny in the key policy beats the IAM allow
    root_kms.put_key_policy(
        KeyId=key["KeyId"],
        PolicyName="default",
        Policy=policy(
            ACCOUNT_ADMIN,
            deny("kms:Encrypt", Principal={"AWS": user_arn("carol")}),
        ),
    )
    denied = error_of(carol.encrypt, KeyId=key["KeyId"], Plaintext=b"x")
    assert denied["Message"].endswith("with an explicit deny in a resource-based policy")


def test_put_key_policy_refuses_to_lock_its_author_out(root_kms: Any) -> None:
    key = root_kms.create_key()["KeyMetadata"]
    before = root_kms.get_key_policy(KeyId=key["KeyId"])["Policy"]
    lockout = policy(grant(user_arn("somebody-else"), "kms:*"))
    refused = error_of(root_kms.put_key_policy, KeyId=key["KeyId"], Policy=lockout)
    assert refused["Code"] == "MalformedPolicyDocumentException"
    assert refused["Message"] == (
        "The new key policy will not allow you to update the key policy in the future."
    )
    assert root_kms.get_key_policy(KeyId=key["KeyId"])["Policy"] == before
    malformed = error_of(
        root_kms.put_key_policy,
        KeyId=key["KeyId"],
        Policy=json.dumps({"Statement": [{"Effect": "Allow", "Action": "kms:*"}]}),
    )
    assert malformed["Code"] == "MalformedPolicyDocumentException"
    assert root_kms.get_key_policy(KeyId=key["KeyId"])["Policy"] == before
    # the same lockout at creation
    created = error_of(root_kms.create_key, Policy=lockout)
    assert created["Code"] == "MalformedPolicyDocumentException"
    # with the bypass, the root really locks itself out
    root_kms.put_key_policy(KeyId=key["KeyId"], Policy=lockout, BypassPolicyLockoutSafetyCheck=True)
    assert error_of(root_kms.get_key_policy, KeyId=key["KeyId"])["Code"] == (
        "AccessDeniedException"
    )


def test_conditions_read_the_encryption_context_and_the_source_address(
    server: ServerProcess, root_kms: Any
) -> None:
    only_backups = policy(
        grant(ROOT, ["kms:DescribeKey", "kms:PutKeyPolicy", "kms:GetKeyPolicy"]),
        grant(
            ROOT,
            ["kms:Encrypt", "kms:Decrypt"],
            Condition={"StringEquals": {"kms:EncryptionContext:purpose": "backup"}},
        ),
    )
    key = root_kms.create_key(Policy=only_backups)["KeyMetadata"]
    context = {"purpose": "backup"}
    blob = root_kms.encrypt(KeyId=key["KeyId"], Plaintext=b"b", EncryptionContext=context)[
        "CiphertextBlob"
    ]
    assert root_kms.decrypt(CiphertextBlob=blob, EncryptionContext=context)["Plaintext"] == b"b"
    other = error_of(
        root_kms.encrypt, KeyId=key["KeyId"], Plaintext=b"b", EncryptionContext={"purpose": "x"}
    )
    assert other["Code"] == "AccessDeniedException"
    assert error_of(root_kms.encrypt, KeyId=key["KeyId"], Plaintext=b"b")["Code"] == (
        "AccessDeniedException"
    )
    # a deny on any address outside 10.0.0.0/8: this client is 127.0.0.1
    root_kms.put_key_policy(
        KeyId=key["KeyId"],
        Policy=policy(
            ACCOUNT_ADMIN,
            deny(
                "kms:Encrypt",
                Principal="*",
                Condition={"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
            ),
        ),
    )
    denied = error_of(root_kms.encrypt, KeyId=key["KeyId"], Plaintext=b"b")
    assert denied["Message"].endswith("with an explicit deny in a resource-based policy")
    # the AWS CLI is refused alike
    stderr = aws_error(server, "kms", "encrypt", "--key-id", key["KeyId"], "--plaintext", "YQ==")
    assert "AccessDeniedException" in stderr


def test_a_key_usable_only_through_secrets_manager(user: Any, iam: Any, root_kms: Any) -> None:
    dave = user("dave")
    iam.put_user_policy(
        UserName="dave",
        PolicyName="secrets",
        PolicyDocument=policy(allow("secretsmanager:*"), allow("kms:*")),
    )
    key = root_kms.create_key(
        Policy=policy(
            ACCOUNT_ADMIN,
            deny(
                ["kms:Decrypt", "kms:GenerateDataKey*"],
                Principal={"AWS": user_arn("dave")},
                Condition={
                    "StringNotEquals": {"kms:ViaService": "secretsmanager.us-east-1.amazonaws.com"}
                },
            ),
        )
    )["KeyMetadata"]
    secrets = dave("secretsmanager")
    secrets.create_secret(Name="dave-secret", SecretString="s3cret", KmsKeyId=key["Arn"])
    assert secrets.get_secret_value(SecretId="dave-secret")["SecretString"] == "s3cret"
    direct = error_of(dave("kms").generate_data_key, KeyId=key["KeyId"], KeySpec="AES_256")
    assert direct["Code"] == "AccessDeniedException"
    assert direct["Message"].endswith("with an explicit deny in a resource-based policy")


def test_an_aws_managed_key_is_usable_only_through_its_service(
    server: ServerProcess, root_kms: Any
) -> None:
    secrets = server.client("secretsmanager")
    secrets.create_secret(Name="managed-key-secret", SecretString="v")  # makes aws/secretsmanager
    described = root_kms.describe_key(KeyId="alias/aws/secretsmanager")["KeyMetadata"]
    assert described["KeyManager"] == "AWS"
    refused = error_of(root_kms.encrypt, KeyId="alias/aws/secretsmanager", Plaintext=b"x")
    assert refused["Code"] == "AccessDeniedException"
    assert secrets.get_secret_value(SecretId="managed-key-secret")["SecretString"] == "v"


def test_an_alias_condition_follows_the_keys_aliases_at_once(
    server: ServerProcess, iam: Any, root_kms: Any
) -> None:
    """A user may encrypt only with keys that have an alias alias/project-alpha...:
    creating, moving or deleting an alias changes the very next decision."""
    alpha_only = allow(
        "kms:Encrypt",
        Condition={"ForAnyValue:StringLike": {"kms:ResourceAliases": "alias/project-alpha*"}},
    )
    erin = make_user(server, iam, "erin", alpha_only).client("kms")
    first = root_kms.create_key()["KeyMetadata"]
    second = root_kms.create_key()["KeyMetadata"]
    root_kms.create_alias(AliasName="alias/project-beta", TargetKeyId=second["KeyId"])

    def refused(key: dict[str, Any]) -> None:
        error = error_of(erin.encrypt, KeyId=key["KeyId"], Plaintext=b"x")
        assert error["Code"] == "AccessDeniedException"
        assert error["Message"] == (
            f"User: {user_arn('erin')} is not authorized to perform: kms:Encrypt on resource: "
            f"{key['Arn']} because no identity-based policy allows the kms:Encrypt action"
        )

    def allowed(key: dict[str, Any]) -> None:
        assert erin.encrypt(KeyId=key["KeyId"], Plaintext=b"x")["KeyId"] == key["Arn"]

    refused(first)  # no alias at all
    root_kms.create_alias(AliasName="alias/project-alpha-data", TargetKeyId=first["KeyId"])
    allowed(first)
    refused(second)  # its alias does not match
    by_alias = erin.encrypt(KeyId="alias/project-alpha-data", Plaintext=b"x")
    assert by_alias["KeyId"] == first["Arn"]
    root_kms.update_alias(AliasName="alias/project-alpha-data", TargetKeyId=second["KeyId"])
    refused(first)
    allowed(second)
    root_kms.delete_alias(AliasName="alias/project-alpha-data")
    refused(second)
    refused(first)
