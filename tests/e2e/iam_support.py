"""IAM users with access keys, and the policy documents they are given, for end-to-end tests.

The account root (the server's own key) makes each user through IAM's API; the user's
access key, or a session's credentials from STS, then sign boto3 clients of the same
server. Statements are built as dicts (`allow`, `deny`, `trusting`) and joined into a
document's JSON text by `policy`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tests.e2e.harness import ACCOUNT_ID, ServerProcess

Credentials = Mapping[str, str]
"""An access key or session credentials as IAM and STS answer them: AccessKeyId,
SecretAccessKey and, for a session, SessionToken."""


def policy(*statements: dict[str, Any]) -> str:
    """A policy document holding `statements`, as JSON text."""
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action: str | list[str], resource: str = "*", **extra: Any) -> dict[str, Any]:
    """A statement allowing `action` on `resource`; `extra` adds members (Condition, ...)."""
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action: str | list[str], resource: str = "*", **extra: Any) -> dict[str, Any]:
    """A statement denying `action` on `resource`; `extra` adds members (Condition, ...)."""
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


def trusting(principal: str, action: str | list[str] = "sts:AssumeRole", **extra: Any) -> str:
    """A role's trust policy letting `principal` (an ARN) do `action`."""
    return policy({"Effect": "Allow", "Principal": {"AWS": principal}, "Action": action, **extra})


def user_arn(name: str) -> str:
    """The ARN of the account's user `name` (no path)."""
    return f"arn:aws:iam::{ACCOUNT_ID}:user/{name}"


def client_of(server: ServerProcess, service: str, credentials: Credentials, **options: Any) -> Any:
    """A boto3 client of `server` signed with `credentials`; `options` as `server.client`'s."""
    return server.client(
        service,
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials.get("SessionToken"),
        **options,
    )


@dataclass(frozen=True)
class User:
    """An IAM user made on `server`, with its access key."""

    server: ServerProcess
    arn: str
    key: Credentials

    def client(self, service: str, **options: Any) -> Any:
        """A boto3 client signed with the user's access key."""
        return client_of(self.server, service, self.key, **options)


def make_user(
    server: ServerProcess, iam: Any, name: str, *statements: dict[str, Any], **create: Any
) -> User:
    """A new user `name` made with the root's `iam` client (`create`: more CreateUser
    parameters, such as Tags), `statements` as its inline policy `inline` (none: no policy),
    and an access key."""
    made = iam.create_user(UserName=name, **create)["User"]
    if statements:
        iam.put_user_policy(UserName=name, PolicyName="inline", PolicyDocument=policy(*statements))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return User(server, made["Arn"], key)
