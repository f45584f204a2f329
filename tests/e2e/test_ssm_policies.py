"""Parameter policies end to end: they act when their time comes, on the test clock.

Time moves with the dev-only `POST /sys/dev/clock`, which shifts the server's service
clock and runs one scheduler tick before it answers, so an effect due by then is done
when the call returns. Nothing sleeps; a fast scheduler interval is only a backstop, and
background effects (deliveries, a restarted server's ticks) are polled with a deadline.

Invariants checked:
- Expiration deletes an Advanced parameter once the clock passes its Timestamp, not
  before, and emits one "Parameter Store Policy Action" event;
- ExpirationNotification emits its event at Timestamp - Before, and only once;
  NoChangeNotification After the last change, and a new version re-arms it;
- policies are refused on the Standard tier (ValidationException), and bad policy JSON,
  unknown types, bad attributes and duplicate types are refused with AWS's errors, with
  nothing stored and no event;
- the due work survives a crash (`kill -9`) and a restart whose clock is already past it;
- with two workers whose clocks start past the time, each expiration acts once.

"No event" is checked with a marker: a later change whose event is delivered after any
earlier one (the outbox delivers in emission order), so once the marker is in, an event
emitted before it would be too.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.dev_clock import set_clock
from tests.e2e.harness import ACCOUNT_ID, REGION, ServerProcess
from tests.e2e.kms_support import error_of
from tests.e2e.parameter_events import ACTION, CHANGE, event_time, settle
from tests.e2e.webhook_receiver import Delivery, WebhookReceiver

HOUR = 3600
DAY = 86400
SECRET = b"policy-webhook-secret"
BACKSTOP = {"STRONGROOM_SCHEDULER_INTERVAL": "0.5"}


def unique(label: str) -> str:
    return f"/policies/{label}/{uuid.uuid4().hex[:10]}"


def at(seconds_from_now: float) -> str:
    """An Expiration Timestamp that many real seconds from now, as AWS writes one."""
    moment = datetime.now(UTC) + timedelta(seconds=seconds_from_now)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def expiration(timestamp: str) -> dict[str, Any]:
    return {"Type": "Expiration", "Version": "1.0", "Attributes": {"Timestamp": timestamp}}


def notification(kind: str, field: str, amount: str, unit: str) -> dict[str, Any]:
    return {"Type": kind, "Version": "1.0", "Attributes": {field: amount, "Unit": unit}}


def webhooks_env(*receivers: WebhookReceiver) -> dict[str, str]:
    hooks = [receiver.config(f"hook{i}") for i, receiver in enumerate(receivers)]
    return {"STRONGROOM_WEBHOOKS": json.dumps(hooks)}


def actions(receiver: WebhookReceiver, name: str, policy: str) -> list[Delivery]:
    """Distinct Policy Action events of that policy type for `name`."""
    return [
        d
        for d in receiver.events(ACTION, name)
        if d.event is not None and d.event["detail"].get("policy-type") == policy
    ]


def _put_advanced(ssm: Any, name: str, value: str, *policies: dict[str, Any]) -> Any:
    """PutParameter of an Advanced String carrying `policies`."""
    return ssm.put_parameter(
        Name=name, Value=value, Type="String", Tier="Advanced", Policies=json.dumps(policies)
    )


def _refused_put(ssm: Any, code: str, **params: Any) -> dict[str, Any]:
    """PutParameter of a String (the value "v", or as given) that must fail with `code`;
    its error."""
    error = error_of(ssm.put_parameter, **{"Value": "v", "Type": "String", **params})
    assert error["Code"] == code, error
    return error


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver(SECRET) as started:
        yield started


@pytest.fixture
def server(start_server: Callable[..., ServerProcess], receiver: WebhookReceiver) -> ServerProcess:
    """A private dev server whose events go to `receiver` (its clock is moved by tests)."""
    return start_server(extra_env={**BACKSTOP, **webhooks_env(receiver)})


@pytest.fixture(scope="module")
def steady(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[ServerProcess, WebhookReceiver]]:
    """One server and receiver shared by the refusal tests (which never move the clock)."""
    with WebhookReceiver(SECRET) as hook:
        env = {**BACKSTOP, **webhooks_env(hook)}
        started = ServerProcess(tmp_path_factory.mktemp("policies"), extra_env=env).start()
        yield started, hook
        started.stop()


# --- Expiration ---------------------------------------------------------------------------


def test_expiration_deletes_the_parameter_once_its_timestamp_passes_and_not_before(
    server: ServerProcess, receiver: WebhookReceiver
) -> None:
    ssm = server.client("ssm")
    name, keeper = unique("expires"), unique("keeper")
    timestamp = at(2 * DAY)
    policies = json.dumps([expiration(timestamp)])
    put = ssm.put_parameter(
        Name=name, Value="short-lived", Type="String", Tier="Advanced", Policies=policies
    )
    assert (put["Version"], put["Tier"]) == (1, "Advanced")
    ssm.put_parameter(Name=keeper, Value="stays", Type="String", Tier="Advanced")
    described = ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": [name]}])[
        "Parameters"
    ]
    assert [p["Name"] for p in described] == [name]
    assert [(p["PolicyType"], p["PolicyStatus"]) for p in described[0]["Policies"]] == [
        ("Expiration", "Pending")
    ]
    assert json.loads(described[0]["Policies"][0]["PolicyText"])["Attributes"] == {
        "Timestamp": timestamp
    }

    set_clock(server, 2 * DAY - 5 * 60)  # five minutes before: nothing happens
    assert ssm.get_parameter(Name=name)["Parameter"]["Value"] == "short-lived"
    settle(server, receiver, 2 * DAY - 5 * 60)
    assert receiver.events(ACTION, name) == []

    set_clock(server, 2 * DAY + 5 * 60)  # the tick ran before the answer: it is gone now
    assert error_of(ssm.get_parameter, Name=name)["Code"] == "ParameterNotFound"
    assert error_of(ssm.get_parameter_history, Name=name)["Code"] == "ParameterNotFound"
    listed = ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": [name]}])
    assert listed["Parameters"] == []
    assert ssm.get_parameter(Name=keeper)["Parameter"]["Value"] == "stays"

    event = receiver.wait_for_event(ACTION, name, nudge=lambda: set_clock(server, 2 * DAY + 300))
    assert event.authentic
    assert event.event is not None
    assert event.event["source"] == "aws.ssm"
    assert event.event["account"] == ACCOUNT_ID
    assert event.event["region"] == REGION
    assert event.event["resources"] == [f"arn:aws:ssm:{REGION}:{ACCOUNT_ID}:parameter{name}"]
    detail = event.event["detail"]
    assert (detail["parameter-name"], detail["parameter-type"]) == (name, "String")
    assert (detail["policy-type"], detail["action-status"]) == ("Expiration", "Finished")
    assert event_time(event) >= datetime.fromisoformat(timestamp).timestamp()

    # The name is free again: a new parameter starts at version 1.
    again = ssm.put_parameter(Name=name, Value="reborn", Type="String")
    assert again["Version"] == 1
    settle(server, receiver, 2 * DAY + 5 * 60)
    assert len(actions(receiver, name, "Expiration")) == 1


def test_expiration_notification_fires_before_the_expiration_and_once(
    server: ServerProcess, receiver: WebhookReceiver
) -> None:
    ssm = server.client("ssm")
    name = unique("notify")
    timestamp = at(10 * DAY)
    policies = [
        expiration(timestamp),
        notification("ExpirationNotification", "Before", "2", "Days"),
    ]
    ssm.put_parameter(
        Name=name,
        Value="soon-gone",
        Type="SecureString",
        Tier="Advanced",
        Policies=json.dumps(policies),
    )
    warn_at = datetime.fromisoformat(timestamp).timestamp() - 2 * DAY

    set_clock(server, 8 * DAY - HOUR)  # an hour before Timestamp - Before
    settle(server, receiver, 8 * DAY - HOUR)
    assert receiver.events(ACTION, name) == []

    set_clock(server, 8 * DAY + HOUR)
    event = receiver.wait_for_event(ACTION, name, nudge=lambda: set_clock(server, 8 * DAY + HOUR))
    assert event.authentic and event.event is not None
    detail = event.event["detail"]
    assert (detail["parameter-name"], detail["policy-type"]) == (name, "ExpirationNotification")
    assert detail["parameter-type"] == "SecureString"
    assert "soon-gone" not in event.body.decode()
    assert event_time(event) >= warn_at
    # A notification does not delete: the parameter is there until its Expiration.
    value = ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"]
    assert value == "soon-gone"

    set_clock(server, 9 * DAY)  # more ticks after it fired: it does not fire again
    settle(server, receiver, 9 * DAY)
    assert len(actions(receiver, name, "ExpirationNotification")) == 1
    assert actions(receiver, name, "Expiration") == []

    set_clock(server, 10 * DAY + HOUR)
    assert error_of(ssm.get_parameter, Name=name)["Code"] == "ParameterNotFound"
    settle(server, receiver, 10 * DAY + HOUR)
    assert len(actions(receiver, name, "Expiration")) == 1
    assert len(actions(receiver, name, "ExpirationNotification")) == 1


# --- NoChangeNotification -----------------------------------------------------------------


def test_no_change_notification_fires_after_the_last_change_and_a_new_version_rearms_it(
    server: ServerProcess, receiver: WebhookReceiver
) -> None:
    ssm = server.client("ssm")
    still, changed = unique("still"), unique("changed")
    policy = json.dumps([notification("NoChangeNotification", "After", "24", "Hours")])
    for name in (still, changed):
        ssm.put_parameter(Name=name, Value="v1", Type="String", Tier="Advanced", Policies=policy)

    set_clock(server, 12 * HOUR)  # `changed` gets a new version at 12 h: due at 36 h now
    put = ssm.put_parameter(
        Name=changed, Value="v2", Type="String", Overwrite=True, Policies=policy
    )
    assert put["Version"] == 2

    set_clock(server, 23 * HOUR)  # not yet for either
    settle(server, receiver, 23 * HOUR)
    assert receiver.events(ACTION, still) == []
    assert receiver.events(ACTION, changed) == []

    set_clock(server, 25 * HOUR)  # 24 h after `still`'s only change
    first = receiver.wait_for_event(ACTION, still, nudge=lambda: set_clock(server, 25 * HOUR))
    assert first.event is not None
    assert first.event["detail"]["policy-type"] == "NoChangeNotification"
    settle(server, receiver, 25 * HOUR)
    assert receiver.events(ACTION, changed) == []  # its change at 12 h moved it to 36 h

    set_clock(server, 26 * HOUR)  # a new version of `still` re-arms its policy: due at 50 h
    ssm.put_parameter(Name=still, Value="v2", Type="String", Overwrite=True, Policies=policy)

    set_clock(server, 37 * HOUR)
    event = receiver.wait_for_event(ACTION, changed, nudge=lambda: set_clock(server, 37 * HOUR))
    assert event.event is not None
    assert event.event["detail"]["policy-type"] == "NoChangeNotification"
    assert event_time(event) >= event_time(first) + 11 * HOUR

    set_clock(server, 49 * HOUR)
    settle(server, receiver, 49 * HOUR)
    assert len(actions(receiver, still, "NoChangeNotification")) == 1

    set_clock(server, 51 * HOUR)
    receiver.wait_for(
        lambda r: len(actions(r, still, "NoChangeNotification")) == 2,
        nudge=lambda: set_clock(server, 51 * HOUR),
    )
    settle(server, receiver, 51 * HOUR)
    assert len(actions(receiver, changed, "NoChangeNotification")) == 1
    # Notifications never delete.
    assert ssm.get_parameter(Name=still)["Parameter"]["Value"] == "v2"
    assert ssm.get_parameter(Name=changed)["Parameter"]["Value"] == "v2"


# --- refusals -----------------------------------------------------------------------------


def _unchanged(ssm: Any, name: str, version: int, value: str, policy_types: list[str]) -> None:
    got = ssm.get_parameter(Name=name)["Parameter"]
    assert (got["Version"], got["Value"]) == (version, value)
    history = ssm.get_parameter_history(Name=name)["Parameters"]
    assert [h["Version"] for h in history] == list(range(1, version + 1))
    assert [p["PolicyType"] for p in history[-1]["Policies"]] == policy_types


def test_policies_on_the_standard_tier_are_refused_and_nothing_changes(
    steady: tuple[ServerProcess, WebhookReceiver],
) -> None:
    server, receiver = steady
    ssm = server.client("ssm")
    policy = json.dumps([expiration(at(DAY))])
    fresh, standard = unique("standard-new"), unique("standard-old")
    _refused_put(ssm, "ValidationException", Name=fresh, Tier="Standard", Policies=policy)
    assert error_of(ssm.get_parameter, Name=fresh)["Code"] == "ParameterNotFound"

    ssm.put_parameter(Name=standard, Value="v1", Type="String")  # Standard by default
    _refused_put(
        ssm, "ValidationException", Name=standard, Value="v2", Overwrite=True, Policies=policy
    )
    _unchanged(ssm, standard, 1, "v1", [])

    # Intelligent-Tiering picks Advanced for a parameter with policies.
    smart = unique("intelligent")
    put = ssm.put_parameter(
        Name=smart, Value="v", Type="String", Tier="Intelligent-Tiering", Policies=policy
    )
    assert put["Tier"] == "Advanced"
    _unchanged(ssm, smart, 1, "v", ["Expiration"])

    settle(server, receiver, 0)
    assert receiver.events(None, fresh) == []
    assert [
        d.event["detail"]["operation"] for d in receiver.events(CHANGE, standard) if d.event
    ] == ["Create"]


BAD_POLICIES: list[tuple[str, str, str]] = [
    ("not-json", "{not json", "InvalidPolicyAttributeException"),
    ("not-a-list", '"Expiration"', "InvalidPolicyAttributeException"),
    (
        "unknown-type",
        json.dumps([{"Type": "SelfDestruct", "Version": "1.0", "Attributes": {}}]),
        "InvalidPolicyTypeException",
    ),
    (
        "bad-timestamp",
        json.dumps([expiration("next tuesday")]),
        "InvalidPolicyAttributeException",
    ),
    ("past-timestamp", json.dumps([expiration(at(-DAY))]), "InvalidPolicyAttributeException"),
    (
        "zero-after",
        json.dumps([notification("NoChangeNotification", "After", "0", "Days")]),
        "InvalidPolicyAttributeException",
    ),
    (
        "word-after",
        json.dumps([notification("NoChangeNotification", "After", "ten", "Days")]),
        "InvalidPolicyAttributeException",
    ),
    (
        "bad-unit",
        json.dumps([notification("NoChangeNotification", "After", "2", "Weeks")]),
        "InvalidPolicyAttributeException",
    ),
    (
        "two-expirations",
        json.dumps([expiration(at(DAY)), expiration(at(2 * DAY))]),
        "IncompatiblePolicyException",
    ),
    (
        "two-no-change",
        json.dumps(
            [
                notification("NoChangeNotification", "After", "1", "Days"),
                notification("NoChangeNotification", "After", "2", "Days"),
            ]
        ),
        "IncompatiblePolicyException",
    ),
    (
        "notification-without-expiration",
        json.dumps([notification("ExpirationNotification", "Before", "1", "Days")]),
        "IncompatiblePolicyException",
    ),
]


@pytest.mark.parametrize(
    ("policies", "code"),
    [(policies, code) for _, policies, code in BAD_POLICIES],
    ids=[label for label, _, _ in BAD_POLICIES],
)
def test_bad_policies_are_refused_with_nothing_stored(
    steady: tuple[ServerProcess, WebhookReceiver], policies: str, code: str
) -> None:
    server, receiver = steady
    ssm = server.client("ssm")
    fresh, existing = unique("bad-new"), unique("bad-old")
    error = _refused_put(ssm, code, Name=fresh, Tier="Advanced", Policies=policies)
    assert error["Status"] == 400
    assert error_of(ssm.get_parameter, Name=fresh)["Code"] == "ParameterNotFound"

    keep = json.dumps([notification("NoChangeNotification", "After", "5", "Days")])
    ssm.put_parameter(Name=existing, Value="v1", Type="String", Tier="Advanced", Policies=keep)
    _refused_put(ssm, code, Name=existing, Value="v2", Overwrite=True, Policies=policies)
    _unchanged(ssm, existing, 1, "v1", ["NoChangeNotification"])

    settle(server, receiver, 0)
    assert receiver.events(None, fresh) == []
    operations = [
        d.event["detail"]["operation"] for d in receiver.events(CHANGE, existing) if d.event
    ]
    assert operations == ["Create"]


def test_a_refused_update_keeps_the_old_policies_acting(
    server: ServerProcess, receiver: WebhookReceiver
) -> None:
    ssm = server.client("ssm")
    name = unique("kept")
    _put_advanced(ssm, name, "v1", expiration(at(DAY)))
    bad = json.dumps([{"Type": "Nope", "Version": "1.0", "Attributes": {}}])
    _refused_put(
        ssm, "InvalidPolicyTypeException", Name=name, Value="v2", Overwrite=True, Policies=bad
    )
    set_clock(server, DAY + HOUR)
    assert error_of(ssm.get_parameter, Name=name)["Code"] == "ParameterNotFound"


# --- durability and several workers -------------------------------------------------------


def test_due_policy_work_survives_a_crash_and_acts_after_the_restart(
    start_server: Callable[..., ServerProcess], receiver: WebhookReceiver, tmp_path: Path
) -> None:
    data_dir = tmp_path / "crash"
    env = {**BACKSTOP, **webhooks_env(receiver)}
    first = start_server(data_dir, extra_env=env)
    ssm = first.client("ssm")
    doomed, warned = unique("doomed"), unique("warned")
    _put_advanced(ssm, doomed, "v", expiration(at(DAY)))
    _put_advanced(
        ssm,
        warned,
        "v",
        expiration(at(3 * DAY)),
        notification("ExpirationNotification", "Before", "36", "Hours"),
    )
    first.kill()  # acknowledged, then a crash: the due entries must be on disk

    # The restarted server's clock is past the first expiration and the notification;
    # no test clock call: its own scheduler must find the due work.
    later = start_server(data_dir, extra_env={**env, "STRONGROOM_DEV_CLOCK_OFFSET": str(2 * DAY)})
    ssm = later.client("ssm")
    receiver.wait_for(lambda r: bool(actions(r, doomed, "Expiration")), timeout=30)
    assert error_of(ssm.get_parameter, Name=doomed)["Code"] == "ParameterNotFound"
    receiver.wait_for(lambda r: bool(actions(r, warned, "ExpirationNotification")), timeout=30)
    assert ssm.get_parameter(Name=warned)["Parameter"]["Value"] == "v"
    assert actions(receiver, warned, "Expiration") == []


def test_with_two_workers_each_expiration_acts_once(
    start_server: Callable[..., ServerProcess], receiver: WebhookReceiver, tmp_path: Path
) -> None:
    data_dir = tmp_path / "workers"
    env = {**BACKSTOP, **webhooks_env(receiver)}
    first = start_server(data_dir, extra_env=env)
    names = [unique(f"twice{i}") for i in range(4)]
    for name in names:
        _put_advanced(first.client("ssm"), name, "v", expiration(at(DAY)))
    first.stop()

    offset = DAY + HOUR
    later = start_server(
        data_dir,
        extra_env={**env, "STRONGROOM_DEV_CLOCK_OFFSET": str(offset)},
        extra_args=["--workers", "2"],
    )
    ssm = later.client("ssm")
    receiver.wait_for(lambda r: all(actions(r, name, "Expiration") for name in names), timeout=30)
    for name in names:
        assert error_of(ssm.get_parameter, Name=name)["Code"] == "ParameterNotFound"
    for _ in range(4):  # more ticks, on whichever worker answers
        set_clock(later, offset)
    settle(later, receiver, offset)
    for name in names:
        assert len(actions(receiver, name, "Expiration")) == 1, name
        deletes = [
            d
            for d in receiver.events(CHANGE, name)
            if d.event and d.event["detail"]["operation"] == "Delete"
        ]
        assert len(deletes) <= 1, name
