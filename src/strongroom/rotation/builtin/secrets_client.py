"""The Secrets Manager client a built-in rotation function calls back with, and how it
asks for a new password: both as AWS's RDS rotation templates do.

- Endpoint: `SECRETS_MANAGER_ENDPOINT` when set (the templates read it), else whatever
  boto3 itself takes from the environment (`AWS_ENDPOINT_URL`). Region: `AWS_REGION`, else
  `AWS_DEFAULT_REGION`. Credentials (with `AWS_SESSION_TOKEN`) and `AWS_CA_BUNDLE`: as
  boto3 reads them from the environment the function runner sets.
- A new password comes from GetRandomPassword, shaped by the templates' environment
  variables: EXCLUDE_CHARACTERS (default: the engine's template default), PASSWORD_LENGTH
  (32), EXCLUDE_NUMBERS, EXCLUDE_PUNCTUATION, EXCLUDE_UPPERCASE, EXCLUDE_LOWERCASE (false)
  and REQUIRE_EACH_INCLUDED_TYPE (true).
"""

from __future__ import annotations

import os
from typing import Any

import boto3

__all__ = ["random_password", "secrets_client"]

_TRUE = ("true", "1", "y", "yes")


def secrets_client() -> Any:
    """A boto3 Secrets Manager client configured from the environment."""
    endpoint = os.environ.get("SECRETS_MANAGER_ENDPOINT") or None
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or None
    return boto3.client("secretsmanager", endpoint_url=endpoint, region_name=region)


def _flag(name: str, default: bool) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in _TRUE


def random_password(client: Any, excluded_by_default: str) -> str:
    """A new password from GetRandomPassword, with the templates' options."""
    length = os.environ.get("PASSWORD_LENGTH", "32")
    if not length.strip().isdigit():
        raise ValueError("PASSWORD_LENGTH must be a whole number")
    answer = client.get_random_password(
        ExcludeCharacters=os.environ.get("EXCLUDE_CHARACTERS", excluded_by_default),
        PasswordLength=int(length),
        ExcludeNumbers=_flag("EXCLUDE_NUMBERS", False),
        ExcludePunctuation=_flag("EXCLUDE_PUNCTUATION", False),
        ExcludeUppercase=_flag("EXCLUDE_UPPERCASE", False),
        ExcludeLowercase=_flag("EXCLUDE_LOWERCASE", False),
        RequireEachIncludedType=_flag("REQUIRE_EACH_INCLUDED_TYPE", True),
    )
    return str(answer["RandomPassword"])
