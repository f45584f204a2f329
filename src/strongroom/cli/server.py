"""`strongroom server`: run the HTTP(S) server, in dev mode or sealed production mode."""

from __future__ import annotations

import copy
import os
import sys
from pathlib import Path
from typing import Any

import click

from strongroom import config as config_module
from strongroom.config import Config

# On SIGTERM an idle TLS keep-alive connection would hold the process for asyncio's 30 s
# TLS-shutdown timeout (the client never answers close_notify); requests take milliseconds.
GRACEFUL_SHUTDOWN_SECONDS = 5


def _exports(config: Config, access_key: str, secret: str, account: str) -> list[str]:
    return [
        f"export AWS_ENDPOINT_URL=http://{config.host}:{config.port}",
        f"export AWS_ACCESS_KEY_ID={access_key}",
        f"export AWS_SECRET_ACCESS_KEY={secret}",
        f"export AWS_DEFAULT_REGION={config.region}",
        f"export STRONGROOM_ACCOUNT_ID={account}",
    ]


def _logging(level: str) -> dict[str, Any]:
    """uvicorn's logging, plus Strongroom's own loggers (the scheduler, rotations, the
    function platform's START/END/REPORT lines and function output) on stderr at `level`,
    with a timestamp."""
    from uvicorn.config import LOGGING_CONFIG

    logging = copy.deepcopy(LOGGING_CONFIG)
    logging["formatters"]["strongroom"] = {
        "format": "%(asctime)s %(levelname)s %(name)s: %(message)s",
    }
    logging["handlers"]["strongroom"] = {
        "formatter": "strongroom",
        "class": "logging.StreamHandler",
        "stream": "ext://sys.stderr",
    }
    logging["loggers"]["strongroom"] = {
        "handlers": ["strongroom"],
        "level": level.upper(),
        "propagate": False,
    }
    return logging


def _uvicorn_options(config: Config) -> dict[str, object]:
    from strongroom.api.http1 import StrongroomHttpProtocol

    options: dict[str, object] = {
        "host": config.host,
        "port": config.port,
        "http": StrongroomHttpProtocol,  # httptools, each request answered in place
        "ws": "none",  # no WebSocket endpoint: http1 answers an Upgrade with 400
        "lifespan": "on",
        "log_level": config.log_level,
        "log_config": _logging(config.log_level),
        "access_log": False,
        "server_header": False,
        "date_header": False,
        "proxy_headers": False,  # no proxy in front by default: skip the middleware
        "timeout_graceful_shutdown": GRACEFUL_SHUTDOWN_SECONDS,
    }
    try:
        import uvloop  # noqa: F401

        options["loop"] = "uvloop"
    except ImportError:
        options["loop"] = "asyncio"
    if not config.dev:
        from strongroom.app import tls_files

        cert, key = tls_files(config)
        options["ssl_certfile"] = str(cert)
        options["ssl_keyfile"] = str(key)
    return options


@click.command()
@click.option("--dev", is_flag=True, default=None, help="HTTP on loopback, auto-unsealed.")
@click.option("--data-dir", type=click.Path(path_type=Path), help="Where data lives.")
@click.option("--host", help="Address to listen on.")
@click.option("--port", type=int, help=f"Port to listen on (default {config_module.DEFAULT_PORT}).")
@click.option("--workers", type=int, help="Worker processes (dev mode).")
@click.option("--config", "config_file", type=click.Path(path_type=Path), help="strongroom.toml")
@click.option("--access-key", help="Dev only: fix the access key id.")
@click.option(
    "--secret-key",
    help="Dev only: fix the secret access key (shown by `ps`: prefer STRONGROOM_SECRET_KEY "
    "or --secret-key-file).",
)
@click.option(
    "--secret-key-file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Dev only: read the fixed secret access key from this file.",
)
@click.option("--account-id", help="Dev only: fix the account id.")
@click.option("--log-level", type=click.Choice(["critical", "error", "warning", "info", "debug"]))
def server(
    dev: bool | None,
    data_dir: Path | None,
    host: str | None,
    port: int | None,
    workers: int | None,
    config_file: Path | None,
    access_key: str | None,
    secret_key: str | None,
    secret_key_file: Path | None,
    account_id: str | None,
    log_level: str | None,
) -> None:
    """Run the Strongroom server."""
    import uvicorn

    from strongroom import app as app_module  # the server stack loads only for this command

    config = config_module.load(
        config_file,
        overrides={
            "dev": dev,
            "data_dir": data_dir,
            "host": host,
            "port": port,
            "workers": workers,
            "access_key": access_key,
            "secret_key": secret_key,
            "secret_key_file": secret_key_file,
            "account_id": account_id,
            "log_level": log_level,
        },
    )
    if config.workers > 1 and not config.dev:
        raise click.ClickException(
            "--workers > 1 needs an auto-unseal seal (dev mode for now): Shamir unseal "
            "state cannot be shared between worker processes."
        )
    if not config.dev and not config.database_path.exists():
        raise click.ClickException(
            f"{config.data_dir} is not initialized: run `strongroom operator init` first."
        )
    app = app_module.build(config)
    if not config.dev and not app.barrier.is_initialized():
        raise click.ClickException(
            f"{config.data_dir} is not initialized: run `strongroom operator init` first."
        )
    options = _uvicorn_options(config)  # after the init check: it needs init's TLS files
    if config.dev:
        key = app_module.dev_bootstrap(app)  # the dev seal warns loudly on stderr
        if key is None:  # a server start always settles a key
            raise click.ClickException("No dev access key could be made.")
        lines = _exports(
            config, key.principal.access_key_id, key.secret_access_key, key.principal.account_id
        )
        click.echo("\n".join(lines))
    else:
        click.echo(
            f"Strongroom listening on https://{config.host}:{config.port} (sealed). "
            f"Unseal with `strongroom operator unseal`.",
            err=True,
        )
        click.echo(f"CA bundle: {config.tls_dir / 'ca.pem'}", err=True)
    sys.stdout.flush()
    if config.workers == 1:
        uvicorn.Server(uvicorn.Config(app.asgi, **options)).run()  # type: ignore[arg-type]
        return
    app.storage.close()
    os.environ.update(config_module.to_environment(config))
    uvicorn.run(
        "strongroom.app:asgi_factory",
        factory=True,
        workers=config.workers,
        **options,  # type: ignore[arg-type]
    )
