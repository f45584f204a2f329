"""How `strongroom operator ...` talks to a server's operator API (`/sys/*`).

Calls are JSON over HTTPS (or HTTP to a dev server); signed ones carry a SigV4 signature
for the service `strongroom` made with AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY.

Invariants: unseal and rekey shares never travel over plain HTTP except to a loopback
address (`require_private_channel`); an error from the server is shown as its code and
message, never as a traceback.
"""

from __future__ import annotations

import http.client
import ipaddress
import json
import os
import ssl
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import click

from strongroom.config import DEFAULT_PORT

__all__ = ["address_option", "call", "expect", "require_private_channel"]

_LOOPBACK_NAMES = ("localhost",)


def address_option(function: Any) -> Any:
    """The `--address` and `--ca-cert` options every server-facing command takes."""
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


def require_private_channel(address: str) -> None:
    """Refuse to send a share over plain HTTP to anything but a loopback address."""
    parsed = urllib.parse.urlsplit(address)
    if parsed.scheme == "https":
        return
    host = parsed.hostname or ""
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = host.lower() in _LOOPBACK_NAMES
    if not loopback:
        raise click.ClickException(
            f"Refusing to send an unseal share over plain HTTP to {host or address}: "
            "use an https:// address (a share sent in the clear is a share given away)."
        )


def call(
    address: str,
    ca_cert: Path | None,
    method: str,
    path: str,
    body: dict[str, Any] | None = None,
    signed: bool = False,
) -> dict[str, Any]:
    """One operator API call; the decoded JSON answer, or a ClickException naming the error."""
    url = address.rstrip("/") + path
    data = None if body is None else json.dumps(body).encode()
    headers = {"Content-Type": "application/json"}
    if signed:
        headers = _signed_headers(method, url, data or b"", headers)
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        context = ssl.create_default_context(cafile=str(ca_cert) if ca_cert else None)
    except (ssl.SSLError, OSError) as error:
        raise click.ClickException(f"Cannot use the CA bundle {ca_cert}: {error}") from None
    try:
        with urllib.request.urlopen(request, context=context, timeout=30) as response:
            answer = _json(response.read())
    except urllib.error.HTTPError as error:
        try:
            payload = _json(error.read())
        except (OSError, http.client.HTTPException):
            payload = {}
        if error.code in (501, 503) and "sealed" in payload:
            return payload
        message = payload.get("message") or error.reason
        raise click.ClickException(f"{payload.get('__type', error.code)}: {message}") from None
    except urllib.error.URLError as error:
        raise click.ClickException(f"Cannot reach {url}: {error.reason}") from None
    except (OSError, http.client.HTTPException) as error:  # dropped, reset, timed out
        raise click.ClickException(
            f"The connection to {url} failed before an answer arrived ({type(error).__name__})."
        ) from None
    if not answer and method != "GET":
        raise click.ClickException(f"{url} did not answer with a JSON object.")
    return answer


def expect(answer: dict[str, Any], *names: str) -> dict[str, Any]:
    """`answer` if it holds every one of `names`, else a ClickException (not a KeyError)."""
    missing = [name for name in names if name not in answer]
    if missing:
        raise click.ClickException(f"The server's answer lacks {', '.join(missing)}.")
    return answer


def _json(data: bytes) -> dict[str, Any]:
    """A JSON object answer, or {} for anything else."""
    try:
        value = json.loads(data or b"{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _signed_headers(method: str, url: str, body: bytes, headers: dict[str, str]) -> dict[str, str]:
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    key, secret = os.environ.get("AWS_ACCESS_KEY_ID"), os.environ.get("AWS_SECRET_ACCESS_KEY")
    if not key or not secret:
        raise click.ClickException(
            "Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY: this call must be signed."
        )
    region = os.environ.get("AWS_DEFAULT_REGION", "us-east-1")
    request = AWSRequest(method=method, url=url, data=body, headers=headers)
    SigV4Auth(Credentials(key, secret), "strongroom", region).add_auth(request)
    return dict(request.headers.items())
