"""The IAM roles that test functions run as.

Lambda accepts only an execution role that IAM holds and whose trust policy lets
`lambda.amazonaws.com` assume it, as AWS does; each invocation's credentials are then a
session of that role, limited to what its policies allow. `ensure_role` makes such a role
(once per server) allowing what the test functions call.
"""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from tests.e2e.harness import ServerProcess

TRUST_LAMBDA = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "lambda.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
)
ROTATION_POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "secretsmanager:*", "Resource": "*"},
            {"Effect": "Allow", "Action": ["kms:Decrypt", "kms:GenerateDataKey"], "Resource": "*"},
        ],
    }
)


def ensure_role(
    server: ServerProcess, role_arn: str, policy: str | None = ROTATION_POLICY, **client: Any
) -> str:
    """Make the role named at the end of `role_arn` in `server`'s account, assumable by
    Lambda and allowed `policy` (None: nothing), unless it exists; its ARN there.
    `client` are boto3 client options."""
    iam = server.client("iam", **client)
    name = role_arn.rsplit("/", 1)[-1]
    try:
        created = iam.create_role(RoleName=name, AssumeRolePolicyDocument=TRUST_LAMBDA)
    except ClientError as error:
        if error.response["Error"]["Code"] != "EntityAlreadyExists":
            raise
        return str(iam.get_role(RoleName=name)["Role"]["Arn"])
    if policy is not None:
        iam.put_role_policy(RoleName=name, PolicyName="function", PolicyDocument=policy)
    return str(created["Role"]["Arn"])
