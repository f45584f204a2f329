"""The rotation functions Strongroom ships, for secrets in AWS's RDS JSON form.

Each is a Lambda-style handler, `lambda_handler(event, context)`, called with AWS's event
`{"SecretId", "ClientRequestToken", "Step"}` for createSecret, setSecret, testSecret and
finishSecret, in its own process (`strongroom.functions`), talking back to Strongroom's
Secrets Manager with boto3 as AWS's rotation templates do. They follow AWS's single-user
and alternating-users strategies step by step; see `four_steps` for the shared skeleton
and where they do better than the templates.

Importing this package imports no database driver: `FUNCTIONS` only names handlers.
"""

from __future__ import annotations

_PACKAGE = "strongroom.rotation.builtin"

FUNCTIONS: dict[str, str] = {
    "strongroom-postgresql-single-user": f"{_PACKAGE}.postgresql_single_user.lambda_handler",
    "strongroom-postgresql-alternating-users": (
        f"{_PACKAGE}.postgresql_alternating_users.lambda_handler"
    ),
    "strongroom-mysql-single-user": f"{_PACKAGE}.mysql_single_user.lambda_handler",
    "strongroom-mysql-alternating-users": f"{_PACKAGE}.mysql_alternating_users.lambda_handler",
}
"""Built-in function name (as in `arn:aws:lambda:<region>:<account>:function:<name>`) ->
the dotted path of its handler."""

__all__ = ["FUNCTIONS"]
