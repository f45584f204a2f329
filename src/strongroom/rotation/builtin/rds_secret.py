"""Secrets in AWS's RDS JSON form: reading one version, checking it, naming the clone.

The form: `{"engine", "host", "port", "username", "password", "dbname", "masterarn",
"ssl"}`; `engine`, `host`, `username` and `password` are required, `port` defaults to the
engine's, `masterarn` names the master secret (alternating users), `ssl` says how to use
TLS (see `database.tls_mode`).

Invariants: a secret's text or password never appears in an error raised here; a value
that is not a JSON object, lacks a required field or names another engine is refused with
a message saying which.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from typing import Any

__all__ = [
    "AWSCURRENT",
    "AWSPENDING",
    "AWSPREVIOUS",
    "CLONE_SUFFIX",
    "alternate_username",
    "endpoint",
    "read_secret",
    "same_database",
]

AWSCURRENT = "AWSCURRENT"
AWSPENDING = "AWSPENDING"
AWSPREVIOUS = "AWSPREVIOUS"
CLONE_SUFFIX = "_clone"
_REQUIRED = ("engine", "host", "username", "password")


def read_secret(
    client: Any,
    secret_id: str,
    stage: str,
    engines: Collection[str],
    token: str | None = None,
) -> dict[str, Any]:
    """The version of `secret_id` labelled `stage` (and with id `token`, when given),
    checked to be an RDS secret for one of `engines`. Secrets Manager's errors (such as
    ResourceNotFoundException) pass through."""
    if token is None:
        answer = client.get_secret_value(SecretId=secret_id, VersionStage=stage)
    else:
        answer = client.get_secret_value(SecretId=secret_id, VersionId=token, VersionStage=stage)
    where = f"the {stage} version of secret {secret_id}"
    try:
        secret = json.loads(answer.get("SecretString") or "")
    except ValueError:
        raise ValueError(f"{where} is not JSON") from None
    if not isinstance(secret, dict):
        raise ValueError(f"{where} is not a JSON object")
    missing = [name for name in _REQUIRED if name not in secret]
    if missing:
        raise ValueError(f"{where} lacks {', '.join(missing)}")
    if secret["engine"] not in engines:
        allowed = ", ".join(sorted(engines))
        raise ValueError(
            f"{where} has engine {secret['engine']!r}; this function rotates {allowed}"
        )
    if not isinstance(secret["username"], str) or not isinstance(secret["password"], str):
        raise ValueError(f"{where}: username and password must be strings")
    return secret


def endpoint(secret: Mapping[str, Any], default_port: int) -> tuple[str, int]:
    """(host, port) the secret's database listens on."""
    port = secret.get("port", default_port)
    try:
        number = int(port)
    except (TypeError, ValueError):
        raise ValueError(f"port {port!r} is not a number") from None
    return str(secret["host"]), number


def alternate_username(username: str, max_length: int) -> str:
    """The other user of an alternating pair: `name` <-> `name_clone` (AWS's naming)."""
    if username.endswith(CLONE_SUFFIX):
        return username[: -len(CLONE_SUFFIX)]
    clone = username + CLONE_SUFFIX
    if len(clone) > max_length:
        raise ValueError(
            f"Unable to clone user {username}: with {CLONE_SUFFIX} appended its name would "
            f"exceed {max_length} characters"
        )
    return clone


def same_database(a: Mapping[str, Any], b: Mapping[str, Any], default_port: int) -> bool:
    """Whether two secrets name the same database server (host and port)."""
    return endpoint(a, default_port) == endpoint(b, default_port)
