"""Envelope encryption throughput: Strongroom's library vs the AWS Encryption SDK vs bare AES-GCM.

Streams one file (1 GiB by default, created in a temporary directory and deleted after)
file to file through each contender, encrypt then decrypt, in interleaved rounds (the case
order rotates every round) and reports medians in MB/s (10^6 bytes of plaintext per second):

- bare: an AES-256-GCM loop that reads a frame, encrypts it (a fresh nonce per frame, no
  format at all) and writes it; decrypt likewise. The floor for any Python implementation,
  file I/O included.
- strongroom: `strongroom_envelope.encrypt_stream` / `decrypt_stream` with a raw AES keyring,
  at 4 KiB frames and at its default frame size, committing suite without signature
  (0x0478), plus the signing suite (0x0578) at the default frame size.
- aws-encryption-sdk: the `aws-encryption-sdk` package's stream API, raw AES master key,
  suite 0x0478 at its default 4 KiB frames.

Peak memory of Strongroom's library is measured in a separate child process per case (its
maximum RSS, and the growth of RSS over the process after imports), on the same file.

    PYTHONPATH=src python bench/envelope_throughput.py [--size-mib 1024] [--rounds 3]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

import strongroom_envelope as envelope

KEY = bytes(range(32))
MB = 1_000_000
KIB = 1024


Runner = Callable[[Path, Path], None]


@dataclass
class Case:
    """One contender at one frame size; `make` builds its encrypt and decrypt runners."""

    name: str
    frame: int
    make: Callable[[], tuple[Runner, Runner]]
    runners: tuple[Runner, Runner] | None = None

    @property
    def label(self) -> str:
        return f"{self.name} @ {self.frame // KIB} KiB"

    def run(self, direction: str, source: Path, target: Path) -> None:
        if self.runners is None:
            self.runners = self.make()
        self.runners[0 if direction == "encrypt" else 1](source, target)


def _bare(frame: int) -> tuple[Runner, Runner]:
    aead = AESGCM(KEY)

    def encrypt(source: Path, target: Path) -> None:
        sequence = 0
        with source.open("rb") as src, target.open("wb") as dst:
            read, write, seal = src.read, dst.write, aead.encrypt
            while chunk := read(frame):
                sequence += 1
                write(seal(struct.pack(">QI", 0, sequence), chunk, None))

    def decrypt(source: Path, target: Path) -> None:
        sequence = 0
        with source.open("rb") as src, target.open("wb") as dst:
            read, write, open_ = src.read, dst.write, aead.decrypt
            while chunk := read(frame + 16):
                sequence += 1
                write(open_(struct.pack(">QI", 0, sequence), chunk, None))

    return encrypt, decrypt


def _strongroom(frame: int, suite: envelope.AlgorithmSuite) -> tuple[Runner, Runner]:
    keyring = envelope.RawAesKeyring("bench", "aes", KEY)

    def encrypt(source: Path, target: Path) -> None:
        with source.open("rb") as src, target.open("wb") as dst:
            envelope.encrypt_stream(src, dst, keyring, suite=suite, frame_length=frame)

    def decrypt(source: Path, target: Path) -> None:
        with source.open("rb") as src, target.open("wb") as dst:
            envelope.decrypt_stream(src, dst, keyring)

    return encrypt, decrypt


def _esdk(frame: int) -> tuple[Runner, Runner]:
    import aws_encryption_sdk
    from aws_encryption_sdk.identifiers import (
        AlgorithmSuite,
        CommitmentPolicy,
        EncryptionKeyType,
        WrappingAlgorithm,
    )
    from aws_encryption_sdk.internal.crypto.wrapping_keys import WrappingKey
    from aws_encryption_sdk.key_providers.raw import RawMasterKey

    client = aws_encryption_sdk.EncryptionSDKClient(
        commitment_policy=CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT
    )
    master_key = RawMasterKey(
        provider_id="bench",
        key_id=b"aes",
        wrapping_key=WrappingKey(
            wrapping_algorithm=WrappingAlgorithm.AES_256_GCM_IV12_TAG16_NO_PADDING,
            wrapping_key=KEY,
            wrapping_key_type=EncryptionKeyType.SYMMETRIC,
        ),
    )
    suite = AlgorithmSuite.AES_256_GCM_HKDF_SHA512_COMMIT_KEY
    read_size = 64 * KIB  # its best read size here: larger reads re-copy its output buffer

    def run(mode: str, source: Path, target: Path) -> None:
        options: dict[str, Any] = {"algorithm": suite, "frame_length": frame} if mode == "e" else {}
        with (
            source.open("rb") as src,
            target.open("wb") as dst,
            client.stream(mode=mode, source=src, key_provider=master_key, **options) as stream,
        ):
            while chunk := stream.read(read_size):
                dst.write(chunk)

    return (lambda s, t: run("e", s, t)), (lambda s, t: run("d", s, t))


def cases() -> list[Case]:
    """Every contender; nothing is imported or keyed until a case first runs."""
    default = envelope.DEFAULT_FRAME_LENGTH
    unsigned = envelope.AES_256_GCM_HKDF_SHA512_COMMIT_KEY
    signed = envelope.AES_256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384
    frames = sorted({4 * KIB, default, 1024 * KIB})
    result = [Case("bare AES-GCM loop", f, lambda f=f: _bare(f)) for f in frames]
    result += [
        Case("strongroom 0x0478", 4 * KIB, lambda: _strongroom(4 * KIB, unsigned)),
        Case("strongroom 0x0478", default, lambda: _strongroom(default, unsigned)),
        Case("strongroom 0x0578 (signed)", default, lambda: _strongroom(default, signed)),
        Case("aws-encryption-sdk 0x0478", 4 * KIB, lambda: _esdk(4 * KIB)),
    ]
    return result


def _file_hash(path: Path) -> bytes:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.digest()


def _make_input(path: Path, size: int) -> None:
    block = os.urandom(1 << 20)
    with path.open("wb") as handle:
        for offset in range(0, size, len(block)):
            handle.write(block[: min(len(block), size - offset)])


def _time(case: Case, direction: str, source: Path, target: Path) -> float:
    start = time.perf_counter()
    case.run(direction, source, target)
    return time.perf_counter() - start


def measure(size: int, rounds: int, workdir: Path) -> dict[str, dict[str, list[float]]]:
    """Seconds per case and direction, over interleaved rounds."""
    plaintext = workdir / "plaintext.bin"
    _make_input(plaintext, size)
    expected = _file_hash(plaintext)
    all_cases = cases()
    timings: dict[str, dict[str, list[float]]] = {
        c.label: {"encrypt": [], "decrypt": []} for c in all_cases
    }
    for case in all_cases:  # import and key everything before the first timing
        case.runners = case.make()
    for round_number in range(rounds):
        shift = round_number % len(all_cases)
        for case in all_cases[shift:] + all_cases[:shift]:
            label = case.label
            encrypted, decrypted = workdir / "encrypted.bin", workdir / "decrypted.bin"
            timings[label]["encrypt"].append(_time(case, "encrypt", plaintext, encrypted))
            timings[label]["decrypt"].append(_time(case, "decrypt", encrypted, decrypted))
            if round_number == 0 and _file_hash(decrypted) != expected:
                raise SystemExit(f"{label}: decrypted file differs from the plaintext")
            encrypted.unlink()
            decrypted.unlink()
            print(
                f"  round {round_number + 1}: {label:<40} "
                f"{size / MB / timings[label]['encrypt'][-1]:7.0f} / "
                f"{size / MB / timings[label]['decrypt'][-1]:7.0f} MB/s",
                file=sys.stderr,
            )
    return timings


def _peak_rss_kib() -> int:
    """This process's peak RSS. VmHWM, not ru_maxrss: that one keeps the parent's peak."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def child_memory(case_label: str, source: str, target: str, direction: str) -> None:
    """Child mode: run one case once and print its peak memory as JSON."""
    case = next(c for c in cases() if c.label == case_label)
    case.runners = case.make()
    baseline = _peak_rss_kib()
    case.run(direction, Path(source), Path(target))
    peak = _peak_rss_kib()
    print(json.dumps({"peak_kib": peak, "baseline_kib": baseline}))


def memory(size: int, workdir: Path) -> dict[str, dict[str, tuple[float, float]]]:
    """(peak RSS MiB, RSS growth MiB) per Strongroom case and direction, from child processes."""
    plaintext = workdir / "plaintext.bin"
    result: dict[str, dict[str, tuple[float, float]]] = {}
    for case in cases():
        if not case.name.startswith("strongroom"):
            continue
        label = case.label
        result[label] = {}
        encrypted, decrypted = workdir / "encrypted.bin", workdir / "decrypted.bin"
        for direction, source, target in (
            ("encrypt", plaintext, encrypted),
            ("decrypt", encrypted, decrypted),
        ):
            output = subprocess.run(
                [sys.executable, __file__, "--child", label, str(source), str(target), direction],
                capture_output=True,
                check=True,
                text=True,
            ).stdout
            sample = json.loads(output)
            result[label][direction] = (
                sample["peak_kib"] / 1024,
                (sample["peak_kib"] - sample["baseline_kib"]) / 1024,
            )
        encrypted.unlink()
        decrypted.unlink()
    return result


def report(
    size: int,
    rounds: int,
    timings: dict[str, dict[str, list[float]]],
    memory_mib: dict[str, dict[str, tuple[float, float]]],
) -> None:
    def rate(label: str, direction: str) -> float:
        return size / MB / statistics.median(timings[label][direction])

    print(f"\nEnvelope throughput: {size / (1 << 20):.0f} MiB file to file, median of {rounds} "
          f"interleaved rounds, {os.cpu_count()} CPUs")  # fmt: skip
    print(f"{'case':<44} {'encrypt MB/s':>12} {'decrypt MB/s':>12} {'peak RSS enc/dec MiB':>22}")
    for label in timings:
        mem = memory_mib.get(label)
        peak = f"{mem['encrypt'][0]:.0f} / {mem['decrypt'][0]:.0f}" if mem else "-"
        speeds = f"{rate(label, 'encrypt'):>12.0f} {rate(label, 'decrypt'):>12.0f}"
        print(f"{label:<44} {speeds} {peak:>22}")
    default = envelope.DEFAULT_FRAME_LENGTH // KIB
    ours4, esdk4 = "strongroom 0x0478 @ 4 KiB", "aws-encryption-sdk 0x0478 @ 4 KiB"
    ours, bare = f"strongroom 0x0478 @ {default} KiB", f"bare AES-GCM loop @ {default} KiB"

    def rounds_of(ours: str, theirs: str, direction: str) -> str:
        """Per-round ratios too: the machine's load drifts between rounds."""
        pairs = zip(timings[theirs][direction], timings[ours][direction], strict=True)
        return ", ".join(f"{their / mine:.2f}" for their, mine in pairs)

    print("\nGoals (ratio of medians; per round in brackets):")
    for direction in ("encrypt", "decrypt"):
        ratio = rate(ours4, direction) / rate(esdk4, direction)
        print(
            f"  4 KiB frames, {direction}: {ratio:.1f}x the aws-encryption-sdk "
            f"[{rounds_of(ours4, esdk4, direction)}] (goal >= 8x)"
        )
    for direction in ("encrypt", "decrypt"):
        share = rate(ours, direction) / rate(bare, direction)
        print(
            f"  {default} KiB frames, {direction}: {share:.0%} of the bare loop "
            f"[{rounds_of(ours, bare, direction)}] (goal >= 80%)"
        )
    if memory_mib:
        worst = max(v[0] for m in memory_mib.values() for v in m.values())
        growth = max(v[1] for m in memory_mib.values() for v in m.values())
        print(f"  peak memory: {worst:.0f} MiB process RSS, {growth:.1f} MiB above the process "
              "after imports (goal < 40 MiB)")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--dir", type=Path, default=None, help="where to put the temporary files")
    parser.add_argument("--no-memory", action="store_true", help="skip the memory runs")
    parser.add_argument("--child", nargs=4, metavar=("CASE", "IN", "OUT", "DIRECTION"))
    args = parser.parse_args()
    if args.child:
        child_memory(*args.child)
        return
    size = args.size_mib * (1 << 20)
    workdir = Path(tempfile.mkdtemp(prefix="envelope-bench-", dir=args.dir))
    try:
        timings = measure(size, args.rounds, workdir)
        memory_mib = {} if args.no_memory else memory(size, workdir)
        report(size, args.rounds, timings, memory_mib)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
