"""`strongroom encrypt` and `strongroom decrypt`: envelope-encrypt files and streams.

Keys come from KMS (`--key`, via a botocore client that honours the usual AWS_* variables,
so it works against Strongroom or AWS), or from local raw AES / RSA key files; several may
be combined. IN and OUT may be `-` for stdin/stdout. A file OUT is written to a hidden
temporary file beside it and renamed only on success, so a failed decrypt (wrong key,
tampered or truncated file, mismatched context) leaves no partial plaintext behind. A
progress bar (rich, on stderr) appears only when stderr is a terminal and IN is a large
file. Every failure is one clear line and exit status 1; never a traceback or a secret.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import os
import stat
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import click

from strongroom_envelope import (
    AES_256_GCM_HKDF_SHA512_COMMIT_KEY,
    AES_256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384,
    DEFAULT_FRAME_LENGTH,
    DEFAULT_MAX_ENCRYPTED_DATA_KEYS,
    CommitmentPolicy,
    EnvelopeError,
    Keyring,
    KmsDiscoveryKeyring,
    KmsKeyring,
    MultiKeyring,
    NoDecryptableKeyError,
    RawAesKeyring,
    RawRsaKeyring,
    RsaPadding,
    decrypt_stream,
    encrypt_stream,
)

__all__ = ["decrypt", "encrypt"]

_PROGRESS_MIN_BYTES = 8 * 1024 * 1024
_SUITES = {
    "signed": AES_256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384,
    "unsigned": AES_256_GCM_HKDF_SHA512_COMMIT_KEY,
}


def _parse_context(pairs: tuple[str, ...]) -> dict[str, str]:
    context: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"{pair!r} is not KEY=VALUE", param_hint="--context")
        if key in context:
            raise click.BadParameter(f"{key!r} is given twice", param_hint="--context")
        context[key] = value
    return context


def _read_aes_key(path: str) -> bytes:
    """A 16/24/32-byte key from a file of raw bytes, hex or base64."""
    data = Path(path).read_bytes()
    text = data.strip()
    for decode in (bytes.fromhex, lambda t: base64.b64decode(t, validate=True)):
        try:
            key = decode(text.decode("ascii"))
        except (UnicodeDecodeError, ValueError, binascii.Error):
            continue
        if len(key) in (16, 24, 32):
            return key
    if len(data) in (16, 24, 32):
        return data
    raise click.BadParameter(
        f"{path}: expected a 16, 24 or 32-byte AES key (raw, hex or base64)", param_hint="--aes-key"
    )


def _kms_client(region: str | None, endpoint_url: str | None, profile: str | None) -> Any:
    import botocore.exceptions
    import botocore.session

    session = botocore.session.get_session()
    if profile:
        session.set_config_variable("profile", profile)
    try:
        return session.create_client("kms", region_name=region, endpoint_url=endpoint_url)
    except botocore.exceptions.BotoCoreError as exc:
        raise click.ClickException(f"cannot create the KMS client: {exc}") from exc


class _KeyOptions:
    """The key options shared by both commands: local keyrings and the KMS client."""

    def __init__(self, params: dict[str, Any]) -> None:
        self.kms_keys: tuple[str, ...] = params.pop("kms_keys")
        self.aes_key: str | None = params.pop("aes_key")
        self.rsa_key: str | None = params.pop("rsa_key")
        self.namespace: str = params.pop("key_namespace")
        self.name: str | None = params.pop("key_name")
        self.padding = RsaPadding(params.pop("rsa_padding"))
        self.client_args = (params.pop("region"), params.pop("endpoint_url"), params.pop("profile"))

    def local(self) -> list[Keyring]:
        keyrings: list[Keyring] = []
        if self.aes_key:
            key = _read_aes_key(self.aes_key)
            keyrings.append(RawAesKeyring(self.namespace, self.name or "aes", key))
        if self.rsa_key:
            pem = Path(self.rsa_key).read_bytes()
            try:
                keyring = RawRsaKeyring.from_pem(
                    self.namespace, self.name or "rsa", pem, padding_scheme=self.padding
                )
            except (ValueError, TypeError) as exc:
                raise click.BadParameter(f"{self.rsa_key}: {exc}", param_hint="--rsa-key") from exc
            keyrings.append(keyring)
        return keyrings

    def client(self) -> Any:
        return _kms_client(*self.client_args)


def _key_options(command: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option(
            "--key",
            "kms_keys",
            multiple=True,
            metavar="KMS_KEY",
            help="KMS key id, alias or ARN (repeatable). Encrypt: the first makes the data "
            "key, the others also wrap it. Decrypt: only these keys are used.",
        ),
        click.option(
            "--aes-key",
            type=click.Path(exists=True, dir_okay=False),
            help="File holding a raw AES wrapping key (16/24/32 bytes; raw, hex or base64).",
        ),
        click.option(
            "--rsa-key",
            type=click.Path(exists=True, dir_okay=False),
            help="PEM RSA key file: the public key to encrypt, the private key to decrypt.",
        ),
        click.option(
            "--key-namespace",
            default="strongroom-local",
            show_default=True,
            help="Provider id recorded for raw AES/RSA keys (must match on decrypt).",
        ),
        click.option(
            "--key-name",
            default=None,
            help="Key name recorded for raw AES/RSA keys [default: aes / rsa].",
        ),
        click.option(
            "--rsa-padding",
            type=click.Choice([p.value for p in RsaPadding]),
            default=RsaPadding.OAEP_SHA256_MGF1.value,
            show_default=True,
        ),
        click.option(
            "--context",
            "-c",
            "context",
            multiple=True,
            metavar="KEY=VALUE",
            help="Encryption context pair (repeatable). Decrypt: the pairs the file must have.",
        ),
        click.option("--region", default=None, help="KMS region [default: from AWS config]."),
        click.option(
            "--endpoint-url", default=None, help="KMS endpoint [default: AWS_ENDPOINT_URL]."
        ),
        click.option("--profile", default=None, help="AWS profile for KMS credentials."),
        click.option(
            "--progress/--no-progress",
            default=None,
            help="Show a progress bar [default: on a terminal, for large files].",
        ),
        click.argument("source", metavar="IN", type=click.Path(allow_dash=True, dir_okay=False)),
        click.argument(
            "destination", metavar="OUT", type=click.Path(allow_dash=True, dir_okay=False)
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


@contextlib.contextmanager
def _open_source(path: str) -> Iterator[tuple[IO[bytes], int | None]]:
    if path == "-":
        yield sys.stdin.buffer, None
        return
    try:
        handle = open(path, "rb")  # noqa: SIM115 - closed below
    except OSError as exc:
        raise click.FileError(path, exc.strerror) from exc
    with handle:
        info = os.fstat(handle.fileno())
        yield handle, info.st_size if stat.S_ISREG(info.st_mode) else None


@contextlib.contextmanager
def _open_destination(path: str) -> Iterator[IO[bytes]]:
    """stdout, or a temporary file renamed onto `path` only if the block succeeds."""
    if path == "-":
        yield sys.stdout.buffer
        sys.stdout.buffer.flush()
        return
    target = Path(path)
    try:
        fd, temp = tempfile.mkstemp(
            dir=target.parent or ".", prefix=f".{target.name}.", suffix=".partial"
        )
    except OSError as exc:
        raise click.FileError(path, exc.strerror) from exc
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise


@contextlib.contextmanager
def _progress(
    enabled: bool | None, size: int | None, label: str
) -> Iterator[Callable[[int], object] | None]:
    if enabled is None:
        enabled = sys.stderr.isatty() and size is not None and size >= _PROGRESS_MIN_BYTES
    if not enabled:
        yield None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    columns = (BarColumn(), DownloadColumn(), TransferSpeedColumn(), TimeRemainingColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(label, total=size)
        yield lambda done: bar.update(task, completed=done)


@contextlib.contextmanager
def _clear_errors(action: str) -> Iterator[None]:
    """Turn envelope errors into one-line messages."""
    try:
        yield
    except NoDecryptableKeyError as exc:
        raise click.ClickException(
            f"cannot {action}: none of the given keys can decrypt this file's data key "
            f"(wrong key, or a missing --context?): {exc}"
        ) from exc
    except EnvelopeError as exc:
        raise click.ClickException(f"cannot {action}: {exc}") from exc
    except OSError as exc:
        raise click.ClickException(f"cannot {action}: {exc.strerror or exc}") from exc


@click.command()
@_key_options
@click.option(
    "--require-context",
    multiple=True,
    metavar="KEY",
    help="A --context key that is authenticated but not stored in the file: decrypt must "
    "be given it again (repeatable).",
)
@click.option(
    "--suite",
    type=click.Choice(sorted(_SUITES)),
    default="signed",
    show_default=True,
    help="Committing suite, with or without an ECDSA P-384 signature.",
)
@click.option(
    "--frame-length",
    type=click.IntRange(1, 2**32 - 1),
    default=DEFAULT_FRAME_LENGTH,
    show_default=True,
    help="Plaintext bytes per frame.",
)
def encrypt(**params: Any) -> None:
    """Encrypt IN to OUT (`-` for stdin/stdout) under KMS and/or local keys."""
    keys = _KeyOptions(params)
    context = _parse_context(params["context"])
    with _clear_errors("encrypt"):
        keyrings = keys.local()
        if keys.kms_keys:
            kms = KmsKeyring(keys.client(), keys.kms_keys[0], additional_key_ids=keys.kms_keys[1:])
            keyrings.insert(0, kms)
        if not keyrings:
            raise click.UsageError("name a key: --key, --aes-key or --rsa-key")
        keyring = keyrings[0] if len(keyrings) == 1 else MultiKeyring(keyrings[0], keyrings[1:])
        with (
            _open_source(params["source"]) as (source, size),
            _progress(params["progress"], size, "encrypt") as progress,
            _open_destination(params["destination"]) as destination,
        ):
            encrypt_stream(
                source,
                destination,
                keyring,
                encryption_context=context,
                suite=_SUITES[params["suite"]],
                frame_length=params["frame_length"],
                required_context_keys=params["require_context"],
                progress=progress,
            )


@click.command()
@_key_options
@click.option(
    "--discovery-account",
    multiple=True,
    metavar="ACCOUNT",
    help="Without --key: only use KMS keys of these accounts (repeatable).",
)
@click.option(
    "--commitment-policy",
    type=click.Choice([p.value for p in CommitmentPolicy]),
    default=CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT.value,
    show_default=True,
    help="require-encrypt-allow-decrypt also reads older, non-committing messages.",
)
@click.option(
    "--max-encrypted-data-keys",
    type=click.IntRange(1, 0xFFFF),
    default=DEFAULT_MAX_ENCRYPTED_DATA_KEYS,
    show_default=True,
)
def decrypt(**params: Any) -> None:
    """Decrypt IN to OUT (`-` for stdin/stdout). Without key options, KMS finds the key."""
    keys = _KeyOptions(params)
    context = _parse_context(params["context"])
    with _clear_errors("decrypt"):
        keyrings = keys.local()
        if keys.kms_keys:
            kms: Keyring = KmsKeyring(
                keys.client(), keys.kms_keys[0], additional_key_ids=keys.kms_keys[1:]
            )
            keyrings.insert(0, kms)
        elif not keyrings:
            accounts = params["discovery_account"] or None
            keyrings.append(KmsDiscoveryKeyring(keys.client(), accounts=accounts))
        keyring = keyrings[0] if len(keyrings) == 1 else MultiKeyring(children=keyrings)
        with (
            _open_source(params["source"]) as (source, size),
            _progress(params["progress"], size, "decrypt") as progress,
            _open_destination(params["destination"]) as destination,
        ):
            decrypt_stream(
                source,
                destination,
                keyring,
                encryption_context=context or None,
                commitment_policy=CommitmentPolicy(params["commitment_policy"]),
                max_encrypted_data_keys=params["max_encrypted_data_keys"],
                progress=progress,
            )
