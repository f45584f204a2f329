"""Strongroom's built-in rotation functions: present in every account and region.

`strongroom-postgresql-single-user` and its three siblings name rotators that ship inside
Strongroom (`strongroom.rotation.builtin.<module>.lambda_handler`): they have no zip, no
stored configuration and cannot be created, updated or deleted; GetFunction and Invoke
work on them as on any function, and so do the resource-policy operations (their policy
is stored per account and region like any other). ListFunctions leaves them out, as AWS
leaves out what it manages for you: it lists the functions you created.

Their configuration is fixed (python3.11, 30 seconds, 256 MB); a stable fake CodeSha256
(of the handler's dotted path) and CodeSize 0 say there is no package.
"""

from __future__ import annotations

import json

from strongroom.services.awslambda.code_package import code_sha256
from strongroom.services.awslambda.records import FunctionRecord

HANDLER_PACKAGE = "strongroom.rotation.builtin"
BUILTINS: dict[str, str] = {
    "strongroom-postgresql-single-user": "postgresql_single_user",
    "strongroom-postgresql-alternating-users": "postgresql_alternating_users",
    "strongroom-mysql-single-user": "mysql_single_user",
    "strongroom-mysql-alternating-users": "mysql_alternating_users",
}
"""Function name -> module under `strongroom.rotation.builtin`."""
RUNTIME = "python3.11"
TIMEOUT = 30
MEMORY_SIZE = 256
ROLE_NAME = "strongroom-builtin-rotation"
ROLE_POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ReadSecretsAndMasterSecrets",
                "Effect": "Allow",
                "Action": [
                    "secretsmanager:DescribeSecret",
                    "secretsmanager:GetSecretValue",
                    "secretsmanager:GetRandomPassword",
                ],
                "Resource": "*",
            },
            {
                "Sid": "ChangeOnlySecretsTheyRotate",
                "Effect": "Allow",
                "Action": [
                    "secretsmanager:PutSecretValue",
                    "secretsmanager:UpdateSecretVersionStage",
                ],
                "Resource": "*",
                "Condition": {
                    "StringLike": {
                        "secretsmanager:resource/AllowRotationLambdaArn": (
                            "arn:*:lambda:*:*:function:strongroom-*"
                        )
                    }
                },
            },
            {
                "Sid": "ThroughSecretsManagerOnly",
                "Effect": "Allow",
                "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
                "Resource": "*",
                "Condition": {"StringLike": {"kms:ViaService": "secretsmanager.*.amazonaws.com"}},
            },
        ],
    }
)
"""What the built-in functions' role may do when IAM holds no role of that name: what
AWS's rotation templates give their roles: read secrets (the rotated one and, for the
alternating-users rotators, its master secret), a random password, change only secrets
whose rotation function is a built-in one, and their keys only through Secrets Manager."""
RELEASED = 1_735_689_600.0  # 2025-01-01T00:00:00Z: shown as their LastModified
REVISION_ID = "00000000-0000-4000-8000-000000000000"
"""Their RevisionId until their policy first changes (it then holds theirs)."""


def is_builtin(name: str) -> bool:
    """Whether `name` is a built-in function's name."""
    return name in BUILTINS


def builtin_function(
    partition: str, region: str, account: str, name: str, revision_id: str | None
) -> FunctionRecord | None:
    """The built-in function `name` as seen in an account and region, or None."""
    module = BUILTINS.get(name)
    if module is None:
        return None
    handler = f"{HANDLER_PACKAGE}.{module}.lambda_handler"
    return FunctionRecord(
        name=name,
        account=account,
        region=region,
        partition=partition,
        runtime=RUNTIME,
        handler=handler,
        role=f"arn:{partition}:iam::{account}:role/{ROLE_NAME}",
        code_id="",
        code_sha256=code_sha256(handler.encode()),
        code_size=0,
        last_modified=RELEASED,
        revision_id=revision_id or REVISION_ID,
        description=f"Strongroom built-in rotation ({module.replace('_', ' ')})",
        timeout=TIMEOUT,
        memory_size=MEMORY_SIZE,
        builtin_handler=handler,
    )
