"""The STS world fixture."""

from __future__ import annotations

import pytest
from tests.unit.services.sts.sts_world import StsWorld, make_sts_world


@pytest.fixture
def world() -> StsWorld:
    return make_sts_world()
