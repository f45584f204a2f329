"""Provenance of the barrier golden vectors: how record-v1.json and keyring-v1.json were made.

Run once, from the repository root, and committed:

    python -m tests.vectors.barrier.generate record > tests/vectors/barrier/record-v1.json
    python -m tests.vectors.barrier.generate keyring > tests/vectors/barrier/keyring-v1.json

Every input (keys, nonces) is SHAKE-256 of a label, so the output is reproducible. Bytes
are produced by Strongroom's own code driven by a scripted `RandomBytes`; the tests check
them again against an independent AES-GCM computation from the documented layouts.
Version 1 never changes: never regenerate these files to make a test pass.
"""

from __future__ import annotations

import functools
import json
import sys
from typing import Any

from tests.random_sources import ScriptedRandom, labelled_bytes

from strongroom.barrier import Barrier
from strongroom.barrier import keyring as keyring_format
from strongroom.barrier.keyring import Keyring
from strongroom.storage.memory import MemoryStorage

SEED = "strongroom barrier vector 1"
RECORD_FORMAT = (
    "Barrier record, version 1: version (1 byte, = 0x01) | term (4 bytes, big-endian) | "
    "nonce (12) | AES-256-GCM ciphertext || tag (16)."
)
RECORD_AAD = "associated data = version byte | term (4 BE) | UTF-8 bytes of the storage path."
KEYRING_FORMAT = (
    "Barrier keyring, version 1: version (1 byte, = 0x01) | nonce (12) | "
    "AES-256-GCM(root key, body, aad = ASCII 'strongroom keyring v1'). "
    "body = active term (4 BE) | count (4 BE) | count x (term (4 BE) | key (32)), "
    "entries in ascending term order."
)


derive = functools.partial(labelled_bytes, SEED)
"""n reproducible bytes for a label: derive(label, n)."""


RECORD_CASES: list[tuple[str, int, str, bytes]] = [
    (
        "kms key record, term 1",
        1,
        "kms/111122223333/us-east-1/keys/1234abcd-12ab-34cd-56ef-1234567890ab",
        b'{"key_id":"1234abcd-12ab-34cd-56ef-1234567890ab","state":"Enabled"}',
    ),
    ("empty plaintext, term 2", 2, "identity/access-keys/AKIAIOSFODNN7EXAMPLE", b""),
    (
        "non-ASCII path, term 0x01020304",
        0x01020304,
        "ssm/parameters/ключ/naïve/€",
        derive("binary plaintext", 100),
    ),
    ("one-character path, 1000-byte plaintext, term 0xffffffff", 0xFFFFFFFF, "a", bytes(1000)),
]


def record_case(index: int, name: str, term: int, path: str, plaintext: bytes) -> dict[str, Any]:
    key = derive(f"record {index} key", 32)
    nonce = derive(f"record {index} nonce", 12)
    root_key = derive(f"record {index} root key", 32)
    storage = MemoryStorage()
    storage.put(
        "core/keyring",
        keyring_format.seal(Keyring({term: key}, term), root_key, ScriptedRandom(bytes(12))),
    )
    barrier = Barrier(storage, ScriptedRandom(nonce))
    barrier.unseal(root_key)
    barrier.put(path, plaintext)
    record = storage.get(path)
    assert record is not None
    return {
        "name": name,
        "key_hex": key.hex(),
        "term": term,
        "nonce_hex": nonce.hex(),
        "path": path,
        "plaintext_hex": plaintext.hex(),
        "record_hex": record.hex(),
    }


KEYRING_CASES: list[tuple[str, list[int], int]] = [
    ("fresh keyring (what initialize writes)", [1], 1),
    ("rotated twice", [1, 2, 3], 3),
    ("sparse terms, active term not the newest", [1, 2, 5], 2),
]


def keyring_case(index: int, name: str, terms: list[int], active: int) -> dict[str, Any]:
    root_key = derive(f"keyring {index} root key", 32)
    keys = {term: derive(f"keyring {index} term {term} key", 32) for term in terms}
    nonce = derive(f"keyring {index} nonce", 12)
    sealed = keyring_format.seal(Keyring(keys, active), root_key, ScriptedRandom(nonce))
    return {
        "name": name,
        "root_key_hex": root_key.hex(),
        "active_term": active,
        "keys": [{"term": term, "key_hex": key.hex()} for term, key in keys.items()],
        "nonce_hex": nonce.hex(),
        "sealed_hex": sealed.hex(),
    }


def main(which: str) -> None:
    """Print the vector file named by `which` (record or keyring)."""
    if which == "record":
        cases = [record_case(i, *case) for i, case in enumerate(RECORD_CASES, 1)]
        document = {"format": RECORD_FORMAT, "aad": RECORD_AAD, "seed": SEED, "cases": cases}
    elif which == "keyring":
        cases = [keyring_case(i, *case) for i, case in enumerate(KEYRING_CASES, 1)]
        document = {"format": KEYRING_FORMAT, "seed": SEED, "cases": cases}
    else:
        raise SystemExit("usage: generate.py record|keyring")
    json.dump(document, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "")
