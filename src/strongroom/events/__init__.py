"""Domain events: EventBridge-shaped, kept in a durable outbox, delivered to signed webhooks.

A service calls `Outbox.publish` (or `make_event` then `Outbox.emit`) inside the
transaction of the change the event reports; a `Deliverer` thread sends it later.
See docs/webhooks.md for what a receiver sees and how it verifies a delivery.
"""

from strongroom.events.delivery import Deliverer, Poster
from strongroom.events.event import event_bytes, format_time, make_event
from strongroom.events.outbox import DeliveryState, Outbox, Pending, Store
from strongroom.events.webhooks import (
    EVENT_ID_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    Webhook,
    check_url,
    post,
    sign,
    verify_signature,
)

__all__ = [
    "EVENT_ID_HEADER",
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "Deliverer",
    "DeliveryState",
    "Outbox",
    "Pending",
    "Poster",
    "Store",
    "Webhook",
    "check_url",
    "event_bytes",
    "format_time",
    "make_event",
    "post",
    "sign",
    "verify_signature",
]
