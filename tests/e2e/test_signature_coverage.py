"""A signature must cover what the server acts on, on a real dev server.

A request signed with X-Amz-Target (or X-Amz-Content-Sha256, or Content-Type) left out of
SignedHeaders, or over UNSIGNED-PAYLOAD, could be replayed within the skew window as
another operation or with another body: a captured DescribeKey re-sent as
ScheduleKeyDeletion, a DisableKey of one key re-sent for another. Each such request is
refused and changes nothing, while boto3 and complete botocore signatures still work.

The requests are signed by botocore's SigV4Auth, told to leave a header out of
SignedHeaders, so each signature is right for what it signed and the only fault is the
header it does not cover (`test_the_same_requests_fully_signed_are_answered` shows the
signing path itself is sound).
"""

from __future__ import annotations

import hashlib
import http.client
import json
from collections.abc import Iterable
from typing import Any

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from tests.e2e.harness import ACCESS_KEY, REGION, SECRET_KEY, ServerProcess

JSON_1_1 = "application/x-amz-json-1.1"


class _LeavingOut(SigV4Auth):
    """botocore's SigV4 signer, leaving the named headers (still sent) out of the signature."""

    def __init__(self, leave_out: Iterable[str]) -> None:
        super().__init__(Credentials(ACCESS_KEY, SECRET_KEY), "kms", REGION)
        self._leave_out = tuple(leave_out)

    def headers_to_sign(self, request: Any) -> Any:
        chosen = super().headers_to_sign(request)
        for name in self._leave_out:
            del chosen[name]
        return chosen


def signed(
    server: ServerProcess,
    target: str,
    body: bytes,
    leave_out: Iterable[str] = (),
    extra: dict[str, str] | None = None,
) -> dict[str, str]:
    """Headers of a KMS request signed now, with `leave_out` sent but not signed."""
    request = AWSRequest(
        method="POST",
        url=server.endpoint_url + "/",
        data=body,
        headers={
            "X-Amz-Target": f"TrentService.{target}",
            "Content-Type": JSON_1_1,
            **(extra or {}),
        },
    )
    _LeavingOut(leave_out).add_auth(request)
    return dict(request.headers.items())


def send(server: ServerProcess, headers: dict[str, str], body: bytes) -> tuple[int, Any]:
    """POST exactly these headers (plus Host and Content-Length) and body."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        connection.request("POST", "/", body=body, headers=headers)
        response = connection.getresponse()
        text = response.read().decode()
    finally:
        connection.close()
    assert "Traceback" not in text and SECRET_KEY not in text
    return response.status, json.loads(text)


def assert_refused(server: ServerProcess, headers: dict[str, str], body: bytes) -> str:
    status, payload = send(server, headers, body)
    assert (status, payload.get("__type")) == (400, "InvalidSignatureException"), payload
    return str(payload["message"])


def must_be_signed(name: str) -> str:
    return f"'{name}' must be a 'SignedHeader' in the AWS Authorization."


MISMATCH_START = "The request signature we calculated does not match"


@pytest.fixture
def server(start_server: Any) -> ServerProcess:
    return start_server()  # type: ignore[no-any-return]


@pytest.fixture
def key(server: ServerProcess) -> str:
    return str(server.client("kms").create_key(Description="target")["KeyMetadata"]["KeyId"])


def key_state(server: ServerProcess, key_id: str) -> dict[str, Any]:
    metadata = server.client("kms").describe_key(KeyId=key_id)["KeyMetadata"]
    return {name: metadata.get(name) for name in ("KeyState", "Enabled", "DeletionDate")}


ENABLED = {"KeyState": "Enabled", "Enabled": True, "DeletionDate": None}


def test_the_same_requests_fully_signed_are_answered(server: ServerProcess, key: str) -> None:
    body = json.dumps({"KeyId": key}).encode()
    status, payload = send(server, signed(server, "DescribeKey", body), body)
    assert status == 200 and payload["KeyMetadata"]["KeyId"] == key
    digest = {"X-Amz-Content-SHA256": hashlib.sha256(body).hexdigest()}
    status, payload = send(server, signed(server, "DescribeKey", body, extra=digest), body)
    assert status == 200 and payload["KeyMetadata"]["KeyId"] == key


@pytest.mark.parametrize("replayed_as", ["ScheduleKeyDeletion", "DisableKey"])
def test_an_unsigned_target_cannot_be_replayed_as_another_operation(
    server: ServerProcess, key: str, replayed_as: str
) -> None:
    body = json.dumps({"KeyId": key}).encode()
    captured = signed(server, "DescribeKey", body, leave_out=["x-amz-target"])
    replay = {**captured, "X-Amz-Target": f"TrentService.{replayed_as}"}
    assert must_be_signed("x-amz-target") == assert_refused(server, replay, body)
    assert key_state(server, key) == ENABLED
    assert must_be_signed("x-amz-target") == assert_refused(server, captured, body)


def test_an_unsigned_payload_hash_header_is_refused(server: ServerProcess, key: str) -> None:
    body = json.dumps({"KeyId": key}).encode()
    digest = hashlib.sha256(body).hexdigest()
    for value in (digest, "UNSIGNED-PAYLOAD"):
        headers = signed(
            server,
            "DisableKey",
            body,
            leave_out=["x-amz-content-sha256"],
            extra={"X-Amz-Content-SHA256": value},
        )
        assert must_be_signed("x-amz-content-sha256") == assert_refused(server, headers, body)
    assert key_state(server, key) == ENABLED


def test_unsigned_payload_with_a_swapped_body_is_refused(server: ServerProcess, key: str) -> None:
    kms = server.client("kms")
    own = kms.create_key(Description="the signer's own key")["KeyMetadata"]["KeyId"]
    signed_body = json.dumps({"KeyId": own}).encode()
    headers = signed(
        server, "DisableKey", signed_body, extra={"X-Amz-Content-SHA256": "UNSIGNED-PAYLOAD"}
    )
    assert "x-amz-content-sha256" in headers["Authorization"]  # the marker itself is signed
    swapped = json.dumps({"KeyId": key}).encode()
    assert assert_refused(server, headers, swapped).startswith(MISMATCH_START)
    assert assert_refused(server, headers, signed_body).startswith(MISMATCH_START)
    assert key_state(server, key) == ENABLED
    assert key_state(server, own) == ENABLED


def test_an_unsigned_content_type_is_refused(server: ServerProcess, key: str) -> None:
    body = json.dumps({"KeyId": key}).encode()
    headers = signed(server, "DisableKey", body, leave_out=["content-type"])
    assert must_be_signed("content-type") == assert_refused(server, headers, body)
    assert key_state(server, key) == ENABLED


def test_an_unsigned_request_time_is_refused(server: ServerProcess, key: str) -> None:
    body = json.dumps({"KeyId": key}).encode()
    headers = signed(server, "DisableKey", body, leave_out=["x-amz-date"])
    assert must_be_signed("x-amz-date") == assert_refused(server, headers, body)
    assert key_state(server, key) == ENABLED


def test_a_session_token_on_a_long_term_key_is_refused(server: ServerProcess) -> None:
    """As AWS answers it: a session token belongs to temporary credentials (see
    identity/sessions.py); with an access key's own id it is an invalid token."""
    keys_before = server.client("kms").list_keys()["Keys"]
    kms = server.client("kms", aws_session_token="a-session-token")
    with pytest.raises(ClientError) as refused:
        kms.create_key(Description="boto3")
    assert refused.value.response["Error"] == {
        "Code": "UnrecognizedClientException",
        "Message": "The security token included in the request is invalid.",
    }
    assert server.client("kms").list_keys()["Keys"] == keys_before
