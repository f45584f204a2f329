"""Regenerate the envelope golden vectors (run once; the outputs are committed).

    python -m tests.vectors.envelope.generate

Writes, beside this file: the test keys, one plaintext, messages written by the
`aws-encryption-sdk` package (every suite; v1 framed and non-framed) and by Strongroom,
and `manifest.json` describing them. `strongroom-kat-*` messages were written with the
deterministic randomness of `tests.random_sources.counter_random`, so re-encrypting must
give the same bytes.
Never edit a vector: add new ones.
"""

from __future__ import annotations

import json
from pathlib import Path

import aws_encryption_sdk
from aws_encryption_sdk.identifiers import (
    AlgorithmSuite,
    CommitmentPolicy,
    EncryptionKeyType,
    WrappingAlgorithm,
)
from aws_encryption_sdk.internal.crypto.wrapping_keys import WrappingKey
from aws_encryption_sdk.key_providers.raw import RawMasterKey
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from tests.random_sources import counter_random

import strongroom_envelope
from strongroom_envelope import randomness

HERE = Path(__file__).parent
NAMESPACE = "strongroom-vectors"
CONTEXT = {"purpose": "golden vector", "tenant": "acme"}
AES_KEY = bytes.fromhex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f")


def main() -> None:
    plaintext = bytes((i * 7 + 3) % 256 for i in range(10244))
    (HERE / "plaintext.bin").write_bytes(plaintext)
    (HERE / "aes-256.key").write_text(AES_KEY.hex() + "\n")
    pem_path = HERE / "rsa-private.pem"
    if not pem_path.exists():
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem_path.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
    pem = pem_path.read_bytes()
    esdk_keys = {
        "aes": RawMasterKey(
            provider_id=NAMESPACE,
            key_id=b"aes-key",
            wrapping_key=WrappingKey(
                wrapping_algorithm=WrappingAlgorithm.AES_256_GCM_IV12_TAG16_NO_PADDING,
                wrapping_key=AES_KEY,
                wrapping_key_type=EncryptionKeyType.SYMMETRIC,
            ),
        ),
        "rsa": RawMasterKey(
            provider_id=NAMESPACE,
            key_id=b"rsa-key",
            wrapping_key=WrappingKey(
                wrapping_algorithm=WrappingAlgorithm.RSA_OAEP_SHA256_MGF1,
                wrapping_key=pem,
                wrapping_key_type=EncryptionKeyType.PRIVATE,
            ),
        ),
    }
    vectors = []
    for suite in AlgorithmSuite:
        v2 = suite.algorithm_id in (0x0478, 0x0578)
        policy = "REQUIRE_ENCRYPT_REQUIRE_DECRYPT" if v2 else "FORBID_ENCRYPT_ALLOW_DECRYPT"
        client = aws_encryption_sdk.EncryptionSDKClient(commitment_policy=CommitmentPolicy[policy])
        for framing, frame_length in (("framed", 4096), ("nonframed", 0)):
            if v2 and frame_length == 0:
                continue
            for keyring in ("aes", "rsa") if framing == "framed" else ("aes",):
                name = f"esdk-{suite.algorithm_id:04x}-{framing}-{keyring}.msg"
                message, _ = client.encrypt(
                    source=plaintext,
                    key_provider=esdk_keys[keyring],
                    algorithm=suite,
                    frame_length=frame_length,
                    encryption_context=CONTEXT,
                )
                (HERE / name).write_bytes(message)
                vectors.append({"file": name, "suite": suite.algorithm_id, "keyring": keyring})
    ours = {
        "aes": strongroom_envelope.RawAesKeyring(NAMESPACE, "aes-key", AES_KEY),
        "rsa": strongroom_envelope.RawRsaKeyring.from_pem(
            NAMESPACE,
            "rsa-key",
            serialization.load_pem_private_key(pem, None)
            .public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            ),
        ),
    }
    for suite_id in (0x0478, 0x0578):
        for keyring in ("aes", "rsa"):
            name = f"strongroom-{suite_id:04x}-{keyring}.msg"
            message = strongroom_envelope.encrypt(
                plaintext,
                ours[keyring],
                encryption_context=CONTEXT,
                suite=strongroom_envelope.ALGORITHM_SUITES[suite_id],
                frame_length=4096,
            )
            (HERE / name).write_bytes(message)
            vectors.append({"file": name, "suite": suite_id, "keyring": keyring})
    for size in (0, 4096, 10244):
        name = f"strongroom-kat-0478-aes-{size}.msg"
        seed = f"kat-{size}".encode()
        original = randomness.random_bytes
        randomness.random_bytes = counter_random(seed)
        try:
            message = strongroom_envelope.encrypt(
                plaintext[:size],
                ours["aes"],
                encryption_context=CONTEXT,
                suite=strongroom_envelope.AES_256_GCM_HKDF_SHA512_COMMIT_KEY,
                frame_length=4096,
            )
        finally:
            randomness.random_bytes = original
        (HERE / name).write_bytes(message)
        vectors.append(
            {"file": name, "suite": 0x0478, "keyring": "aes", "plaintext_length": size,
             "kat_seed": seed.decode(), "frame_length": 4096}
        )  # fmt: skip
    manifest = {
        "about": "AWS Encryption SDK messages; see generate.py",
        "producer_versions": {
            "aws-encryption-sdk": aws_encryption_sdk.__version__,
        },
        "key_namespace": NAMESPACE,
        "aes_key": "aes-256.key",
        "rsa_private_key": "rsa-private.pem",
        "rsa_padding": "oaep-sha256",
        "plaintext": "plaintext.bin",
        "encryption_context": CONTEXT,
        "vectors": vectors,
    }
    (HERE / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")


if __name__ == "__main__":
    main()
