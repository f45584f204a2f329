"""SCRAM-SHA-256 verifiers: RFC 7677's example, and PostgreSQL itself as the reference.

PostgreSQL computes a verifier from a password (password_encryption = scram-sha-256);
ours, from the same password with its salt and iteration count, must be the same string.
And a verifier made here, set with ALTER ROLE, must let the password (and only it) log in
to a PostgreSQL that checks passwords: a private scram-only cluster, because this
machine's cluster trusts every local login (see tests/e2e/rotation_databases.py).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from psycopg import sql
from tests.e2e.private_databases import PrivatePostgres
from tests.e2e.rotation_databases import unavailable, unique_user
from tests.random_sources import ScriptedRandom

from strongroom.crypto.scram import (
    DEFAULT_ITERATIONS,
    SALT_BYTES,
    ScramVerifier,
    scram_sha256_verifier,
    verifies,
)

# RFC 7677, section 3: user "user", password "pencil".
RFC_SALT = base64.b64decode("W22ZaJ0SNY7soEsUEjb6gQ==")
RFC_AUTH_MESSAGE = (
    b"n=user,r=rOprNGfwEbeRWgbNEkqO,"
    b"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096,"
    b"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"
)
RFC_CLIENT_PROOF = base64.b64decode("dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=")
RFC_SERVER_SIGNATURE = base64.b64decode("6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=")

PASSWORDS = [
    "pencil",
    "4Qf|5]krZ[lXRiJ$uuYYrqjk&GQ(-*F9",  # GetRandomPassword's alphabet
    "a\x07b",  # ASCII is used as it is, control characters included
    "p\u00e4ss\u2168w\u00adord\u3000x",  # SASLprep maps and normalizes these
    "\u0627\u0031x",  # SASLprep refuses (bidi): the raw bytes are used
]


def test_rfc7677_example() -> None:
    verifier = ScramVerifier.parse(scram_sha256_verifier("pencil", salt=RFC_SALT))
    assert verifier.iterations == 4096 and verifier.salt == RFC_SALT
    server_signature = hmac.digest(verifier.server_key, RFC_AUTH_MESSAGE, "sha256")
    assert server_signature == RFC_SERVER_SIGNATURE
    client_signature = hmac.digest(verifier.stored_key, RFC_AUTH_MESSAGE, "sha256")
    client_key = bytes(a ^ b for a, b in zip(RFC_CLIENT_PROOF, client_signature, strict=True))
    assert hashlib.sha256(client_key).digest() == verifier.stored_key


def test_salt_comes_from_the_injected_random_source() -> None:
    salt = bytes(range(SALT_BYTES))
    text = scram_sha256_verifier("pencil", random=ScriptedRandom(salt))
    assert text.startswith(f"SCRAM-SHA-256${DEFAULT_ITERATIONS}:{base64.b64encode(salt).decode()}$")
    assert ScramVerifier.parse(text).encode() == text


def test_fresh_salts_differ_and_both_verify() -> None:
    one, two = scram_sha256_verifier("pencil"), scram_sha256_verifier("pencil")
    assert one != two
    assert verifies(one, "pencil") and verifies(two, "pencil")
    assert not verifies(one, "pencil ") and not verifies(one, "Pencil")


@pytest.mark.parametrize(
    "malformed",
    [
        "",
        "md5c0ffee",
        "SCRAM-SHA-256$x:AAAA$AAAA:AAAA",
        "SCRAM-SHA-256$4096:!!!!$" + "A" * 44 + ":" + "A" * 44,
        "SCRAM-SHA-256$4096:AAAA$AAAA:AAAA",  # keys of the wrong length
    ],
)
def test_malformed_verifiers_verify_nothing(malformed: str) -> None:
    assert not verifies(malformed, "pencil")
    with pytest.raises(ValueError):
        ScramVerifier.parse(malformed)


@pytest.mark.parametrize(
    ("given", "same_as"),
    [("I\u00adX", "IX"), ("\u2168", "IX"), ("\u00aa", "a"), ("a\u00a0b", "a b")],
)
def test_saslprep_rfc4013_examples(given: str, same_as: str) -> None:
    salt = b"s" * SALT_BYTES
    assert scram_sha256_verifier(given, salt=salt) == scram_sha256_verifier(same_as, salt=salt)


# Against PostgreSQL ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def shared_postgres() -> Iterator[psycopg.Connection[Any]]:
    dsn = "host=127.0.0.1 port=5432 user=postgres dbname=postgres connect_timeout=5"
    try:
        admin = psycopg.connect(dsn, autocommit=True)
    except psycopg.Error as error:
        unavailable(f"PostgreSQL is not reachable at 127.0.0.1:5432: {error}")
    yield admin
    admin.close()


@pytest.mark.parametrize("password", PASSWORDS)
def test_postgresql_computes_the_same_verifier(
    shared_postgres: psycopg.Connection[Any], password: str
) -> None:
    role = unique_user()
    shared_postgres.execute("SET password_encryption = 'scram-sha-256'")
    shared_postgres.execute(
        sql.SQL("CREATE ROLE {} PASSWORD {}").format(sql.Identifier(role), sql.Literal(password))
    )
    try:
        row = shared_postgres.execute(
            "SELECT rolpassword FROM pg_authid WHERE rolname = %s", (role,)
        ).fetchone()
        assert row is not None
        theirs = row[0]
        parts = ScramVerifier.parse(theirs)
        ours = scram_sha256_verifier(password, iterations=parts.iterations, salt=parts.salt)
        assert ours == theirs
        assert verifies(theirs, password) and not verifies(theirs, password + "x")
    finally:
        shared_postgres.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))


@pytest.fixture(scope="module")
def checking_postgres() -> Iterator[PrivatePostgres]:
    database = PrivatePostgres.start()
    yield database
    database.stop()


@pytest.mark.parametrize("password", PASSWORDS)
def test_a_verifier_made_here_logs_in_on_postgresql(
    checking_postgres: PrivatePostgres, password: str
) -> None:
    role = unique_user()
    verifier = scram_sha256_verifier(password)
    checking_postgres.admin.execute(
        sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(
            sql.Identifier(role), sql.Literal(verifier)
        )
    )
    try:
        assert checking_postgres.stored_verifier(role) == verifier  # stored as given
        assert checking_postgres.connects(role, password)
        assert not checking_postgres.connects(role, password + "x")
        assert not checking_postgres.connects(role, "wrong-" + secrets.token_hex(8))
    finally:
        checking_postgres.admin.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))
