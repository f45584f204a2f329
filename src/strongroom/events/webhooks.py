"""Webhooks: where events go, how a delivery is signed, and one HTTPS POST.

A delivery is a POST of the event's JSON (`event_bytes`) with three headers:
`X-Strongroom-Timestamp` (unix seconds when signed), `X-Strongroom-Signature`
(`v1=<hex HMAC-SHA256(secret, "<timestamp>." + body)>`) and `X-Strongroom-Event-Id`.
`verify_signature` is the receiver's side, usable as is (docs/webhooks.md).

Invariants:
- Only https URLs, except http to a loopback host (a receiver on the same machine, for
  development and tests): a signature proves origin but hides nothing, and the body names
  resources. TLS is verified, against `ca_bundle` when given, else the system's CAs.
- Redirects are not followed (a 3xx is a failed delivery): the signed body goes to the
  configured URL only. Loopback URLs never go through a proxy; others honour the
  environment's proxy settings as urllib does.
- Signatures are compared in constant time; a timestamp more than `tolerance` seconds
  from the receiver's clock fails, so a captured delivery cannot be replayed later.
- The secret never appears in a repr or log line; a failed delivery is logged with the
  webhook's name and the event id, never the URL (it may hold a token) or the body.
"""

from __future__ import annotations

import http.client
import ipaddress
import json
import logging
import ssl
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from strongroom.crypto import equal
from strongroom.crypto.message_auth import hmac_sha256

__all__ = [
    "EVENT_ID_HEADER",
    "SIGNATURE_HEADER",
    "TIMEOUT_SECONDS",
    "TIMESTAMP_HEADER",
    "Webhook",
    "check_url",
    "post",
    "sign",
    "signed_headers",
    "verify_signature",
]

log = logging.getLogger("strongroom.events")

TIMESTAMP_HEADER = "X-Strongroom-Timestamp"
SIGNATURE_HEADER = "X-Strongroom-Signature"
EVENT_ID_HEADER = "X-Strongroom-Event-Id"
TIMEOUT_SECONDS = 5.0
_SCHEME = "v1="
_MAX_TIMESTAMP_DIGITS = 12  # unix seconds stay under 12 digits for 30,000 years
_MAX_RESPONSE_BYTES = 64 * 1024


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_url(url: str) -> None:
    """ValueError unless `url` is https, or http to a loopback host, and names a host."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
        _ = parts.port  # raises ValueError for a malformed port
    except ValueError:
        raise ValueError(f"webhook URL {url!r} is malformed") from None
    if not host:
        raise ValueError("a webhook URL names a host")
    if parts.scheme == "https":
        return
    if parts.scheme == "http" and _is_loopback(host):
        return
    raise ValueError(
        "a webhook URL must be https:// (http:// only to a loopback host such as 127.0.0.1)"
    )


@dataclass(frozen=True, slots=True)
class Webhook:
    """One receiver: its URL, signing secret, name, and which detail-types it wants."""

    url: str
    secret: bytes = field(repr=False)
    name: str
    detail_types: tuple[str, ...] | None = None
    ca_bundle: Path | None = None

    def __post_init__(self) -> None:
        check_url(self.url)
        if not self.secret:
            raise ValueError(f"webhook {self.name!r} needs a secret")
        if not self.name:
            raise ValueError("a webhook needs a name")

    def matches(self, detail_type: str) -> bool:
        """Whether events of `detail_type` go to this webhook (None: every event)."""
        return self.detail_types is None or detail_type in self.detail_types


def sign(secret: bytes, timestamp: int, body: bytes) -> str:
    """The `X-Strongroom-Signature` value for `body` sent at `timestamp`."""
    return _SCHEME + hmac_sha256(secret, f"{timestamp}.".encode() + body).hex()


def signed_headers(secret: bytes, event_id: str, body: bytes, now: float) -> dict[str, str]:
    """The headers of one delivery of `body`, signed at `now`."""
    timestamp = int(now)
    return {
        "Content-Type": "application/json",
        "User-Agent": "Strongroom-Webhooks/1",
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: sign(secret, timestamp, body),
        EVENT_ID_HEADER: event_id,
    }


def verify_signature(
    secret: bytes,
    timestamp_header: str | None,
    signature_header: str | None,
    body: bytes,
    now: float,
    tolerance: float = 300,
) -> bool:
    """Whether a delivery is authentic and fresh: for receivers.

    `signature_header` may list several comma-separated `v1=` values (any one matching
    suffices); values of other schemes are ignored. False for a missing or malformed
    header, a timestamp more than `tolerance` seconds from `now`, or no matching value.
    """
    if not timestamp_header or not signature_header:
        return False
    if not (timestamp_header.isascii() and timestamp_header.isdigit()):
        return False
    if len(timestamp_header) > _MAX_TIMESTAMP_DIGITS:
        return False
    if abs(now - int(timestamp_header)) > tolerance:
        return False
    mac = hmac_sha256(secret, timestamp_header.encode() + b"." + body)
    expected = (_SCHEME + mac.hex()).encode()
    found = False
    for candidate in signature_header.split(","):
        value = candidate.strip().encode("utf-8", "replace")
        found |= value.startswith(_SCHEME.encode()) and equal(value, expected)
    return found


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Refuse every redirect: urllib then raises HTTPError with the 3xx status."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def _opener(webhook: Webhook) -> urllib.request.OpenerDirector:
    handlers: list[urllib.request.BaseHandler] = [_NoRedirect()]
    if urlsplit(webhook.url).scheme == "https":
        cafile = None if webhook.ca_bundle is None else str(webhook.ca_bundle)
        context = ssl.create_default_context(cafile=cafile)
        handlers.append(urllib.request.HTTPSHandler(context=context))
    if _is_loopback(urlsplit(webhook.url).hostname or ""):
        handlers.append(urllib.request.ProxyHandler({}))
    return urllib.request.build_opener(*handlers)


def post(webhook: Webhook, event_bytes: bytes, now: float) -> bool:
    """POST one signed delivery of `event_bytes`; True when the receiver answers 2xx.

    Never raises for a network, TLS or HTTP failure (it logs one line and answers
    False); waits at most `TIMEOUT_SECONDS` for each step of the exchange.
    """
    event_id = str(json.loads(event_bytes)["id"])
    headers = signed_headers(webhook.secret, event_id, event_bytes, now)
    request = urllib.request.Request(webhook.url, data=event_bytes, headers=headers, method="POST")
    try:
        with _opener(webhook).open(request, timeout=TIMEOUT_SECONDS) as response:
            response.read(_MAX_RESPONSE_BYTES)
            status = int(response.status)
    except urllib.error.HTTPError as error:
        status = error.code
        error.close()
    except (OSError, http.client.HTTPException, ValueError) as error:
        reason = getattr(error, "reason", None) or error
        log.warning(
            "webhook %s: event %s not delivered: %s: %s",
            webhook.name,
            event_id,
            type(error).__name__,
            reason,
        )
        return False
    if 200 <= status < 300:
        return True
    log.warning("webhook %s: event %s refused with HTTP %d", webhook.name, event_id, status)
    return False
