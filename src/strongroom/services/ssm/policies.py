"""Parameter policies (Advanced tier), checked as AWS checks them and made to act.

A `Policies` string is a JSON list of at most 10 policies, one of each type:
- Expiration `{"Timestamp": <ISO 8601>}`: the parameter is deleted then;
- ExpirationNotification `{"Before": "<n>", "Unit": "Days"|"Hours"}`: an event that long
  before the expiration (needs an Expiration);
- NoChangeNotification `{"After": "<n>", "Unit": "Days"|"Hours"}`: an event when the
  parameter has not changed for that long.
Each policy of the current version becomes a due entry (`repository.schedule`); the
scheduler's job (`run_due`) reads only the entries whose time has come, oldest first.
A new version replaces the old one's entries, so a stale entry never fires.
"""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass
from typing import Any

from strongroom.errors import (
    IncompatiblePolicyException,
    InvalidPolicyAttributeException,
    InvalidPolicyTypeException,
    PoliciesLimitExceededException,
)

EXPIRATION = "Expiration"
EXPIRATION_NOTIFICATION = "ExpirationNotification"
NO_CHANGE_NOTIFICATION = "NoChangeNotification"
_TYPES = (EXPIRATION, EXPIRATION_NOTIFICATION, NO_CHANGE_NOTIFICATION)
_UNITS = {"Days": 86_400.0, "Hours": 3_600.0}
MAX_POLICIES = 10


@dataclass(frozen=True, slots=True)
class Policy:
    """One parameter policy: its type, the text as given, and what it means."""

    type: str
    text: str
    timestamp: float | None = None
    """Expiration: when."""
    offset: float | None = None
    """Notifications: Before / After, in seconds."""

    def shape(self) -> dict[str, str]:
        """The `Policies` entry of GetParameterHistory and DescribeParameters."""
        return {"PolicyText": self.text, "PolicyType": self.type, "PolicyStatus": "Pending"}


def _timestamp(text: object) -> float:
    if not isinstance(text, str):
        raise InvalidPolicyAttributeException("Expiration policy needs a Timestamp string.")
    try:
        moment = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidPolicyAttributeException(
            f"Invalid Timestamp {text!r}: use ISO 8601, for example 2030-12-02T21:34:33.000Z."
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.UTC)
    return moment.timestamp()


def _offset(attributes: dict[str, Any], name: str) -> float:
    amount, unit = attributes.get(name), attributes.get("Unit", "Days")
    if not isinstance(amount, str) or not (amount.isascii() and amount.isdecimal()):
        raise InvalidPolicyAttributeException(f"{name} must be a positive whole number string.")
    if int(amount) < 1:
        raise InvalidPolicyAttributeException(f"{name} must be a positive whole number string.")
    if not isinstance(unit, str) or unit not in _UNITS:
        raise InvalidPolicyAttributeException("Unit must be Days or Hours.")
    return int(amount) * _UNITS[unit]


def _policy(entry: object) -> Policy:
    if not isinstance(entry, dict) or not isinstance(entry.get("Attributes", {}), dict):
        raise InvalidPolicyAttributeException("Each policy is an object with Attributes.")
    kind, attributes = entry.get("Type"), entry.get("Attributes", {})
    if kind not in _TYPES:
        raise InvalidPolicyTypeException(f"Invalid policy type: {kind}.")
    if entry.get("Version", "1.0") != "1.0":
        raise InvalidPolicyAttributeException("The policy Version must be 1.0.")
    text = json.dumps(entry, separators=(",", ":"))
    if kind == EXPIRATION:
        return Policy(kind, text, timestamp=_timestamp(attributes.get("Timestamp")))
    field = "After" if kind == NO_CHANGE_NOTIFICATION else "Before"
    return Policy(kind, text, offset=_offset(attributes, field))


def parse_policies(text: str, now: float) -> list[Policy]:
    """The policies of a `Policies` string, or AWS's error for the first thing wrong."""
    try:
        entries = json.loads(text)
    except (ValueError, RecursionError):
        raise InvalidPolicyAttributeException("Policies must be a JSON list.") from None
    if isinstance(entries, dict):
        entries = [entries]
    if not isinstance(entries, list):
        raise InvalidPolicyAttributeException("Policies must be a JSON list.")
    if len(entries) > MAX_POLICIES:
        raise PoliciesLimitExceededException(
            f"A parameter can have at most {MAX_POLICIES} policies."
        )
    policies = [_policy(entry) for entry in entries]
    kinds = [policy.type for policy in policies]
    if len(set(kinds)) != len(kinds):
        raise IncompatiblePolicyException("A parameter can have one policy of each type.")
    expiry = next((p.timestamp for p in policies if p.type == EXPIRATION), None)
    if expiry is not None and expiry <= now:
        raise InvalidPolicyAttributeException("The Expiration Timestamp must be in the future.")
    if EXPIRATION_NOTIFICATION in kinds and expiry is None:
        raise IncompatiblePolicyException(
            "An ExpirationNotification policy needs an Expiration policy."
        )
    return policies


def from_shapes(shapes: list[dict[str, str]]) -> list[Policy]:
    """The policies of a stored version (their `shape`s), parsed again."""
    result = []
    for shape in shapes:
        entry = json.loads(shape["PolicyText"])
        result.append(_policy(entry))
    return result


def due_times(policies: list[Policy], modified: float) -> list[tuple[float, str]]:
    """(when, policy type) of every action the policies ask for."""
    expiry = next((p.timestamp for p in policies if p.type == EXPIRATION), None)
    times: list[tuple[float, str]] = []
    for policy in policies:
        if policy.type == EXPIRATION and expiry is not None:
            times.append((expiry, EXPIRATION))
        elif policy.type == EXPIRATION_NOTIFICATION and expiry is not None:
            times.append((expiry - (policy.offset or 0.0), EXPIRATION_NOTIFICATION))
        elif policy.type == NO_CHANGE_NOTIFICATION:
            times.append((modified + (policy.offset or 0.0), NO_CHANGE_NOTIFICATION))
    return times
