"""PostgreSQL SCRAM-SHA-256 password verifiers (RFC 5802, RFC 7677), made on our side.

A verifier is what PostgreSQL keeps in `pg_authid.rolpassword`:
`SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>` (standard base64). Handing
PostgreSQL the verifier (`ALTER ROLE ... PASSWORD '<verifier>'`) sets a password without
the password ever crossing the wire or reaching a server log: PostgreSQL stores a string
of that form as it is.

Invariants:
- The password is prepared as PostgreSQL prepares it (`pg_saslprep`): a pure-ASCII
  password is used as it is; any other is SASLprep'd (RFC 4013), and one SASLprep refuses
  is used as its raw UTF-8 bytes. So a verifier made here from a password, salt and
  iteration count is byte for byte the one PostgreSQL makes from them.
- A new salt is 16 bytes (PostgreSQL's length) from the injected random source.
- `verifies` compares in constant time and says only yes or no.
"""

from __future__ import annotations

import base64
import binascii
import stringprep
import unicodedata
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as _hmac
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC

from strongroom.crypto.compare import equal
from strongroom.crypto.random import RandomBytes, system_random

__all__ = [
    "DEFAULT_ITERATIONS",
    "SALT_BYTES",
    "ScramVerifier",
    "scram_sha256_verifier",
    "verifies",
]

DEFAULT_ITERATIONS = 4096
"""PostgreSQL's default (`scram_iterations`, configurable from PostgreSQL 16)."""
SALT_BYTES = 16
"""PostgreSQL's salt length."""
_MECHANISM = "SCRAM-SHA-256"
_KEY_BYTES = 32


@dataclass(frozen=True, slots=True)
class ScramVerifier:
    """The parts of a SCRAM-SHA-256 verifier."""

    iterations: int
    salt: bytes
    stored_key: bytes
    server_key: bytes

    def encode(self) -> str:
        """PostgreSQL's text form."""
        b64 = _b64
        return (
            f"{_MECHANISM}${self.iterations}:{b64(self.salt)}"
            f"${b64(self.stored_key)}:{b64(self.server_key)}"
        )

    @classmethod
    def parse(cls, text: str) -> ScramVerifier:
        """The parts of PostgreSQL's text form; ValueError if `text` is not one."""
        mechanism, _, rest = text.partition("$")
        params, _, keys = rest.partition("$")
        iterations, _, salt = params.partition(":")
        stored, _, server = keys.partition(":")
        if mechanism != _MECHANISM or not iterations.isdigit():
            raise ValueError("not a SCRAM-SHA-256 verifier")
        try:
            parts = [base64.b64decode(p, validate=True) for p in (salt, stored, server)]
        except binascii.Error:
            raise ValueError("not a SCRAM-SHA-256 verifier") from None
        if not parts[0] or any(len(key) != _KEY_BYTES for key in parts[1:]):
            raise ValueError("not a SCRAM-SHA-256 verifier")
        salt_bytes, stored_key, server_key = parts
        return cls(int(iterations), salt_bytes, stored_key, server_key)


def scram_sha256_verifier(
    password: str,
    *,
    iterations: int = DEFAULT_ITERATIONS,
    salt: bytes | None = None,
    random: RandomBytes = system_random,
) -> str:
    """The verifier PostgreSQL would store for `password` (a fresh salt unless given)."""
    return _derive(password, iterations, salt or random(SALT_BYTES)).encode()


def verifies(verifier: str, password: str) -> bool:
    """Whether `password` is the password `verifier` was made from (False if malformed)."""
    try:
        expected = ScramVerifier.parse(verifier)
    except ValueError:
        return False
    actual = _derive(password, expected.iterations, expected.salt)
    stored = equal(actual.stored_key, expected.stored_key)
    return equal(actual.server_key, expected.server_key) and stored


def _derive(password: str, iterations: int, salt: bytes) -> ScramVerifier:
    if iterations < 1:
        raise ValueError("SCRAM needs at least one iteration")
    if not salt:
        raise ValueError("SCRAM needs a salt")
    kdf = PBKDF2HMAC(hashes.SHA256(), _KEY_BYTES, salt, iterations)
    salted = kdf.derive(_prepared(password))
    digest = hashes.Hash(hashes.SHA256())
    digest.update(_mac(salted, b"Client Key"))
    return ScramVerifier(iterations, salt, digest.finalize(), _mac(salted, b"Server Key"))


def _mac(key: bytes, message: bytes) -> bytes:
    mac = _hmac.HMAC(key, hashes.SHA256())
    mac.update(message)
    return mac.finalize()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _prepared(password: str) -> bytes:
    """The bytes PostgreSQL derives the keys from (see the module's invariants)."""
    raw = password.encode("utf-8", "surrogatepass")
    if password.isascii():
        return raw
    prepared = _saslprep(password)
    return raw if prepared is None else prepared.encode("utf-8")


_PROHIBITED = (
    stringprep.in_table_c12,
    stringprep.in_table_c21_c22,
    stringprep.in_table_c3,
    stringprep.in_table_c4,
    stringprep.in_table_c5,
    stringprep.in_table_c6,
    stringprep.in_table_c7,
    stringprep.in_table_c8,
    stringprep.in_table_c9,
    stringprep.in_table_a1,  # unassigned code points: "stored strings" refuse them
)


def _saslprep(text: str) -> str | None:
    """RFC 4013 SASLprep of `text`, or None where it refuses the string."""
    mapped = "".join(
        " " if stringprep.in_table_c12(ch) else ch for ch in text if not stringprep.in_table_b1(ch)
    )
    normalized = unicodedata.normalize("NFKC", mapped)
    if any(check(ch) for ch in normalized for check in _PROHIBITED):
        return None
    if any(stringprep.in_table_d1(ch) for ch in normalized):
        if any(stringprep.in_table_d2(ch) for ch in normalized):
            return None
        if not (stringprep.in_table_d1(normalized[0]) and stringprep.in_table_d1(normalized[-1])):
            return None
    return normalized
