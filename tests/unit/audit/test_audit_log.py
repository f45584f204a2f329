"""The audit log as it stands: no sink by default; a sink that fails makes the write fail."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from strongroom.audit import AuditLog


class _Failing:
    def write(self, record: Mapping[str, Any]) -> None:
        raise OSError("disk full")


class _Keeping:
    def __init__(self) -> None:
        self.records: list[Mapping[str, Any]] = []

    def write(self, record: Mapping[str, Any]) -> None:
        self.records.append(record)


def test_without_a_sink_nothing_listens() -> None:
    log = AuditLog()
    assert not log.enabled
    log.write({"request_id": "r"})  # goes nowhere, raises nothing


def test_every_sink_gets_the_record() -> None:
    first, second = _Keeping(), _Keeping()
    AuditLog([first, second]).write({"request_id": "r", "phase": "request"})
    assert first.records == second.records == [{"request_id": "r", "phase": "request"}]


def test_a_failing_sink_fails_the_write_so_the_caller_can_refuse_the_call() -> None:
    log = AuditLog([_Keeping(), _Failing()])
    assert log.enabled
    with pytest.raises(OSError, match="disk full"):
        log.write({"request_id": "r"})
