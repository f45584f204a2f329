"""KMS grants through boto3 and the AWS CLI, as AWS KMS does them.

An IAM user with no permission on a key is refused, then allowed by a grant naming it,
for the grant's operations only and only while the request's encryption context meets
the grant's constraints; an explicit deny still refuses it. A grant naming a role serves
every session of it (whatever the role's path), one naming a session that session alone.
RetireGrant (by the retiring principal) and RevokeGrant (by whoever may kms:RevokeGrant
the key) end a grant at once. ListGrants and ListRetirableGrants answer AWS's shapes; a
Name makes CreateGrant idempotent; bad input gets AWS's error codes and changes nothing;
a restart keeps grants.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from typing import Any

import pytest

from tests.e2e.aws_cli import aws_json
from tests.e2e.harness import ACCOUNT_ID, ServerProcess
from tests.e2e.iam_support import client_of, deny, make_user, policy, trusting, user_arn
from tests.e2e.kms_support import error_of, new_key
from tests.e2e.own_regions import own_server

server = own_server("kms-grants")
ROOT = f"arn:aws:iam::{ACCOUNT_ID}:root"
BILLING = {"app": "billing"}


@pytest.fixture(scope="module")
def iam(server: ServerProcess) -> Any:
    return server.client("iam")


@pytest.fixture(scope="module")
def root_kms(server: ServerProcess) -> Any:
    return server.client("kms")


@pytest.fixture(scope="module")
def user(server: ServerProcess, iam: Any) -> Callable[[str], Any]:
    """`user(name)`: a KMS client of a new IAM user without any policy."""
    return lambda name: make_user(server, iam, name).client("kms")


def refused(call: Any, **kwargs: Any) -> str:
    error = error_of(call, **kwargs)
    assert error["Code"] == "AccessDeniedException", error
    return str(error["Message"])


def test_a_grant_lets_a_user_without_permission_decrypt_until_it_is_retired(
    user: Any, root_kms: Any
) -> None:
    grantee, retirer = user("grantee-1"), user("retirer-1")
    key = new_key(root_kms)  # the default key policy: IAM decides, and IAM allows nothing
    blob = root_kms.encrypt(KeyId=key["KeyId"], Plaintext=b"hers", EncryptionContext=BILLING)
    other = root_kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x", EncryptionContext={"app": "y"})
    message = refused(
        grantee.decrypt, CiphertextBlob=blob["CiphertextBlob"], EncryptionContext=BILLING
    )
    assert message == (
        f"User: {user_arn('grantee-1')} is not authorized to perform: kms:Decrypt on resource: "
        f"{key['Arn']} because no identity-based policy allows the kms:Decrypt action"
    )

    grant = root_kms.create_grant(
        KeyId=key["KeyId"],
        GranteePrincipal=user_arn("grantee-1"),
        RetiringPrincipal=user_arn("retirer-1"),
        Operations=["Decrypt", "DescribeKey"],
        Constraints={"EncryptionContextSubset": BILLING},
    )
    opened = grantee.decrypt(
        CiphertextBlob=blob["CiphertextBlob"],
        EncryptionContext=BILLING,
        GrantTokens=[grant["GrantToken"]],
    )
    assert opened["Plaintext"] == b"hers"
    assert grantee.describe_key(KeyId=key["Arn"])["KeyMetadata"]["KeyId"] == key["KeyId"]
    # the constraint is not met, and Encrypt is not granted
    refused(grantee.decrypt, CiphertextBlob=other["CiphertextBlob"], EncryptionContext={"app": "y"})
    refused(grantee.encrypt, KeyId=key["KeyId"], Plaintext=b"x", EncryptionContext=BILLING)
    # the grantee may not retire it (the grant does not allow RetireGrant); the retirer may
    refused(grantee.retire_grant, GrantToken=grant["GrantToken"])
    retirer.retire_grant(GrantToken=grant["GrantToken"])
    refused(grantee.decrypt, CiphertextBlob=blob["CiphertextBlob"], EncryptionContext=BILLING)
    assert root_kms.list_grants(KeyId=key["KeyId"])["Grants"] == []


def test_an_equals_constraint_needs_exactly_its_context(user: Any, root_kms: Any) -> None:
    grantee = user("grantee-2")
    key = new_key(root_kms)
    root_kms.create_grant(
        KeyId=key["Arn"],
        GranteePrincipal=user_arn("grantee-2"),
        Operations=["Encrypt", "GenerateDataKey"],
        Constraints={"EncryptionContextEquals": BILLING},
    )
    made = grantee.encrypt(KeyId=key["KeyId"], Plaintext=b"p", EncryptionContext=BILLING)
    assert made["KeyId"] == key["Arn"]
    grantee.generate_data_key(KeyId=key["KeyId"], KeySpec="AES_256", EncryptionContext=BILLING)
    more = {**BILLING, "env": "prod"}
    refused(grantee.encrypt, KeyId=key["KeyId"], Plaintext=b"p", EncryptionContext=more)
    refused(grantee.encrypt, KeyId=key["KeyId"], Plaintext=b"p")
    refused(
        grantee.encrypt, KeyId=key["KeyId"], Plaintext=b"p", EncryptionContext={"App": "billing"}
    )


def test_an_explicit_deny_beats_a_grant_and_revoke_ends_it(
    user: Any, iam: Any, root_kms: Any
) -> None:
    grantee = user("grantee-3")
    key = new_key(root_kms)
    grant_id = root_kms.create_grant(
        KeyId=key["KeyId"], GranteePrincipal=user_arn("grantee-3"), Operations=["Encrypt"]
    )["GrantId"]
    grantee.encrypt(KeyId=key["KeyId"], Plaintext=b"p")
    iam.put_user_policy(
        UserName="grantee-3",
        PolicyName="no-encrypt",
        PolicyDocument=policy(deny("kms:Encrypt")),
    )
    message = refused(grantee.encrypt, KeyId=key["KeyId"], Plaintext=b"p")
    assert message.endswith("with an explicit deny in an identity-based policy")
    iam.delete_user_policy(UserName="grantee-3", PolicyName="no-encrypt")
    grantee.encrypt(KeyId=key["KeyId"], Plaintext=b"p")
    # RevokeGrant needs kms:RevokeGrant on the key: the grantee has none, the root has
    refused(grantee.revoke_grant, KeyId=key["KeyId"], GrantId=grant_id)
    root_kms.revoke_grant(KeyId=key["KeyId"], GrantId=grant_id)
    refused(grantee.encrypt, KeyId=key["KeyId"], Plaintext=b"p")


def test_a_role_grant_serves_its_sessions_and_a_session_grant_one(
    server: ServerProcess, iam: Any, root_kms: Any
) -> None:
    assumer = make_user(server, iam, "assumer")
    role = iam.create_role(
        RoleName="grant-user", Path="/team/", AssumeRolePolicyDocument=trusting(assumer.arn)
    )["Role"]
    sts = assumer.client("sts")

    def session(name: str) -> Any:
        made = sts.assume_role(RoleArn=role["Arn"], RoleSessionName=name)["Credentials"]
        return client_of(server, "kms", made)

    one, two = session("one"), session("two")
    key = new_key(root_kms)
    refused(one.describe_key, KeyId=key["KeyId"])  # the role may do nothing
    assert role["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:role/team/grant-user"
    root_kms.create_grant(
        KeyId=key["KeyId"], GranteePrincipal=role["Arn"], Operations=["DescribeKey"]
    )
    assert one.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["Arn"] == key["Arn"]
    assert two.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["Arn"] == key["Arn"]
    root_kms.create_grant(
        KeyId=key["KeyId"],
        GranteePrincipal=f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/grant-user/one",
        Operations=["Encrypt"],
    )
    one.encrypt(KeyId=key["KeyId"], Plaintext=b"p")
    refused(two.encrypt, KeyId=key["KeyId"], Plaintext=b"p")


def test_list_grants_shapes_pages_and_a_named_grant_made_once(root_kms: Any) -> None:
    key = new_key(root_kms)
    params: dict[str, Any] = {
        "KeyId": key["KeyId"],
        "GranteePrincipal": user_arn("reader"),
        "RetiringPrincipal": user_arn("cleaner"),
        "Operations": ["Decrypt", "RetireGrant"],
        "Constraints": {"EncryptionContextEquals": BILLING},
        "Name": "reader-grant",
    }
    first = root_kms.create_grant(**params)
    again = root_kms.create_grant(**params)
    assert again["GrantId"] == first["GrantId"] and again["GrantToken"] != first["GrantToken"]
    others = [
        root_kms.create_grant(
            KeyId=key["KeyId"], GranteePrincipal=ROOT, Operations=["DescribeKey"]
        )["GrantId"]
        for _ in range(2)
    ]
    assert len(set(others)) == 2  # without a Name, each call makes a grant

    (entry,) = root_kms.list_grants(KeyId=key["KeyId"], GrantId=first["GrantId"])["Grants"]
    assert entry.pop("CreationDate").timestamp() > 0
    assert entry == {
        "KeyId": key["Arn"],
        "GrantId": first["GrantId"],
        "Name": "reader-grant",
        "GranteePrincipal": user_arn("reader"),
        "RetiringPrincipal": user_arn("cleaner"),
        "IssuingAccount": ROOT,
        "Operations": ["Decrypt", "RetireGrant"],
        "Constraints": {"EncryptionContextEquals": BILLING},
    }
    by_grantee = root_kms.list_grants(KeyId=key["Arn"], GranteePrincipal=ROOT)["Grants"]
    assert sorted(g["GrantId"] for g in by_grantee) == sorted(others)
    assert all("RetiringPrincipal" not in g and "Constraints" not in g for g in by_grantee)

    seen: list[str] = []
    page = root_kms.list_grants(KeyId=key["KeyId"], Limit=2)
    while True:
        seen += [g["GrantId"] for g in page["Grants"]]
        if not page["Truncated"]:
            assert "NextMarker" not in page
            break
        page = root_kms.list_grants(KeyId=key["KeyId"], Limit=2, Marker=page["NextMarker"])
    assert sorted(seen) == sorted([first["GrantId"], *others]) and len(seen) == 3
    paginated = root_kms.get_paginator("list_grants").paginate(
        KeyId=key["KeyId"], PaginationConfig={"PageSize": 1}
    )
    assert sum(len(p["Grants"]) for p in paginated) == 3

    retirable = root_kms.list_retirable_grants(RetiringPrincipal=user_arn("cleaner"))
    assert [g["GrantId"] for g in retirable["Grants"]] == [first["GrantId"]]
    assert retirable["Truncated"] is False


def test_bad_input_gets_aws_errors_and_makes_no_grant(server: ServerProcess, root_kms: Any) -> None:
    raw_kms = server.client("kms", validate=False)
    key = new_key(root_kms)
    signing = new_key(root_kms, KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")
    grantee = user_arn("nobody-in-particular")

    def error(client: Any = root_kms, **params: Any) -> dict[str, Any]:
        return error_of(
            client.create_grant, **{"KeyId": key["KeyId"], "GranteePrincipal": grantee, **params}
        )

    assert error(Operations=["Sign"])["Code"] == "ValidationException"
    only = error(Operations=["CreateGrant"])
    assert only["Message"] == "Grants must not contain only the CreateGrant operation."
    constrained = error(
        KeyId=signing["KeyId"],
        Operations=["Sign"],
        Constraints={"EncryptionContextSubset": BILLING},
    )
    assert constrained["Code"] == "ValidationException"
    assert error(Operations=["Decrypt"], GrantTokens=["not-a-token"])["Code"] == (
        "InvalidGrantTokenException"
    )
    assert (
        error(Operations=["Decrypt"], GranteePrincipal="someone")["Code"] == "InvalidArnException"
    )
    assert error(Operations=["Decrypt"], DryRun=True)["Code"] == "DryRunOperationException"
    assert error(raw_kms, Operations=["Bogus"])["Code"] == "ValidationException"
    assert root_kms.list_grants(KeyId=key["KeyId"])["Grants"] == []
    assert root_kms.list_grants(KeyId=signing["KeyId"])["Grants"] == []

    assert error_of(root_kms.revoke_grant, KeyId=key["KeyId"], GrantId="0" * 64)["Code"] == (
        "NotFoundException"
    )
    assert error_of(root_kms.revoke_grant, KeyId=key["KeyId"], GrantId="nope")["Code"] == (
        "InvalidGrantIdException"
    )
    assert error_of(root_kms.retire_grant, GrantToken="nope")["Code"] == (
        "InvalidGrantTokenException"
    )
    assert error_of(root_kms.retire_grant, KeyId=key["KeyId"])["Code"] == "ValidationException"
    assert error_of(root_kms.list_grants, KeyId=key["KeyId"], Marker="nope")["Code"] == (
        "InvalidMarkerException"
    )
    root_kms.disable_key(KeyId=key["KeyId"])
    assert error(Operations=["Decrypt"])["Code"] == "DisabledException"
    missing = error(KeyId="1234abcd-12ab-34cd-56ef-1234567890ab", Operations=["Decrypt"])
    assert missing["Code"] == "NotFoundException"


def test_grant_tokens_are_checked_wherever_a_request_carries_them(user: Any, root_kms: Any) -> None:
    grantee = user("grantee-tokens")
    key = new_key(root_kms)
    made = root_kms.create_grant(
        KeyId=key["KeyId"], GranteePrincipal=user_arn("grantee-tokens"), Operations=["Encrypt"]
    )
    blob = grantee.encrypt(KeyId=key["KeyId"], Plaintext=b"p", GrantTokens=[made["GrantToken"]])
    assert blob["KeyId"] == key["Arn"]
    for call, params in [
        (grantee.encrypt, {"KeyId": key["KeyId"], "Plaintext": b"p"}),
        (root_kms.decrypt, {"CiphertextBlob": blob["CiphertextBlob"]}),
        (root_kms.describe_key, {"KeyId": key["KeyId"]}),
    ]:
        error = error_of(call, GrantTokens=[made["GrantToken"], "not-a-token"], **params)
        assert error["Code"] == "InvalidGrantTokenException", error


@pytest.mark.skipif(shutil.which("aws") is None, reason="the AWS CLI is not installed")
def test_the_aws_cli_creates_and_lists_grants(server: ServerProcess, root_kms: Any) -> None:
    key = new_key(root_kms)
    made = aws_json(
        server,
        "kms",
        "create-grant",
        "--key-id",
        key["KeyId"],
        "--grantee-principal",
        user_arn("cli-user"),
        "--operations",
        "Decrypt",
        "Encrypt",
        "--constraints",
        "EncryptionContextSubset={app=cli}",
        "--name",
        "from-the-cli",
    )
    assert len(made["GrantId"]) == 64 and made["GrantToken"]
    listed = aws_json(server, "kms", "list-grants", "--key-id", key["Arn"])["Grants"]
    assert [(g["GrantId"], g["Name"], g["Operations"]) for g in listed] == [
        (made["GrantId"], "from-the-cli", ["Decrypt", "Encrypt"])
    ]
    assert listed[0]["Constraints"] == {"EncryptionContextSubset": {"app": "cli"}}
    aws_json(server, "kms", "retire-grant", "--grant-token", made["GrantToken"])
    assert aws_json(server, "kms", "list-grants", "--key-id", key["Arn"])["Grants"] == []


def test_a_restart_keeps_grants(start_server: Any, tmp_path: Any) -> None:
    data_dir = tmp_path / "grants"
    first = start_server(data_dir)
    iam = first.client("iam")
    survivor = make_user(first, iam, "survivor")
    key_id = new_key(first.client("kms"))["KeyId"]
    blob = first.client("kms").encrypt(KeyId=key_id, Plaintext=b"kept")["CiphertextBlob"]
    grant = first.client("kms").create_grant(
        KeyId=key_id, GranteePrincipal=user_arn("survivor"), Operations=["Decrypt"]
    )
    first.stop()

    second = start_server(data_dir)
    kms = second.client("kms")
    assert [g["GrantId"] for g in kms.list_grants(KeyId=key_id)["Grants"]] == [grant["GrantId"]]
    restarted_grantee = client_of(second, "kms", survivor.key)
    assert restarted_grantee.decrypt(CiphertextBlob=blob)["Plaintext"] == b"kept"
    kms.retire_grant(GrantToken=grant["GrantToken"])
    refused(restarted_grantee.decrypt, CiphertextBlob=blob)
