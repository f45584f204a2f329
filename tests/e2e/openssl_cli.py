"""The `openssl` command line as an outside party: verify, encrypt and derive with KMS keys.

Each function writes its inputs to a private temporary folder, runs one `openssl` command
and reads its answer. Keys go in as DER, as KMS hands them out (SubjectPublicKeyInfo from
GetPublicKey, PKCS #8 from GenerateDataKeyPair). A verification answers True, or False
when openssl reports a verification failure (a well-formed signature over other bytes), so
a test can show that openssl refuses what it must refuse as well as accepting what it must
accept; any other failure of a command (a key it cannot read, a malformed signature, an
option it does not know) raises with openssl's own words.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

PSS_OPTIONS = ("rsa_padding_mode:pss", "rsa_pss_saltlen:digest")


def binary() -> str:
    """The `openssl` program on PATH (the tests that use it need it)."""
    found = shutil.which("openssl")
    if found is None:
        raise RuntimeError("the openssl command line is not installed")
    return found


def version() -> tuple[int, int, int]:
    """The version of the `openssl` command line, e.g. (3, 0, 19)."""
    text = subprocess.run([binary(), "version"], capture_output=True, check=True, text=True).stdout
    match = re.search(r"OpenSSL (\d+)\.(\d+)\.(\d+)", text)
    if match is None:
        raise RuntimeError(f"unrecognised openssl version: {text!r}")
    major, minor, patch = (int(part) for part in match.groups())
    return major, minor, patch


def supports_ml_dsa() -> bool:
    """ML-DSA keys and signatures arrived in OpenSSL 3.5."""
    return version() >= (3, 5, 0)


def _run(args: list[str], folder: Path) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([binary(), *args], cwd=folder, capture_output=True, check=False)


def _files(folder: Path, **contents: bytes) -> None:
    for name, data in contents.items():
        (folder / name).write_bytes(data)


def verify(
    public_der: bytes,
    signature: bytes,
    message: bytes,
    *,
    digest: str | None,
    prehashed: bool = False,
    pss: bool = False,
) -> bool:
    """Does `signature` verify under the public key?

    `digest` names the hash (sha256, sha384, sha512) for RSA and ECDSA; None means a scheme
    that signs the raw message itself (Ed25519, ML-DSA). `prehashed` says `message` is
    already that digest; `pss` selects RSASSA-PSS with a salt as long as the digest, as KMS
    signs.
    """
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        _files(folder, **{"pub.der": public_der, "sig.bin": signature, "msg.bin": message})
        key = ["-pubin", "-inkey", "pub.der", "-keyform", "DER"]
        if digest is None:
            args = ["pkeyutl", "-verify", *key, "-rawin", "-in", "msg.bin", "-sigfile", "sig.bin"]
        elif prehashed:
            args = ["pkeyutl", "-verify", *key, "-in", "msg.bin", "-sigfile", "sig.bin"]
            args += ["-pkeyopt", f"digest:{digest}"]
            for option in PSS_OPTIONS if pss else ():
                args += ["-pkeyopt", option]
        else:
            args = ["dgst", f"-{digest}", "-verify", "pub.der", "-keyform", "DER"]
            args += ["-signature", "sig.bin"]
            for option in PSS_OPTIONS if pss else ():
                args += ["-sigopt", option]
            args.append("msg.bin")
        result = _run(args, folder)
    said = result.stdout + result.stderr
    if result.returncode == 0 and (b"Verified OK" in said or b"Verified Successfully" in said):
        return True
    if result.returncode != 0 and b"verification failure" in said.lower():
        return False
    raise RuntimeError(f"openssl {' '.join(args)} failed: {said.decode(errors='replace')}")


def encrypt_oaep(public_der: bytes, plaintext: bytes, digest: str) -> bytes:
    """RSAES-OAEP with `digest` (sha1, sha256) for both the hash and MGF1, empty label."""
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        _files(folder, **{"pub.der": public_der, "plain.bin": plaintext})
        args = ["pkeyutl", "-encrypt", "-pubin", "-inkey", "pub.der", "-keyform", "DER"]
        args += ["-in", "plain.bin", "-out", "cipher.bin"]
        args += ["-pkeyopt", "rsa_padding_mode:oaep"]
        args += ["-pkeyopt", f"rsa_oaep_md:{digest}", "-pkeyopt", f"rsa_mgf1_md:{digest}"]
        result = _run(args, folder)
        if result.returncode != 0:
            raise RuntimeError(f"openssl encrypt failed: {result.stderr.decode(errors='replace')}")
        return (folder / "cipher.bin").read_bytes()


def derive(private_der: bytes, peer_public_der: bytes) -> bytes:
    """The raw ECDH shared secret of a PKCS #8 private key and a peer's SPKI public key."""
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        _files(folder, **{"key.der": private_der, "peer.der": peer_public_der})
        args = ["pkeyutl", "-derive", "-inkey", "key.der", "-keyform", "DER"]
        args += ["-peerkey", "peer.der", "-peerform", "DER", "-out", "secret.bin"]
        result = _run(args, folder)
        if result.returncode != 0:
            raise RuntimeError(f"openssl derive failed: {result.stderr.decode(errors='replace')}")
        return (folder / "secret.bin").read_bytes()


def public_key_of(private_der: bytes) -> bytes:
    """The DER SubjectPublicKeyInfo of a DER private key, as openssl reads the key."""
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        _files(folder, **{"key.der": private_der})
        args = ["pkey", "-inform", "DER", "-in", "key.der", "-pubout", "-outform", "DER"]
        result = _run([*args, "-out", "pub.der"], folder)
        if result.returncode != 0:
            raise RuntimeError(f"openssl pkey failed: {result.stderr.decode(errors='replace')}")
        return (folder / "pub.der").read_bytes()
