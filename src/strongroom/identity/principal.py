"""Who is calling: the principal an access key or a session stands for."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated identity within one account.

    `role_session` is set for temporary credentials: `<role name>/<session name>`, and the
    principal is then the assumed role, as STS names it. `service` is set when an AWS
    service acts on its own (Secrets Manager invoking a rotation function on schedule):
    the principal is then that service, named as policies name it.
    """

    access_key_id: str
    account_id: str
    user_name: str
    role_session: str | None = None
    service: str | None = None

    @classmethod
    def of_service(cls, account_id: str, service: str) -> Principal:
        """An AWS service (`secretsmanager.amazonaws.com`) acting in the account."""
        return cls("", account_id, service, None, service)

    def arn(self, partition: str = "aws") -> str:
        """The IAM (or, for a session, STS) ARN of the principal, as AWS writes it."""
        if self.service is not None:
            return self.service
        if self.role_session is not None:
            return f"arn:{partition}:sts::{self.account_id}:assumed-role/{self.role_session}"
        if self.user_name == "root":
            return f"arn:{partition}:iam::{self.account_id}:root"
        return f"arn:{partition}:iam::{self.account_id}:user/{self.user_name}"
