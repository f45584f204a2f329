"""Dev-mode seal: the root key sits in a file in the data directory. INSECURE, dev only.

Anyone who can read the key file and the data directory can decrypt everything in it; the
point of dev mode is a server that starts auto-unsealed with no operator, nothing more.

Key file format, version 1 (text, so a person who opens it sees the warning)::

    # <warning lines>
    strongroom-devkey-v1:<standard base64 of the 32-byte root key>

Invariants:
- The file is created once, mode 0600, in a directory created 0700 if missing; it is
  written to a temporary file and linked into place, so a reader never sees a partial
  key and two servers starting at once agree on one key.
- A key file readable or writable by group or others is refused, not silently used.
- Errors never hold key-file content.
"""

from __future__ import annotations

import base64
import binascii
import logging
import os
import stat
import tempfile
from pathlib import Path

from strongroom.crypto.random import RandomBytes, system_random
from strongroom.seal.base import ROOT_KEY_BYTES, SealError

__all__ = ["DEFAULT_FILENAME", "INSECURE_NOTICE", "DevKeySeal"]

DEFAULT_FILENAME = "dev-root.key"
INSECURE_NOTICE = (
    "DEV MODE: the root key is stored in the clear at {path}. Anyone who can read it can "
    "decrypt every secret in this data directory. Never use dev mode for real secrets."
)

_PREFIX = "strongroom-devkey-v1:"
_HEADER = (
    "# Strongroom DEV MODE root key. INSECURE: whoever reads this file can decrypt\n"
    "# everything in this data directory. Never use dev mode for real secrets.\n"
)
_MAX_FILE_BYTES = 4096

_log = logging.getLogger(__name__)


class DevKeySeal:
    """Auto-unseal from a plain key file: for development only."""

    def __init__(self, path: str | os.PathLike[str], rng: RandomBytes = system_random) -> None:
        self._path = Path(path)
        self._rng = rng

    @property
    def kind(self) -> str:
        return "devkey"

    @property
    def auto_unseal(self) -> bool:
        return True

    @property
    def path(self) -> Path:
        """Where the key file lives."""
        return self._path

    def load_or_create(self) -> bytes:
        """Return the root key from the key file, creating the file on first start."""
        _log.warning(INSECURE_NOTICE.format(path=self._path))
        try:
            return self._load()
        except FileNotFoundError:
            pass
        root_key = self._rng(ROOT_KEY_BYTES)
        if len(root_key) != ROOT_KEY_BYTES:
            raise ValueError("rng returned a root key of the wrong length")
        self._create(root_key)
        # Another process may have linked its key first: the file on disk is the answer.
        return self._load()

    def _load(self) -> bytes:
        fd = os.open(self._path, os.O_RDONLY | os.O_NOFOLLOW)
        with os.fdopen(fd, "rb") as handle:
            info = os.fstat(handle.fileno())
            if not stat.S_ISREG(info.st_mode):
                raise SealError(f"the dev key file {self._path} is not a regular file")
            if info.st_mode & 0o077:
                raise SealError(
                    f"the dev key file {self._path} is accessible to other users; "
                    "run chmod 600 on it"
                )
            content = handle.read(_MAX_FILE_BYTES + 1)
        return _parse(content, self._path)

    def _create(self, root_key: bytes) -> None:
        directory = self._path.parent
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        text = _HEADER + _PREFIX + base64.b64encode(root_key).decode("ascii") + "\n"
        fd, temp_name = tempfile.mkstemp(prefix=".devkey-", dir=directory)  # mode 0600
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(text.encode("ascii"))
                handle.flush()
                os.fsync(handle.fileno())
            try:
                os.link(temp_name, self._path)
            except FileExistsError:
                return  # lost a race with another starting server; its key stands
            _fsync_directory(directory)
        finally:
            os.unlink(temp_name)


def _parse(content: bytes, path: Path) -> bytes:
    malformed = SealError(f"the dev key file {path} is malformed")
    if len(content) > _MAX_FILE_BYTES:
        raise malformed
    try:
        lines = content.decode("ascii").splitlines()
    except UnicodeDecodeError:
        raise malformed from None
    body = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    if len(body) != 1 or not body[0].startswith(_PREFIX):
        raise malformed
    try:
        root_key = base64.b64decode(body[0][len(_PREFIX) :], validate=True)
    except (binascii.Error, ValueError):
        raise malformed from None
    if len(root_key) != ROOT_KEY_BYTES:
        raise malformed
    return root_key


def _fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
