"""Requests to a test server sent exactly as built, and the answer as (status, error code).

botocore cannot serialize some bad input (a number where the model wants a string, a body
that is not JSON), so these requests are signed as botocore signs them and posted as they
are, without retries. `status_and_code` reads a boto3 call's answer the same way, so either
path is judged alike: (200, "") for a success, else the status and the AWS error code
(`__type`), or "" when the answer carries none.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import urllib3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError
from botocore.model import ServiceModel

from tests.e2e.harness import ServerProcess


def post_signed(
    server: ServerProcess, signing_name: str, target: str, body: bytes
) -> tuple[int, str]:
    """POST `body` as `X-Amz-Target: <target>`, signed for `signing_name`."""
    headers = {"X-Amz-Target": target, "Content-Type": "application/x-amz-json-1.1"}
    request = AWSRequest(method="POST", url=server.endpoint_url + "/", data=body, headers=headers)
    credentials = Credentials(server.access_key, server.secret_key)
    SigV4Auth(credentials, signing_name, server.region).add_auth(request)
    prepared = request.prepare()
    answer = urllib3.request(
        "POST", prepared.url, body=prepared.body, headers=dict(prepared.headers), retries=False
    )
    if answer.status == 200:
        return 200, ""
    try:
        return answer.status, str(json.loads(answer.data).get("__type", ""))
    except ValueError:
        return answer.status, ""


def post_params(
    server: ServerProcess, model: ServiceModel, operation: str, params: dict[str, Any]
) -> tuple[int, str]:
    """Send `params` to `operation` as JSON, whatever their types (bytes as base64)."""
    body = json.dumps(params, default=_json_default).encode()
    target = f"{model.metadata['targetPrefix']}.{operation}"
    return post_signed(server, model.signing_name, target, body)


def status_and_code(call: Callable[..., Any], params: dict[str, Any]) -> tuple[int, str]:
    """Make a boto3 call; its answer as (status, error code)."""
    try:
        response = call(**params)
    except ClientError as error:
        answer = error.response
        return answer["ResponseMetadata"]["HTTPStatusCode"], answer["Error"].get("Code", "")
    return response["ResponseMetadata"]["HTTPStatusCode"], ""


def _json_default(value: Any) -> Any:
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    raise TypeError(type(value).__name__)
