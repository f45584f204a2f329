"""Unpacks a deployment package (a zip) into a private directory, refusing what is unsafe.

Invariants: nothing is written outside the root. A name that is absolute or holds a `..`
part is refused, and so is any entry that is not a file, a directory or a symlink.
Files and directories are written first, while the tree holds no symlink, each file
created anew (a duplicate name is refused). Symlinks come last, each only if its target
is relative, no part of its own path is a symlink, and it resolves inside the root once
all are made. At most `MAX_PACKAGE_ENTRIES` entries and `MAX_UNPACKED_BYTES`
bytes (Lambda's 250 MiB), counted as written, not as declared. Files keep the execute
bit; never setuid, setgid or sticky bits.
"""

from __future__ import annotations

import io
import os
import stat
import zipfile
import zlib
from pathlib import Path, PurePosixPath

from strongroom.functions.limits import (
    MAX_LINK_TARGET_BYTES,
    MAX_PACKAGE_ENTRIES,
    MAX_UNPACKED_BYTES,
)

_CHUNK = 1 << 20


class PackageError(Exception):
    """The deployment package cannot be unpacked safely; the message says why."""


def unpack(code: bytes, root: Path) -> None:
    """Write the package `code` into the existing, empty directory `root`."""
    try:
        with zipfile.ZipFile(io.BytesIO(code)) as package:
            _unpack(package, root)
    except PackageError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError) as error:
        raise PackageError(f"not a valid zip file: {error}") from None
    except (NotImplementedError, RuntimeError) as error:
        raise PackageError(f"unsupported zip entry: {error}") from None
    except OSError as error:
        raise PackageError(f"cannot unpack: {error.strerror}") from None


def _unpack(package: zipfile.ZipFile, root: Path) -> None:
    entries = package.infolist()
    if len(entries) > MAX_PACKAGE_ENTRIES:
        raise PackageError(f"more than {MAX_PACKAGE_ENTRIES} entries")
    if sum(entry.file_size for entry in entries) > MAX_UNPACKED_BYTES:
        raise PackageError(f"unzipped size must be smaller than {MAX_UNPACKED_BYTES} bytes")
    links: list[tuple[zipfile.ZipInfo, PurePosixPath]] = []
    written = 0
    for entry in entries:
        relative = _relative_path(entry.filename)
        if relative is None:
            continue
        kind = stat.S_IFMT(entry.external_attr >> 16)
        if kind == stat.S_IFLNK:
            links.append((entry, relative))
        elif entry.is_dir() or kind == stat.S_IFDIR:
            _directory(root, relative.parts, entry.filename)
        elif kind in (0, stat.S_IFREG):
            written = _write_file(package, entry, root, relative, written)
        else:
            raise PackageError(f"{entry.filename!r} is not a file, directory or symlink")
    for entry, relative in links:
        _make_link(package, entry, relative, root)
    _check_links(links, root)


def _relative_path(name: str) -> PurePosixPath | None:
    """The entry's path below the root (None for the root itself), or a refusal."""
    if "\x00" in name or name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        raise PackageError(f"{name!r} is an absolute path")
    parts = [part for part in name.split("/") if part not in ("", ".")]
    if ".." in parts:
        raise PackageError(f"{name!r} leaves the package")
    return PurePosixPath(*parts) if parts else None


def _directory(root: Path, parts: tuple[str, ...], name: str) -> Path:
    """`root/parts`, made where missing; refused if any part is a symlink or a file."""
    current = root
    for part in parts:
        current = current / part
        try:
            mode = os.lstat(current).st_mode
        except FileNotFoundError:
            os.mkdir(current, 0o755)
            continue
        if not stat.S_ISDIR(mode):
            raise PackageError(f"{name!r} is below a symlink or a file")
    return current


def _write_file(
    package: zipfile.ZipFile,
    entry: zipfile.ZipInfo,
    root: Path,
    relative: PurePosixPath,
    written: int,
) -> int:
    target = _directory(root, relative.parent.parts, entry.filename) / relative.name
    mode = 0o755 if (entry.external_attr >> 16) & 0o100 else 0o644
    try:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, mode)
    except FileExistsError:
        raise PackageError(f"{entry.filename!r} appears twice") from None
    with os.fdopen(fd, "wb") as output, package.open(entry) as source:
        while chunk := source.read(_CHUNK):
            written += len(chunk)
            if written > MAX_UNPACKED_BYTES:
                raise PackageError(f"unzipped size must be smaller than {MAX_UNPACKED_BYTES} bytes")
            output.write(chunk)
    os.chmod(target, mode)
    return written


def _make_link(
    package: zipfile.ZipFile, entry: zipfile.ZipInfo, relative: PurePosixPath, root: Path
) -> None:
    if entry.file_size > MAX_LINK_TARGET_BYTES:
        raise PackageError(f"symlink {entry.filename!r} has too long a target")
    try:
        target = package.read(entry).decode()
    except UnicodeDecodeError:
        raise PackageError(f"symlink {entry.filename!r} has an undecodable target") from None
    if not target or "\x00" in target or target.startswith("/"):
        raise PackageError(f"symlink {entry.filename!r} must point inside the package")
    resolved = os.path.normpath(os.path.join(str(relative.parent), target))
    if resolved == ".." or resolved.startswith("../"):
        raise PackageError(f"symlink {entry.filename!r} points outside the package")
    parent = _directory(root, relative.parent.parts, entry.filename)
    try:
        os.symlink(target, parent / relative.name)
    except FileExistsError:
        raise PackageError(f"{entry.filename!r} appears twice") from None


def _check_links(links: list[tuple[zipfile.ZipInfo, PurePosixPath]], root: Path) -> None:
    """Every symlink, followed through the others, must end inside the root."""
    real_root = os.path.realpath(root)
    for entry, relative in links:
        real = os.path.realpath(root.joinpath(*relative.parts))
        if real != real_root and not real.startswith(real_root + os.sep):
            raise PackageError(f"symlink {entry.filename!r} points outside the package")
