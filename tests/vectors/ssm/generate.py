"""Provenance of the Parameter Store golden vectors: how `sealed-value-v1.json` was made.

Run once, from the repository root, and committed:

    python -m tests.vectors.ssm.generate > tests/vectors/ssm/sealed-value-v1.json

Every input is SHAKE-256 of a label, so the output is reproducible. `layout` cases are
`sealed_value.encode` of given parts. `envelopes` cases are SecureString values over
4,096 bytes sealed by `secure_values.encrypt` itself (the code path PutParameter takes),
through KMS GenerateDataKey over the software key store, every random draw scripted; the
tests open them again with an independent AES-GCM computation from the documented layout
and through KMS. Version 1 never changes: never regenerate to make a test pass.
"""

from __future__ import annotations

import base64
import functools
import json
import sys
from typing import Any

from tests.random_sources import ScriptedRandom, labelled_bytes

from strongroom.barrier import Barrier, View
from strongroom.clock import Clock
from strongroom.identity import Principal
from strongroom.keystores import SoftwareKeyStore
from strongroom.services import kms as kms_service
from strongroom.services.caller import AllowAuthenticated, Caller
from strongroom.services.kms import Kms
from strongroom.services.kms.records import KeyRecord, MaterialVersion
from strongroom.services.kms_envelope import KmsEnvelope, Sealed
from strongroom.services.ssm import sealed_value, secure_values
from strongroom.storage.memory import MemoryStorage

SEED = "strongroom ssm vector 1"
ACCOUNT = "111122223333"
REGION = "us-east-1"
FORMAT = (
    "Parameter Store sealed value, version 1: version (1 byte, = 0x01) | wrapped data key "
    "length (2 bytes BE) | wrapped data key (a KMS ciphertext blob) | nonce (12 bytes) | "
    "AES-256-GCM ciphertext || tag (16), under the data key, associated data = the UTF-8 "
    "parameter ARN. The data key is KMS GenerateDataKey (AES_256) under the parameter's key "
    'with encryption context {"PARAMETER_ARN": <parameter ARN>}. The parameter\'s stored '
    "and shown value is the base64 of these bytes."
)

derive = functools.partial(labelled_bytes, SEED)
"""n reproducible bytes for a label: derive(label, n)."""

LAYOUT_CASES: list[tuple[str, bytes, bytes, bytes]] = [
    ("empty wrapped key and empty ciphertext", b"", derive("layout 1 nonce", 12), b""),
    (
        "wrapped key length 0x0102 (big-endian), 16-byte ciphertext",
        derive("layout 2 wrapped", 0x0102),
        derive("layout 2 nonce", 12),
        derive("layout 2 ciphertext", 16),
    ),
    (
        "a KMS-blob-sized wrapped key (97 bytes), 33-byte ciphertext",
        derive("layout 3 wrapped", 97),
        derive("layout 3 nonce", 12),
        derive("layout 3 ciphertext", 33),
    ),
]

ENVELOPE_CASES: list[tuple[str, str, str, int, str]] = [
    (
        "4,097 ASCII bytes (one past the direct-Encrypt limit), material version 1",
        "1234abcd-12ab-34cd-56ef-1234567890ab",
        "/prod/payments/db-url",
        1,
        "x" * 4097,
    ),
    (
        "non-ASCII value (6,000 UTF-8 bytes), single-level name, material version 3",
        "0b1e9a64-6f2d-4d8e-9c3a-7e5b2f1d4c3b",
        "big-config",
        3,
        "€" * 2000,
    ),
]


def parameter_arn(name: str) -> str:
    """The parameter's ARN, as AWS writes it."""
    return f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/{name.removeprefix('/')}"


def layout_case(name: str, wrapped: bytes, nonce: bytes, ciphertext: bytes) -> dict[str, Any]:
    sealed = sealed_value.encode(Sealed((wrapped,), nonce, ciphertext))
    return {
        "name": name,
        "wrapped_key_hex": wrapped.hex(),
        "nonce_hex": nonce.hex(),
        "ciphertext_hex": ciphertext.hex(),
        "sealed_hex": sealed.hex(),
    }


def envelope_case(
    index: int, name: str, key_id: str, parameter: str, version: int, value: str
) -> dict[str, Any]:
    material = derive(f"envelope {index} material", 32)
    data_key = derive(f"envelope {index} data key", 32)
    kms_salt_and_nonce = derive(f"envelope {index} kms salt and nonce", 28)
    nonce = derive(f"envelope {index} nonce", 12)
    barrier = Barrier(MemoryStorage())
    barrier.initialize(derive(f"envelope {index} root key", 32))
    store = SoftwareKeyStore(
        View(barrier, "keystores/software/"), ScriptedRandom(material, kms_salt_and_nonce)
    )
    plugin = kms_service.plugin(barrier, {"software": store}, Clock(), ScriptedRandom(data_key))
    assert isinstance(plugin.context, Kms)
    versions = [MaterialVersion(v, 0.0) for v in sorted({1, version})]
    plugin.context.repository.save(
        KeyRecord(key_id, ACCOUNT, REGION, "aws", 0.0, versions=versions)
    )
    store.generate(key_id, version)
    caller = Caller(
        Principal("AKIAIOSFODNN7EXAMPLE", ACCOUNT, "root"), REGION, AllowAuthenticated()
    )
    envelope = KmsEnvelope("ssm", plugin, ScriptedRandom(nonce))
    arn = parameter_arn(parameter)
    assert secure_values.is_enveloped(value)
    stored = secure_values.encrypt(envelope, caller, key_id, arn, value)
    sealed = base64.b64decode(stored)
    parts = sealed_value.decode(sealed)
    return {
        "name": name,
        "key_id": key_id,
        "material_version": version,
        "material_hex": material.hex(),
        "parameter_arn": arn,
        "encryption_context": {"PARAMETER_ARN": arn},
        "data_key_hex": data_key.hex(),
        "kms_salt_and_nonce_hex": kms_salt_and_nonce.hex(),
        "nonce_hex": nonce.hex(),
        "plaintext": value,
        "wrapped_key_hex": parts.wrapped_keys[0].hex(),
        "ciphertext_hex": parts.ciphertext.hex(),
        "sealed_hex": sealed.hex(),
        "stored": stored,
    }


def main() -> None:
    """Print the vector file."""
    document = {
        "format": FORMAT,
        "seed": SEED,
        "layout": [layout_case(*case) for case in LAYOUT_CASES],
        "envelopes": [envelope_case(i, *case) for i, case in enumerate(ENVELOPE_CASES, 1)],
    }
    json.dump(document, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
