"""The events Parameter Store emits, shaped as AWS's EventBridge events.

"Parameter Store Change" for every create, update, label change and delete;
"Parameter Store Policy Action" when a parameter policy acts. Each is handed to the
outbox inside the operation's transaction, so an event exists exactly when its change
committed; delivery happens later, off the request path (`strongroom.events`).
"""

from __future__ import annotations

from strongroom.events import make_event
from strongroom.services.ssm.records import ParameterRecord
from strongroom.services.ssm.service import ParameterStore

SOURCE = "aws.ssm"


def changed(ps: ParameterStore, record: ParameterRecord, operation: str) -> None:
    """Emit "Parameter Store Change" (operation Create, Update, Delete or
    LabelParameterVersion)."""
    if ps.emit is None:
        return
    detail = {
        "operation": operation,
        "name": record.name,
        "type": record.current.type,
        "description": record.current.description or "",
    }
    ps.emit(
        make_event(
            "Parameter Store Change",
            SOURCE,
            record.account,
            record.region,
            [record.arn],
            detail,
            ps.clock.now(),
            ps.random,
        )
    )


def policy_acted(
    ps: ParameterStore, record: ParameterRecord, policy_type: str, reason: str
) -> None:
    """Emit "Parameter Store Policy Action" for a policy whose time came."""
    if ps.emit is None:
        return
    detail = {
        "parameter-name": record.name,
        "parameter-type": record.current.type,
        "policy-type": policy_type,
        "action-status": "Finished",
        "action-reason": reason,
    }
    ps.emit(
        make_event(
            "Parameter Store Policy Action",
            SOURCE,
            record.account,
            record.region,
            [record.arn],
            detail,
            ps.clock.now(),
            ps.random,
        )
    )
