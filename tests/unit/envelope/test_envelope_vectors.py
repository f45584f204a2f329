"""Golden vectors (tests/vectors/envelope): every stored message still decrypts, and the
known-answer messages are re-created byte for byte, so the format never drifts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from tests.random_sources import counter_random

import strongroom_envelope
from strongroom_envelope import (
    CommitmentPolicy,
    RawAesKeyring,
    RawRsaKeyring,
    decrypt,
    encrypt,
    randomness,
)

VECTORS = Path(__file__).parents[2] / "vectors" / "envelope"
MANIFEST = json.loads((VECTORS / "manifest.json").read_text())
PLAINTEXT = (VECTORS / MANIFEST["plaintext"]).read_bytes()
AES_KEY = bytes.fromhex((VECTORS / MANIFEST["aes_key"]).read_text().strip())
NAMESPACE = MANIFEST["key_namespace"]


def _keyrings() -> dict[str, Any]:
    private = serialization.load_pem_private_key(
        (VECTORS / MANIFEST["rsa_private_key"]).read_bytes(), None
    )
    assert isinstance(private, rsa.RSAPrivateKey)
    return {
        "aes": RawAesKeyring(NAMESPACE, "aes-key", AES_KEY),
        "rsa": RawRsaKeyring(NAMESPACE, "rsa-key", private_key=private),
    }


@pytest.mark.parametrize("vector", MANIFEST["vectors"], ids=lambda v: v["file"])
def test_vector_decrypts(vector: dict[str, Any]) -> None:
    message = (VECTORS / vector["file"]).read_bytes()
    policy = CommitmentPolicy.REQUIRE_ENCRYPT_ALLOW_DECRYPT
    result = decrypt(message, _keyrings()[vector["keyring"]], commitment_policy=policy)
    assert result.plaintext == PLAINTEXT[: vector.get("plaintext_length", len(PLAINTEXT))]
    assert result.info.suite.suite_id == vector["suite"]
    for key, value in MANIFEST["encryption_context"].items():
        assert result.encryption_context[key] == value


def test_all_suites_are_covered() -> None:
    covered = {v["suite"] for v in MANIFEST["vectors"]}
    assert covered == set(strongroom_envelope.ALGORITHM_SUITES)


@pytest.mark.parametrize(
    "vector", [v for v in MANIFEST["vectors"] if "kat_seed" in v], ids=lambda v: v["file"]
)
def test_known_answer_messages_are_recreated_exactly(
    vector: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(randomness, "random_bytes", counter_random(vector["kat_seed"].encode()))
    message = encrypt(
        PLAINTEXT[: vector["plaintext_length"]],
        _keyrings()["aes"],
        encryption_context=MANIFEST["encryption_context"],
        suite=strongroom_envelope.ALGORITHM_SUITES[vector["suite"]],
        frame_length=vector["frame_length"],
    )
    assert message == (VECTORS / vector["file"]).read_bytes()
