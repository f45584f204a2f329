"""Request ids: UUID-shaped, unique per process, their random prefix drawn from injection."""

from __future__ import annotations

import uuid
from typing import Any

from tests.random_sources import ScriptedRandom

from strongroom.api.asgi import StrongroomAsgi


def _app(random: ScriptedRandom) -> StrongroomAsgi:
    unused: Any = None  # request ids need neither dispatcher
    return StrongroomAsgi(unused, unused, 1024, random=random)


def test_request_ids_take_their_prefix_from_the_injected_random() -> None:
    random = ScriptedRandom(bytes(range(10)))
    app = _app(random)
    assert random.exhausted()  # one draw per process, none per request
    first, second = app.too_large().request_id, app.too_large().request_id
    assert first == "00010203-0405-4060-8708-000000000001"
    assert second == "00010203-0405-4060-8708-000000000002"


def test_request_ids_are_uuids() -> None:
    request_id = _app(ScriptedRandom(b"\xff" * 10)).too_large().request_id
    assert str(uuid.UUID(request_id)) == request_id
    assert uuid.UUID(request_id).version == 4
