"""The unchanged AWS CLI against a test server, configured only by the variables it exports."""

from __future__ import annotations

import json
import subprocess
from typing import Any

from tests.e2e.harness import ServerProcess


def aws_json(server: ServerProcess, service: str, *args: str, region: str | None = None) -> Any:
    """Run `aws <service> ...` (in `region`, else the server's), which must succeed; its
    JSON answer, or None when it prints nothing."""
    env = server.env if region is None else {**server.env, "AWS_DEFAULT_REGION": region}
    result = subprocess.run(
        ["aws", service, *args, "--output", "json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout) if result.stdout.strip() else None
