"""An Invocation refuses what Lambda's configuration could never hold."""

from __future__ import annotations

import pytest
from tests.unit.functions.packages import invocation


@pytest.mark.parametrize("memory_mb", [127, 10241])
def test_memory_outside_lambdas_range_is_a_programmer_error(memory_mb: int) -> None:
    with pytest.raises(ValueError, match="memory_mb"):
        invocation("", memory_mb=memory_mb)


@pytest.mark.parametrize("timeout", [0.0, -1.0, float("nan"), float("inf")])
def test_a_timeout_must_be_a_positive_number(timeout: float) -> None:
    with pytest.raises(ValueError, match="timeout_seconds"):
        invocation("", timeout_seconds=timeout)


@pytest.mark.parametrize(
    "environment", [{"": "x"}, {"A=B": "x"}, {"NAME": "nul\x00byte"}, {"NU\x00L": "x"}]
)
def test_an_environment_no_process_can_hold_is_refused(environment: dict[str, str]) -> None:
    with pytest.raises(ValueError, match="environment variable"):
        invocation("", environment=environment)
