"""`strongroom operator access-key ...`: create, list, disable, enable and delete access keys.

Every call is signed with AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY and acts on that key's
account. Only `create` prints a secret (the new key's, once); `list` shows each key's
status, creation and last use, never a secret.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

import click

from strongroom.cli.operator_client import address_option, call

_PATH = "/sys/access-keys"
_COLUMNS = (
    ("Access Key Id", 22),
    ("User", 6),
    ("Status", 9),
    ("Created", 21),
    ("Last Used", 21),
    ("Region", 15),
    ("Service", 0),
)


@click.group("access-key")
def access_key() -> None:
    """Create, list, disable, enable and delete access keys of the signer's account."""


@access_key.command()
@address_option
def create(address: str, ca_cert: Path | None) -> None:
    """Make a new access key; its secret is shown this once."""
    key = call(address, ca_cert, "POST", _PATH, {}, signed=True)
    click.echo(f"Access Key Id:     {key['access_key_id']}")
    click.echo(f"Secret Access Key: {key['secret_access_key']}")
    click.echo(f"Account Id:        {key['account_id']}")
    click.echo(f"Status:            {key['status']}")
    click.echo()
    click.echo("The secret access key is shown once: store it now.")


@access_key.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the listing as JSON.")
@address_option
def list_keys(as_json: bool, address: str, ca_cert: Path | None) -> None:
    """Show the account's keys: status, creation and last use (never a secret)."""
    keys = call(address, ca_cert, "GET", _PATH, signed=True)["access_keys"]
    if as_json:
        click.echo(json.dumps(keys, indent=2))
        return
    click.echo(_row(name for name, _ in _COLUMNS))
    for key in keys:
        click.echo(_row(_cells(key)))


def _cells(key: dict[str, Any]) -> list[str]:
    use = key.get("last_used") or {}
    return [
        key["access_key_id"],
        key["user_name"],
        key["status"],
        key.get("created") or "unknown",
        use.get("time", "never"),
        use.get("region", "N/A"),
        use.get("service", "N/A"),
    ]


def _row(cells: Any) -> str:
    return "  ".join(
        cell.ljust(width) for cell, (_, width) in zip(cells, _COLUMNS, strict=True)
    ).rstrip()


@access_key.command()
@click.argument("access_key_id")
@address_option
def disable(access_key_id: str, address: str, ca_cert: Path | None) -> None:
    """Make ACCESS_KEY_ID Inactive: every request it signs is refused until enabled."""
    _set_status(access_key_id, "disable", address, ca_cert)


@access_key.command()
@click.argument("access_key_id")
@address_option
def enable(access_key_id: str, address: str, ca_cert: Path | None) -> None:
    """Make ACCESS_KEY_ID Active again."""
    _set_status(access_key_id, "enable", address, ca_cert)


def _set_status(access_key_id: str, verb: str, address: str, ca_cert: Path | None) -> None:
    path = f"{_PATH}/{_quoted(access_key_id)}/{verb}"
    key = call(address, ca_cert, "POST", path, {}, signed=True)
    click.echo(f"{key['access_key_id']} is now {key['status']}.")


@access_key.command()
@click.argument("access_key_id")
@address_option
def delete(access_key_id: str, address: str, ca_cert: Path | None) -> None:
    """Delete ACCESS_KEY_ID for good."""
    call(address, ca_cert, "DELETE", f"{_PATH}/{_quoted(access_key_id)}", signed=True)
    click.echo(f"{access_key_id} is deleted.")


def _quoted(access_key_id: str) -> str:
    return quote(access_key_id, safe="")
