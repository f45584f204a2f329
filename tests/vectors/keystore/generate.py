"""Provenance of the key store golden vectors: how `material-v1.json` beside this was made.

Run once, from the repository root, and committed:

    python -m tests.vectors.keystore.generate > tests/vectors/keystore/material-v1.json

Every input is SHAKE-256 of a label, so the output is reproducible: HMAC keys are those
bytes, and private keys are derived from them (an Ed25519 seed, a P-256 scalar) and
written as PKCS#8 DER by `cryptography`. The records come from `material_format.encode`
itself; the tests check them again against the documented layout. Version 1 never
changes: never regenerate to make a test pass.
"""

from __future__ import annotations

import functools
import json
import sys
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from tests.random_sources import labelled_bytes

from strongroom.keystores import material_format

SEED = "strongroom keystore vector 1"
FORMAT = (
    "Key store material record, version 1: version (1 byte, = 0x01) | form (1 byte: "
    "0x01 = HMAC key, 0x02 = private key) | material, where an HMAC key is its raw bytes "
    "and a private key is PKCS#8 DER. Symmetric AES keys are not records (their 32 raw "
    "bytes are stored as they are)."
)

derive = functools.partial(labelled_bytes, SEED)
"""n reproducible bytes for a label: derive(label, n)."""

_PKCS8 = (
    serialization.Encoding.DER,
    serialization.PrivateFormat.PKCS8,
    serialization.NoEncryption(),
)


def ed25519_der() -> bytes:
    """An Ed25519 private key from a labelled seed, as PKCS#8 DER."""
    seed = derive("ed25519 seed", 32)
    return ed25519.Ed25519PrivateKey.from_private_bytes(seed).private_bytes(*_PKCS8)


def p256_der() -> bytes:
    """A P-256 private key from a labelled scalar, as PKCS#8 DER."""
    order = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
    scalar = int.from_bytes(derive("p256 scalar", 40), "big") % (order - 1) + 1
    return ec.derive_private_key(scalar, ec.SECP256R1()).private_bytes(*_PKCS8)


CASES: list[tuple[str, material_format.Form, bytes]] = [
    ("HMAC key of 32 bytes", "hmac", derive("hmac 32", 32)),
    ("HMAC key of 64 bytes", "hmac", derive("hmac 64", 64)),
    ("HMAC key of one byte: the shortest record", "hmac", b"\x5a"),
    ("HMAC key that starts like a private-key record", "hmac", b"\x01\x02" + derive("hmac", 30)),
    ("Ed25519 private key, PKCS#8 DER", "private", ed25519_der()),
    ("P-256 private key, PKCS#8 DER", "private", p256_der()),
]


def main() -> None:
    """Print the vector file."""
    document: dict[str, Any] = {
        "format": FORMAT,
        "seed": SEED,
        "cases": [
            {
                "name": name,
                "form": form,
                "material_hex": material.hex(),
                "encoded_hex": material_format.encode(form, material).hex(),
            }
            for name, form, material in CASES
        ],
    }
    json.dump(document, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
