"""The wire: SigV4 on every call, AWS error shapes, never a 500 or a traceback."""

from __future__ import annotations

import datetime as dt
import json
import urllib.error
import urllib.request
from typing import Any

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from tests.e2e.harness import ACCESS_KEY, REGION, SECRET_KEY


def _signed(
    url: str,
    target: str,
    body: bytes,
    *,
    key: str = ACCESS_KEY,
    secret: str = SECRET_KEY,
    service: str = "kms",
    region: str = REGION,
    when: dt.datetime | None = None,
) -> dict[str, str]:
    request = AWSRequest(
        method="POST",
        url=url,
        data=body,
        headers={"X-Amz-Target": target, "Content-Type": "application/x-amz-json-1.1"},
    )
    auth = SigV4Auth(Credentials(key, secret), service, region)
    if when is None:
        auth.add_auth(request)
    else:  # add_auth's own steps, with the timestamp chosen by the test
        request.context["timestamp"] = when.strftime("%Y%m%dT%H%M%SZ")
        auth._modify_request_before_signing(request)
        canonical = auth.canonical_request(request)
        signature = auth.signature(auth.string_to_sign(request, canonical), request)
        auth._inject_signature_to_request(request, signature)
    return dict(request.headers.items())


def _post(url: str, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, Any], str]:
    request = urllib.request.Request(url + "/", data=body, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            text = response.read().decode()
            return response.status, json.loads(text), text
    except urllib.error.HTTPError as error:
        with error:
            text = error.read().decode()
        return error.code, json.loads(text), text


def _key_count(server: Any) -> int:
    return len(server.client("kms").list_keys(Limit=1000)["Keys"])


CREATE = b'{"Description": "should not exist"}'


@pytest.fixture
def fresh(start_server: Any) -> Any:
    return start_server()


def _assert_refused(server: Any, headers: dict[str, str], body: bytes, code: str) -> str:
    status, payload, text = _post(server.endpoint_url, headers, body)
    assert payload["__type"] == code, payload
    assert status in (400, 403)
    assert "Traceback" not in text
    assert SECRET_KEY not in text
    assert _key_count(server) == 0
    return str(payload.get("message", ""))


def test_unsigned_request_is_refused(fresh: Any) -> None:
    headers = {
        "X-Amz-Target": "TrentService.CreateKey",
        "Content-Type": "application/x-amz-json-1.1",
    }
    message = _assert_refused(fresh, headers, CREATE, "MissingAuthenticationTokenException")
    assert message == "Missing Authentication Token"


def test_wrong_secret_is_invalid_signature(fresh: Any) -> None:
    headers = _signed(fresh.endpoint_url, "TrentService.CreateKey", CREATE, secret="wrong" * 8)
    _assert_refused(fresh, headers, CREATE, "InvalidSignatureException")


def test_changed_body_after_signing_is_invalid_signature(fresh: Any) -> None:
    headers = _signed(fresh.endpoint_url, "TrentService.CreateKey", b"{}")
    _assert_refused(fresh, headers, CREATE, "InvalidSignatureException")


def test_changed_target_after_signing_is_invalid_signature(fresh: Any) -> None:
    headers = _signed(fresh.endpoint_url, "TrentService.ListKeys", CREATE)
    headers["X-Amz-Target"] = "TrentService.CreateKey"
    _assert_refused(fresh, headers, CREATE, "InvalidSignatureException")


def test_unknown_access_key_is_unrecognized(fresh: Any) -> None:
    headers = _signed(
        fresh.endpoint_url, "TrentService.CreateKey", CREATE, key="AKIANOSUCHKEY0000000"
    )
    message = _assert_refused(fresh, headers, CREATE, "UnrecognizedClientException")
    assert message == "The security token included in the request is invalid."


def test_request_outside_five_minutes_is_refused(fresh: Any) -> None:
    old = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=6)
    headers = _signed(fresh.endpoint_url, "TrentService.CreateKey", CREATE, when=old)
    message = _assert_refused(fresh, headers, CREATE, "InvalidSignatureException")
    assert "Signature expired" in message
    future = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=6)
    headers = _signed(fresh.endpoint_url, "TrentService.CreateKey", CREATE, when=future)
    _assert_refused(fresh, headers, CREATE, "InvalidSignatureException")


def test_scope_for_another_service_is_refused(fresh: Any) -> None:
    headers = _signed(fresh.endpoint_url, "TrentService.CreateKey", CREATE, service="s3")
    _assert_refused(fresh, headers, CREATE, "InvalidSignatureException")


def test_malformed_authorization_is_incomplete_signature(fresh: Any) -> None:
    headers = _signed(fresh.endpoint_url, "TrentService.CreateKey", CREATE)
    headers["Authorization"] = "AWS4-HMAC-SHA256 Credential=garbage"
    _assert_refused(fresh, headers, CREATE, "IncompleteSignatureException")


def test_malformed_json_is_serialization_exception(fresh: Any) -> None:
    body = b'{"Description": '
    headers = _signed(fresh.endpoint_url, "TrentService.CreateKey", body)
    status, payload, _ = _post(fresh.endpoint_url, headers, body)
    assert status == 400 and payload["__type"] == "SerializationException"
    assert _key_count(fresh) == 0


def test_wrong_member_type_is_refused(fresh: Any) -> None:
    body = b'{"Description": 5}'
    headers = _signed(fresh.endpoint_url, "TrentService.CreateKey", body)
    status, payload, _ = _post(fresh.endpoint_url, headers, body)
    assert status == 400 and payload["__type"] == "SerializationException"
    assert _key_count(fresh) == 0


def test_unknown_operation(fresh: Any) -> None:
    headers = _signed(fresh.endpoint_url, "TrentService.MakeCoffee", b"{}")
    status, payload, _ = _post(fresh.endpoint_url, headers, b"{}")
    assert status == 400 and payload["__type"] == "UnknownOperationException"
    headers = _signed(fresh.endpoint_url, "NoSuchService.CreateKey", b"{}")
    status, payload, _ = _post(fresh.endpoint_url, headers, b"{}")
    assert status == 400 and payload["__type"] == "UnknownOperationException"


def test_oversized_body_is_refused_early(fresh: Any) -> None:
    """A declared length over the limit is refused before the body is read."""
    import http.client

    connection = http.client.HTTPConnection("127.0.0.1", fresh.port, timeout=10)
    connection.putrequest("POST", "/")
    connection.putheader("X-Amz-Target", "TrentService.CreateKey")
    connection.putheader("Content-Type", "application/x-amz-json-1.1")
    connection.putheader("Content-Length", str(2 << 20))
    connection.endheaders()
    connection.send(b'{"Description": "' + b"x" * 1000)  # far less than declared
    response = connection.getresponse()
    payload = json.loads(response.read())
    connection.close()
    assert response.status == 413 and payload["__type"] == "RequestEntityTooLargeException"
    assert _key_count(fresh) == 0


def test_validation_message_in_aws_form(fresh: Any) -> None:
    body = json.dumps({"KeyId": "k" * 2049, "Plaintext": "AA=="}).encode()
    headers = _signed(fresh.endpoint_url, "TrentService.Encrypt", body)
    status, payload, _ = _post(fresh.endpoint_url, headers, body)
    assert status == 400 and payload["__type"] == "ValidationException"
    assert payload["message"].startswith("1 validation error detected: Value '")
    assert (
        "at 'keyId' failed to satisfy constraint: Member must have length less than or "
        "equal to 2048" in payload["message"]
    )


def test_moto_reset_wipes_state_in_dev_mode(fresh: Any) -> None:
    kms = fresh.client("kms")
    kms.create_key()
    request = urllib.request.Request(
        fresh.endpoint_url + "/moto-api/reset", data=b"", method="POST"
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200
    assert kms.list_keys()["Keys"] == []
    assert kms.list_aliases()["Aliases"] == []
    kms.create_key()
    assert len(kms.list_keys()["Keys"]) == 1


def test_junk_identifiers_are_not_found_never_internal_errors(fresh: Any) -> None:
    raw = fresh.client("kms", validate=False)
    for key_id in ("abc\u0000", "alias/\u0000x", "alias/a b", "key/../../identity", "../x"):
        with pytest.raises(raw.exceptions.NotFoundException):
            raw.describe_key(KeyId=key_id)
    with pytest.raises(raw.exceptions.NotFoundException):
        raw.describe_key(KeyId=f"arn:aws-cn:kms:{REGION}:123456789012:key/" + "0" * 36)


def test_junk_access_key_ids_and_regions_are_auth_errors(fresh: Any) -> None:
    headers = _signed(fresh.endpoint_url, "TrentService.CreateKey", CREATE, key="AKIA\u00e9x")
    _assert_refused(fresh, headers, CREATE, "UnrecognizedClientException")
    for region in ("", "us east 1", "../../x"):
        headers = _signed(fresh.endpoint_url, "TrentService.CreateKey", CREATE, region=region)
        status, payload, _ = _post(fresh.endpoint_url, headers, CREATE)
        assert status == 400
        assert payload["__type"] in ("InvalidSignatureException", "IncompleteSignatureException")
    assert _key_count(fresh) == 0


def test_browser_requests_cannot_reset_a_dev_server(fresh: Any) -> None:
    kms = fresh.client("kms")
    kms.create_key()
    request = urllib.request.Request(
        fresh.endpoint_url + "/moto-api/reset",
        data=b"",
        method="POST",
        headers={"Origin": "http://evil.example", "Content-Type": "text/plain"},
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    refused.value.close()
    assert refused.value.code == 403
    assert len(kms.list_keys()["Keys"]) == 1


class _SharedReader:
    """A socket whose responses share one buffered reader, for pipelined responses."""

    def __init__(self, sock: Any) -> None:
        self._file = sock.makefile("rb")

    def makefile(self, *args: Any, **kwargs: Any) -> Any:
        return self

    def close(self) -> None:
        """Kept open: the next response is read from the same buffer."""

    def __getattr__(self, name: str) -> Any:
        return getattr(self._file, name)


def test_pipelined_requests_are_answered_whole_and_in_order(fresh: Any) -> None:
    """Each response leaves in one send; HEAD, pipelining and 100-continue still work."""
    import http.client
    import socket

    body = b'{"NumberOfBytes": 16}'
    signed = _signed(fresh.endpoint_url, "TrentService.GenerateRandom", body)
    signed["Content-Length"] = str(len(body))
    signed["Host"] = fresh.endpoint_url.split("://", 1)[1]
    post = "POST / HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in signed.items())
    requests = [
        b"HEAD /sys/health HTTP/1.1\r\nHost: x\r\n\r\n",
        post.encode() + b"\r\n" + body,
        b"GET /sys/health HTTP/1.1\r\nHost: x\r\n\r\n",
    ]
    with socket.create_connection(("127.0.0.1", fresh.port), timeout=10) as sock:
        sock.sendall(b"".join(requests))
        reader = _SharedReader(sock)
        answers = []
        for method in ("HEAD", "POST", "GET"):
            response = http.client.HTTPResponse(reader, method=method)  # type: ignore[arg-type]
            response.begin()
            answers.append((response.status, response.read()))
    assert answers[0] == (200, b"")
    assert answers[1][0] == 200, answers[1]
    assert len(json.loads(answers[1][1])["Plaintext"]) == 24
    assert answers[2][0] == 200 and json.loads(answers[2][1])["sealed"] is False

    with socket.create_connection(("127.0.0.1", fresh.port), timeout=10) as sock:
        waiting = post.replace("\r\n", "\r\nExpect: 100-continue\r\n", 1).encode() + b"\r\n"
        sock.sendall(waiting)
        reader = _SharedReader(sock)
        assert reader.makefile().readline() == b"HTTP/1.1 100 Continue\r\n"
        assert reader.makefile().readline() == b"\r\n"
        sock.sendall(body)
        response = http.client.HTTPResponse(reader, method="POST")  # type: ignore[arg-type]
        response.begin()
        assert response.status == 200 and "Plaintext" in json.loads(response.read())
