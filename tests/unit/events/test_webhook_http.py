"""Webhook deliveries over real HTTP(S) on loopback, checked by a receiver that verifies them.

The receiver runs `verify_signature` exactly as docs/webhooks.md tells users to, so these
tests fail if what Strongroom sends is not what it documents.
"""

from __future__ import annotations

import hashlib
import json
import socket
import ssl
import threading
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from tests.unit.events.event_inputs import change_event, counting_random

from strongroom.barrier import Barrier, View
from strongroom.crypto.certs import make_ca, make_server_cert
from strongroom.events import (
    EVENT_ID_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    Deliverer,
    Outbox,
    Webhook,
    event_bytes,
    post,
    verify_signature,
)
from strongroom.events import webhooks as webhooks_module
from strongroom.storage.memory import MemoryStorage

SECRET = b"receiver-shared-secret"


@dataclass
class Delivery:
    path: str
    body: bytes
    event_id: str | None
    verified: bool


class Receiver:
    """A loopback HTTP(S) server that verifies each delivery and answers from a script."""

    def __init__(self, secret: bytes = SECRET, tls: ssl.SSLContext | None = None) -> None:
        self.secret = secret
        self.deliveries: list[Delivery] = []
        self.statuses: deque[int] = deque()  # answers to give next; then 200
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                verified = verify_signature(
                    receiver.secret,
                    self.headers.get(TIMESTAMP_HEADER),
                    self.headers.get(SIGNATURE_HEADER),
                    body,
                    time.time(),
                )
                event_id = self.headers.get(EVENT_ID_HEADER)
                receiver.deliveries.append(Delivery(self.path, body, event_id, verified))
                status = receiver.statuses.popleft() if receiver.statuses else 200
                self.send_response(status if verified else 401)
                if 300 <= status < 400:
                    self.send_header("Location", "/elsewhere")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.scheme = "http"
        if tls is not None:
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
            self.scheme = "https"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.01,), daemon=True)
        self.thread.start()

    def url(self, host: str = "127.0.0.1") -> str:
        return f"{self.scheme}://{host}:{self.server.server_address[1]}/hook?token=url-token"

    def verified_ids(self) -> list[str | None]:
        return [d.event_id for d in self.deliveries if d.verified]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(10)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.close()


def an_event(name: str = "/prod/db-url") -> bytes:
    return event_bytes(change_event(name, time.time()))


def test_a_delivery_arrives_signed_and_verifiable(receiver: Receiver) -> None:
    body = an_event()
    assert post(Webhook(receiver.url(), SECRET, "local"), body, time.time())
    [delivery] = receiver.deliveries
    assert delivery.verified and delivery.body == body
    assert delivery.event_id == json.loads(body)["id"]
    assert delivery.path == "/hook?token=url-token"


def test_a_delivery_signed_with_another_secret_is_refused(receiver: Receiver) -> None:
    assert not post(Webhook(receiver.url(), b"not the secret", "local"), an_event(), time.time())
    assert [d.verified for d in receiver.deliveries] == [False]


def test_a_delivery_signed_long_ago_is_refused(receiver: Receiver) -> None:
    assert not post(Webhook(receiver.url(), SECRET, "local"), an_event(), time.time() - 600)
    assert [d.verified for d in receiver.deliveries] == [False]


@pytest.mark.parametrize(("status", "accepted"), [(200, True), (204, True), (202, True)])
def test_any_2xx_is_success(receiver: Receiver, status: int, accepted: bool) -> None:
    receiver.statuses.append(status)
    assert post(Webhook(receiver.url(), SECRET, "local"), an_event(), time.time()) is accepted


@pytest.mark.parametrize("status", [400, 404, 500, 503])
def test_an_error_status_is_failure(
    receiver: Receiver, status: int, caplog: pytest.LogCaptureFixture
) -> None:
    receiver.statuses.append(status)
    body = an_event("/canary-name")
    assert not post(Webhook(receiver.url(), SECRET, "local"), body, time.time())
    assert f"HTTP {status}" in caplog.text and json.loads(body)["id"] in caplog.text
    assert "canary-name" not in caplog.text and "url-token" not in caplog.text


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_a_redirect_is_failure_and_not_followed(receiver: Receiver, status: int) -> None:
    receiver.statuses.append(status)
    assert not post(Webhook(receiver.url(), SECRET, "local"), an_event(), time.time())
    assert [d.path for d in receiver.deliveries] == ["/hook?token=url-token"]


def test_nobody_listening_is_failure(caplog: pytest.LogCaptureFixture) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    webhook = Webhook(f"http://127.0.0.1:{port}/hook?token=url-token", SECRET, "gone")
    assert not post(webhook, an_event(), time.time())
    assert "webhook gone" in caplog.text and "url-token" not in caplog.text


def test_a_receiver_that_never_answers_times_out(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(webhooks_module, "TIMEOUT_SECONDS", 0.3)
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)  # the kernel completes the connection; nobody ever reads
        port = silent.getsockname()[1]
        started = time.monotonic()
        assert not post(Webhook(f"http://127.0.0.1:{port}/", SECRET, "silent"), an_event(), 0)
        assert time.monotonic() - started < 5


@pytest.fixture
def tls_files(tmp_path: Path) -> tuple[Path, Path, Path]:
    ca_cert, ca_key = make_ca("Webhook test CA")
    cert, key = make_server_cert(ca_cert, ca_key, ["localhost"], ["127.0.0.1"])
    paths = tmp_path / "ca.pem", tmp_path / "server.pem", tmp_path / "server.key"
    for path, data in zip(paths, (ca_cert, cert, key), strict=True):
        path.write_bytes(data)
    return paths


@pytest.fixture
def tls_receiver(tls_files: tuple[Path, Path, Path]) -> Iterator[Receiver]:
    _, cert, key = tls_files
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server = Receiver(tls=context)
    yield server
    server.close()


def test_https_is_verified_against_the_ca_bundle(
    tls_receiver: Receiver, tls_files: tuple[Path, Path, Path]
) -> None:
    ca, _, _ = tls_files
    for host in ("127.0.0.1", "localhost"):
        webhook = Webhook(tls_receiver.url(host), SECRET, "tls", ca_bundle=ca)
        assert post(webhook, an_event(), time.time())
    assert len(tls_receiver.verified_ids()) == 2


def test_https_to_an_untrusted_certificate_is_failure(
    tls_receiver: Receiver, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    assert not post(Webhook(tls_receiver.url(), SECRET, "system-cas"), an_event(), time.time())
    other_ca, _ = make_ca("Some other CA")
    (tmp_path / "other.pem").write_bytes(other_ca)
    webhook = Webhook(tls_receiver.url(), SECRET, "wrong-ca", ca_bundle=tmp_path / "other.pem")
    assert not post(webhook, an_event(), time.time())
    missing = Webhook(tls_receiver.url(), SECRET, "no-file", ca_bundle=tmp_path / "absent.pem")
    assert not post(missing, an_event(), time.time())
    assert tls_receiver.deliveries == []  # nothing was sent to an unverified server
    assert "webhook no-file" in caplog.text


def test_the_deliverer_retries_until_the_receiver_takes_the_event(receiver: Receiver) -> None:
    barrier = Barrier(MemoryStorage())
    barrier.initialize(hashlib.sha256(b"http delivery").digest())
    now = [time.time()]
    outbox = Outbox(View(barrier, "events/"), lambda: now[0], counting_random())
    event = outbox.publish("Parameter Store Change", "aws.ssm", "1", "us-east-1", [], {"n": 1})
    deliverer = Deliverer(outbox, [Webhook(receiver.url(), SECRET, "local")], lambda: now[0])
    receiver.statuses.extend([503, 500])
    assert deliverer.run_once() == 0
    assert deliverer.run_once() == 0 and len(receiver.deliveries) == 1  # not due yet
    now[0] += 1
    assert deliverer.run_once() == 0 and len(receiver.deliveries) == 2
    now[0] += 2
    assert deliverer.run_once() == 1
    assert receiver.verified_ids() == [event["id"]] * 3
    assert {d.body for d in receiver.deliveries} == {event_bytes(event)}
    assert outbox.due(now[0] + 86400) == []


def test_the_background_thread_delivers_over_http(receiver: Receiver) -> None:
    barrier = Barrier(MemoryStorage())
    barrier.initialize(hashlib.sha256(b"http thread").digest())
    outbox = Outbox(View(barrier, "events/"), time.time, counting_random())
    webhook = Webhook(receiver.url(), SECRET, "local")
    deliverer = Deliverer(outbox, [webhook], time.time, interval=3600)
    deliverer.start()
    try:
        ids = [outbox.publish("T", "s", "1", "r", [], {"n": n})["id"] for n in range(3)]
        deliverer.wake()
        deadline = time.monotonic() + 10
        while sorted(map(str, receiver.verified_ids())) != sorted(ids):
            assert time.monotonic() < deadline, receiver.deliveries
            time.sleep(0.01)
    finally:
        deliverer.stop(10)
