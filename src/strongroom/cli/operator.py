"""`strongroom operator ...`: init (offline), unseal, seal and status (over the sys API)."""

from __future__ import annotations

import json
import os
import ssl
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import click

from strongroom import config as config_module
from strongroom.config import DEFAULT_PORT


def _address_option(function: Any) -> Any:
    function = click.option(
        "--address",
        envvar="STRONGROOM_ADDR",
        default=f"https://127.0.0.1:{DEFAULT_PORT}",
        show_default=True,
        help="Server URL (or STRONGROOM_ADDR).",
    )(function)
    return click.option(
        "--ca-cert",
        envvar="AWS_CA_BUNDLE",
        type=click.Path(path_type=Path, exists=True, dir_okay=False),
        help="CA bundle to trust (or AWS_CA_BUNDLE).",
    )(function)


def _call(
    address: str,
    ca_cert: Path | None,
    method: str,
    path: str,
    body: dict[str, Any] | None = None,
    signed: bool = False,
) -> dict[str, Any]:
    url = address.rstrip("/") + path
    data = None if body is None else json.dumps(body).encode()
    headers = {"Content-Type": "application/json"}
    if signed:
        headers = _signed_headers(method, url, data or b"", headers)
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    context = ssl.create_default_context(cafile=str(ca_cert) if ca_cert else None)
    try:
        with urllib.request.urlopen(request, context=context, timeout=30) as response:
            return json.loads(response.read() or b"{}")  # type: ignore[no-any-return]
    except urllib.error.HTTPError as error:
        try:
            payload = json.loads(error.read())
        except ValueError:
            payload = {}
        if error.code in (501, 503) and "sealed" in payload:
            return payload  # type: ignore[no-any-return]
        message = payload.get("message") or error.reason
        raise click.ClickException(f"{payload.get('__type', error.code)}: {message}") from None
    except urllib.error.URLError as error:
        raise click.ClickException(f"Cannot reach {url}: {error.reason}") from None


def _signed_headers(method: str, url: str, body: bytes, headers: dict[str, str]) -> dict[str, str]:
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    key, secret = os.environ.get("AWS_ACCESS_KEY_ID"), os.environ.get("AWS_SECRET_ACCESS_KEY")
    if not key or not secret:
        raise click.ClickException("Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY to seal.")
    region = os.environ.get("AWS_DEFAULT_REGION", "us-east-1")
    request = AWSRequest(method=method, url=url, data=body, headers=headers)
    SigV4Auth(Credentials(key, secret), "strongroom", region).add_auth(request)
    return dict(request.headers.items())


def _print_status(status: dict[str, Any]) -> None:
    for name in ("initialized", "sealed", "seal_type", "shares", "threshold", "progress"):
        if name in status:
            click.echo(f"{name.replace('_', ' ').capitalize():<12} {status[name]}")


@click.group()
def operator() -> None:
    """Initialize, unseal, seal and inspect a Strongroom server."""


@operator.command()
@click.option("--key-shares", type=click.IntRange(1, 255), default=5, show_default=True)
@click.option("--key-threshold", type=click.IntRange(1, 255), default=3, show_default=True)
@click.option("--data-dir", type=click.Path(path_type=Path))
@click.option("--config", "config_file", type=click.Path(path_type=Path))
def init(
    key_shares: int, key_threshold: int, data_dir: Path | None, config_file: Path | None
) -> None:
    """Create the root key, split it into unseal shares, and make the first access key."""
    if key_threshold > key_shares:
        raise click.BadParameter("the threshold cannot exceed the number of shares")
    from strongroom.app import initialize  # the server stack loads only for this command

    config = config_module.load(config_file, overrides={"data_dir": data_dir})
    result = initialize(config, key_shares, key_threshold)
    for number, share in enumerate(result.shares, 1):
        click.echo(f"Unseal Key {number}: {share}")
    click.echo()
    click.echo(f"Access Key Id:     {result.access_key.principal.access_key_id}")
    click.echo(f"Secret Access Key: {result.access_key.secret_access_key}")
    click.echo(f"Account Id:        {result.access_key.principal.account_id}")
    if result.ca_certificate is not None:
        click.echo(f"CA certificate:    {result.ca_certificate}")
        click.echo(f"export AWS_CA_BUNDLE={result.ca_certificate.resolve()}")
    click.echo()
    click.echo(
        f"These are shown once. The server starts sealed; {key_threshold} of the "
        f"{key_shares} unseal keys unseal it (`strongroom operator unseal`)."
    )


@operator.command()
@click.argument("share", required=False)
@click.option("--reset", is_flag=True, help="Forget the shares given so far.")
@_address_option
def unseal(share: str | None, reset: bool, address: str, ca_cert: Path | None) -> None:
    """Submit one unseal share (prompted for, hidden, when not given)."""
    if reset:
        status = _call(address, ca_cert, "POST", "/sys/unseal", {"reset": True})
    else:
        if share is None:
            share = click.prompt("Unseal key", hide_input=True)
        status = _call(address, ca_cert, "POST", "/sys/unseal", {"key": share})
    _print_status(status)


@operator.command()
@_address_option
def seal(address: str, ca_cert: Path | None) -> None:
    """Seal the server (needs a valid access key in AWS_ACCESS_KEY_ID/SECRET)."""
    _print_status(_call(address, ca_cert, "POST", "/sys/seal", {}, signed=True))


@operator.command()
@_address_option
def status(address: str, ca_cert: Path | None) -> None:
    """Show whether the server is initialized and sealed, and unseal progress."""
    _print_status(_call(address, ca_cert, "GET", "/sys/status"))
