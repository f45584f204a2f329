"""`strongroom encrypt` and `strongroom decrypt`: envelope-encrypt files and streams.

Keys come from KMS (`--key`, via a botocore client that honours the usual AWS_* variables,
so it works against Strongroom or AWS), or from local raw AES / RSA key files; several may
be combined. Decrypt uses only the keys it is given; trusting whichever KMS key a file
names (discovery) must be asked for with `--discovery`. An AES key file is read one way
only: raw bytes unless `--aes-key-format` says hex or base64, and a file that could be read
two ways is refused rather than guessed. IN and OUT may be `-` for stdin/stdout. A file OUT
is written to a hidden temporary file beside it and renamed only on success, so a failed
run (bad option, wrong key, tampered or truncated file, mismatched context) leaves no
partial output behind. A progress bar (rich, on stderr) appears only when stderr is a
terminal and IN is a large file. Every failure found by these commands is one `Error:`
line and exit status 1 (click's own parsing errors keep click's usage message and exit
status 2); never a traceback or a secret.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import click

from strongroom.cli.envelope_files import open_destination, open_source, progress_bar
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

_AES_KEY_LENGTHS = (16, 24, 32)
_AES_TEXT_FORMATS = ("hex", "base64")
_RESERVED_NAMESPACE = "aws-kms"  # the provider id of KMS-wrapped data keys
# Format bounds: provider id and info are uint16-length fields; a raw AES keyring's info is
# the key name plus 20 bytes (tag length, IV length, IV).
_MAX_NAMESPACE_BYTES = 0xFFFF
_MAX_KEY_NAME_BYTES = 0xFFFF - 20
_SUITES = {
    "signed": AES_256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384,
    "unsigned": AES_256_GCM_HKDF_SHA512_COMMIT_KEY,
}


def _input_error(option: str, message: str) -> click.ClickException:
    """Bad user input: one `Error: <option> ...` line, exit status 1."""
    return click.ClickException(f"{option} {message}")


def _parse_context(pairs: tuple[str, ...]) -> dict[str, str]:
    context: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise _input_error("--context", f"{pair!r} is not KEY=VALUE")
        if key in context:
            raise _input_error("--context", f"{key!r} is given twice")
        context[key] = value
    return context


def _check_label(value: str, option: str, limit: int) -> str:
    """A key namespace or name: non-empty UTF-8 text within the message format's bound."""
    try:
        size = len(value.encode())
    except UnicodeEncodeError:
        raise _input_error(option, "must be valid UTF-8 text") from None
    if not size:
        raise _input_error(option, "must not be empty")
    if size > limit:
        raise _input_error(option, f"is longer than {limit} bytes")
    return value


def _decode_text_key(data: bytes, key_format: str) -> bytes | None:
    """The AES key a hex or base64 file holds, or None if it holds no valid one."""
    try:
        text = data.strip().decode("ascii")
        key = bytes.fromhex(text) if key_format == "hex" else base64.b64decode(text, validate=True)
    except (UnicodeDecodeError, ValueError, binascii.Error):
        return None
    return key if len(key) in _AES_KEY_LENGTHS else None


def _read_aes_key(path: str, key_format: str | None) -> bytes:
    """The AES key in `path`, read exactly one way (see `--aes-key-format`); never guessed.

    Without a format the file must be a raw 16/24/32-byte key that is not also valid hex or
    base64 key text (a random raw key is, with probability below 2**-32); a file that can be
    read two ways is refused, so a key never silently changes length or value.
    """
    data = Path(path).read_bytes()
    if key_format in _AES_TEXT_FORMATS:
        key = _decode_text_key(data, key_format)
        if key is None:
            raise _input_error("--aes-key", f"{path}: not a 16, 24 or 32-byte key in {key_format}")
        return key
    if len(data) not in _AES_KEY_LENGTHS:
        hint = "" if key_format == "raw" else " (for hex or base64 text, give --aes-key-format)"
        raise _input_error(
            "--aes-key", f"{path}: {len(data)} bytes, but a raw AES key is 16, 24 or 32{hint}"
        )
    if key_format is None:
        readings = [f for f in _AES_TEXT_FORMATS if _decode_text_key(data, f) is not None]
        if readings:
            raise _input_error(
                "--aes-key",
                f"{path}: reads both as a raw key and as {'/'.join(readings)} text; "
                "say which with --aes-key-format raw|hex|base64",
            )
    return data


def _kms_client(region: str | None, endpoint_url: str | None, profile: str | None) -> Any:
    import botocore.exceptions
    import botocore.session

    session = botocore.session.get_session()
    if profile:
        session.set_config_variable("profile", profile)
    try:
        return session.create_client("kms", region_name=region, endpoint_url=endpoint_url)
    except (botocore.exceptions.BotoCoreError, ValueError) as exc:  # ValueError: bad endpoint
        raise click.ClickException(f"cannot create the KMS client: {exc}") from exc


class _KeyOptions:
    """The key options shared by both commands, checked: local keyrings and the KMS client."""

    def __init__(self, params: dict[str, Any]) -> None:
        self.kms_keys: tuple[str, ...] = params.pop("kms_keys")
        self.aes_key: str | None = params.pop("aes_key")
        self.aes_key_format: str | None = params.pop("aes_key_format")
        self.rsa_key: str | None = params.pop("rsa_key")
        self.namespace: str = params.pop("key_namespace")
        self.name: str | None = params.pop("key_name")
        self.padding = RsaPadding(params.pop("rsa_padding"))
        self.client_args = (params.pop("region"), params.pop("endpoint_url"), params.pop("profile"))
        self._check()

    def _check(self) -> None:
        if any(not key for key in self.kms_keys):
            raise _input_error("--key", "needs a KMS key id, alias or ARN")
        if self.aes_key_format and not self.aes_key:
            raise _input_error("--aes-key-format", "applies only with --aes-key")
        _check_label(self.namespace, "--key-namespace", _MAX_NAMESPACE_BYTES)
        if self.namespace == _RESERVED_NAMESPACE:
            raise _input_error("--key-namespace", f"{_RESERVED_NAMESPACE!r} is reserved for KMS")
        if self.name is not None:
            _check_label(self.name, "--key-name", _MAX_KEY_NAME_BYTES)

    def local(self) -> list[Keyring]:
        """The raw AES and RSA keyrings the options name (reads the key files)."""
        keyrings: list[Keyring] = []
        if self.aes_key:
            key = _read_aes_key(self.aes_key, self.aes_key_format)
            keyrings.append(RawAesKeyring(self.namespace, self.name or "aes", key))
        if self.rsa_key:
            pem = Path(self.rsa_key).read_bytes()
            try:
                keyring = RawRsaKeyring.from_pem(
                    self.namespace, self.name or "rsa", pem, padding_scheme=self.padding
                )
            except Exception as exc:  # any unreadable PEM: bad input, not a bug
                raise _input_error("--rsa-key", f"{self.rsa_key}: {exc}") from exc
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
            help="File holding an AES wrapping key of 16, 24 or 32 bytes; see --aes-key-format.",
        ),
        click.option(
            "--aes-key-format",
            type=click.Choice(["raw", *_AES_TEXT_FORMATS]),
            default=None,
            help="How the --aes-key file holds the key: raw (the file is exactly the 16, 24 "
            "or 32 key bytes), hex or base64 (text; surrounding whitespace is ignored). "
            "[default: raw, if the file is 16, 24 or 32 bytes and cannot also be read as hex "
            "or base64; otherwise the format must be given]",
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
def _clear_errors(action: str) -> Iterator[None]:
    """Turn every failure into one `Error:` line and exit status 1; never a traceback."""
    try:
        yield
    except (click.ClickException, click.exceptions.Exit, click.exceptions.Abort):
        raise
    except NoDecryptableKeyError as exc:
        raise click.ClickException(
            f"cannot {action}: none of the given keys can decrypt this file's data key "
            f"(wrong key, or a missing --context?): {exc}"
        ) from exc
    except EnvelopeError as exc:
        raise click.ClickException(f"cannot {action}: {exc}") from exc
    except OSError as exc:
        raise click.ClickException(f"cannot {action}: {exc.strerror or exc}") from exc
    except ValueError as exc:
        # The SDK and botocore refuse bad arguments with ValueError; here those come from
        # user input the checks above did not foresee, and their messages hold no secret.
        raise click.ClickException(f"cannot {action}: {exc}") from exc
    except Exception as exc:
        # A bug, not bad input: still one line, and no message that might carry data.
        raise click.ClickException(
            f"cannot {action}: unexpected {type(exc).__name__} (a bug; please report it)"
        ) from exc


def _decrypt_keyring(keys: _KeyOptions, params: dict[str, Any]) -> Keyring:
    """The keys decrypt may use: those named, plus KMS discovery only if asked for."""
    discovery: bool = params["discovery"]
    accounts: tuple[str, ...] = params["discovery_account"]
    if accounts and not discovery:
        raise _input_error("--discovery-account", "narrows --discovery: give --discovery too")
    for account in accounts:
        if not (len(account) == 12 and account.isascii() and account.isdigit()):
            raise _input_error("--discovery-account", f"{account!r} is not a 12-digit account")
    if discovery and keys.kms_keys:
        raise _input_error(
            "--discovery",
            "and --key exclude each other: --key decrypts only with the KMS keys named, "
            "--discovery with any KMS key the file names",
        )
    keyrings = keys.local()
    if keys.kms_keys:
        kms = KmsKeyring(keys.client(), keys.kms_keys[0], additional_key_ids=keys.kms_keys[1:])
        keyrings.insert(0, kms)
    elif discovery:
        discover = KmsDiscoveryKeyring(
            keys.client(), accounts=accounts or None, partition=params["discovery_partition"]
        )
        keyrings.append(discover)
    if not keyrings:
        raise click.ClickException(
            "name the keys that may decrypt (--key, --aes-key or --rsa-key), or give "
            "--discovery to use whichever KMS key the file names"
        )
    return keyrings[0] if len(keyrings) == 1 else MultiKeyring(children=keyrings)


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
    with _clear_errors("encrypt"):
        keys = _KeyOptions(params)
        context = _parse_context(params["context"])
        keyrings = keys.local()
        if keys.kms_keys:
            kms = KmsKeyring(keys.client(), keys.kms_keys[0], additional_key_ids=keys.kms_keys[1:])
            keyrings.insert(0, kms)
        if not keyrings:
            raise click.ClickException("name a key: --key, --aes-key or --rsa-key")
        keyring = keyrings[0] if len(keyrings) == 1 else MultiKeyring(keyrings[0], keyrings[1:])
        with (
            open_source(params["source"]) as (source, size),
            progress_bar(params["progress"], size, "encrypt") as progress,
            open_destination(params["destination"]) as destination,
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
    "--discovery",
    is_flag=True,
    help="Also decrypt with whichever KMS key the file names (KMS discovery), instead of "
    "only the keys named by --key. Trusts any KMS key ARN in the file: narrow it with "
    "--discovery-account. Not with --key.",
)
@click.option(
    "--discovery-account",
    multiple=True,
    metavar="ACCOUNT",
    help="With --discovery: only use KMS keys of this 12-digit account (repeatable).",
)
@click.option(
    "--discovery-partition",
    default="aws",
    show_default=True,
    help="With --discovery-account: the partition those accounts are in.",
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
    """Decrypt IN to OUT (`-` for stdin/stdout) with the keys named, or with --discovery."""
    with _clear_errors("decrypt"):
        keys = _KeyOptions(params)
        context = _parse_context(params["context"])
        keyring = _decrypt_keyring(keys, params)
        with (
            open_source(params["source"]) as (source, size),
            progress_bar(params["progress"], size, "decrypt") as progress,
            open_destination(params["destination"]) as destination,
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
