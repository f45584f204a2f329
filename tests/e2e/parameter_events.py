"""Parameter Store events as a webhook receiver gets them.

`settle` waits until every event emitted so far has arrived: a marker parameter's Change
event is delivered after them (the outbox delivers in emission order), so once the marker
is in, an event emitted before it would be too; "no event" is checked that way.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from tests.e2e.dev_clock import set_clock
from tests.e2e.harness import ServerProcess
from tests.e2e.webhook_receiver import Delivery, WebhookReceiver

CHANGE = "Parameter Store Change"
ACTION = "Parameter Store Policy Action"


def settle(server: ServerProcess, receiver: WebhookReceiver, offset: float = 0) -> None:
    """Wait until every event emitted so far has reached `receiver` (the clock, held at
    `offset`, nudges the deliverer meanwhile)."""
    marker = f"/markers/{uuid.uuid4().hex[:10]}"
    server.client("ssm").put_parameter(Name=marker, Value="m", Type="String")
    receiver.wait_for_event(CHANGE, marker, nudge=lambda: set_clock(server, offset))


def event_time(delivery: Delivery) -> float:
    """When the event says it happened (the service clock's time), in epoch seconds."""
    assert delivery.event is not None
    moment = datetime.strptime(delivery.event["time"], "%Y-%m-%dT%H:%M:%SZ")
    return moment.replace(tzinfo=UTC).timestamp()
