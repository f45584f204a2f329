"""`strongroom operator ...`: init (offline); unseal, seal, status, rotate and rekey (over
the operator API).

Unseal and rekey collect shares in attempts named by a nonce: the first share starts one
and prints its nonce, and every later share names it (`--nonce`, or
STRONGROOM_UNSEAL_NONCE / STRONGROOM_REKEY_NONCE), so a stranger's share can never spoil
the operators' attempt.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from strongroom import config as config_module
from strongroom.cli.operator_access_keys import access_key
from strongroom.cli.operator_client import (
    address_option,
    call,
    expect,
    require_private_channel,
)


def _print_status(status: dict[str, Any]) -> None:
    names = (
        "initialized",
        "sealed",
        "seal_type",
        "shares",
        "threshold",
        "unseal_attempts",
        "nonce",
        "progress",
    )
    for name in names:
        if name in status:
            click.echo(f"{name.replace('_', ' ').capitalize():<12} {status[name]}")
    if "term" in status:
        click.echo(f"{'Key term':<12} {status['term']}")
    rotation = status.get("rotation")
    if rotation:
        click.echo(
            f"{'Rotation':<12} to term {rotation['term']}: {rotation['reencrypted']} records "
            f"re-encrypted, old terms {rotation['old_terms']} still kept"
        )


@click.group()
def operator() -> None:
    """Initialize, unseal, seal, rotate, rekey and inspect a Strongroom server."""


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
    _print_shares(result.shares)
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


def _print_shares(shares: list[str]) -> None:
    for number, share in enumerate(shares, 1):
        click.echo(f"Unseal Key {number}: {share}")


@operator.command()
@click.argument("share", required=False)
@click.option(
    "--nonce",
    envvar="STRONGROOM_UNSEAL_NONCE",
    help="The unseal attempt to add to (printed by its first share).",
)
@click.option("--reset", is_flag=True, help="Discard the attempt named by --nonce.")
@address_option
def unseal(
    share: str | None, nonce: str | None, reset: bool, address: str, ca_cert: Path | None
) -> None:
    """Submit one unseal share (prompted for, hidden, when not given)."""
    if reset:
        if nonce is None:
            raise click.UsageError("--reset discards one attempt: name it with --nonce.")
        status = call(address, ca_cert, "POST", "/sys/unseal", {"reset": True, "nonce": nonce})
    else:
        require_private_channel(address)
        if share is None:
            share = click.prompt("Unseal key", hide_input=True)
        body = {"key": share} if nonce is None else {"key": share, "nonce": nonce}
        status = call(address, ca_cert, "POST", "/sys/unseal", body)
    _print_status(status)
    if status.get("sealed") and "nonce" in status and nonce is None:
        click.echo(
            f"Started unseal attempt {status['nonce']}: give the next shares with "
            f"--nonce {status['nonce']} (or STRONGROOM_UNSEAL_NONCE)."
        )


@operator.command()
@address_option
def seal(address: str, ca_cert: Path | None) -> None:
    """Seal the server (needs a valid access key in AWS_ACCESS_KEY_ID/SECRET)."""
    _print_status(call(address, ca_cert, "POST", "/sys/seal", {}, signed=True))


@operator.command()
@address_option
def status(address: str, ca_cert: Path | None) -> None:
    """Show whether the server is initialized and sealed, and its key term."""
    _print_status(call(address, ca_cert, "GET", "/sys/status"))


@operator.command()
@address_option
def rotate(address: str, ca_cert: Path | None) -> None:
    """Start a new barrier key term: new writes use it at once, every stored record is
    re-encrypted to it in the background, then the old terms are deleted."""
    _print_status(call(address, ca_cert, "POST", "/sys/rotate", {}, signed=True))


@operator.group()
def rekey() -> None:
    """Replace the root key and its unseal shares, with a quorum of the current shares."""


@rekey.command("init")
@click.option("--key-shares", type=click.IntRange(1, 255), required=True)
@click.option("--key-threshold", type=click.IntRange(1, 255), required=True)
@address_option
def rekey_init(key_shares: int, key_threshold: int, address: str, ca_cert: Path | None) -> None:
    """Start a rekey to KEY_SHARES new shares, KEY_THRESHOLD of which will unseal."""
    if key_threshold > key_shares:
        raise click.BadParameter("the threshold cannot exceed the number of shares")
    body = {"shares": key_shares, "threshold": key_threshold}
    answer = call(address, ca_cert, "POST", "/sys/rekey/init", body, signed=True)
    expect(answer, "nonce", "progress", "required")
    click.echo(f"Nonce        {answer['nonce']}")
    click.echo(f"Progress     {answer['progress']} of {answer['required']} current shares")
    click.echo(
        f"Give {answer['required']} of the current unseal keys with "
        f"`strongroom operator rekey submit --nonce {answer['nonce']}`."
    )


def _give_rekey_share(
    step: str, kind: str, share: str | None, nonce: str, address: str, ca_cert: Path | None
) -> dict[str, Any] | None:
    """Send one share to a rekey step; None (after printing the progress) until the step's
    threshold is met, else the final answer."""
    require_private_channel(address)
    if share is None:
        share = click.prompt(f"{kind.capitalize()} unseal key", hide_input=True)
    body = {"nonce": nonce, "key": share}
    answer = call(address, ca_cert, "POST", f"/sys/rekey/{step}", body, signed=True)
    if "progress" in answer:
        expect(answer, "required")
        click.echo(f"Progress     {answer['progress']} of {answer['required']} {kind} shares")
        return None
    return expect(answer, "shares", "threshold")


@rekey.command("submit")
@click.argument("share", required=False)
@click.option("--nonce", envvar="STRONGROOM_REKEY_NONCE", required=True)
@address_option
def rekey_submit(share: str | None, nonce: str, address: str, ca_cert: Path | None) -> None:
    """Give one current unseal share to the rekey named by --nonce."""
    answer = _give_rekey_share("update", "current", share, nonce, address, ca_cert)
    if answer is None:
        return
    _print_shares(expect(answer, "keys")["keys"])
    click.echo()
    click.echo(
        f"These are the new unseal keys, shown once. Nothing has changed yet: give "
        f"{answer['threshold']} of them back with `strongroom operator rekey verify "
        f"--nonce {nonce}` to replace the root key. Until then the current keys stay valid."
    )


@rekey.command("verify")
@click.argument("share", required=False)
@click.option("--nonce", envvar="STRONGROOM_REKEY_NONCE", required=True)
@address_option
def rekey_verify(share: str | None, nonce: str, address: str, ca_cert: Path | None) -> None:
    """Give one of the NEW unseal keys back to the rekey named by --nonce."""
    answer = _give_rekey_share("verify", "new", share, nonce, address, ca_cert)
    if answer is None:
        return
    click.echo(
        f"The root key is replaced: {answer['threshold']} of the {answer['shares']} new keys "
        "unseal from now on, and the old unseal keys no longer do."
    )
    if answer.get("scrubbed") is False:
        click.echo(
            "Warning: the storage could not be scrubbed yet (a reader held it up), so its "
            "files may still hold the keyring sealed under the old root key; the server "
            "retries on its next scheduler tick.",
            err=True,
        )


@rekey.command("cancel")
@click.option("--nonce", envvar="STRONGROOM_REKEY_NONCE", required=True)
@address_option
def rekey_cancel(nonce: str, address: str, ca_cert: Path | None) -> None:
    """Abandon the rekey named by --nonce; the current shares stay valid."""
    call(address, ca_cert, "POST", "/sys/rekey/cancel", {"nonce": nonce}, signed=True)
    click.echo("Rekey cancelled; the current unseal keys stay valid.")


operator.add_command(access_key)
