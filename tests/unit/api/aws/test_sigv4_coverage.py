"""What a SigV4 signature must cover: every `x-amz-*` header, Content-Type, the Date
header when it gives the time, and the payload by its hash (never UNSIGNED-PAYLOAD).

Requests are signed by botocore's own signers, told to leave a header out of
SignedHeaders (`_LeavingOut`), so each signature is right for what it signed: the only
fault in a refused request is the header it does not cover. Each refusal test also shows
that the same request verifies when the coverage check is switched off, that is on the
verifier as it was before the rule (so the test fails there).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import botocore.auth
import pytest
from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from strongroom.api.aws import sigv4
from strongroom.api.aws.sigv4 import Credential, SigV4Verifier
from strongroom.errors import InvalidSignatureException

KEY_ID = "AKIAIOSFODNN7EXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
SIGNED_AT = datetime(2024, 5, 17, 9, 30, 0)  # naive UTC, as botocore's clock gives it
SIGNED_EPOCH = SIGNED_AT.replace(tzinfo=UTC).timestamp()
ENDPOINT = "http://127.0.0.1:8443"
BODY = b'{"KeyId": "alias/app"}'
MISMATCH = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. "
    "Consult the service documentation for details."
)


def must_be_signed(name: str) -> str:
    return f"'{name}' must be a 'SignedHeader' in the AWS Authorization."


@pytest.fixture(autouse=True)
def botocore_signs_at_a_fixed_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda *_a, **_k: SIGNED_AT)


@dataclass
class Request:
    """The verifier's inputs, as an ASGI server would hand them over."""

    method: str
    path: str
    query: bytes
    headers: list[tuple[bytes, bytes]]
    body: bytes

    def verify(self, now: float = SIGNED_EPOCH) -> Credential:
        verifier = SigV4Verifier({KEY_ID: SECRET}.get, lambda: now)
        return verifier.verify(self.method, self.path, self.query, self.headers, self.body)

    def names(self) -> set[bytes]:
        return {name for name, _ in self.headers}

    def plus(self, name: bytes, value: bytes) -> Request:
        """A copy with one more header, sent after signing."""
        headers = [*self.headers, (name, value)]
        return Request(self.method, self.path, self.query, headers, self.body)


class _LeavingOut:
    """A botocore signer mixin that leaves some present headers out of SignedHeaders."""

    leave_out: tuple[str, ...] = ()

    def headers_to_sign(self, request: Any) -> Any:
        chosen = super().headers_to_sign(request)  # type: ignore[misc]
        for name in self.leave_out:
            del chosen[name]
        return chosen


class _HeaderSigner(_LeavingOut, SigV4Auth):
    pass


class _QuerySigner(_LeavingOut, SigV4QueryAuth):
    pass


def sign(
    form: str = "header",
    leave_out: Iterable[str] = (),
    headers: dict[str, str | None] | None = None,
    token: str | None = None,
    body: bytes = BODY,
) -> Request:
    """A KMS DescribeKey request as boto3 builds it, signed by botocore at SIGNED_AT in
    `form` ("header" or "query"), with the `leave_out` headers sent but not signed.
    `headers` adds headers, or removes them (None)."""
    chosen: dict[str, str | None] = {
        "X-Amz-Target": "TrentService.DescribeKey",
        "Content-Type": "application/x-amz-json-1.1",
        "User-Agent": "Boto3/1.34.0 md/Botocore#1.34.0 ua/2.0 os/linux lang/python#3.11.7",
        **(headers or {}),
    }
    request = AWSRequest(
        method="POST",
        url=ENDPOINT + "/",
        data=body,
        headers={name: value for name, value in chosen.items() if value is not None},
    )
    signer: _LeavingOut
    credentials = Credentials(KEY_ID, SECRET, token)
    if form == "header":
        signer = _HeaderSigner(credentials, "kms", "us-east-1")
    else:
        signer = _QuerySigner(credentials, "kms", "us-east-1", expires=600)
    signer.leave_out = tuple(leave_out)
    signer.add_auth(request)  # type: ignore[attr-defined]
    prepared = request.prepare()
    url = urlsplit(prepared.url)
    sent = [(b"host", url.netloc.encode())]
    for name, value in prepared.headers.items():
        sent.append((name.lower().encode(), value if isinstance(value, bytes) else value.encode()))
    data = prepared.body or b""
    data = data.encode() if isinstance(data, str) else data
    return Request(prepared.method, url.path or "/", url.query.encode(), sent, data)


def refused(request: Request) -> str:
    """The message the request is refused with."""
    with pytest.raises(InvalidSignatureException) as caught:
        request.verify()
    return caught.value.message


def verifies_without_the_rule(request: Request, monkeypatch: pytest.MonkeyPatch) -> None:
    """The request verifies with the coverage check off (as before the rule existed)."""
    with monkeypatch.context() as patched:
        # raising=False: on a verifier without the check there is nothing to switch off
        patched.setattr(sigv4, "_check_coverage", lambda *_args: None, raising=False)
        assert request.verify().access_key_id == KEY_ID


DIGEST = hashlib.sha256(BODY).hexdigest()
EMPTY_DIGEST = hashlib.sha256(b"").hexdigest()  # botocore presigns a JSON body into the query
# (form, the header left out of SignedHeaders, what makes the request carry it)
UNCOVERED = [
    ("header", "x-amz-target", {}),
    ("query", "x-amz-target", {}),
    ("header", "content-type", {}),
    ("query", "content-type", {}),
    ("header", "x-amz-date", {}),
    ("header", "x-amz-security-token", {"token": "session-token"}),
    ("header", "x-amz-content-sha256", {"headers": {"X-Amz-Content-SHA256": DIGEST}}),
    ("query", "x-amz-content-sha256", {"headers": {"X-Amz-Content-SHA256": EMPTY_DIGEST}}),
    ("header", "x-amz-user-agent", {"headers": {"X-Amz-User-Agent": "aws-sdk-js/3.0"}}),
    ("query", "x-amz-user-agent", {"headers": {"X-Amz-User-Agent": "aws-sdk-js/3.0"}}),
]


@pytest.mark.parametrize(
    ("form", "name", "extra"), UNCOVERED, ids=[f"{f}-{n}" for f, n, _ in UNCOVERED]
)
def test_every_covered_header_botocore_sends_is_signed(
    form: str, name: str, extra: dict[str, Any]
) -> None:
    request = sign(form, **extra)
    assert name.encode() in request.names()
    assert request.verify().access_key_id == KEY_ID


@pytest.mark.parametrize(
    ("form", "name", "extra"), UNCOVERED, ids=[f"{f}-{n}" for f, n, _ in UNCOVERED]
)
def test_a_header_left_out_of_the_signature_is_refused(
    form: str, name: str, extra: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    request = sign(form, leave_out=[name], **extra)
    assert name.encode() in request.names()
    verifies_without_the_rule(request, monkeypatch)
    assert refused(request) == must_be_signed(name)


def test_a_date_header_giving_the_time_must_be_signed(monkeypatch: pytest.MonkeyPatch) -> None:
    request = sign(headers={"Date": "placeholder"})  # botocore then times it by Date
    assert b"x-amz-date" not in request.names()
    assert request.verify().date == "20240517"
    unsigned = sign(headers={"Date": "placeholder"}, leave_out=["date"])
    verifies_without_the_rule(unsigned, monkeypatch)
    assert refused(unsigned) == must_be_signed("date")


def test_an_unsigned_date_beside_a_signed_x_amz_date_is_only_data() -> None:
    request = sign().plus(b"date", b"Fri, 17 May 2024 09:30:00 GMT")
    assert request.verify().date == "20240517"


def test_a_presigned_request_is_timed_by_its_signed_query() -> None:
    request = sign("query").plus(b"date", b"Fri, 17 May 2024 09:30:00 GMT")
    assert b"X-Amz-Date=20240517T093000Z" in request.query
    assert request.verify().date == "20240517"


@pytest.mark.parametrize(
    "name",
    [b"x-amzn-trace-id", b"x-custom", b"amz-sdk-request", b"x-forwarded-for", b"content-md5"],
)
def test_other_unsigned_headers_are_only_data(name: bytes) -> None:
    for form in ("header", "query"):
        assert sign(form).plus(name, b"value").verify().access_key_id == KEY_ID


@pytest.mark.parametrize("name", [b"x-amz-target", b"x-amz-foo", b"content-type"])
def test_a_covered_header_added_after_signing_is_refused(name: bytes) -> None:
    request = sign(headers={"Content-Type": None, "X-Amz-Target": None})
    assert not {b"content-type", b"x-amz-target"} & request.names()
    verifier = SigV4Verifier({KEY_ID: SECRET}.get, lambda: SIGNED_EPOCH)
    # the first call caches the SignedHeaders list: the second is checked from the cache
    verifier.verify(request.method, request.path, request.query, request.headers, request.body)
    another = request.plus(name, b"TrentService.ScheduleKeyDeletion")
    with pytest.raises(InvalidSignatureException) as caught:
        verifier.verify(another.method, another.path, another.query, another.headers, another.body)
    assert caught.value.message == must_be_signed(name.decode())


def test_a_repeated_covered_header_is_covered_once_signed() -> None:
    request = sign().plus(b"x-amz-target", b"TrentService.ScheduleKeyDeletion")
    assert refused(request) == MISMATCH  # signed, so both values are: they do not match


def test_the_first_uncovered_name_in_sorted_order_is_named() -> None:
    request = sign(leave_out=["x-amz-target", "x-amz-date", "content-type"])
    assert refused(request) == must_be_signed("content-type")
    request = sign(leave_out=["x-amz-target", "x-amz-date"])
    assert refused(request) == must_be_signed("x-amz-date")


def test_signed_header_names_are_matched_whatever_their_case() -> None:
    request = sign()
    headers = [
        (name, value.replace(b"x-amz-target", b"X-Amz-Target"))
        if name == b"authorization"
        else (name, value)
        for name, value in request.headers
    ]
    assert any(b"X-Amz-Target" in value for _, value in headers)
    Request(request.method, request.path, request.query, headers, request.body).verify()


def test_a_long_signed_headers_list_is_not_cached() -> None:
    many = {f"X-Custom-{index:02d}-{'h' * 20}": "v" for index in range(30)}
    request = sign(headers=many)
    verifier = SigV4Verifier({KEY_ID: SECRET}.get, lambda: SIGNED_EPOCH)
    verifier.verify(request.method, request.path, request.query, request.headers, request.body)
    assert not verifier._signed
    short = sign()
    verifier.verify(short.method, short.path, short.query, short.headers, short.body)
    assert len(verifier._signed) == 1


# --- the payload is always signed by its hash ---------------------------------------------


@pytest.mark.parametrize("form", ["header", "query"])
@pytest.mark.parametrize(
    "marker",
    [
        "UNSIGNED-PAYLOAD",
        "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
        "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
    ],
)
def test_a_payload_hash_other_than_the_body_hash_is_refused(form: str, marker: str) -> None:
    # signed, so no header is uncovered: the body's hash is what must have been signed
    request = sign(form, headers={"X-Amz-Content-SHA256": marker})
    assert refused(request) == MISMATCH


def test_unsigned_payload_with_a_swapped_body_is_refused() -> None:
    request = sign(headers={"X-Amz-Content-SHA256": "UNSIGNED-PAYLOAD"})
    request.body = b'{"KeyId": "alias/other", "PendingWindowInDays": 7}'
    assert refused(request) == MISMATCH


def test_an_unsigned_payload_hash_header_is_refused_even_when_it_names_the_body(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    request = sign(headers={"X-Amz-Content-SHA256": DIGEST}, leave_out=["x-amz-content-sha256"])
    verifies_without_the_rule(request, monkeypatch)
    assert refused(request) == must_be_signed("x-amz-content-sha256")
    unsigned_marker = sign(
        headers={"X-Amz-Content-SHA256": "UNSIGNED-PAYLOAD"}, leave_out=["x-amz-content-sha256"]
    )
    assert refused(unsigned_marker) == must_be_signed("x-amz-content-sha256")


def test_the_body_hash_declared_and_signed_verifies() -> None:
    assert sign(headers={"X-Amz-Content-SHA256": DIGEST}).verify().service == "kms"


def test_the_fast_path_lets_no_covered_name_through_unchecked() -> None:
    usual = sigv4._USUALLY_UNSIGNED
    assert not [n for n in usual if n.startswith(b"x-amz-") or n in (b"content-type", b"date")]
    assert b"host" not in usual  # host must be signed too, and is checked apart
