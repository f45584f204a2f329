"""Helpers for production-mode end-to-end tests: `operator init`, sealed HTTPS servers,
the `strongroom operator` CLI as a separate process, and TLS-verified status checks."""

from __future__ import annotations

import json
import os
import re
import ssl
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from strongroom.crypto import shamir
from strongroom.seal.shamir import decode_share
from tests.e2e.harness import REGION, ServerProcess
from tests.e2e.kms_support import error_of

CLI_SECONDS = 60
StartServer = Callable[..., ServerProcess]
_open_clients: list[Any] = []


@dataclass(frozen=True)
class Init:
    """What one `strongroom operator init` printed, and where its data lives."""

    data_dir: Path
    shares: list[str]
    access_key_id: str
    secret_access_key: str
    account_id: str
    ca_path: Path
    stdout: str

    def root_key(self) -> bytes:
        """The root key the shares define (only a test may ever compute it)."""
        return bytes(shamir.combine([decode_share(share) for share in self.shares[:3]]))


def clean_env(**extra: str) -> dict[str, str]:
    """The environment without AWS_* or STRONGROOM_* from the caller, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "STRONGROOM_"))}
    env.update(extra)
    return env


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run `strongroom ARGS` as a separate process."""
    return subprocess.run(
        [sys.executable, "-m", "strongroom.cli", *args],
        capture_output=True,
        text=True,
        env=clean_env() if env is None else env,
        timeout=CLI_SECONDS,
        check=False,
    )


def assert_clean_failure(result: subprocess.CompletedProcess[str], *fragments: str) -> None:
    """Non-zero exit, no traceback, and an `Error:` line naming every fragment."""
    assert result.returncode != 0, result.stdout
    assert "Traceback" not in result.stderr + result.stdout
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, result.stderr
    for fragment in fragments:
        assert fragment in errors[0], errors[0]


def _field(stdout: str, label: str) -> str:
    match = re.search(rf"^{re.escape(label)}:\s+(\S+)$", stdout, re.MULTILINE)
    assert match is not None, f"{label!r} missing from:\n{stdout}"
    return match.group(1)


def run_init(data_dir: Path, shares: int = 5, threshold: int = 3) -> Init:
    """`strongroom operator init` on `data_dir`; parse what it printed."""
    result = run_cli(
        "operator", "init", "--data-dir", str(data_dir),
        "--key-shares", str(shares), "--key-threshold", str(threshold),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    share_lines = re.findall(r"^Unseal Key (\d+): (\S+)$", result.stdout, re.MULTILINE)
    assert [int(number) for number, _ in share_lines] == list(range(1, shares + 1))
    return Init(
        data_dir=data_dir,
        shares=[share for _, share in share_lines],
        access_key_id=_field(result.stdout, "Access Key Id"),
        secret_access_key=_field(result.stdout, "Secret Access Key"),
        account_id=_field(result.stdout, "Account Id"),
        ca_path=Path(_field(result.stdout, "CA certificate")),
        stdout=result.stdout,
    )


def close_clients() -> None:
    """Close every boto3 client made here, so no idle TLS connection outlives its test."""
    while _open_clients:
        _open_clients.pop().close()


def stop(server: ServerProcess) -> None:
    close_clients()
    server.stop()


def start_sealed(start_server: StartServer, init: Init, **env: str) -> ServerProcess:
    """Start `strongroom server` (no --dev) on `init`'s data, with `env` (STRONGROOM_*
    settings) added to its environment, and wait for its 503."""
    server = start_server(init.data_dir, dev=False, wait_for=(503,), extra_env=env)
    server.access_key = init.access_key_id
    server.secret_key = init.secret_access_key
    server.account_id = init.account_id
    return server


def kms_of(server: ServerProcess, init: Init, **kwargs: Any) -> Any:
    """A boto3 KMS client that trusts only the CA `init` made."""
    client = server.client("kms", verify=str(init.ca_path), **kwargs)
    _open_clients.append(client)
    return client


def operator(
    server: ServerProcess, init: Init, command: str, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`strongroom operator COMMAND ARGS --address ... --ca-cert ...` (COMMAND may be a
    group and its subcommand, "rekey init")."""
    return run_cli(
        "operator", *command.split(), *args, "--address", server.endpoint_url,
        "--ca-cert", str(init.ca_path), env=env,
    )  # fmt: skip


def parse_status(stdout: str) -> dict[str, str]:
    """The `Name  value` lines `operator status/unseal/seal` print."""
    lines = [line.rsplit(None, 1) for line in stdout.splitlines() if line.strip()]
    return {name.strip().lower(): value for name, value in lines}


def status_of(server: ServerProcess, init: Init) -> dict[str, str]:
    result = operator(server, init, "status")
    assert result.returncode == 0, result.stderr
    return parse_status(result.stdout)


def unseal(
    server: ServerProcess, init: Init, share: str, nonce: str | None = None
) -> dict[str, str]:
    """Submit one share that must be accepted (to the attempt `nonce` names, or starting
    one); return the status printed, whose "nonce" names the attempt."""
    args = [share] if nonce is None else [share, "--nonce", nonce]
    result = operator(server, init, "unseal", *args)
    assert result.returncode == 0, result.stderr
    return parse_status(result.stdout)


def unseal_fully(server: ServerProcess, init: Init, shares: Iterable[str]) -> None:
    """Unseal with `shares`, all in one attempt."""
    nonce = None
    for share in shares:
        status = unseal(server, init, share, nonce)
        nonce = nonce or status["nonce"]
    assert status["sealed"] == "False"
    assert verified_health(server, init) == 200


def sys_status(server: ServerProcess, init: Init) -> dict[str, Any]:
    """GET /sys/status over verified TLS (cheaper than a CLI process for repeated checks)."""
    context = ssl.create_default_context(cafile=str(init.ca_path))
    url = f"{server.endpoint_url}/sys/status"
    with urllib.request.urlopen(url, context=context, timeout=10) as response:
        return json.loads(response.read())  # type: ignore[no-any-return]


def verified_health(server: ServerProcess, init: Init) -> int:
    """GET /sys/health over TLS, verifying the server against the init CA only."""
    context = ssl.create_default_context(cafile=str(init.ca_path))
    try:
        with urllib.request.urlopen(
            f"{server.endpoint_url}/sys/health", context=context, timeout=10
        ) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def assert_sealed(server: ServerProcess, init: Init) -> None:
    """Health 503, status sealed, and every KMS call refused with the sealed error."""
    assert verified_health(server, init) == 503
    assert sys_status(server, init)["sealed"] is True
    kms = kms_of(server, init)
    for call, kwargs in (
        (kms.list_keys, {}),
        (kms.create_key, {}),
        (kms.generate_random, {"NumberOfBytes": 16}),
        (kms.decrypt, {"CiphertextBlob": b"\x01" * 64}),
    ):
        error = error_of(call, **kwargs)
        assert error["Code"] == "ServiceUnavailableException", error
        assert error["Status"] == 503
        assert "sealed" in error["Message"]


def key_ids(kms: Any) -> set[str]:
    return {key["KeyId"] for key in kms.list_keys(Limit=1000)["Keys"]}


def aws_cli(
    server: ServerProcess, init: Init, *args: str, ca_bundle: bool = True
) -> subprocess.CompletedProcess[str]:
    """The unchanged AWS CLI against `server`, trusting the init CA via AWS_CA_BUNDLE."""
    env = {k: v for k, v in server.env.items() if not k.startswith("STRONGROOM_")}
    env.update(
        AWS_CONFIG_FILE=str(init.data_dir.parent / "no-aws-config"),
        AWS_SHARED_CREDENTIALS_FILE=str(init.data_dir.parent / "no-aws-credentials"),
    )
    if ca_bundle:
        env["AWS_CA_BUNDLE"] = str(init.ca_path)
    return subprocess.run(
        ["aws", *args], capture_output=True, text=True, env=env, timeout=CLI_SECONDS, check=False
    )


def seal_env(init: Init, **overrides: str) -> dict[str, str]:
    """Credentials for `operator seal` (drop one by giving it as "")."""
    values = {
        "AWS_ACCESS_KEY_ID": init.access_key_id,
        "AWS_SECRET_ACCESS_KEY": init.secret_access_key,
        "AWS_DEFAULT_REGION": REGION,
        **overrides,
    }
    return clean_env(**{k: v for k, v in values.items() if v})


def files_under(directory: Path) -> dict[Path, bytes]:
    return {path: path.read_bytes() for path in sorted(directory.rglob("*")) if path.is_file()}
