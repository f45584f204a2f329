"""Who is calling: the principal an access key stands for."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated identity within one account."""

    access_key_id: str
    account_id: str
    user_name: str

    def arn(self, partition: str = "aws") -> str:
        """The IAM ARN of the principal, as AWS writes it."""
        if self.user_name == "root":
            return f"arn:{partition}:iam::{self.account_id}:root"
        return f"arn:{partition}:iam::{self.account_id}:user/{self.user_name}"
