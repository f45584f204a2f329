"""The `strongroom` command."""

from __future__ import annotations

import sys

import click

from strongroom.cli.envelope import decrypt, encrypt
from strongroom.cli.operator import operator
from strongroom.cli.server import server
from strongroom.errors import StrongroomError


@click.group()
@click.version_option(package_name="strongroom")
def cli() -> None:
    """Strongroom: self-hosted KMS and secrets behind the AWS APIs."""


for command in (server, operator, encrypt, decrypt):
    cli.add_command(command)


def main() -> None:
    """Entry point: Strongroom's own errors print as one line, never a traceback."""
    try:
        cli(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(1)
    except click.ClickException as error:
        error.show()
        sys.exit(error.exit_code)
    except StrongroomError as error:
        click.echo(f"Error: {error.message}", err=True)
        sys.exit(1)
