"""Deployment packages and invocations for the functions tests, built from source text."""

from __future__ import annotations

import io
import os
import stat
import textwrap
import zipfile
from collections.abc import Mapping

from strongroom.functions import Invocation

REQUEST_ID = "8f507cfc-0000-4697-b07a-ac58fc914c95"
FUNCTION_NAME = "rotator"
FUNCTION_ARN = "arn:aws:lambda:us-east-1:123456789012:function:rotator"


def package(files: Mapping[str, str]) -> bytes:
    """A zip holding each `name: source` (dedented)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, source in files.items():
            archive.writestr(name, textwrap.dedent(source))
    return buffer.getvalue()


def symlink_entry(archive: zipfile.ZipFile, name: str, target: str) -> None:
    """Add a Unix symlink entry `name -> target`, as `zip -y` writes one."""
    info = zipfile.ZipInfo(name)
    info.create_system = 3
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    archive.writestr(info, target)


def invocation(
    source: str, handler: str = "lambda_function.lambda_handler", **fields: object
) -> Invocation:
    """An invocation of `source` as lambda_function.py; `fields` override the defaults."""
    values: dict[str, object] = {
        "handler": handler,
        "code": package({"lambda_function.py": source}),
        "event": b'{"Step": "createSecret"}',
        "function_name": FUNCTION_NAME,
        "function_arn": FUNCTION_ARN,
        "function_version": "$LATEST",
        "memory_mb": 128,
        "timeout_seconds": 10.0,
        "environment": {"AWS_REGION": "us-east-1"},
        "request_id": REQUEST_ID,
    }
    values.update(fields)
    return Invocation(**values)  # type: ignore[arg-type]


def live_members(process_group: int) -> list[int]:
    """Processes of `process_group` that still run (zombies excluded: init reaps them)."""
    members = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as status:
                fields = status.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == process_group and fields[0] not in ("Z", "X"):
            members.append(int(entry))
    return members
