"""Parameter Store change events delivered to signed webhooks, end to end.

A real server is given webhooks (a TOML `[[webhooks]]` file through `--config`, or the
`STRONGROOM_WEBHOOKS` JSON variable) that point at local receivers
(`tests/e2e/webhook_receiver.py`), which check each delivery's signature with
`strongroom.events.verify_signature` as a real receiver would.

Invariants checked:
- every PutParameter (Create, Update), LabelParameterVersion, DeleteParameter and
  DeleteParameters emits one "Parameter Store Change" event, shaped as EventBridge's
  (version "0", id, detail-type, source "aws.ssm", account, time, region, resources,
  detail {operation, name, type, description}), signed and fresh, never carrying a
  SecureString value;
- a receiver that answers 500 at first gets the event on a later attempt (the back-off
  runs on the service clock, moved with `POST /sys/dev/clock`);
- an event accepted while the receiver is down survives a crash and is delivered after
  the restart; the failures are logged without the webhook URL (it may hold a token);
- a receiver that refuses connections or never answers neither slows nor fails the API
  call that emits;
- a refused call emits nothing;
- each webhook gets only the detail-types it asks for;
- a delivery's signature timestamp is the real time, so a receiver accepts it even when
  the dev clock is moved (the event's `time` is the service's time).

"No event" is checked with a marker: a later change whose event is delivered after any
earlier one (the outbox delivers in emission order), so once the marker is in, an event
emitted before it would be too.
"""

from __future__ import annotations

import json
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.dev_clock import set_clock
from tests.e2e.harness import ACCOUNT_ID, REGION, ServerProcess, free_port
from tests.e2e.kms_support import error_of
from tests.e2e.parameter_events import ACTION, CHANGE, event_time, settle
from tests.e2e.webhook_receiver import BlackHole, Delivery, WebhookReceiver

SECRET = b"events-webhook-secret"
FAST = {"STRONGROOM_SCHEDULER_INTERVAL": "0.2"}
ENVELOPE = ["version", "id", "detail-type", "source", "account", "time", "region"]
ENVELOPE += ["resources", "detail"]
DAY = 86400


def unique(label: str) -> str:
    return f"/events/{label}/{uuid.uuid4().hex[:10]}"


def arn(name: str) -> str:
    path = name if name.startswith("/") else f"/{name}"
    return f"arn:aws:ssm:{REGION}:{ACCOUNT_ID}:parameter{path}"


def webhooks_env(*hooks: dict[str, Any]) -> dict[str, str]:
    return {**FAST, "STRONGROOM_WEBHOOKS": json.dumps(list(hooks))}


def operations(receiver: WebhookReceiver, name: str) -> list[str]:
    """The operations of the distinct Change events naming `name`, in arrival order."""
    return [d.event["detail"]["operation"] for d in receiver.events(CHANGE, name) if d.event]


def forward(server: ServerProcess, step: float = 60.0) -> Callable[[], object]:
    """A nudge that moves the server's clock `step` seconds further on each call, so a
    back-off on the service clock ends at once."""
    moved = [0.0]

    def nudge() -> object:
        moved[0] += step
        return set_clock(server, moved[0])

    return nudge


@pytest.fixture
def receivers() -> Iterator[Callable[..., WebhookReceiver]]:
    """Start local receivers (stopped at the end)."""
    started: list[WebhookReceiver] = []

    def start(**kwargs: Any) -> WebhookReceiver:
        receiver = WebhookReceiver(SECRET, **kwargs).start()
        started.append(receiver)
        return receiver

    yield start
    for receiver in started:
        receiver.stop()


# --- what is delivered --------------------------------------------------------------------


def test_every_change_emits_one_signed_eventbridge_shaped_event(
    start_server: Callable[..., ServerProcess],
    receivers: Callable[..., WebhookReceiver],
    tmp_path: Path,
) -> None:
    receiver = receivers()
    secret_file = tmp_path / "webhook.secret"
    secret_file.write_text(SECRET.decode() + "\n")
    config = tmp_path / "strongroom.toml"
    config.write_text(
        "scheduler_interval = 0.2\n\n[[webhooks]]\n"
        f'name = "from-toml"\nurl = "{receiver.url}"\nsecret_file = "{secret_file}"\n'
    )
    server = start_server(extra_args=["--config", str(config)])
    ssm = server.client("ssm")
    name, plain, secure = unique("full"), f"plain-{uuid.uuid4().hex[:10]}", unique("secure")
    canary = f"canary-{uuid.uuid4().hex}"

    ssm.put_parameter(Name=name, Value="v1", Type="String", Description="first")
    ssm.put_parameter(Name=name, Value="v2", Overwrite=True)  # the description stays
    ssm.put_parameter(Name=name, Value="v3", Overwrite=True, Description="third")
    ssm.label_parameter_version(Name=name, ParameterVersion=1, Labels=["prod"])
    ssm.put_parameter(Name=plain, Value="a,b", Type="StringList")
    ssm.put_parameter(Name=secure, Value=canary, Type="SecureString", Description="s")
    ssm.delete_parameter(Name=name)
    missing = unique("missing")
    deleted = ssm.delete_parameters(Names=[plain, secure, missing])
    assert deleted["InvalidParameters"] == [missing]

    receiver.wait_for(
        lambda r: (
            len(operations(r, name)) == 5
            and len(operations(r, plain)) == 2
            and len(operations(r, secure)) == 2
        )
    )
    settle(server, receiver)
    expected = {
        name: [
            ("Create", "String", "first"),
            ("Update", "String", "first"),
            ("Update", "String", "third"),
            ("LabelParameterVersion", "String", "third"),
            ("Delete", "String", "third"),
        ],
        plain: [("Create", "StringList", ""), ("Delete", "StringList", "")],
        secure: [("Create", "SecureString", "s"), ("Delete", "SecureString", "s")],
    }
    for parameter, wanted in expected.items():
        got = receiver.events(CHANGE, parameter)
        details = [d.event["detail"] for d in got if d.event]
        assert Counter((d["operation"], d["type"], d["description"]) for d in details) == (
            Counter(wanted)
        )
        assert all(d == {**d, "name": parameter} for d in details)
        assert all(set(d) == {"operation", "name", "type", "description"} for d in details)
        for delivery in got:
            _check_envelope(delivery, parameter)
    assert receiver.events(None, missing) == []
    assert all(canary not in d.body.decode() for d in receiver.attempts())


def _check_envelope(delivery: Delivery, name: str) -> None:
    event = delivery.event
    assert event is not None
    assert list(event) == ENVELOPE
    assert event["version"] == "0"
    assert uuid.UUID(event["id"]).version == 4
    assert (event["detail-type"], event["source"]) == (CHANGE, "aws.ssm")
    assert (event["account"], event["region"]) == (ACCOUNT_ID, REGION)
    assert event["resources"] == [arn(name)]
    assert abs(event_time(delivery) - time.time()) < 120
    assert delivery.event_id_header == event["id"]
    assert delivery.content_type == "application/json"
    assert delivery.authentic and delivery.fresh


# --- retries and durability ---------------------------------------------------------------


def test_a_receiver_that_fails_at_first_gets_the_event_on_a_later_attempt(
    start_server: Callable[..., ServerProcess], receivers: Callable[..., WebhookReceiver]
) -> None:
    receiver = receivers(fail_first=3)
    server = start_server(extra_env=webhooks_env(receiver.config("flaky")))
    name = unique("retried")
    server.client("ssm").put_parameter(Name=name, Value="v", Type="String")

    receiver.wait_for(lambda r: bool(r.events(CHANGE, name)), nudge=forward(server))
    attempts = receiver.attempts()
    assert [a.status for a in attempts] == [500, 500, 500, 200]
    assert len({a.event_id_header for a in attempts}) == 1
    assert len({a.body for a in attempts}) == 1  # the same event each time
    assert all(a.authentic for a in attempts)
    assert operations(receiver, name) == ["Create"]


def test_an_event_accepted_while_the_receiver_is_down_survives_a_crash(
    start_server: Callable[..., ServerProcess], tmp_path: Path
) -> None:
    token = f"token-{uuid.uuid4().hex}"
    receiver = WebhookReceiver(SECRET, port=free_port(), path=f"/hook?auth={token}")
    data_dir, log = tmp_path / "down", tmp_path / "server.log"
    env = webhooks_env(receiver.config("down"))
    server = start_server(data_dir, extra_env=env, stderr_path=log)
    name = unique("while-down")
    put = server.client("ssm").put_parameter(Name=name, Value="v", Type="String")
    assert put["Version"] == 1

    deadline = time.monotonic() + 15
    while "not delivered" not in log.read_text():  # the server tried, and failed
        assert time.monotonic() < deadline, log.read_text()
        set_clock(server, 0)
        time.sleep(0.05)
    server.kill()
    assert token not in log.read_text()
    assert name not in log.read_text()

    with receiver:
        restarted = start_server(data_dir, extra_env=env)
        receiver.wait_for(lambda r: bool(r.events(CHANGE, name)), nudge=forward(restarted))
        delivery = receiver.events(CHANGE, name)[0]
        assert delivery.authentic
        assert delivery.event is not None
        assert delivery.event["detail"]["operation"] == "Create"
        assert delivery.path == f"/hook?auth={token}"


@pytest.mark.parametrize("dead", ["refusing", "hung"])
def test_a_dead_receiver_never_slows_or_fails_the_api_call(
    start_server: Callable[..., ServerProcess], dead: str
) -> None:
    hole = BlackHole()
    try:
        url = hole.url
        if dead == "refusing":
            hole.close()  # nothing listens there now: every attempt is refused
        hook = {"name": "dead", "url": url, "secret": SECRET.decode()}
        server = start_server(extra_env=webhooks_env(hook))
        ssm = server.client("ssm")
        first = unique(f"{dead}-first")
        ssm.put_parameter(Name=first, Value="v", Type="String")
        if dead == "hung":  # wait until a delivery hangs on the receiver (up to 5 s each)
            deadline = time.monotonic() + 15
            while hole.connections() == 0:
                assert time.monotonic() < deadline, "the server never tried the receiver"
                set_clock(server, 0)
                time.sleep(0.02)
        names = [unique(f"{dead}{i}") for i in range(6)]
        slowest = 0.0
        for i, name in enumerate(names):
            began = time.monotonic()
            put = ssm.put_parameter(Name=name, Value=f"v{i}", Type="String")
            ssm.label_parameter_version(Name=name, Labels=["l"])
            if i == 0:
                ssm.delete_parameter(Name=first)
            slowest = max(slowest, time.monotonic() - began)
            assert put["Version"] == 1
            set_clock(server, 0)  # wakes the deliverer: more attempts under way meanwhile
        assert slowest < 2.0  # an attempt on the hung receiver lasts 5 s: not on this path
        for i, name in enumerate(names):
            assert ssm.get_parameter(Name=name)["Parameter"]["Value"] == f"v{i}"
        assert error_of(ssm.get_parameter, Name=first)["Code"] == "ParameterNotFound"
        assert server.health() == 200
    finally:
        hole.close()


# --- what is not delivered ----------------------------------------------------------------


def test_a_refused_call_emits_nothing(
    start_server: Callable[..., ServerProcess], receivers: Callable[..., WebhookReceiver]
) -> None:
    receiver = receivers()
    server = start_server(extra_env=webhooks_env(receiver.config("refusals")))
    ssm = server.client("ssm")
    name, missing = unique("refused"), unique("never")
    ssm.put_parameter(Name=name, Value="v1", Type="String")

    update: dict[str, Any] = {"Name": name, "Value": "v2", "Overwrite": True}
    no_change = '[{"Type":"NoChangeNotification","Attributes":{"After":"1","Unit":"Days"}}]'
    refusals: list[tuple[str, dict[str, Any]]] = [
        ("ParameterAlreadyExists", {"Name": name, "Value": "v2", "Type": "String"}),
        ("HierarchyTypeMismatchException", {**update, "Type": "SecureString"}),
        ("ParameterPatternMismatchException", {**update, "AllowedPattern": "^[0-9]+$"}),
        ("ValidationException", {**update, "Tags": [{"Key": "k", "Value": "v"}]}),
        ("ValidationException", {**update, "Value": "x" * 4097}),
        ("ValidationException", {**update, "Tier": "Standard", "Policies": no_change}),
        (
            "ValidationException",
            {"Name": missing, "Value": "v", "Type": "String", "Policies": no_change},
        ),
    ]
    for code, params in refusals:
        assert error_of(ssm.put_parameter, **params)["Code"] == code, params
    assert error_of(ssm.delete_parameter, Name=missing)["Code"] == "ParameterNotFound"
    error = error_of(ssm.label_parameter_version, Name=name, ParameterVersion=9, Labels=["x"])
    assert error["Code"] == "ParameterVersionNotFound"
    error = error_of(ssm.label_parameter_version, Name=missing, Labels=["x"])
    assert error["Code"] == "ParameterNotFound"

    got = ssm.get_parameter(Name=name)["Parameter"]
    assert (got["Version"], got["Value"]) == (1, "v1")
    settle(server, receiver)
    assert operations(receiver, name) == ["Create"]
    assert receiver.events(None, missing) == []


def test_each_webhook_gets_only_the_detail_types_it_asks_for(
    start_server: Callable[..., ServerProcess], receivers: Callable[..., WebhookReceiver]
) -> None:
    changes, policy_actions, nothing, everything = (receivers() for _ in range(4))
    server = start_server(
        extra_env=webhooks_env(
            changes.config("changes", [CHANGE]),
            policy_actions.config("actions", [ACTION]),
            nothing.config("nothing", ["Secrets Manager Secret Rotation"]),
            everything.config("everything"),  # last: once it has an event, the others were asked
        )
    )
    ssm = server.client("ssm")
    name = unique("filtered")
    expires = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    policy = [{"Type": "Expiration", "Version": "1.0", "Attributes": {"Timestamp": expires}}]
    ssm.put_parameter(
        Name=name, Value="v", Type="String", Tier="Advanced", Policies=json.dumps(policy)
    )
    set_clock(server, DAY + 60)  # the expiration acts
    everything.wait_for(
        lambda r: bool(r.events(ACTION, name)), nudge=lambda: set_clock(server, DAY + 60)
    )
    settle(server, everything, DAY + 60)

    assert {d.detail_type for d in everything.events(None, name)} == {CHANGE, ACTION}
    assert {d.detail_type for d in changes.delivered()} == {CHANGE}
    assert operations(changes, name)[0] == "Create"
    assert [d.detail_type for d in policy_actions.delivered()] == [ACTION]
    assert policy_actions.delivered()[0].names() == {name}
    assert nothing.attempts() == []  # never even tried
    seen = {d.event_id for d in everything.delivered() if d.detail_type == CHANGE}
    assert {d.event_id for d in changes.delivered()} == seen
    assert all(d.authentic for r in (changes, policy_actions, everything) for d in r.attempts())


def test_a_delivery_is_signed_with_the_real_time_when_the_dev_clock_is_moved(
    start_server: Callable[..., ServerProcess], receivers: Callable[..., WebhookReceiver]
) -> None:
    receiver = receivers()
    server = start_server(extra_env=webhooks_env(receiver.config("shifted")))
    set_clock(server, 30 * DAY)
    name = unique("shifted")
    server.client("ssm").put_parameter(Name=name, Value="v", Type="String")
    delivery = receiver.wait_for_event(CHANGE, name, nudge=lambda: set_clock(server, 30 * DAY))
    assert delivery.authentic
    assert event_time(delivery) > time.time() + 29 * DAY  # the event happened in service time
    assert delivery.fresh  # ... but the receiver checks the signature against its own clock
