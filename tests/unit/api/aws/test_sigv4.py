"""SigV4 verification: the AWS SigV4 test suite (tests/vectors/sigv4), real botocore/boto3
requests, and every failure mode with its AWS error class and message.

Vector cases that do not apply to a non-S3 server, decided here rather than skipped:
- `normalize: false` cases whose path is not already normal (`//`, `/./`, `/..`) are signed
  S3-style over the raw path. Every other service normalizes, and so does this verifier, so
  their signatures must be refused (InvalidSignatureException). `get-space-unnormalized`
  has a normal path and verifies.
- `post-sts-header-after`: the session token is added after signing
  (`omit_session_token`). Query form: a server signs the whole query, so the signature
  does not match. Header form: the signature matches, but the token header is an
  `x-amz-*` header left out of SignedHeaders, and a signature must cover every one it
  carries (else a captured request could be replayed with another token, or another
  X-Amz-Target), so it is refused naming the header.

The rules on what a signature must cover (SignedHeaders, payload hash) are tested in
test_sigv4_coverage.py.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import boto3
import botocore.auth
import pytest
from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from strongroom.api.aws.sigv4 import Credential, SigV4Verifier
from strongroom.errors import (
    IncompleteSignatureException,
    InvalidSignatureException,
    MissingAuthenticationToken,
    UnrecognizedClientException,
)

VECTORS = Path(__file__).resolve().parents[3] / "vectors" / "sigv4" / "v4"
MISMATCH = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. "
    "Consult the service documentation for details."
)

TOKEN_UNSIGNED = "'x-amz-security-token' must be a 'SignedHeader' in the AWS Authorization."

Headers = list[tuple[bytes, bytes]]


@dataclass
class Request:
    """The verifier's inputs, as an ASGI server would hand them over."""

    method: str
    path: str
    query: bytes
    headers: Headers
    body: bytes

    def verify(self, verifier: SigV4Verifier) -> Credential:
        return verifier.verify(self.method, self.path, self.query, self.headers, self.body)

    def header(self, name: bytes) -> bytes:
        return next(value for key, value in self.headers if key == name)

    def with_header(self, name: bytes, value: bytes | None) -> Request:
        """A copy with the first `name` header replaced (added, or removed when None)."""
        headers = list(self.headers)
        index = next((i for i, (key, _) in enumerate(headers) if key == name), None)
        if index is None:
            if value is not None:
                headers.append((name, value))
        elif value is None:
            del headers[index]
        else:
            headers[index] = (name, value)
        return Request(self.method, self.path, self.query, headers, self.body)


def parse_http(raw: bytes) -> Request:
    """A request file of the suite: request line, headers (folded lines continue the one
    before), blank line, body. Header names lowercased, values left as sent."""
    head, _, body = raw.partition(b"\n\n")
    request_line, *lines = head.split(b"\n")
    method, _, rest = request_line.partition(b" ")
    target, _, _version = rest.rpartition(b" ")
    path, _, query = target.partition(b"?")
    headers: Headers = []
    for line in lines:
        if line[:1] in (b" ", b"\t"):
            name, value = headers[-1]
            headers[-1] = (name, value + b"\n" + line)
        elif line:
            name, _, value = line.partition(b":")
            headers.append((name.strip().lower(), value))
    return Request(method.decode("ascii"), path.decode("utf-8"), query, headers, body)


@dataclass
class Case:
    name: str
    kind: str  # "header" or "query"
    context: dict[str, Any]

    @property
    def folder(self) -> Path:
        return VECTORS / self.name

    def signed_request(self) -> Request:
        return parse_http((self.folder / f"{self.kind}-signed-request.txt").read_bytes())

    def verifier(self) -> SigV4Verifier:
        creds = self.context["credentials"]
        when = datetime.fromisoformat(self.context["timestamp"]).timestamp()
        return SigV4Verifier({creds["access_key_id"]: creds["secret_access_key"]}.get, lambda: when)

    def signed_header_names(self) -> list[bytes]:
        request = self.signed_request()
        if self.kind == "query":
            text = dict(parse_qsl(request.query.decode("utf-8")))["X-Amz-SignedHeaders"]
        else:
            text = request.header(b"authorization").decode().split("SignedHeaders=")[1]
            text = text.split(",")[0]
        return [name.encode() for name in text.split(";")]

    def refusal(self) -> str | None:
        """The message a non-S3 server must refuse this signed request with, or None if it
        verifies (each case says why)."""
        if not self.context["normalize"] and not _is_normal(self.signed_request().path):
            return MISMATCH  # signed S3-style over an unnormalized path
        if self.context.get("omit_session_token"):
            if self.kind == "query":
                return MISMATCH  # the token was added to the query, which is signed whole
            return TOKEN_UNSIGNED  # the token header was added after signing: not covered
        return None


def _is_normal(path: str) -> bool:
    """No dot segments and no empty segment except a trailing one."""
    inner = path.split("/")[1:-1]
    last = path.split("/")[-1]
    return all(s not in ("", ".", "..") for s in inner) and last not in (".", "..")


def _cases() -> Iterator[Case]:
    for folder in sorted(VECTORS.iterdir()):
        context = json.loads((folder / "context.json").read_text())
        for kind in ("header", "query"):
            yield Case(folder.name, kind, context)


CASES = list(_cases())
VERIFYING = [case for case in CASES if case.refusal() is None]
REFUSED = [case for case in CASES if case.refusal() is not None]


def _id(case: Case) -> str:
    return f"{case.name}-{case.kind}"


def test_every_vector_folder_is_loaded() -> None:
    assert len(CASES) == 2 * 38
    refused = sorted(_id(case) for case in REFUSED)
    assert refused == sorted(
        [f"{name}-{kind}" for name in _UNNORMALIZED for kind in ("header", "query")]
        + ["post-sts-header-after-header", "post-sts-header-after-query"]
    )


_UNNORMALIZED = [
    "get-relative-relative-unnormalized",
    "get-relative-unnormalized",
    "get-slash-dot-slash-unnormalized",
    "get-slash-pointless-dot-unnormalized",
    "get-slash-unnormalized",
    "get-slashes-unnormalized",
]


@pytest.mark.parametrize("case", VERIFYING, ids=_id)
def test_signed_vector_verifies(case: Case) -> None:
    credential = case.signed_request().verify(case.verifier())
    assert credential == Credential("AKIDEXAMPLE", "20150830", "us-east-1", "service")


@pytest.mark.parametrize("case", REFUSED, ids=_id)
def test_vector_a_server_must_refuse(case: Case) -> None:
    with pytest.raises(InvalidSignatureException) as caught:
        case.signed_request().verify(case.verifier())
    assert caught.value.message == case.refusal()


def test_a_session_token_added_after_signing_is_refused_though_the_signature_matches() -> None:
    """post-sts-header-after (header form): its signature is right for the headers it
    signed (it verifies once the unsigned token header is gone), so the refusal is for the
    uncovered header alone."""
    case = next(c for c in REFUSED if _id(c) == "post-sts-header-after-header")
    request = case.signed_request()
    assert b"x-amz-security-token" not in case.signed_header_names()
    request.with_header(b"x-amz-security-token", None).verify(case.verifier())
    with pytest.raises(InvalidSignatureException) as caught:
        request.verify(case.verifier())
    assert caught.value.message == TOKEN_UNSIGNED


@pytest.mark.parametrize("name", sorted({case.name for case in CASES}))
def test_unsigned_vector_request_is_missing_authentication(name: str) -> None:
    request = parse_http((VECTORS / name / "request.txt").read_bytes())
    case = next(case for case in CASES if case.name == name)
    with pytest.raises(MissingAuthenticationToken) as caught:
        request.verify(case.verifier())
    assert caught.value.message == "Missing Authentication Token"


def _other_digit(digit: int) -> bytes:
    return b"0" if digit != ord("0") else b"1"


def _tamper_signature(case: Case, request: Request) -> Request:
    if case.kind == "query":
        query = request.query
        at = query.index(b"X-Amz-Signature=") + len(b"X-Amz-Signature=")
        changed = query[:at] + _other_digit(query[at]) + query[at + 1 :]
        return Request(request.method, request.path, changed, request.headers, request.body)
    value = request.header(b"authorization")
    at = value.index(b"Signature=", value.index(b"SignedHeaders=") + 1) + len(b"Signature=")
    return request.with_header(
        b"authorization", value[:at] + _other_digit(value[at]) + value[at + 1 :]
    )


@pytest.mark.parametrize("case", VERIFYING, ids=_id)
def test_changed_signature_digit_is_refused(case: Case) -> None:
    request = _tamper_signature(case, case.signed_request())
    with pytest.raises(InvalidSignatureException) as caught:
        request.verify(case.verifier())
    assert caught.value.message == MISMATCH


@pytest.mark.parametrize("case", VERIFYING, ids=_id)
def test_changed_signed_header_value_is_refused(case: Case) -> None:
    names = [n for n in case.signed_header_names() if n not in (b"x-amz-date",)]
    others = [n for n in names if n not in (b"host", b"x-amz-content-sha256")]
    name = (others or names)[-1]
    request = case.signed_request()
    request = request.with_header(name, request.header(name) + b"x")
    with pytest.raises(InvalidSignatureException) as caught:
        request.verify(case.verifier())
    assert caught.value.message == MISMATCH


@pytest.mark.parametrize("case", VERIFYING, ids=_id)
def test_changed_body_is_refused(case: Case) -> None:
    request = case.signed_request()
    request.body += b"x"
    with pytest.raises(InvalidSignatureException) as caught:
        request.verify(case.verifier())
    assert caught.value.message == MISMATCH


# --- real botocore / boto3 requests -----------------------------------------------------

KEY_ID = "AKIAIOSFODNN7EXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
SIGNED_AT = datetime(2024, 5, 17, 9, 30, 0)  # naive UTC, as botocore's clock gives it
SIGNED_EPOCH = SIGNED_AT.replace(tzinfo=UTC).timestamp()
ENDPOINT = "http://127.0.0.1:8443"
ENCRYPT_BODY = b'{"KeyId": "alias/app", "Plaintext": "aGVsbG8="}'


@pytest.fixture(autouse=True)
def botocore_signs_at_a_fixed_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda *_a, **_k: SIGNED_AT)


def from_botocore(prepared: Any) -> Request:
    """What the ASGI server sees of a botocore request: lowercase header names, the Host
    header the HTTP client adds, the raw path and query."""
    url = urlsplit(prepared.url)
    headers: Headers = [(b"host", url.netloc.encode())]
    for name, value in prepared.headers.items():
        headers.append(
            (name.lower().encode(), value if isinstance(value, bytes) else value.encode())
        )
    body = prepared.body or b""
    if isinstance(body, str):
        body = body.encode()
    return Request(prepared.method, url.path or "/", url.query.encode(), headers, body)


def sign(
    headers: dict[str, str] | None = None,
    body: bytes = ENCRYPT_BODY,
    key_id: str = KEY_ID,
    query_auth_expires: int | None = None,
) -> Request:
    """A KMS Encrypt request as boto3 builds it, signed by botocore at SIGNED_AT."""
    request = AWSRequest(
        method="POST",
        url=ENDPOINT + "/",
        data=body,
        headers={
            "X-Amz-Target": "TrentService.Encrypt",
            "Content-Type": "application/x-amz-json-1.1",
            "User-Agent": "Boto3/1.34.0 md/Botocore#1.34.0 ua/2.0 os/linux lang/python#3.11.7",
            "Content-Length": str(len(body)),
            **(headers or {}),
        },
    )
    credentials = Credentials(key_id, SECRET)
    if query_auth_expires is None:
        SigV4Auth(credentials, "kms", "us-east-1").add_auth(request)
    else:
        SigV4QueryAuth(credentials, "kms", "us-east-1", expires=query_auth_expires).add_auth(
            request
        )
    return from_botocore(request.prepare())


def verifier_at(now: float, max_skew_seconds: int = 300) -> SigV4Verifier:
    return SigV4Verifier({KEY_ID: SECRET}.get, lambda: now, max_skew_seconds)


class _Sent(Exception):
    def __init__(self, request: Any) -> None:
        super().__init__("captured")
        self.request = request


def test_a_real_boto3_kms_encrypt_verifies(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")

    def capture(request: Any, **_: Any) -> None:
        raise _Sent(request)

    client = boto3.session.Session().client(
        "kms",
        region_name="eu-west-3",
        endpoint_url=ENDPOINT,
        aws_access_key_id=KEY_ID,
        aws_secret_access_key=SECRET,
        aws_session_token="session-token-from-sts",
    )
    client.meta.events.register("before-send.kms.Encrypt", capture)
    with pytest.raises(_Sent) as sent:
        client.encrypt(KeyId="alias/app", Plaintext=b"hello", EncryptionContext={"a": "b"})
    request = from_botocore(sent.value.request)
    assert request.header(b"x-amz-security-token") == b"session-token-from-sts"
    credential = request.verify(verifier_at(SIGNED_EPOCH))
    assert credential == Credential(KEY_ID, "20240517", "eu-west-3", "kms")
    request.body = request.body.replace(b"alias/app", b"alias/app2")
    with pytest.raises(InvalidSignatureException):
        request.verify(verifier_at(SIGNED_EPOCH))


def test_botocore_signed_request_verifies() -> None:
    assert sign().verify(verifier_at(SIGNED_EPOCH)).access_key_id == KEY_ID


def test_a_changed_unsigned_header_does_not_matter() -> None:
    request = sign().with_header(b"user-agent", b"something else")
    assert request.verify(verifier_at(SIGNED_EPOCH)).service == "kms"


def test_wrong_secret_is_a_mismatch() -> None:
    verifier = SigV4Verifier({KEY_ID: SECRET + "x"}.get, lambda: SIGNED_EPOCH)
    with pytest.raises(InvalidSignatureException) as caught:
        sign().verify(verifier)
    assert caught.value.message == MISMATCH
    assert SECRET not in str(caught.value)


@pytest.mark.parametrize("offset", [-300, -299, 0, 299, 300])
def test_clock_skew_within_five_minutes_passes(offset: int) -> None:
    sign().verify(verifier_at(SIGNED_EPOCH + offset))


def test_request_older_than_five_minutes_is_expired() -> None:
    with pytest.raises(InvalidSignatureException) as caught:
        sign().verify(verifier_at(SIGNED_EPOCH + 301))
    assert caught.value.message == (
        "Signature expired: 20240517T093000Z is now earlier than 20240517T093001Z "
        "(20240517T093501Z - 5 min.)"
    )


def test_request_more_than_five_minutes_ahead_is_not_yet_current() -> None:
    with pytest.raises(InvalidSignatureException) as caught:
        sign().verify(verifier_at(SIGNED_EPOCH - 301))
    assert caught.value.message == (
        "Signature not yet current: 20240517T093000Z is still later than 20240517T092959Z "
        "(20240517T092459Z + 5 min.)"
    )


def test_skew_window_is_configurable() -> None:
    sign().verify(verifier_at(SIGNED_EPOCH + 800, max_skew_seconds=900))
    with pytest.raises(InvalidSignatureException, match=r"- 15 min\.\)$"):
        sign().verify(verifier_at(SIGNED_EPOCH + 901, max_skew_seconds=900))


def test_unknown_access_key_is_unrecognized() -> None:
    with pytest.raises(UnrecognizedClientException) as caught:
        sign(key_id="AKIAUNKNOWNUNKNOWN00").verify(verifier_at(SIGNED_EPOCH))
    assert caught.value.message == "The security token included in the request is invalid."


def test_no_authentication_at_all() -> None:
    request = sign().with_header(b"authorization", None)
    with pytest.raises(MissingAuthenticationToken) as caught:
        request.verify(verifier_at(SIGNED_EPOCH))
    assert caught.value.message == "Missing Authentication Token"


def _authorization(request: Request) -> str:
    return request.header(b"authorization").decode()


def _with_authorization(request: Request, value: str) -> Request:
    return request.with_header(b"authorization", value.encode())


def test_authorization_missing_every_parameter() -> None:
    request = _with_authorization(sign(), "AWS4-HMAC-SHA256").with_header(b"x-amz-date", None)
    with pytest.raises(IncompleteSignatureException) as caught:
        request.verify(verifier_at(SIGNED_EPOCH))
    assert caught.value.message == (
        "Authorization header requires 'Credential' parameter. "
        "Authorization header requires 'Signature' parameter. "
        "Authorization header requires 'SignedHeaders' parameter. "
        "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. "
        "Authorization=AWS4-HMAC-SHA256"
    )


def test_authorization_without_signature() -> None:
    value = _authorization(sign()).split(", Signature=")[0]
    with pytest.raises(IncompleteSignatureException) as caught:
        _with_authorization(sign(), value).verify(verifier_at(SIGNED_EPOCH))
    assert caught.value.message == (
        f"Authorization header requires 'Signature' parameter. Authorization={value}"
    )


def test_missing_x_amz_date_is_incomplete() -> None:
    with pytest.raises(IncompleteSignatureException, match="'X-Amz-Date' or a 'Date' header"):
        sign().with_header(b"x-amz-date", None).verify(verifier_at(SIGNED_EPOCH))


def test_authorization_with_another_algorithm() -> None:
    value = _authorization(sign()).replace("AWS4-HMAC-SHA256", "AWS4-HMAC-SHA512")
    with pytest.raises(IncompleteSignatureException) as caught:
        _with_authorization(sign(), value).verify(verifier_at(SIGNED_EPOCH))
    assert caught.value.message == "Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA512'."


def test_authorization_with_a_parameter_missing_its_equal_sign() -> None:
    value = _authorization(sign()).replace(f"Credential={KEY_ID}", f"Credential={KEY_ID} ")
    value = value.replace(f"{KEY_ID} /", f"{KEY_ID}, /")
    with pytest.raises(IncompleteSignatureException) as caught:
        _with_authorization(sign(), value).verify(verifier_at(SIGNED_EPOCH))
    assert caught.value.message == (
        "'/20240517/us-east-1/kms/aws4_request' not a valid key=value pair (missing equal-sign) "
        f"in Authorization header: '{value}'."
    )


def test_credential_without_five_parts() -> None:
    value = _authorization(sign()).replace("/kms/aws4_request", "/kms")
    with pytest.raises(IncompleteSignatureException) as caught:
        _with_authorization(sign(), value).verify(verifier_at(SIGNED_EPOCH))
    assert caught.value.message == (
        "Credential must have exactly 5 slash-delimited elements, "
        f"e.g. keyid/date/region/service/term, got '{KEY_ID}/20240517/us-east-1/kms'"
    )


def test_credential_with_a_bad_terminator() -> None:
    value = _authorization(sign()).replace("/aws4_request", "/aws5_request")
    with pytest.raises(InvalidSignatureException) as caught:
        _with_authorization(sign(), value).verify(verifier_at(SIGNED_EPOCH))
    assert caught.value.message == (
        "Credential should be scoped with a valid terminator: 'aws4_request', not 'aws5_request'."
    )


def test_scope_date_other_than_the_request_day() -> None:
    value = _authorization(sign()).replace("/20240517/", "/20240516/")
    with pytest.raises(InvalidSignatureException) as caught:
        _with_authorization(sign(), value).verify(verifier_at(SIGNED_EPOCH))
    assert caught.value.message == (
        "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from "
        "HTTP: '20240516' != '20240517', from '20240517T093000Z'."
    )


@pytest.mark.parametrize(
    "stamp", [b"2024-05-17T09:30:00Z", b"20240517T093000", b"20241317T093000Z"]
)
def test_badly_formatted_x_amz_date(stamp: bytes) -> None:
    with pytest.raises(IncompleteSignatureException) as caught:
        sign().with_header(b"x-amz-date", stamp).verify(verifier_at(SIGNED_EPOCH))
    assert caught.value.message == (
        f"Date must be in ISO-8601 'basic format'. Got '{stamp.decode()}'. "
        "See http://en.wikipedia.org/wiki/ISO_8601"
    )


def test_host_must_be_signed() -> None:
    request = sign()
    value = _authorization(request).replace("host;", "")
    with pytest.raises(InvalidSignatureException) as caught:
        _with_authorization(request, value).verify(verifier_at(SIGNED_EPOCH))
    assert caught.value.message == (
        "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."
    )


def test_signed_headers_are_read_in_any_order() -> None:
    request = sign()
    value = _authorization(request)
    names = value.split("SignedHeaders=")[1].split(",")[0]
    shuffled = ";".join(reversed(names.split(";")))
    assert shuffled != names
    _with_authorization(request, value.replace(names, shuffled)).verify(verifier_at(SIGNED_EPOCH))


def test_the_first_of_repeated_auth_headers_is_used() -> None:
    request = sign()
    request.headers.append((b"authorization", b"AWS4-HMAC-SHA256 Credential=x"))
    request.verify(verifier_at(SIGNED_EPOCH))
    # a signed header sent twice is signed as both values joined, so this one breaks it
    request.headers.append((b"x-amz-date", b"20240517T093000Z"))
    with pytest.raises(InvalidSignatureException):
        request.verify(verifier_at(SIGNED_EPOCH))


def test_header_auth_signs_a_query_parameter_named_x_amz_signature() -> None:
    request = AWSRequest(method="GET", url=ENDPOINT + "/?X-Amz-Signature=abc&b=2", headers={})
    SigV4Auth(Credentials(KEY_ID, SECRET), "kms", "us-east-1").add_auth(request)
    converted = from_botocore(request.prepare())
    converted.verify(verifier_at(SIGNED_EPOCH))
    with pytest.raises(InvalidSignatureException):
        _with_query(converted, b"X-Amz-Signature=abd&b=2").verify(verifier_at(SIGNED_EPOCH))


def test_date_header_instead_of_x_amz_date() -> None:
    request = sign(headers={"Date": "placeholder"})
    assert all(name != b"x-amz-date" for name, _ in request.headers)
    assert request.verify(verifier_at(SIGNED_EPOCH)).date == "20240517"


def test_unsigned_payload_is_refused_whatever_the_body() -> None:
    # KMS hashes its JSON payload; UNSIGNED-PAYLOAD (S3's) would let the body be swapped
    request = sign(headers={"X-Amz-Content-SHA256": "UNSIGNED-PAYLOAD"})
    with pytest.raises(InvalidSignatureException) as caught:
        request.verify(verifier_at(SIGNED_EPOCH))
    assert caught.value.message == MISMATCH
    request.body = b'{"KeyId": "alias/other"}'
    with pytest.raises(InvalidSignatureException):
        request.verify(verifier_at(SIGNED_EPOCH))


def test_declared_payload_hash_must_be_the_body_hash() -> None:
    import hashlib

    digest = hashlib.sha256(ENCRYPT_BODY).hexdigest()
    request = sign(headers={"X-Amz-Content-SHA256": digest})
    request.verify(verifier_at(SIGNED_EPOCH))
    request.body = ENCRYPT_BODY + b" "
    with pytest.raises(InvalidSignatureException) as caught:
        request.verify(verifier_at(SIGNED_EPOCH))
    assert caught.value.message == MISMATCH


def test_repeated_headers_are_joined_in_order() -> None:
    # botocore signs one value; the server gets it split over two headers, untrimmed
    request = sign(headers={"X-Custom": "one two,three"})
    request.headers = [(n, v) for n, v in request.headers if n != b"x-custom"]
    request.headers += [(b"x-custom", b"  one  two "), (b"x-custom", b"three")]
    request.verify(verifier_at(SIGNED_EPOCH))
    request.headers[-2:] = [(b"x-custom", b"three"), (b"x-custom", b"one two")]
    with pytest.raises(InvalidSignatureException):
        request.verify(verifier_at(SIGNED_EPOCH))


# --- presigned (query) requests ----------------------------------------------------------


def test_presigned_request_verifies_until_it_expires() -> None:
    request = sign(query_auth_expires=600)
    assert b"X-Amz-Expires=600" in request.query
    request.verify(verifier_at(SIGNED_EPOCH + 600))
    with pytest.raises(InvalidSignatureException) as caught:
        request.verify(verifier_at(SIGNED_EPOCH + 601))
    assert caught.value.message == (
        "Signature expired: 20240517T093000Z is now earlier than 20240517T093001Z "
        "(20240517T094001Z - 10 min.)"
    )


def test_presigned_request_from_the_future_is_not_yet_current() -> None:
    with pytest.raises(InvalidSignatureException, match=r"^Signature not yet current"):
        sign(query_auth_expires=3600).verify(verifier_at(SIGNED_EPOCH - 301))


def _with_query(request: Request, query: bytes) -> Request:
    return Request(request.method, request.path, query, request.headers, request.body)


def test_presigned_request_missing_parameters() -> None:
    request = sign(query_auth_expires=60)
    kept = [p for p in request.query.split(b"&") if not p.startswith((b"X-Amz-Cred", b"X-Amz-Sig"))]
    with pytest.raises(IncompleteSignatureException) as caught:
        _with_query(request, b"&".join(kept)).verify(verifier_at(SIGNED_EPOCH))
    assert caught.value.message == (
        "AWS query-string parameters must include 'X-Amz-Credential'. "
        "AWS query-string parameters must include 'X-Amz-Signature'. "
        "AWS query-string parameters must include 'X-Amz-SignedHeaders'. "
        "Re-examine the query-string parameters."
    )


@pytest.mark.parametrize(
    ("expires", "message"),
    [
        (b"ten", "X-Amz-Expires should be a number"),
        (b"-5", "X-Amz-Expires must be non-negative"),
        (b"604801", "X-Amz-Expires must be less than a week (in seconds) that is 604800"),
    ],
)
def test_presigned_request_with_bad_expiry(expires: bytes, message: str) -> None:
    request = sign(query_auth_expires=60)
    query = request.query.replace(b"X-Amz-Expires=60", b"X-Amz-Expires=" + expires)
    with pytest.raises(IncompleteSignatureException) as caught:
        _with_query(request, query).verify(verifier_at(SIGNED_EPOCH))
    assert caught.value.message == message


def test_presigned_request_with_another_algorithm_is_unauthenticated() -> None:
    request = sign(query_auth_expires=60)
    query = request.query.replace(b"AWS4-HMAC-SHA256", b"AWS4-HMAC-SHA512")
    with pytest.raises(MissingAuthenticationToken):
        _with_query(request, query).verify(verifier_at(SIGNED_EPOCH))


def test_header_and_query_auth_together_are_refused() -> None:
    presigned = sign(query_auth_expires=60)
    both = _with_query(sign(), presigned.query)
    with pytest.raises(InvalidSignatureException):
        both.verify(verifier_at(SIGNED_EPOCH))


def test_presigned_query_parameters_are_signed() -> None:
    request = sign(query_auth_expires=60)
    with pytest.raises(InvalidSignatureException):
        _with_query(request, request.query + b"&Extra=1").verify(verifier_at(SIGNED_EPOCH))


def test_percent_encoded_path_is_double_encoded_as_the_sdks_sign_it() -> None:
    request = AWSRequest(method="GET", url=ENDPOINT + "/a%20b/./c//d?x=1%2F2&a=", headers={})
    SigV4Auth(Credentials(KEY_ID, SECRET), "kms", "us-east-1").add_auth(request)
    converted = from_botocore(request.prepare())
    assert converted.path == "/a%20b/./c//d"
    converted.verify(verifier_at(SIGNED_EPOCH))


# --- caches --------------------------------------------------------------------------------


def test_caches_stay_bounded_and_can_be_forgotten() -> None:
    verifier = verifier_at(SIGNED_EPOCH)
    for index in range(600):
        request = AWSRequest(method="POST", url=ENDPOINT + "/", data=b"{}", headers={})
        SigV4Auth(Credentials(KEY_ID, SECRET), "kms", f"region-{index}").add_auth(request)
        assert from_botocore(request.prepare()).verify(verifier).region == f"region-{index}"
    assert 0 < len(verifier._keys) <= 512
    assert 0 < len(verifier._scopes) <= 512
    assert len(verifier._signed) == 1  # one SignedHeaders list for all of them
    verifier.forget()
    assert not verifier._keys and not verifier._scopes and not verifier._stamps
    assert not verifier._signed
    sign().verify(verifier)  # and it derives what it needs again
