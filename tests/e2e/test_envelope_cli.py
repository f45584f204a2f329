"""`strongroom encrypt` / `strongroom decrypt` on real files, run as real processes.

Local AES and RSA key files need no server; the KMS cases run against a real Strongroom
server. Failures must exit 1 with one clear `Error:` line, never a traceback, and leave no
output file behind. AES key files are read one declared way; KMS discovery is opt-in.
"""

from __future__ import annotations

import base64
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

CLI = [sys.executable, "-m", "strongroom.cli"]


def run(
    *args: str | Path, env: dict[str, str] | None = None, stdin: bytes | None = None
) -> subprocess.CompletedProcess[bytes]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    return subprocess.run(
        [*CLI, *map(str, args)],
        input=stdin,
        capture_output=True,
        env=env or base,
        timeout=120,
        check=False,
    )


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    plaintext = tmp_path / "report.bin"
    plaintext.write_bytes(os.urandom(700_000))
    aes = tmp_path / "aes.key"
    aes.write_bytes(_raw_key(32))
    other = tmp_path / "other.key"
    other.write_bytes(os.urandom(32))
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = tmp_path / "rsa.pem"
    private.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    public = tmp_path / "rsa.pub"
    public.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return {"plain": plaintext, "aes": aes, "other": other, "private": private, "public": public}


def _raw_key(size: int) -> bytes:
    """Random key bytes that cannot also be read as hex or base64 text (so no format needed)."""
    return os.urandom(size - 1) + b"\xff"  # 0xff is in neither text alphabet


def _esdk_decrypt(message: bytes, wrapping_key: bytes, key_id: bytes = b"aes") -> bytes:
    """Decrypt with the AWS Encryption SDK's raw AES master key: proves which key was used."""
    import aws_encryption_sdk
    from aws_encryption_sdk.identifiers import (
        CommitmentPolicy,
        EncryptionKeyType,
        WrappingAlgorithm,
    )
    from aws_encryption_sdk.internal.crypto.wrapping_keys import WrappingKey
    from aws_encryption_sdk.key_providers.raw import RawMasterKey

    algorithm = {
        16: WrappingAlgorithm.AES_128_GCM_IV12_TAG16_NO_PADDING,
        24: WrappingAlgorithm.AES_192_GCM_IV12_TAG16_NO_PADDING,
        32: WrappingAlgorithm.AES_256_GCM_IV12_TAG16_NO_PADDING,
    }[len(wrapping_key)]
    master_key = RawMasterKey(
        provider_id="strongroom-local",
        key_id=key_id,
        wrapping_key=WrappingKey(
            wrapping_algorithm=algorithm,
            wrapping_key=wrapping_key,
            wrapping_key_type=EncryptionKeyType.SYMMETRIC,
        ),
    )
    client = aws_encryption_sdk.EncryptionSDKClient(
        commitment_policy=CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT
    )
    plaintext, _ = client.decrypt(source=message, key_provider=master_key)
    return bytes(plaintext)


def _one_error_line(done: subprocess.CompletedProcess[bytes], *expected: bytes) -> None:
    """Exit 1, and stderr is exactly one `Error: ...` line holding `expected`."""
    assert done.returncode == 1, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(b"Error: "), done.stderr
    for text in expected:
        assert text in lines[0], done.stderr


def _only(directory: Path, *names: str) -> None:
    """No stray (partial, temporary) files: exactly `names` are left in `directory`."""
    assert sorted(p.name for p in directory.iterdir()) == sorted(names)


def test_aes_key_file_round_trip(files: dict[str, Path], tmp_path: Path) -> None:
    encrypted, decrypted = tmp_path / "report.enc", tmp_path / "report.out"
    done = run(
        "encrypt", "--aes-key", files["aes"], "-c", "dept=finance", files["plain"], encrypted
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == b"" and done.stdout == b""  # no progress bar when not on a terminal
    done = run("decrypt", "--aes-key", files["aes"], "-c", "dept=finance", encrypted, decrypted)
    assert done.returncode == 0, done.stderr
    assert decrypted.read_bytes() == files["plain"].read_bytes()


def test_rsa_key_files_round_trip(files: dict[str, Path], tmp_path: Path) -> None:
    encrypted, decrypted = tmp_path / "r.enc", tmp_path / "r.out"
    assert run("encrypt", "--rsa-key", files["public"], files["plain"], encrypted).returncode == 0
    done = run("decrypt", "--rsa-key", files["private"], encrypted, decrypted)
    assert done.returncode == 0, done.stderr
    assert decrypted.read_bytes() == files["plain"].read_bytes()


def test_stdin_to_stdout(files: dict[str, Path]) -> None:
    data = files["plain"].read_bytes()
    encrypted = run(
        "encrypt", "--aes-key", files["aes"], "--suite", "unsigned", "-", "-", stdin=data
    )
    assert encrypted.returncode == 0, encrypted.stderr
    assert encrypted.stdout[:3] == b"\x02\x04\x78"
    decrypted = run("decrypt", "--aes-key", files["aes"], "-", "-", stdin=encrypted.stdout)
    assert decrypted.returncode == 0 and decrypted.stdout == data


def test_wrong_key_is_a_clear_error_and_leaves_nothing(
    files: dict[str, Path], tmp_path: Path
) -> None:
    encrypted, out = tmp_path / "x.enc", tmp_path / "x.out"
    run("encrypt", "--aes-key", files["aes"], files["plain"], encrypted)
    done = run("decrypt", "--aes-key", files["other"], encrypted, out)
    assert done.returncode == 1
    assert b"wrong key" in done.stderr and b"Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    _only(tmp_path, "report.bin", "aes.key", "other.key", "rsa.pem", "rsa.pub", "x.enc")


@pytest.mark.parametrize("damage", ["flip-late", "truncate", "append"])
def test_tampered_file_leaves_no_partial_plaintext(
    files: dict[str, Path], tmp_path: Path, damage: str
) -> None:
    encrypted, out = tmp_path / "x.enc", tmp_path / "x.out"
    run("encrypt", "--aes-key", files["aes"], files["plain"], encrypted)
    data = bytearray(encrypted.read_bytes())
    if damage == "flip-late":
        data[-200] ^= 0x10  # in the last frames: earlier frames would decrypt fine
    elif damage == "truncate":
        data = data[:-1]
    else:
        data += b"more"
    encrypted.write_bytes(bytes(data))
    out.write_bytes(b"previous contents")
    done = run("decrypt", "--aes-key", files["aes"], encrypted, out)
    assert done.returncode == 1
    assert b"tampered" in done.stderr and b"Traceback" not in done.stderr
    assert out.read_bytes() == b"previous contents"  # untouched, no partial plaintext
    _only(tmp_path, "report.bin", "aes.key", "other.key", "rsa.pem", "rsa.pub", "x.enc", "x.out")


def test_context_must_match_and_required_context_must_be_given(
    files: dict[str, Path], tmp_path: Path
) -> None:
    encrypted, out = tmp_path / "x.enc", tmp_path / "x.out"
    args = ["--aes-key", files["aes"], "-c", "tenant=acme", "-c", "case=42"]
    done = run("encrypt", *args, "--require-context", "case", files["plain"], encrypted)
    assert done.returncode == 0, done.stderr
    assert b"acme" in encrypted.read_bytes()[:400] and b"case" not in encrypted.read_bytes()[:400]
    done = run(
        "decrypt", "--aes-key", files["aes"], "-c", "tenant=other", "-c", "case=42", encrypted, out
    )
    assert done.returncode == 1 and b"encryption context mismatch" in done.stderr
    done = run("decrypt", "--aes-key", files["aes"], encrypted, out)
    assert done.returncode == 1 and b"context" in done.stderr
    assert not out.exists()
    done = run("decrypt", "--aes-key", files["aes"], "-c", "case=42", encrypted, out)
    assert done.returncode == 0, done.stderr
    assert out.read_bytes() == files["plain"].read_bytes()


def test_usage_errors(files: dict[str, Path], tmp_path: Path) -> None:
    done = run("encrypt", files["plain"], tmp_path / "x")
    assert done.returncode != 0 and b"name a key" in done.stderr
    done = run(
        "encrypt", "--aes-key", files["aes"], "-c", "novalue", files["plain"], tmp_path / "x"
    )
    assert done.returncode != 0 and b"KEY=VALUE" in done.stderr
    done = run("decrypt", "--aes-key", files["aes"], tmp_path / "missing", tmp_path / "x")
    assert done.returncode != 0 and b"missing" in done.stderr
    text = tmp_path / "text"  # not random bytes: those may start like a message header
    text.write_bytes(b"plain text, not an encrypted message")
    done = run("decrypt", "--aes-key", files["aes"], text, tmp_path / "x")
    assert done.returncode == 1 and b"not an encrypted message" in done.stderr


def test_cli_output_decrypts_with_the_aws_encryption_sdk(
    files: dict[str, Path], tmp_path: Path
) -> None:
    encrypted = tmp_path / "x.enc"
    assert run("encrypt", "--aes-key", files["aes"], files["plain"], encrypted).returncode == 0
    plaintext = _esdk_decrypt(encrypted.read_bytes(), files["aes"].read_bytes())
    assert plaintext == files["plain"].read_bytes()


def test_aes_key_format_is_explicit_and_never_guessed(tmp_path: Path) -> None:
    plain = tmp_path / "p.bin"
    plain.write_bytes(os.urandom(5000))
    ascii_key = os.urandom(16).hex().encode()  # 32 raw bytes that are also 16 bytes of hex
    key_file = tmp_path / "k.key"
    key_file.write_bytes(ascii_key)
    out = tmp_path / "x.enc"
    done = run("encrypt", "--aes-key", key_file, plain, out)  # two readings: refused
    _one_error_line(done, b"--aes-key-format", b"hex")
    _only(tmp_path, "p.bin", "k.key")

    done = run("encrypt", "--aes-key", key_file, "--aes-key-format", "raw", plain, out)
    assert done.returncode == 0, done.stderr
    assert _esdk_decrypt(out.read_bytes(), ascii_key) == plain.read_bytes()  # all 32 bytes

    done = run("encrypt", "--aes-key", key_file, "--aes-key-format", "hex", plain, out)
    assert done.returncode == 0, done.stderr
    assert _esdk_decrypt(out.read_bytes(), bytes.fromhex(ascii_key.decode())) == plain.read_bytes()

    key = os.urandom(24)
    (tmp_path / "b64.key").write_text(base64.b64encode(key).decode() + "\n")
    (tmp_path / "hex.key").write_text(key.hex() + "\n")
    (tmp_path / "raw.key").write_bytes(key)
    done = run(
        "encrypt", "--aes-key", tmp_path / "b64.key", "--aes-key-format", "base64", plain, out
    )
    assert done.returncode == 0, done.stderr
    assert _esdk_decrypt(out.read_bytes(), key) == plain.read_bytes()
    back = tmp_path / "back.bin"
    args = ["--aes-key", tmp_path / "hex.key", "--aes-key-format", "hex", out, back]
    assert run("decrypt", *args).returncode == 0 and back.read_bytes() == plain.read_bytes()
    back.unlink()
    args = ["--aes-key", tmp_path / "raw.key", "--aes-key-format", "raw", out, back]
    assert run("decrypt", *args).returncode == 0 and back.read_bytes() == plain.read_bytes()
    back.unlink()

    done = run("decrypt", "--aes-key", tmp_path / "hex.key", out, back)  # 49 bytes: not raw
    _one_error_line(done, b"--aes-key-format")
    done = run("decrypt", "--aes-key", tmp_path / "b64.key", "--aes-key-format", "hex", out, back)
    _one_error_line(done, b"hex")
    (tmp_path / "short.key").write_bytes(os.urandom(20))
    done = run("decrypt", "--aes-key", tmp_path / "short.key", "--aes-key-format", "raw", out, back)
    _one_error_line(done, b"20 bytes")
    assert not back.exists()


# Command lines that must each fail with one line; {aes}, {pub} and {plain} name fixture
# files. None needs a server: every one is refused before any KMS call.
_BAD_INPUTS = {
    "reserved-namespace-aes": ("encrypt", "--aes-key", "{aes}", "--key-namespace", "aws-kms"),
    "reserved-namespace-rsa": ("encrypt", "--rsa-key", "{pub}", "--key-namespace", "aws-kms"),
    "reserved-namespace-decrypt": ("decrypt", "--aes-key", "{aes}", "--key-namespace", "aws-kms"),
    "empty-namespace": ("encrypt", "--aes-key", "{aes}", "--key-namespace", ""),
    "empty-key-name": ("encrypt", "--aes-key", "{aes}", "--key-name", ""),
    "non-utf8-key-name": ("encrypt", "--aes-key", "{aes}", "--key-name", "\udcff"),
    "huge-key-name": ("encrypt", "--aes-key", "{aes}", "--key-name", "n" * 70_000),
    "empty-kms-key": ("encrypt", "--key", ""),
    "bad-endpoint": ("encrypt", "--key", "k", "--region", "us-east-1", "--endpoint-url", "no"),
    "context-not-pair": ("encrypt", "--aes-key", "{aes}", "-c", "novalue"),
    "context-twice": ("encrypt", "--aes-key", "{aes}", "-c", "a=1", "-c", "a=2"),
    "rsa-not-pem": ("encrypt", "--rsa-key", "{aes}"),
    "format-without-aes-key": ("encrypt", "--rsa-key", "{pub}", "--aes-key-format", "hex"),
    "aes-key-wrong-size": ("encrypt", "--aes-key", "{plain}"),
    "encrypt-without-key": ("encrypt",),
    "decrypt-without-key": ("decrypt",),
    "discovery-and-key": ("decrypt", "--discovery", "--key", "alias/x"),
    "account-without-discovery": ("decrypt", "--discovery-account", "123456789012"),
    "bad-account": ("decrypt", "--discovery", "--discovery-account", "12345"),
}


@pytest.mark.parametrize("case", sorted(_BAD_INPUTS))
def test_bad_input_is_one_error_line_and_leaves_nothing(
    files: dict[str, Path], tmp_path: Path, case: str
) -> None:
    names = {"aes": files["aes"], "pub": files["public"], "plain": files["plain"]}
    args = [arg.format(**names) for arg in _BAD_INPUTS[case]]
    done = run(*args, files["plain"], tmp_path / "x.out")
    _one_error_line(done)
    assert b"Traceback" not in done.stderr
    _only(tmp_path, "report.bin", "aes.key", "other.key", "rsa.pem", "rsa.pub")


@pytest.mark.parametrize(
    ("raised", "shown"),
    [
        (ValueError("field longer than 65535 bytes"), "cannot encrypt: field longer than"),
        (TypeError("secret b'\\x00'"), "cannot encrypt: unexpected TypeError (a bug"),
    ],
)
def test_unforeseen_errors_are_one_line_and_leave_nothing(
    files: dict[str, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    raised: Exception,
    shown: str,
) -> None:
    """The last line of defence, in process: errors no check foresaw still print one line."""
    from strongroom.cli import envelope

    def fail_midway(source: Any, destination: Any, *args: Any, **kwargs: Any) -> None:
        destination.write(b"partial output")
        raise raised

    monkeypatch.setattr(envelope, "encrypt_stream", fail_midway)
    out = tmp_path / "x.out"
    command = click.Group(commands={"encrypt": envelope.encrypt})
    argv = ["encrypt", "--aes-key", str(files["aes"]), str(files["plain"]), str(out)]
    result = CliRunner().invoke(command, argv)
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"Error: {shown}"), result.output
    assert "secret" not in result.output  # an unexpected error's message is not shown
    _only(tmp_path, "report.bin", "aes.key", "other.key", "rsa.pem", "rsa.pub")


def test_kms_encrypt_and_discovery_decrypt(
    strongroom_server: Any, kms: Any, files: dict[str, Path], tmp_path: Path
) -> None:
    key = kms.create_key(Description="envelope cli")["KeyMetadata"]
    alias = f"alias/cli-{uuid.uuid4().hex[:10]}"
    kms.create_alias(AliasName=alias, TargetKeyId=key["KeyId"])
    other = kms.create_key(Description="envelope cli other")["KeyMetadata"]["Arn"]
    env = strongroom_server.env
    encrypted, out = tmp_path / "k.enc", tmp_path / "k.out"
    done = run("encrypt", "--key", alias, "-c", "app=cli", files["plain"], encrypted, env=env)
    assert done.returncode == 0, done.stderr
    done = run("decrypt", "-c", "app=cli", encrypted, out, env=env)  # no key: no discovery
    _one_error_line(done, b"--discovery")
    assert not out.exists()
    done = run("decrypt", "--discovery", "-c", "app=cli", encrypted, out, env=env)
    assert done.returncode == 0, done.stderr
    assert out.read_bytes() == files["plain"].read_bytes()
    out.unlink()
    account = strongroom_server.account_id
    done = run("decrypt", "--discovery", "--discovery-account", account, encrypted, out, env=env)
    assert done.returncode == 0, done.stderr
    out.unlink()
    done = run("decrypt", "--key", key["Arn"], encrypted, out, env=env)
    assert done.returncode == 0, done.stderr
    out.unlink()
    done = run("decrypt", "--key", other, encrypted, out, env=env)
    assert done.returncode == 1 and b"wrong key" in done.stderr and not out.exists()
    done = run("decrypt", "--discovery", "-c", "app=other", encrypted, out, env=env)
    assert done.returncode == 1 and b"encryption context mismatch" in done.stderr
    args = ["--discovery", "--discovery-account", "000000000000", encrypted, out]
    done = run("decrypt", *args, env=env)
    _one_error_line(done, b"not allowed")
    assert not out.exists()


def test_kms_and_local_key_together(
    strongroom_server: Any, kms: Any, files: dict[str, Path], tmp_path: Path
) -> None:
    arn = kms.create_key(Description="envelope cli multi")["KeyMetadata"]["Arn"]
    env = strongroom_server.env
    encrypted, out = tmp_path / "m.enc", tmp_path / "m.out"
    done = run(
        "encrypt", "--key", arn, "--aes-key", files["aes"], files["plain"], encrypted, env=env
    )
    assert done.returncode == 0, done.stderr
    done = run("decrypt", "--aes-key", files["aes"], encrypted, out)  # no server needed
    assert done.returncode == 0, done.stderr
    assert out.read_bytes() == files["plain"].read_bytes()


def test_progress_bar_only_on_a_terminal(files: dict[str, Path], tmp_path: Path) -> None:
    import pty

    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(12 * 1024 * 1024))
    master, slave = pty.openpty()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(TERM="xterm", COLUMNS="100")
    try:
        process = subprocess.Popen(
            [*CLI, "encrypt", "--aes-key", str(files["aes"]), str(big), str(tmp_path / "big.enc")],
            stderr=slave,
            stdout=subprocess.DEVNULL,
            env=env,
        )
        os.close(slave)
        shown = b""
        while True:  # read while it runs, so a full terminal buffer never blocks it
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            shown += chunk
        process.wait(timeout=120)
    finally:
        os.close(master)
    assert process.returncode == 0
    assert b"\x1b[" in shown and b"MB" in shown  # a rich bar drawn on the terminal
    piped = run("encrypt", "--aes-key", files["aes"], big, tmp_path / "big2.enc")
    assert piped.returncode == 0 and piped.stderr == b""
