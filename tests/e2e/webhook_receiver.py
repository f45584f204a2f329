"""A local webhook receiver for end-to-end tests of event delivery.

`WebhookReceiver` is a threading `http.server` on 127.0.0.1 that records every POST it
gets and checks its signature with `strongroom.events.verify_signature`, as a real
receiver would. It answers 500 to the first `fail_first` deliveries (to test retries),
401 to a delivery whose signature does not verify, and 200 otherwise. `wait_for` polls
its records with a deadline. `BlackHole` listens but never answers (a hung receiver).

Each record keeps two verdicts: `authentic` (the HMAC over timestamp and body matches
the secret, whatever the timestamp) and `fresh` (authentic, and the timestamp is within
the tolerance of this machine's real clock, which is what a receiver checks).
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from strongroom.events import (
    EVENT_ID_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    verify_signature,
)

TOLERANCE_SECONDS = 300.0
POLL_SECONDS = 0.02


@dataclass(frozen=True, slots=True)
class Delivery:
    """One POST as received: the event, the headers that matter, and the verdicts."""

    body: bytes
    event: dict[str, Any] | None
    event_id_header: str | None
    timestamp_header: str | None
    signature_header: str | None
    content_type: str | None
    path: str
    authentic: bool
    fresh: bool
    status: int

    @property
    def event_id(self) -> str | None:
        """The event's own id (from the body)."""
        return None if self.event is None else self.event.get("id")

    @property
    def detail_type(self) -> str | None:
        """The event's detail-type."""
        return None if self.event is None else self.event.get("detail-type")

    def names(self) -> set[str]:
        """The parameter names the event's detail mentions (Change or Policy Action)."""
        detail = (self.event or {}).get("detail") or {}
        return {str(detail[key]) for key in ("name", "parameter-name") if key in detail}


def _verdicts(
    secret: bytes, timestamp: str | None, signature: str | None, body: bytes
) -> tuple[bool, bool]:
    """(authentic, fresh) for one delivery."""
    if not timestamp or not timestamp.isdigit():
        return False, False
    authentic = verify_signature(secret, timestamp, signature, body, now=float(int(timestamp)))
    fresh = verify_signature(
        secret, timestamp, signature, body, now=time.time(), tolerance=TOLERANCE_SECONDS
    )
    return authentic, fresh


class WebhookReceiver:
    """Records signed deliveries on 127.0.0.1; answers 500 to the first `fail_first`."""

    def __init__(
        self, secret: bytes, port: int = 0, fail_first: int = 0, path: str = "/hook"
    ) -> None:
        """`port` 0 picks a free one at `start`; `path` (with any query) is the URL's."""
        self.secret = secret
        self.fail_first = fail_first
        self._port = port
        self._path = path
        self._lock = threading.Lock()
        self._records: list[Delivery] = []
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle ------------------------------------------------------------------------

    def start(self) -> WebhookReceiver:
        """Listen (on `port`, or a free one) and serve in a daemon thread."""
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                status = receiver._record(self.path, dict(self.headers.items()), body)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return None

        server = ThreadingHTTPServer(("127.0.0.1", self._port), Handler)
        server.daemon_threads = True
        self._server = server
        self._port = int(server.server_address[1])
        self._thread = threading.Thread(target=server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening (the port is closed: deliveries are refused)."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None

    def __enter__(self) -> WebhookReceiver:
        return self.start() if self._server is None else self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        return self._port

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._port}{self._path}"

    def config(self, name: str, detail_types: list[str] | None = None) -> dict[str, Any]:
        """This receiver as one entry of STRONGROOM_WEBHOOKS."""
        table: dict[str, Any] = {"name": name, "url": self.url, "secret": self.secret.decode()}
        if detail_types is not None:
            table["detail_types"] = detail_types
        return table

    # --- recording ------------------------------------------------------------------------

    def _record(self, path: str, headers: dict[str, str], body: bytes) -> int:
        lowered = {key.lower(): value for key, value in headers.items()}
        timestamp = lowered.get(TIMESTAMP_HEADER.lower())
        signature = lowered.get(SIGNATURE_HEADER.lower())
        authentic, fresh = _verdicts(self.secret, timestamp, signature, body)
        try:
            event = json.loads(body)
        except ValueError:
            event = None
        with self._lock:
            if self.fail_first > 0:
                self.fail_first -= 1
                status = 500
            else:
                status = 200 if authentic else 401
            self._records.append(
                Delivery(
                    body=body,
                    event=event if isinstance(event, dict) else None,
                    event_id_header=lowered.get(EVENT_ID_HEADER.lower()),
                    timestamp_header=timestamp,
                    signature_header=signature,
                    content_type=lowered.get("content-type"),
                    path=path,
                    authentic=authentic,
                    fresh=fresh,
                    status=status,
                )
            )
        return status

    def attempts(self) -> list[Delivery]:
        """Every POST received, answered 2xx or not, in arrival order."""
        with self._lock:
            return list(self._records)

    def delivered(self) -> list[Delivery]:
        """The POSTs this receiver accepted (answered 200), in arrival order."""
        return [record for record in self.attempts() if record.status == 200]

    def events(self, detail_type: str | None = None, name: str | None = None) -> list[Delivery]:
        """Accepted deliveries, one per event id (the first), filtered by type and name."""
        seen: set[str | None] = set()
        found: list[Delivery] = []
        for record in self.delivered():
            if record.event_id in seen:
                continue
            seen.add(record.event_id)
            if detail_type is not None and record.detail_type != detail_type:
                continue
            if name is not None and name not in record.names():
                continue
            found.append(record)
        return found

    def wait_for(
        self,
        check: Callable[[WebhookReceiver], bool],
        timeout: float = 15.0,
        nudge: Callable[[], object] | None = None,
    ) -> None:
        """Poll until `check(self)` holds; AssertionError after `timeout` seconds.
        `nudge`, if given, is called between polls (at most every half second)."""
        deadline = time.monotonic() + timeout
        nudged = 0.0
        while not check(self):
            now = time.monotonic()
            if now > deadline:
                summary = [(r.status, r.detail_type, sorted(r.names())) for r in self.attempts()]
                raise AssertionError(f"no matching delivery in {timeout} s; got {summary}")
            if nudge is not None and now - nudged >= 0.5:
                nudge()
                nudged = now
            time.sleep(POLL_SECONDS)

    def wait_for_event(
        self,
        detail_type: str,
        name: str,
        timeout: float = 15.0,
        nudge: Callable[[], object] | None = None,
    ) -> Delivery:
        """The first accepted event of that type naming `name`, waiting for it if need be."""
        self.wait_for(lambda r: bool(r.events(detail_type, name)), timeout, nudge)
        return self.events(detail_type, name)[0]


class BlackHole:
    """A receiver that accepts connections and reads nothing back: it never answers."""

    def __init__(self) -> None:
        self._socket = socket.socket()
        self._socket.bind(("127.0.0.1", 0))
        self._socket.listen(64)
        self._held: list[socket.socket] = []
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self._socket.accept()
            except OSError:  # closed
                return
            with self._lock:
                self._held.append(connection)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._socket.getsockname()[1]}/hook"

    def connections(self) -> int:
        """How many connections it has taken (and left unanswered)."""
        with self._lock:
            return len(self._held)

    def close(self) -> None:
        """Stop listening and drop every held connection."""
        self._socket.close()
        with self._lock:
            for connection in self._held:
                connection.close()
            self._held.clear()
