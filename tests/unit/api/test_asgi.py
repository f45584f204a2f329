"""The application over plain ASGI (any ASGI server): the same answers as over http1."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, cast

import orjson

from strongroom.api.asgi import StrongroomAsgi
from strongroom.app import build, dev_bootstrap
from strongroom.config import Config


def _call(tmp_path: Path, method: str, path: str, headers: list[Any], body: bytes) -> Any:
    app = build(Config(data_dir=tmp_path, dev=True, max_body_bytes=1024).check())
    dev_bootstrap(app)
    sent: list[dict[str, Any]] = []
    chunks = [body[:10], body[10:]]

    async def receive() -> dict[str, Any]:
        chunk = chunks.pop(0)
        return {"type": "http.request", "body": chunk, "more_body": bool(chunks)}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": method,
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": headers,
    }
    try:
        asyncio.run(app.asgi(scope, receive, send))
    finally:
        app.storage.close()
    start, payload = sent
    headers_out = dict(start["headers"])
    assert headers_out[b"content-length"] == str(len(payload["body"])).encode()
    assert headers_out[b"x-amzn-requestid"]
    return start["status"], orjson.loads(payload["body"])


def test_operator_routes_answer_over_asgi(tmp_path: Path) -> None:
    status, body = _call(tmp_path, "GET", "/sys/health", [], b"")
    assert status == 200 and body["sealed"] is False


def test_aws_calls_are_authenticated_over_asgi(tmp_path: Path) -> None:
    headers = [(b"x-amz-target", b"TrentService.ListKeys")]
    status, body = _call(tmp_path, "POST", "/", headers, b"{}" + b" " * 20)
    assert status == 403 and body["__type"] == "MissingAuthenticationTokenException"


def test_large_bodies_are_refused_over_asgi(tmp_path: Path) -> None:
    headers = [(b"x-amz-target", b"TrentService.ListKeys")]
    status, body = _call(tmp_path, "POST", "/", headers, b"x" * 2000)
    assert status == 413 and body["__type"] == "RequestEntityTooLargeException"


def test_only_the_code_upload_routes_take_large_bodies() -> None:
    prefix, large, small = b"/2015-03-31/functions", 70 << 20, 1 << 20
    asgi = StrongroomAsgi(cast(Any, None), cast(Any, None), small, large_bodies=(prefix, large))
    for path in (prefix, prefix + b"/", prefix + b"/f/code", prefix + b"/f/code?x=1"):
        assert asgi.body_limit(path) == large, path
    for path in (
        prefix + b"/f/invocations",
        prefix + b"/f",
        prefix + b"/f/g/code",
        prefix + b"x/code",
        b"/2015-03-31/functionsx",
        b"/",
    ):
        assert asgi.body_limit(path) == small, path
    closed = StrongroomAsgi(cast(Any, None), cast(Any, None), small)
    assert closed.body_limit(prefix) == small
