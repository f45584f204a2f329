"""Canaries: random values nothing else holds, and the search for them where a leak lands.

A canary is looked for raw, as hex (either case) and as base64 (standard or URL-safe, at
any alignment inside a longer encoded run), in named blobs: the files of a data directory
(see `at_rest.data_files`), what the server printed (`printed`), an error message. A long
canary is also looked for by stretches (`pieces`), since a leak may be cut short.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Callable
from pathlib import Path

from tests.e2e.harness import ServerProcess


def new_canary(size: int = 0) -> str:
    """A random value that nothing else holds, padded with more randomness to `size`."""
    head = f"canary-{secrets.token_hex(24)}"
    pad = max(size - len(head), 0)
    return head + secrets.token_hex(pad)[:pad]


def pieces(value: str) -> list[bytes]:
    """A canary and, for a long one, stretches of it (a leak may be cut short)."""
    raw = value.encode()
    return [raw] + [raw[i : i + 64] for i in range(0, len(raw), 1000)] if len(raw) > 64 else [raw]


def holders(blobs: dict[str, bytes], canaries: list[bytes]) -> list[str]:
    """Names of the blobs that hold any form of any canary."""
    needles = {needle for canary in canaries for needle in _needles(canary)}
    return sorted(name for name, data in blobs.items() if any(n in data for n in needles))


def debug_server(start_server: Callable[..., ServerProcess], tmp_path: Path) -> ServerProcess:
    """A private server on `tmp_path / "data"`, logging at debug level to a file."""
    return start_server(
        tmp_path / "data",
        stderr_path=tmp_path / "server.log",
        extra_args=["--log-level", "debug"],
    )


def printed(server: ServerProcess) -> dict[str, bytes]:
    """What a stopped server printed: its stdout, and the stderr it wrote to its file."""
    assert server.stderr_path is not None
    return {"stdout": server.stdout, "stderr": Path(server.stderr_path).read_bytes()}


def _needles(canary: bytes) -> set[bytes]:
    """The canary as raw bytes, base64 (any alignment) and hex (either case)."""
    return {canary, canary.hex().encode(), canary.hex().upper().encode(), *_base64_forms(canary)}


def _base64_forms(data: bytes) -> set[bytes]:
    """Stretches of base64 that any encoding of `data` contains, at any alignment."""
    forms: set[bytes] = set()
    for shift in range(3):
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            text = encode(b"\x00" * shift + data)
            forms.add(text[4 if shift else 0 : -4])
    return forms
