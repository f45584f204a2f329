"""The operator CLI's HTTP client: every failure is one clean message, never a traceback,
and shares never go over plain HTTP to another host."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import click
import pytest

from strongroom.cli.operator_client import call, expect, require_private_channel


@pytest.fixture
def misbehaving_server() -> Iterator[tuple[int, list[bytes]]]:
    """A loopback server answering each connection with the next canned reply (b"" drops
    the connection without answering)."""
    replies: list[bytes] = []
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]

    def serve() -> None:
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            with connection:
                connection.recv(65536)
                if replies:
                    connection.sendall(replies.pop(0))

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield port, replies
    listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept
    listener.close()
    thread.join(timeout=5)


def _http(status: str, body: bytes) -> bytes:
    return b"HTTP/1.1 %s\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s" % (
        status.encode(),
        len(body),
        body,
    )


@pytest.mark.parametrize(
    ("reply", "message"),
    [
        (b"", "failed before an answer arrived"),
        (_http("200 OK", b"not json"), "did not answer with a JSON object"),
        (_http("200 OK", b"[1, 2]"), "did not answer with a JSON object"),
        (_http("400 Bad Request", b'"a string"'), "400"),
        (_http("400 Bad Request", b'{"__type": "X", "message": "m"}'), "X: m"),
    ],
)
def test_failures_are_one_clean_message(
    misbehaving_server: tuple[int, list[bytes]], reply: bytes, message: str
) -> None:
    port, replies = misbehaving_server
    replies.append(reply)
    with pytest.raises(click.ClickException, match=message):
        call(f"http://127.0.0.1:{port}", None, "POST", "/sys/unseal", {"key": "k"})


@pytest.mark.parametrize(
    "address",
    ["http://strongroom.invalid:8340", "http://[2001:db8::1]", "http://example.com", "http://"],
)
def test_plain_http_to_another_host_is_refused(address: str) -> None:
    with pytest.raises(click.ClickException, match="plain HTTP"):
        require_private_channel(address)


@pytest.mark.parametrize(
    "address",
    [
        "http://127.0.0.1:8340",
        "http://127.8.9.10",
        "http://[::1]:1",
        "http://localhost:8340",
        "https://strongroom.example:8340",
    ],
)
def test_loopback_or_https_is_allowed(address: str) -> None:
    require_private_channel(address)


def test_an_unusable_ca_bundle_is_one_clean_message(tmp_path: Path) -> None:
    bundle = tmp_path / "ca.pem"
    bundle.write_text("not a certificate")
    with pytest.raises(click.ClickException, match="Cannot use the CA bundle"):
        call("https://127.0.0.1:1", bundle, "GET", "/sys/status")


def test_an_answer_without_the_expected_fields_is_one_clean_message() -> None:
    assert expect({"nonce": "n"}, "nonce") == {"nonce": "n"}
    with pytest.raises(click.ClickException, match="lacks required"):
        expect({"nonce": "n"}, "nonce", "required")
