"""Encrypt, Decrypt, ReEncrypt, data keys and random bytes through boto3."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.kms_support import error_of, new_key

CONTEXT = {"tenant": "acme", "purpose": "invoices"}


@pytest.fixture
def key(kms: Any) -> dict[str, Any]:
    return new_key(kms)


@pytest.mark.parametrize("size", [1, 32, 4096])
def test_round_trip_without_key_id(kms: Any, key: dict[str, Any], size: int) -> None:
    plaintext = (b"strongroom-plaintext-" * 200)[:size]
    encrypted = kms.encrypt(KeyId=key["KeyId"], Plaintext=plaintext)
    assert encrypted["KeyId"] == key["Arn"]
    assert encrypted["EncryptionAlgorithm"] == "SYMMETRIC_DEFAULT"
    if size >= 16:
        assert plaintext not in encrypted["CiphertextBlob"]
    decrypted = kms.decrypt(CiphertextBlob=encrypted["CiphertextBlob"])
    assert decrypted["Plaintext"] == plaintext
    assert decrypted["KeyId"] == key["Arn"]


def test_same_plaintext_gives_different_ciphertexts(kms: Any, key: dict[str, Any]) -> None:
    blobs = {kms.encrypt(KeyId=key["KeyId"], Plaintext=b"same")["CiphertextBlob"] for _ in range(3)}
    assert len(blobs) == 3


def test_plaintext_over_4096_bytes_is_refused(raw_kms: Any, key: dict[str, Any]) -> None:
    error = error_of(raw_kms.encrypt, KeyId=key["KeyId"], Plaintext=b"x" * 4097)
    assert error["Code"] == "ValidationException"
    assert "4096" in error["Message"]
    assert "xxxx" not in error["Message"]
    error = error_of(raw_kms.encrypt, KeyId=key["KeyId"], Plaintext=b"")
    assert error["Code"] == "ValidationException"


def test_encryption_context_is_bound(kms: Any, key: dict[str, Any]) -> None:
    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"ctx", EncryptionContext=CONTEXT)[
        "CiphertextBlob"
    ]
    reordered = dict(reversed(list(CONTEXT.items())))
    assert kms.decrypt(CiphertextBlob=blob, EncryptionContext=reordered)["Plaintext"] == b"ctx"
    wrong_contexts: list[dict[str, str] | None] = [
        None,
        {"tenant": "acme"},
        {**CONTEXT, "extra": "pair"},
        {**CONTEXT, "tenant": "other"},
        {"Tenant": "acme", "purpose": "invoices"},
    ]
    for context in wrong_contexts:
        kwargs = {} if context is None else {"EncryptionContext": context}
        error = error_of(kms.decrypt, CiphertextBlob=blob, **kwargs)
        assert error["Code"] == "InvalidCiphertextException"
    plain_blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"none")["CiphertextBlob"]
    error = error_of(kms.decrypt, CiphertextBlob=plain_blob, EncryptionContext={"a": "b"})
    assert error["Code"] == "InvalidCiphertextException"


def test_every_tampered_byte_is_detected(kms: Any, key: dict[str, Any]) -> None:
    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"tamper me")["CiphertextBlob"]
    for index in range(len(blob)):
        tampered = bytearray(blob)
        tampered[index] ^= 0x01
        error = error_of(kms.decrypt, CiphertextBlob=bytes(tampered))
        # a flipped bit in the key id may name a key that does not exist: same answer
        assert error["Code"] == "InvalidCiphertextException", index
        assert error["Message"] == ""
    for cut in (blob[:-1], blob[:20], blob + b"\x00"):
        assert error_of(kms.decrypt, CiphertextBlob=cut)["Code"] == "InvalidCiphertextException"


def test_decrypt_with_wrong_key_id_is_incorrect_key(kms: Any, key: dict[str, Any]) -> None:
    other = new_key(kms)
    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"mine")["CiphertextBlob"]
    error = error_of(kms.decrypt, CiphertextBlob=blob, KeyId=other["KeyId"])
    assert error["Code"] == "IncorrectKeyException"
    assert kms.decrypt(CiphertextBlob=blob, KeyId=key["Arn"])["Plaintext"] == b"mine"


def test_disabled_and_pending_deletion_keys_refuse_cryptography(kms: Any) -> None:
    key = new_key(kms)
    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"later")["CiphertextBlob"]
    kms.disable_key(KeyId=key["KeyId"])
    for call, kwargs in (
        (kms.encrypt, {"KeyId": key["KeyId"], "Plaintext": b"x"}),
        (kms.decrypt, {"CiphertextBlob": blob}),
        (kms.generate_data_key, {"KeyId": key["KeyId"], "KeySpec": "AES_256"}),
    ):
        assert error_of(call, **kwargs)["Code"] == "DisabledException"
    kms.enable_key(KeyId=key["KeyId"])
    kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
    assert error_of(kms.decrypt, CiphertextBlob=blob)["Code"] == "KMSInvalidStateException"
    kms.cancel_key_deletion(KeyId=key["KeyId"])
    kms.enable_key(KeyId=key["KeyId"])
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"later"


def test_re_encrypt_moves_ciphertext_between_keys_and_contexts(
    kms: Any, key: dict[str, Any]
) -> None:
    destination = new_key(kms)
    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"move", EncryptionContext=CONTEXT)[
        "CiphertextBlob"
    ]
    moved = kms.re_encrypt(
        CiphertextBlob=blob,
        SourceEncryptionContext=CONTEXT,
        DestinationKeyId=destination["KeyId"],
        DestinationEncryptionContext={"new": "ctx"},
    )
    assert moved["SourceKeyId"] == key["Arn"]
    assert moved["KeyId"] == destination["Arn"]
    assert moved["SourceEncryptionAlgorithm"] == "SYMMETRIC_DEFAULT"
    decrypted = kms.decrypt(
        CiphertextBlob=moved["CiphertextBlob"], EncryptionContext={"new": "ctx"}
    )
    assert decrypted["Plaintext"] == b"move"
    assert decrypted["KeyId"] == destination["Arn"]
    error = error_of(kms.re_encrypt, CiphertextBlob=blob, DestinationKeyId=destination["KeyId"])
    assert error["Code"] == "InvalidCiphertextException"


@pytest.mark.parametrize(("spec", "length"), [("AES_256", 32), ("AES_128", 16)])
def test_generate_data_key_by_spec(kms: Any, key: dict[str, Any], spec: str, length: int) -> None:
    data_key = kms.generate_data_key(KeyId=key["KeyId"], KeySpec=spec, EncryptionContext=CONTEXT)
    assert len(data_key["Plaintext"]) == length
    assert data_key["KeyId"] == key["Arn"]
    opened = kms.decrypt(CiphertextBlob=data_key["CiphertextBlob"], EncryptionContext=CONTEXT)
    assert opened["Plaintext"] == data_key["Plaintext"]


def test_generate_data_key_by_length_and_without_plaintext(kms: Any, key: dict[str, Any]) -> None:
    data_key = kms.generate_data_key(KeyId=key["KeyId"], NumberOfBytes=64)
    assert len(data_key["Plaintext"]) == 64
    hidden = kms.generate_data_key_without_plaintext(KeyId=key["KeyId"], KeySpec="AES_256")
    assert "Plaintext" not in hidden
    assert len(kms.decrypt(CiphertextBlob=hidden["CiphertextBlob"])["Plaintext"]) == 32


def test_generate_data_key_needs_exactly_one_size(raw_kms: Any, key: dict[str, Any]) -> None:
    assert error_of(raw_kms.generate_data_key, KeyId=key["KeyId"])["Code"] == "ValidationException"
    error = error_of(
        raw_kms.generate_data_key, KeyId=key["KeyId"], KeySpec="AES_256", NumberOfBytes=32
    )
    assert error["Code"] == "ValidationException"
    error = error_of(raw_kms.generate_data_key, KeyId=key["KeyId"], NumberOfBytes=1025)
    assert error["Code"] == "ValidationException"


def test_generate_random(kms: Any, raw_kms: Any) -> None:
    values = {kms.generate_random(NumberOfBytes=32)["Plaintext"] for _ in range(4)}
    assert len(values) == 4 and all(len(v) == 32 for v in values)
    assert len(kms.generate_random(NumberOfBytes=1024)["Plaintext"]) == 1024
    for bad in (0, 1025):
        assert error_of(raw_kms.generate_random, NumberOfBytes=bad)["Code"] == (
            "ValidationException"
        )


def test_encrypt_through_alias(kms: Any, key: dict[str, Any]) -> None:
    kms.create_alias(AliasName=f"alias/crypto-{key['KeyId'][:8]}", TargetKeyId=key["KeyId"])
    blob = kms.encrypt(KeyId=f"alias/crypto-{key['KeyId'][:8]}", Plaintext=b"a")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=blob)["KeyId"] == key["Arn"]


def test_ciphertext_from_another_region_does_not_decrypt(strongroom_server: Any) -> None:
    east = strongroom_server.client("kms", region_name="us-east-1")
    west = strongroom_server.client("kms", region_name="us-west-2")
    blob = east.encrypt(KeyId=new_key(east)["KeyId"], Plaintext=b"east")["CiphertextBlob"]
    assert error_of(west.decrypt, CiphertextBlob=blob)["Code"] == "InvalidCiphertextException"


def test_oversized_encryption_context_is_refused(kms: Any, key: dict[str, Any]) -> None:
    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x")["CiphertextBlob"]
    huge = {"a": "v" * 70_000}
    for call, kwargs in (
        (kms.decrypt, {"CiphertextBlob": blob, "EncryptionContext": huge}),
        (kms.encrypt, {"KeyId": key["KeyId"], "Plaintext": b"x", "EncryptionContext": huge}),
        (
            kms.re_encrypt,
            {
                "CiphertextBlob": blob,
                "DestinationKeyId": key["KeyId"],
                "SourceEncryptionContext": huge,
            },
        ),
    ):
        assert error_of(call, **kwargs)["Code"] == "ValidationException"


def test_on_demand_rotation_keeps_the_automatic_schedule(kms: Any, key: dict[str, Any]) -> None:
    kms.enable_key_rotation(KeyId=key["KeyId"], RotationPeriodInDays=90)
    before = kms.get_key_rotation_status(KeyId=key["KeyId"])["NextRotationDate"]
    kms.rotate_key_on_demand(KeyId=key["KeyId"])
    assert kms.get_key_rotation_status(KeyId=key["KeyId"])["NextRotationDate"] == before
