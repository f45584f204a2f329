"""Support for the Secrets Manager rotation end-to-end tests: deploy a rotation function,
read what a rotation did, and wait for it with a bounded deadline.

- `deploy` creates `GENERIC` (or another source) with boto3's Lambda client and, unless
  told not to, grants `secretsmanager.amazonaws.com` the right to invoke it, as AWS's
  set-up does; `rig` makes a server lead its scheduler and deploys one that logs its calls.
- `run_of` reads Strongroom's own DescribeSecret field `StrongroomRotationRun` from a raw
  signed request (boto3 drops members its model lacks).
- `CallLog` reads the `CALL_LOG` file the function appends to: one call per line.
- `wait_for` polls a condition until a deadline, never sleeping to hide a race; the
  `wait_*` helpers name what they wait for, and a timeout shows the end of the server's
  log (servers started with `stderr_path`).
- `lead` moves the dev clock and runs one tick as the scheduler's leader (at offset 0 it
  only makes the process lead, so RotateSecret's wake-up starts a rotation at once).
- Hung functions run in sessions of their own: `end_process` ends one by the process id
  its marker holds, and only if that process is still a function's.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import urllib3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from tests.e2e.dev_clock import tick_at
from tests.e2e.function_roles import ensure_role
from tests.e2e.harness import ServerProcess
from tests.e2e.rotation_functions import GENERIC, zipped

ROLE = "arn:aws:iam::123456789012:role/rotation"
HANDLER = "lambda_function.lambda_handler"
SERVICE_PRINCIPAL = "secretsmanager.amazonaws.com"
STEPS = ("createSecret", "setSecret", "testSecret", "finishSecret")
DAY = 86_400.0
HOUR = 3_600.0
WAIT_SECONDS = 45.0

T = TypeVar("T")


def unique(label: str) -> str:
    """A name (secret or function) no other test uses."""
    return f"rot-{label}-{uuid.uuid4().hex[:10]}"


def deploy(
    server: ServerProcess,
    name: str | None = None,
    *,
    env: dict[str, str] | None = None,
    timeout: int = 30,
    source: str = GENERIC,
    grant: bool = True,
) -> str:
    """Create a rotation function (python3.12); its ARN. With `grant`, its resource
    policy lets Secrets Manager invoke it (AddPermission, as AWS's set-up does)."""
    functions = server.client("lambda")
    ensure_role(server, ROLE)
    name = name or unique("fn")
    params: dict[str, Any] = {
        "FunctionName": name,
        "Runtime": "python3.12",
        "Role": ROLE,
        "Handler": HANDLER,
        "Code": {"ZipFile": zipped(source)},
        "Timeout": timeout,
    }
    if env:
        params["Environment"] = {"Variables": env}
    arn = str(functions.create_function(**params)["FunctionArn"])
    if not grant:
        return arn
    functions.add_permission(
        FunctionName=name,
        StatementId="secrets-manager",
        Action="lambda:InvokeFunction",
        Principal=SERVICE_PRINCIPAL,
    )
    return arn


def new_secret(sm: Any, label: str, password: str = "initial") -> tuple[str, str]:
    """A secret holding `{"password": ...}`: (ARN, its first VersionId)."""
    created = sm.create_secret(Name=unique(label), SecretString=json.dumps({"password": password}))
    return created["ARN"], created["VersionId"]


def stages(sm: Any, secret: str) -> dict[str, list[str]]:
    """VersionIdsToStages of `secret`."""
    return dict(sm.describe_secret(SecretId=secret)["VersionIdsToStages"])


def holder(sm: Any, secret: str, label: str) -> str | None:
    """The version that holds `label`, or None."""
    found = [v for v, labels in stages(sm, secret).items() if label in labels]
    assert len(found) <= 1, found
    return found[0] if found else None


def current_value(sm: Any, secret: str) -> tuple[str, str]:
    """(VersionId, SecretString) of AWSCURRENT: it must be readable."""
    answer = sm.get_secret_value(SecretId=secret)
    assert "AWSCURRENT" in answer["VersionStages"]
    return answer["VersionId"], answer["SecretString"]


def describe_raw(server: ServerProcess, secret: str) -> dict[str, Any]:
    """DescribeSecret's answer as sent, Strongroom's own members included."""
    body = json.dumps({"SecretId": secret}).encode()
    headers = {
        "X-Amz-Target": "secretsmanager.DescribeSecret",
        "Content-Type": "application/x-amz-json-1.1",
    }
    request = AWSRequest(method="POST", url=server.endpoint_url + "/", data=body, headers=headers)
    credentials = Credentials(server.access_key, server.secret_key)
    SigV4Auth(credentials, "secretsmanager", server.region).add_auth(request)
    prepared = request.prepare()
    answer = urllib3.request(
        "POST", prepared.url, body=prepared.body, headers=dict(prepared.headers), retries=False
    )
    assert answer.status == 200, answer.data
    document: dict[str, Any] = json.loads(answer.data)
    return document


def run_of(server: ServerProcess, secret: str) -> dict[str, Any] | None:
    """`StrongroomRotationRun`: the rotation under way or failing, or None."""
    run: dict[str, Any] | None = describe_raw(server, secret).get("StrongroomRotationRun")
    return run


@dataclass(frozen=True)
class CallLog:
    """The calls a `GENERIC` function made, read from its `CALL_LOG` file."""

    path: Path

    def calls(self, secret_arn: str | None = None) -> list[tuple[str, str]]:
        """(token, step) of each call, in order (of `secret_arn` only, if given)."""
        if not self.path.exists():
            return []
        calls = []
        for line in self.path.read_text().splitlines():
            arn, token, step = line.split(" ")
            if secret_arn is None or arn == secret_arn:
                calls.append((token, step))
        return calls

    def steps(self, secret_arn: str) -> list[str]:
        """The steps invoked for `secret_arn`, in order."""
        return [step for _, step in self.calls(secret_arn)]

    def lines(self) -> list[str]:
        """Every line as written."""
        return self.path.read_text().splitlines() if self.path.exists() else []


def wait_for(
    condition: Callable[[], T | None],
    what: str,
    seconds: float = WAIT_SECONDS,
    nudge: Callable[[], object] | None = None,
    server: ServerProcess | None = None,
) -> T:
    """Poll `condition` until it returns a truthy value (returned) or `seconds` pass;
    `nudge` is called between polls (e.g. one scheduler tick). A timeout's message ends
    with the tail of `server`'s log, when it has one."""
    deadline = time.monotonic() + seconds
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(
                f"timed out after {seconds:.0f}s waiting for {what}{log_tail(server)}"
            )
        if nudge is not None:
            nudge()
        time.sleep(0.1)


def log_tail(server: ServerProcess | None, characters: int = 3000) -> str:
    """The end of `server`'s stderr log (started with `stderr_path`), to explain a failure."""
    if server is None or server.stderr_path is None or not Path(server.stderr_path).exists():
        return ""
    text = Path(server.stderr_path).read_text(errors="replace")
    return f"\n--- server log ({server.stderr_path}) ---\n{text[-characters:]}"


def wait_rotated(server: ServerProcess, secret: str, version_id: str, **kwargs: Any) -> None:
    """Wait until `version_id` is AWSCURRENT and no rotation run is left."""

    def done() -> bool:
        document = describe_raw(server, secret)
        labels = document.get("VersionIdsToStages", {}).get(version_id, [])
        return "AWSCURRENT" in labels and "StrongroomRotationRun" not in document

    what = f"version {version_id} of {secret} to become AWSCURRENT"
    wait_for(done, what, server=server, **kwargs)


def wait_failed(
    server: ServerProcess, secret: str, attempts: int = 1, after: float = 0.0
) -> dict[str, Any]:
    """Wait until the rotation's `attempts`-th try has failed (a failure dated after
    `after`, service time: while a retry runs, the run still shows the last one); its run."""

    def failed() -> dict[str, Any] | None:
        run = run_of(server, secret)
        if run and run["Attempts"] == attempts and run.get("FailedDate", 0.0) > after:
            return run
        return None

    return wait_for(failed, f"try {attempts} of the rotation of {secret} to fail", server=server)


def wait_idle(server: ServerProcess, secret: str) -> None:
    """Wait until no rotation run is left on `secret` (e.g. RotateImmediately's test)."""
    wait_for(lambda: run_of(server, secret) is None, f"no run on {secret}", server=server)


def lead(server: ServerProcess, offset: float = 0.0) -> dict[str, Any]:
    """Move the clock to real time + `offset` and run one tick as the scheduler's leader."""
    return tick_at(server, offset)


def offset_to(moment: float, past: float = 0.0) -> float:
    """The dev clock offset that makes the service clock read `moment` + `past` now."""
    return moment + past - time.time()


def day_end(moment: datetime, days: int) -> datetime:
    """23:59:59 UTC of the day `days` after `moment`'s UTC day."""
    day = moment.astimezone(UTC).date() + timedelta(days=days)
    return datetime(day.year, day.month, day.day, 23, 59, 59, tzinfo=UTC)


def pid_in(marker: Path) -> int:
    """The process id a hanging `GENERIC` step wrote into its marker."""
    return int(marker.read_text())


def end_process(pid: int) -> None:
    """SIGKILL `pid` if it is still a function's process (a hung one), not a process that
    took its id since."""
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes()
    except FileNotFoundError:
        return
    if b"strongroom.functions.bootstrap" in command:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def is_running(pid: int) -> bool:
    """Whether `pid` is a live process (a zombie counts as ended)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state != "Z"


def wait_new_current(server: ServerProcess, secret: str, old: str, **kwargs: Any) -> str:
    """Wait until a version other than `old` is AWSCURRENT and no run is left; its id."""

    def rotated() -> str | None:
        document = describe_raw(server, secret)
        if "StrongroomRotationRun" in document:
            return None
        for version, labels in document.get("VersionIdsToStages", {}).items():
            if "AWSCURRENT" in labels and version != old:
                return str(version)
        return None

    what = f"a rotation of {secret} away from version {old}"
    return wait_for(rotated, what, server=server, **kwargs)


@dataclass(frozen=True)
class Rig:
    """A server leading its scheduler, with a `GENERIC` function logging its calls."""

    server: ServerProcess
    sm: Any
    log: CallLog
    function: str


def rig(
    server: ServerProcess, directory: Path, env: dict[str, str] | None = None, timeout: int = 30
) -> Rig:
    """Make `server` lead and deploy a `GENERIC` function logging to `directory`."""
    lead(server)
    log = CallLog(directory / "calls.log")
    function = deploy(server, env={"CALL_LOG": str(log.path), **(env or {})}, timeout=timeout)
    return Rig(server, server.client("secretsmanager"), log, function)
