"""The environment an invocation runs with, as AWS Lambda's Python runtime sets it.

Layered, later layers winning: a default a function may override (`TZ`); the
function's own variables; then what Lambda reserves (region, function name, version,
memory, log group and stream, execution environment, handler) and the invocation's
temporary credentials; and last where Strongroom is: `AWS_ENDPOINT_URL` and
`SECRETS_MANAGER_ENDPOINT` (the variable AWS's rotation templates read) and, when the
server's certificate needs it, `AWS_CA_BUNDLE`. Those last ones override the function's
variables on purpose: a rotation function copied from AWS often sets
SECRETS_MANAGER_ENDPOINT to AWS's regional endpoint, where the credentials issued here
mean nothing. The process runner adds the rest (PATH, LANG, PYTHONPATH, LAMBDA_TASK_ROOT,
which name what only it knows).
"""

from __future__ import annotations

import time

from strongroom.services.awslambda.names import LATEST
from strongroom.services.awslambda.records import FunctionRecord

Credentials = tuple[str, str, str]
"""(access key id, secret access key, session token)."""


def log_stream_name(moment: float, token: bytes) -> str:
    """A Lambda log stream name: `2024/05/01/[$LATEST]<32 hex digits>`."""
    return time.strftime("%Y/%m/%d", time.gmtime(moment)) + f"/[{LATEST}]{token.hex()}"


def invocation_environment(
    record: FunctionRecord,
    credentials: Credentials,
    *,
    endpoint_url: str,
    ca_bundle: str | None,
    log_stream: str,
) -> dict[str, str]:
    """Every variable the function's process starts with (beyond what the runner adds)."""
    access_key_id, secret_access_key, session_token = credentials
    environment = {"TZ": ":UTC"}
    environment.update(record.environment or {})
    environment.update(
        {
            "AWS_REGION": record.region,
            "AWS_DEFAULT_REGION": record.region,
            "AWS_LAMBDA_FUNCTION_NAME": record.name,
            "AWS_LAMBDA_FUNCTION_VERSION": LATEST,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(record.memory_size),
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{record.name}",
            "AWS_LAMBDA_LOG_STREAM_NAME": log_stream,
            "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{record.runtime}",
            "_HANDLER": record.handler,
            "AWS_ACCESS_KEY_ID": access_key_id,
            "AWS_SECRET_ACCESS_KEY": secret_access_key,
            "AWS_SESSION_TOKEN": session_token,
            "AWS_ENDPOINT_URL": endpoint_url,
            "SECRETS_MANAGER_ENDPOINT": endpoint_url,
        }
    )
    if ca_bundle is not None:
        environment["AWS_CA_BUNDLE"] = ca_bundle
    return environment
