"""Webhook signatures: HMAC-SHA256 over "<timestamp>." + body, verified with a freshness window.

The receiver's side (`verify_signature`) is what docs/webhooks.md tells users to run, so
every way a delivery can be forged, altered, replayed late or malformed must fail it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
from pathlib import Path
from typing import Any

import pytest

from strongroom.crypto.message_auth import hmac_sha256
from strongroom.events import (
    EVENT_ID_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    Webhook,
    check_url,
    sign,
    verify_signature,
)
from strongroom.events.webhooks import signed_headers

SECRET = b"whsec-test-secret"
BODY = b'{"version":"0","id":"6a7e8feb-b491-4cf7-a9f1-bf3703467718","detail":{}}'
NOW = 1796284800.0


@pytest.mark.parametrize(
    ("key", "message", "expected"),
    [  # RFC 4231 test cases 1, 2 and 6 (a key longer than the block)
        (
            b"\x0b" * 20,
            b"Hi There",
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
        ),
        (
            b"Jefe",
            b"what do ya want for nothing?",
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
        ),
        (
            b"\xaa" * 131,
            b"Test Using Larger Than Block-Size Key - Hash Key First",
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
        ),
    ],
)
def test_hmac_sha256_known_answers(key: bytes, message: bytes, expected: str) -> None:
    assert hmac_sha256(key, message).hex() == expected


def test_the_signature_is_the_documented_hmac() -> None:
    expected = hmac.new(SECRET, b"1796284800." + BODY, hashlib.sha256).hexdigest()
    assert sign(SECRET, 1796284800, BODY) == "v1=" + expected


def test_signed_headers_name_the_time_the_signature_and_the_event() -> None:
    headers = signed_headers(SECRET, "event-1", BODY, NOW + 0.9)
    assert headers[TIMESTAMP_HEADER] == "1796284800"
    assert headers[SIGNATURE_HEADER] == sign(SECRET, 1796284800, BODY)
    assert headers[EVENT_ID_HEADER] == "event-1"
    assert headers["Content-Type"] == "application/json"


def test_a_genuine_delivery_verifies_within_the_window() -> None:
    signature = sign(SECRET, int(NOW), BODY)
    for skew in (0, 299, -299, 300, -300):
        assert verify_signature(SECRET, "1796284800", signature, BODY, NOW + skew)


@pytest.mark.parametrize("skew", [301, -301, 86400])
def test_a_delivery_outside_the_window_fails(skew: int) -> None:
    signature = sign(SECRET, int(NOW), BODY)
    assert not verify_signature(SECRET, "1796284800", signature, BODY, NOW + skew)
    assert verify_signature(SECRET, "1796284800", signature, BODY, NOW + skew, tolerance=86400)


def test_an_altered_body_timestamp_or_secret_fails() -> None:
    signature = sign(SECRET, int(NOW), BODY)
    assert not verify_signature(SECRET, "1796284800", signature, BODY + b" ", NOW)
    assert not verify_signature(SECRET, "1796284801", signature, BODY, NOW)  # re-dated
    assert not verify_signature(b"another secret", "1796284800", signature, BODY, NOW)
    flipped = signature[:-1] + ("0" if signature[-1] != "0" else "1")
    assert not verify_signature(SECRET, "1796284800", flipped, BODY, NOW)


@pytest.mark.parametrize(
    ("timestamp", "signature"),
    [
        (None, "good"),
        ("1796284800", None),
        ("", "good"),
        ("1796284800", ""),
        ("-1796284800", "good"),
        ("1796284800.0", "good"),
        ("\u0661\u0667", "good"),  # Arabic-Indic digits: isdigit() but not ASCII
        ("9" * 40, "good"),
        ("1796284800", "v0=deadbeef"),
        ("1796284800", "v1="),
        ("1796284800", "garbage"),
    ],
)
def test_a_missing_or_malformed_header_fails(timestamp: str | None, signature: str | None) -> None:
    if signature == "good":
        signature = sign(SECRET, int(NOW), BODY)
    assert not verify_signature(SECRET, timestamp, signature, BODY, NOW)


def test_one_matching_value_among_several_suffices() -> None:
    good = sign(SECRET, int(NOW), BODY)
    wrong = sign(b"old secret", int(NOW), BODY)
    assert verify_signature(SECRET, "1796284800", f"{wrong}, {good}", BODY, NOW)
    assert verify_signature(SECRET, "1796284800", f"v2=abc,{good}", BODY, NOW)
    assert not verify_signature(SECRET, "1796284800", f"{wrong},v2=abc", BODY, NOW)


@pytest.mark.parametrize(
    "url",
    [
        "https://hooks.example.com/strongroom",
        "https://10.0.0.7:8443/x?token=abc",
        "http://127.0.0.1:9000/hook",
        "http://127.10.0.1/hook",
        "http://localhost:8080/",
        "http://[::1]:9000/hook",
    ],
)
def test_https_urls_and_loopback_http_are_accepted(url: str) -> None:
    check_url(url)
    assert Webhook(url, SECRET, "ok").url == url


@pytest.mark.parametrize(
    "url",
    [
        "http://hooks.example.com/strongroom",
        "http://10.0.0.7/hook",
        "http://localhost.example.com/",
        "ftp://127.0.0.1/hook",
        "https:///no-host",
        "https://host:notaport/",
        "127.0.0.1:9000/hook",
        "",
    ],
)
def test_other_urls_are_refused(url: str) -> None:
    with pytest.raises(ValueError):
        check_url(url)
    with pytest.raises(ValueError):
        Webhook(url, SECRET, "bad")


def test_a_webhook_keeps_its_secret_out_of_its_repr_and_needs_one() -> None:
    webhook = Webhook("https://h.example/", SECRET, "audit", ("A",), Path("/tmp/ca.pem"))
    assert SECRET.decode() not in repr(webhook) and "audit" in repr(webhook)
    with pytest.raises(ValueError, match="secret"):
        Webhook("https://h.example/", b"", "audit")
    with pytest.raises(ValueError, match="name"):
        Webhook("https://h.example/", SECRET, "")


def test_a_webhook_matches_its_detail_types_or_everything() -> None:
    everything = Webhook("https://h.example/", SECRET, "all")
    some = Webhook("https://h.example/", SECRET, "some", ("Parameter Store Change",))
    assert everything.matches("KMS CMK Rotation")
    assert some.matches("Parameter Store Change")
    assert not some.matches("Parameter Store Policy Action")


def test_the_receiver_example_in_the_docs_verifies_what_strongroom_sends() -> None:
    docs = Path(__file__).resolve().parents[3] / "docs" / "webhooks.md"
    example = re.search(r"```python\n(.*?)```", docs.read_text(), re.S)
    assert example is not None
    namespace: dict[str, Any] = {}
    exec(example.group(1), namespace)
    verify = namespace["verify"]
    headers = signed_headers(SECRET, "event-1", BODY, time.time())
    assert verify(SECRET, headers, BODY) == json.loads(BODY)
    assert verify(b"another secret", headers, BODY) is None
    assert verify(SECRET, headers, BODY + b" ") is None
    assert verify(SECRET, {**headers, TIMESTAMP_HEADER: str(int(time.time()) - 301)}, BODY) is None
    assert verify(SECRET, {**headers, SIGNATURE_HEADER: "v1=\u00e9"}, BODY) is None
