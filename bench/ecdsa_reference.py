"""The floor under KMS Sign: one ECDSA P-256 signature of a 32-byte digest, by cryptography.

Usage: `python bench/ecdsa_reference.py [--signatures 2000] [--repeats 15]`; prints one line
`ECDSA_JSON {...}`. `bench/kms_load.py` runs it as its `ecdsa` target beside Sign, in the
same round, on the same machine.

The signature is Strongroom's (`strongroom.crypto.asymmetric.PrivateKey.sign`, read, not
imported, so this stays bare pyca/cryptography): a P-256 private key made once, then
`key.sign(digest, ec.ECDSA(Prehashed(SHA256())))`, DER out. Each repeat times
`--signatures` signatures with `time.process_time` (this process's CPU, both user and
system); the figure is the median repeat over its signatures. One untimed repeat warms up.
Invariants: the digest is 32 random bytes, the same for every signature (ECDSA draws a fresh
nonce each time, so no signature is cached); the first signature is verified.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed


def measure(signatures: int, repeats: int) -> dict[str, object]:
    """CPU µs per signature: median, min and max over `repeats` timed repeats."""
    key = ec.generate_private_key(ec.SECP256R1())
    digest = os.urandom(32)
    algorithm = ec.ECDSA(Prehashed(hashes.SHA256()))
    key.public_key().verify(key.sign(digest, algorithm), digest, algorithm)  # raises if wrong
    sign = key.sign
    per_repeat = []
    for repeat in range(repeats + 1):
        started = time.process_time()
        for _ in range(signatures):
            sign(digest, algorithm)
        if repeat:  # repeat 0 warms up
            per_repeat.append((time.process_time() - started) * 1e6 / signatures)
    return {
        "us_per_signature": statistics.median(per_repeat),
        "min_us": min(per_repeat),
        "max_us": max(per_repeat),
        "signatures": signatures,
        "repeats": repeats,
        "per_repeat_us": per_repeat,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--signatures", type=int, default=2000, help="signatures per repeat")
    parser.add_argument("--repeats", type=int, default=15, help="timed repeats")
    args = parser.parse_args()
    if args.signatures < 1 or args.repeats < 1:
        parser.error("need --signatures >= 1 and --repeats >= 1")
    print("ECDSA_JSON " + json.dumps(measure(args.signatures, args.repeats)), flush=True)


if __name__ == "__main__":
    main()
