"""The unchanged AWS CLI against a test server, configured only by the variables it exports.

By default the CLI is the account root (the server's own key); `credentials` (an access
key or a session's credentials, as IAM and STS answer them: AccessKeyId, SecretAccessKey
and, for a session, SessionToken) sign it as someone else.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Mapping
from typing import Any

from tests.e2e.harness import ServerProcess


def aws_json(
    server: ServerProcess,
    service: str,
    *args: str,
    region: str | None = None,
    credentials: Mapping[str, str] | None = None,
) -> Any:
    """Run `aws <service> ...` (in `region`, else the server's), which must succeed; its
    JSON answer, or None when it prints nothing."""
    result = _run(server, service, args, region, credentials)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout) if result.stdout.strip() else None


def aws_error(
    server: ServerProcess,
    service: str,
    *args: str,
    region: str | None = None,
    credentials: Mapping[str, str] | None = None,
) -> str:
    """Run `aws <service> ...`, which must fail; what it printed on stderr."""
    result = _run(server, service, args, region, credentials)
    assert result.returncode != 0, result.stdout
    return result.stderr


def _run(
    server: ServerProcess,
    service: str,
    args: tuple[str, ...],
    region: str | None,
    credentials: Mapping[str, str] | None,
) -> subprocess.CompletedProcess[str]:
    env = dict(server.env)
    if region is not None:
        env["AWS_DEFAULT_REGION"] = region
    if credentials is not None:
        env["AWS_ACCESS_KEY_ID"] = credentials["AccessKeyId"]
        env["AWS_SECRET_ACCESS_KEY"] = credentials["SecretAccessKey"]
        if "SessionToken" in credentials:
            env["AWS_SESSION_TOKEN"] = credentials["SessionToken"]
    return subprocess.run(
        ["aws", service, *args, "--output", "json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
