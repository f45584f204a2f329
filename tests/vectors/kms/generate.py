"""Provenance of the KMS golden vectors: how the two JSON files beside this one were made.

Run once, from the repository root, and committed:

    python -m tests.vectors.kms.generate blob > tests/vectors/kms/ciphertext-blob-v1.json
    python -m tests.vectors.kms.generate context > tests/vectors/kms/encryption-context-v1.json

Every input is SHAKE-256 of a label, so the output is reproducible. Blobs come from the
KMS `Encrypt` operation itself over the software key store, driven by a scripted
`RandomBytes`; the tests check them again with an independent HKDF + AES-GCM computation
from the documented layout. Version 1 never changes: never regenerate to make a test pass.
"""

from __future__ import annotations

import functools
import json
import sys
from typing import Any

from tests.random_sources import ScriptedRandom, labelled_bytes

from strongroom.barrier import Barrier, View
from strongroom.clock import Clock
from strongroom.crypto import hkdf_sha256
from strongroom.identity import Principal
from strongroom.keystores import SoftwareKeyStore
from strongroom.services.caller import AllowAuthenticated, Caller
from strongroom.services.kms import Kms, KmsRepository, ciphertext_blob, cryptographic
from strongroom.services.kms.records import KeyRecord, MaterialVersion
from strongroom.storage.memory import MemoryStorage

SEED = "strongroom kms vector 1"
INFO = "strongroom kms message key v1"
EXTRACT_SALT = "strongroom kms material v1"
BLOB_FORMAT = (
    "KMS ciphertext blob, version 1: version (1 byte, = 0x01) | key id (16 bytes, the UUID) | "
    "material version (4 bytes BE) | key store payload."
)
PAYLOAD_FORMAT = (
    "Software key store payload, version 1: salt (16) | nonce (12) | AES-256-GCM ciphertext || "
    "tag (16), under message key = HKDF-SHA256(ikm = material, salt = ASCII "
    f"'{EXTRACT_SALT}', info = ASCII '{INFO}' | salt, length 32); associated data = the "
    "21-byte blob header | canonical "
    "encryption context."
)
CONTEXT_FORMAT = (
    "Canonical encryption context, version 1: count (2 bytes BE), then for each pair in "
    "ascending order of the UTF-8 bytes of its key: key length (2 BE) | key (UTF-8) | "
    "value length (2 BE) | value (UTF-8). No context and an empty context are both 0x0000. "
    "`pairs` lists the input in the order given (null = no context)."
)


derive = functools.partial(labelled_bytes, SEED)
"""n reproducible bytes for a label: derive(label, n)."""


Pairs = list[list[str]] | None

CONTEXT_CASES: list[tuple[str, Pairs]] = [
    ("no encryption context", None),
    ("empty encryption context", []),
    ("one pair", [["purpose", "test"]]),
    ("input order does not matter", [["tenant", "acme"], ["purpose", "backup"]]),
    (
        "byte order: uppercase first, a prefix before its extensions",
        [["b", "1"], ["aa", "2"], ["a", "3"], ["B", "4"]],
    ),
    ("non-ASCII: lengths count UTF-8 bytes", [["é", "ü"], ["z", "€uro"], ["ключ", "значение"]]),
    ("empty key and empty value", [["", ""]]),
]

BLOB_CASES: list[tuple[str, str, int, Pairs, bytes]] = [
    (
        "no encryption context, material version 1",
        "1234abcd-12ab-34cd-56ef-1234567890ab",
        1,
        None,
        b"Hello, Strongroom!",
    ),
    (
        "encryption context given out of order, material version 3, 32-byte data key",
        "0b1e9a64-6f2d-4d8e-9c3a-7e5b2f1d4c3b",
        3,
        [["tenant", "acme"], ["purpose", "backup"]],
        derive("blob 2 plaintext", 32),
    ),
    (
        "non-ASCII context, material version 258, 4096-byte plaintext",
        "f0e1d2c3-b4a5-4697-8899-aabbccddeeff",
        258,
        [["ключ", "значение"], ["a", "é"]],
        derive("blob 3 plaintext", 4096),
    ),
]


def context_of(pairs: Pairs) -> dict[str, str] | None:
    """The request's EncryptionContext, in the order listed."""
    return None if pairs is None else {key: value for key, value in pairs}


def blob_case(
    index: int, name: str, key_id: str, version: int, pairs: Pairs, plaintext: bytes
) -> dict[str, Any]:
    material = derive(f"blob {index} material", 32)
    salt = derive(f"blob {index} salt", 16)
    nonce = derive(f"blob {index} nonce", 12)
    barrier = Barrier(MemoryStorage())
    barrier.initialize(derive(f"blob {index} root key", 32))
    store = SoftwareKeyStore(
        View(barrier, "keystores/software/"), ScriptedRandom(material, salt + nonce)
    )
    repository = KmsRepository(View(barrier, "kms/"))
    kms = Kms(repository, {"software": store}, Clock(), ScriptedRandom())
    versions = [MaterialVersion(v, 0.0) for v in sorted({1, version})]
    record = KeyRecord(key_id, "111122223333", "us-east-1", "aws", 0.0, versions=versions)
    repository.save(record)
    store.generate(key_id, version)
    caller = Caller(
        Principal("AKIAIOSFODNN7EXAMPLE", "111122223333", "root"), "us-east-1", AllowAuthenticated()
    )
    result = cryptographic.encrypt(
        kms, caller, KeyId=key_id, Plaintext=plaintext, EncryptionContext=context_of(pairs)
    )
    blob: bytes = result["CiphertextBlob"]
    header = ciphertext_blob.Blob(key_id, version, b"").header()
    return {
        "name": name,
        "key_id": key_id,
        "material_version": version,
        "material_hex": material.hex(),
        "salt_hex": salt.hex(),
        "nonce_hex": nonce.hex(),
        "encryption_context": pairs,
        "plaintext_hex": plaintext.hex(),
        "aad_hex": ciphertext_blob.associated_data(header, context_of(pairs)).hex(),
        "message_key_hex": hkdf_sha256(material, EXTRACT_SALT.encode(), INFO.encode() + salt).hex(),
        "blob_hex": blob.hex(),
    }


def main(which: str) -> None:
    """Print the vector file named by `which` (blob or context)."""
    if which == "blob":
        cases = [blob_case(i, *case) for i, case in enumerate(BLOB_CASES, 1)]
        document: dict[str, Any] = {
            "format": BLOB_FORMAT,
            "payload": PAYLOAD_FORMAT,
            "context": "encryption_context: list of [key, value] pairs in request order, or null",
            "seed": SEED,
            "cases": cases,
        }
    elif which == "context":
        document = {
            "format": CONTEXT_FORMAT,
            "cases": [
                {
                    "name": name,
                    "pairs": pairs,
                    "encoded_hex": ciphertext_blob.encode_context(context_of(pairs)).hex(),
                }
                for name, pairs in CONTEXT_CASES
            ],
        }
    else:
        raise SystemExit("usage: generate.py blob|context")
    json.dump(document, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "")
