"""Starts real Strongroom server processes for end-to-end tests.

A server runs as `strongroom server` in its own process group on a free loopback port,
with fixed dev credentials (the secret passed in STRONGROOM_SECRET_KEY, never on the
command line, where `ps` would show it) unless `fixed_credentials` is off; readiness is
polled on `/sys/health` (bounded). `kill()` sends SIGKILL to the whole group, as a crash
would.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config as BotoConfig

ACCESS_KEY = "AKIAE2ETESTKEY000001"
SECRET_KEY = "e2e/secret/key/0000000000000000000000000"
ACCOUNT_ID = "123456789012"
REGION = "us-east-1"
STARTUP_SECONDS = 30.0


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def client_config(validate: bool = True) -> BotoConfig:
    """No retries: a test sees the first answer. `validate=False` lets bad input through."""
    return BotoConfig(
        retries={"max_attempts": 1, "mode": "standard"},
        read_timeout=30,
        parameter_validation=validate,
    )


@dataclass
class ServerProcess:
    """One `strongroom server` process and how to talk to it."""

    data_dir: Path
    port: int = field(default_factory=free_port)
    dev: bool = True
    extra_env: dict[str, str] = field(default_factory=dict)
    extra_args: list[str] = field(default_factory=list)
    stderr_path: Path | None = None  # where the server's stderr goes (see `log_path`)
    fixed_credentials: bool = True  # dev: off lets the server make (or keep) its own key
    process: subprocess.Popen[bytes] | None = None
    stdout: bytes = b""

    @property
    def scheme(self) -> str:
        return "http" if self.dev else "https"

    @property
    def endpoint_url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}"

    region = REGION
    access_key = ACCESS_KEY
    secret_key = SECRET_KEY
    account_id = ACCOUNT_ID

    @property
    def env(self) -> dict[str, str]:
        """AWS_* variables for a client subprocess (the AWS CLI, the envelope CLI)."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(
            AWS_ENDPOINT_URL=self.endpoint_url,
            AWS_ACCESS_KEY_ID=self.access_key,
            AWS_SECRET_ACCESS_KEY=self.secret_key,
            AWS_DEFAULT_REGION=self.region,
            AWS_MAX_ATTEMPTS="1",
        )
        return env

    def command(self) -> list[str]:
        args = [sys.executable, "-m", "strongroom.cli", "server", "--data-dir", str(self.data_dir)]
        args += ["--port", str(self.port)]
        if self.dev:
            args += ["--dev", "--account-id", self.account_id]
            if self.fixed_credentials:
                args += ["--access-key", self.access_key]  # the secret: see `start`
        return args + self.extra_args

    @property
    def log_path(self) -> Path:
        """The server's stderr: `stderr_path` (truncated at each start), else a file beside
        the data directory (appended to across restarts)."""
        if self.stderr_path is not None:
            return self.stderr_path
        return self.data_dir.parent / f"{self.data_dir.name}.stderr.log"

    def start(self, wait_for: tuple[int, ...] = (200,)) -> ServerProcess:
        """Start and wait until /sys/health answers one of `wait_for`."""
        secret = {"STRONGROOM_SECRET_KEY": self.secret_key}
        fixed = self.dev and self.fixed_credentials
        env = {**os.environ, **(secret if fixed else {}), **self.extra_env}
        # A file, never an unread pipe: a server logging more than a pipe holds (function
        # output, at the default level info) would block on its own stderr.
        keep = os.O_TRUNC if self.stderr_path is not None else os.O_APPEND
        log = os.open(self.log_path, os.O_WRONLY | os.O_CREAT | keep, 0o600)
        self.process = subprocess.Popen(
            self.command(),
            stdout=subprocess.PIPE,
            stderr=log,
            env=env,
            start_new_session=True,
        )
        os.close(log)  # the server holds its own copy
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.process.communicate()
                detail = self.log_path.read_text(errors="replace")[-4000:]
                raise RuntimeError(f"server exited {self.process.returncode}: {detail}")
            status = self.health()
            if status in wait_for:
                return self
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("server did not become ready")

    def printed_credentials(self) -> dict[str, str]:
        """The `export NAME=value` lines a dev server printed at start (read once)."""
        assert self.process is not None and self.process.stdout is not None
        exports: dict[str, str] = {}
        while "STRONGROOM_ACCOUNT_ID" not in exports:
            line = self.process.stdout.readline().decode()
            assert line, "the server printed no credentials"
            if line.startswith("export "):
                name, _, value = line.removeprefix("export ").strip().partition("=")
                exports[name] = value
        return exports

    def health(self) -> int | None:
        """The status code of GET /sys/health, or None when nothing answers yet."""
        import ssl

        context = ssl._create_unverified_context() if not self.dev else None
        try:
            with urllib.request.urlopen(
                f"{self.endpoint_url}/sys/health", timeout=2, context=context
            ) as response:
                return int(response.status)
        except urllib.error.HTTPError as error:
            return int(error.code)
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            return None

    def client(self, service: str = "kms", validate: bool = True, **kwargs: Any) -> Any:
        """A boto3 client for this server; `validate=False` skips botocore's own checks."""
        options: dict[str, Any] = {
            "endpoint_url": self.endpoint_url,
            "aws_access_key_id": self.access_key,
            "aws_secret_access_key": self.secret_key,
            "region_name": self.region,
            "config": client_config(validate),
        }
        options.update(kwargs)
        return boto3.client(service, **options)

    def stop(self) -> None:
        """SIGTERM, then wait; SIGKILL if it lingers."""
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.stdout, _ = self.process.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.communicate()

    def kill(self) -> None:
        """SIGKILL the whole process group, like a crash or power cut."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.communicate()
