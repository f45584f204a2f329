"""Re-creates this folder's vector files from pyca's `cryptography_vectors` 48.0.0 wheel.

Run `python3 vendor.py /path/to/unpacked/wheel` once; the output is committed. Every kept
line is the wheel's, unchanged: trimmed files keep the original format, drop whole blocks
(README.md says which and why) and keep one blank line between the blocks they keep.
"""

from __future__ import annotations

import re
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).parent
SIGN_HASHES = {"SHA256", "SHA384", "SHA512"}
E_65537 = "10001"
Keep = Callable[[str, str, dict[str, str]], bool]


def blocks(text: str) -> list[str]:
    """The file's blank-line-separated blocks, each without its trailing newline."""
    return [block for block in re.split(r"\n\s*\n", text.strip("\n")) if block.strip()]


def fields(block: str) -> dict[str, str]:
    """`name = value` lines of a block (comments and section headers ignored)."""
    pairs = (line.split("=", 1) for line in block.splitlines() if "=" in line)
    return {name.strip(): value.strip() for name, value in pairs}


def keep_blocks(source: Path, target: str, keep: Keep) -> None:
    """Copy `source` keeping the blocks `keep` wants; a `[...]` or `Title =` block starts a
    section, and `keep` sees the section each block is in."""
    section, kept = "", []
    for block in blocks(source.read_text()):
        if block.startswith(("[", "Title =")):
            section = block.splitlines()[0]
        if keep(section, block, fields(block)):
            kept.append(block)
    (HERE / target).write_text("\n\n".join(kept) + "\n")


def cavs_rsa(wanted_mods: set[str], failures_only: bool = False) -> Keep:
    """CAVS RSA SigVer: key blocks of the wanted moduli; e = 65537 cases with SHA-256/384/512,
    except those whose public exponent was changed (their key is not the one imported) and,
    with `failures_only`, the passing ones."""

    def keep(section: str, block: str, values: dict[str, str]) -> bool:
        if block.startswith("#"):
            return True
        if section not in wanted_mods:
            return False
        if "SHAAlg" not in values:
            return True  # the section header, `n`, `p`/`q`
        return (
            values["SHAAlg"] in SIGN_HASHES
            and values["e"].lstrip("0") == E_65537
            and "Public Key e changed" not in values["Result"]
            and not (failures_only and values["Result"] == "P")
        )

    return keep


def first_cases(wanted: set[str], count: int) -> Keep:
    """CAVS SigGen: the first `count` cases of each wanted section."""
    seen: dict[str, int] = {}

    def keep(section: str, block: str, values: dict[str, str]) -> bool:
        if block.startswith("#"):
            return True
        if section not in wanted:
            return False
        if block.startswith("["):
            return True
        seen[section] = seen.get(section, 0) + 1
        return seen[section] <= count

    return keep


def rfc6979(section: str, block: str, values: dict[str, str]) -> bool:
    """OpenSSL's RFC 6979 file: P-256/P-384/P-521 keys and their KMS hash's sign/verify blocks."""
    curve_hash = {"P-256": "SHA256", "P-384": "SHA384", "P-521": "SHA512"}
    if block.startswith("#"):
        return True
    wanted = curve_hash.get(section.split()[4]) if section else None
    if wanted is None:
        return False
    if "Key" not in values:
        return True  # the Title, PrivateKey / PublicKey / PrivPubKeyPair
    return values.get("DigestSign", values.get("DigestVerify")) == wanted


def oaep_example(text: str, start: str) -> str:
    """The file's header comment and the example from `start` up to the next separator."""
    rule = "# ============================================="
    body = text[text.index(start) :]
    end = body.find(rule, len(rule))
    header = text[: min(text.index(rule), text.index("# Example"))]
    return header + (body if end < 0 else body[:end])


def main(wheel: Path) -> None:
    vectors = wheel / "cryptography_vectors"
    for digest in ("sha224", "sha256", "sha384", "sha512"):
        shutil.copyfile(vectors / f"HMAC/rfc-4231-{digest}.txt", HERE / f"rfc-4231-{digest}.txt")
    asym = vectors / "asymmetric"
    keep_blocks(asym / "ECDSA/RFC6979/evppkey_ecdsa_rfc6979.txt", "ecdsa-rfc6979.txt", rfc6979)
    siggen = first_cases({"[P-256,SHA-256]", "[P-384,SHA-384]", "[P-521,SHA-512]"}, 2)
    keep_blocks(asym / "ECDSA/FIPS_186-3/SigGen.txt", "ecdsa-siggen-186-3.txt", siggen)
    rsa = asym / "RSA"
    keep_blocks(
        rsa / "FIPS_186-2/SigVer15_186-3.rsp",
        "rsa-sigver15-186-3.rsp",
        cavs_rsa({"[mod = 2048]", "[mod = 4096]"}),
    )
    keep_blocks(
        rsa / "FIPS_186-2/SigVerPSS_186-3.rsp",
        "rsa-sigverpss-186-3.rsp",
        cavs_rsa({"[mod = 3072]"}, failures_only=True),
    )
    oaep = (rsa / "pkcs-1v2-1d2-vec/oaep-vect.txt").read_text()
    example_10 = "# =============================================\n\n# Example 10:"
    (HERE / "rsa-oaep-sha1-vect.txt").write_text(oaep_example(oaep, example_10))
    custom = (rsa / "oaep-custom/oaep-sha256-sha256.txt").read_text()
    (HERE / "rsa-oaep-sha256-custom.txt").write_text(oaep_example(custom, "# ====="))
    lines = (asym / "Ed25519/sign.input").read_text().splitlines(keepends=True)
    (HERE / "ed25519-sign.input").write_text("".join(lines[i - 1] for i in (2, 3, 1024)))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
