"""Events carry AWS's EventBridge envelope, with injected time and randomness."""

from __future__ import annotations

import json
import uuid

import pytest

from strongroom.events import event_bytes, format_time, make_event

ARN = "arn:aws:ssm:eu-west-1:123456789012:parameter/prod/db-url"
NOW = 1796284800.75  # 2026-12-03T08:00:00.75Z


def fixed_random(n: int) -> bytes:
    return bytes(range(n))


def parameter_change(detail: dict[str, object] | None = None) -> dict[str, object]:
    return make_event(
        "Parameter Store Change",
        "aws.ssm",
        "123456789012",
        "eu-west-1",
        [ARN],
        detail if detail is not None else {"operation": "Create", "name": "/prod/db-url"},
        NOW,
        fixed_random,
    )


def test_the_envelope_is_eventbridge_s_in_its_order() -> None:
    event = parameter_change()
    assert list(event) == [
        "version",
        "id",
        "detail-type",
        "source",
        "account",
        "time",
        "region",
        "resources",
        "detail",
    ]
    assert event["version"] == "0"
    assert event["detail-type"] == "Parameter Store Change"
    assert event["source"] == "aws.ssm"
    assert event["account"] == "123456789012"
    assert event["region"] == "eu-west-1"
    assert event["resources"] == [ARN]
    assert event["detail"] == {"operation": "Create", "name": "/prod/db-url"}
    assert event["time"] == "2026-12-03T08:00:00Z"  # whole seconds, UTC, Z


def test_the_id_is_a_uuid4_drawn_from_the_injected_randomness() -> None:
    event = parameter_change()
    parsed = uuid.UUID(str(event["id"]))
    assert parsed.version == 4 and str(parsed) == event["id"]
    assert parsed == uuid.UUID(bytes=bytes(range(16)), version=4)
    other = make_event("T", "s", "a", "r", [], {}, NOW, lambda n: b"\xff" * n)
    assert other["id"] != event["id"]


def test_time_is_utc_to_the_second() -> None:
    assert format_time(0) == "1970-01-01T00:00:00Z"
    assert format_time(1796284799.999) == "2026-12-03T07:59:59Z"


def test_the_event_does_not_share_the_caller_s_objects() -> None:
    detail: dict[str, object] = {"labels": ["a"]}
    resources = [ARN]
    event = make_event("T", "s", "a", "r", resources, detail, NOW, fixed_random)
    detail["labels"].append("b")  # type: ignore[attr-defined]
    resources.append("arn:other")
    assert event["detail"] == {"labels": ["a"]} and event["resources"] == [ARN]


@pytest.mark.parametrize("detail", [{"when": object()}, {"x": float("nan")}, {"b": b"bytes"}])
def test_a_detail_that_is_not_json_is_refused(detail: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="not JSON"):
        make_event("T", "s", "a", "r", [], detail, NOW, fixed_random)


def test_bytes_are_compact_ascii_json_in_envelope_order() -> None:
    event = parameter_change({"name": "/caf\u00e9"})
    body = event_bytes(event)
    assert body.isascii() and b", " not in body and b": " not in body
    assert body.startswith(b'{"version":"0","id":"')
    assert json.loads(body) == event
