"""The ceiling for `kms_load.py`: the smallest ASGI app on Strongroom's HTTP stack.

It reads each POST body in full (so a 4 KiB request costs what it costs a real server) and
answers one fixed JSON body of about the size of a KMS Encrypt response, with the AWS JSON
1.1 content type. It checks nothing: no signature, no parsing, no routing. Run it as
`uvicorn raw_asgi:app --app-dir bench --loop uvloop --http httptools`; whatever a real
server does on top of this is its own cost.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

# About the size of a real Encrypt answer for 32 bytes of plaintext.
BODY = (
    b'{"CiphertextBlob":"'
    + b"A" * 200
    + b'","KeyId":"arn:aws:kms:us-east-1:123456789012:key/'
    + b"00000000-0000-4000-8000-000000000000"
    + b'","EncryptionAlgorithm":"SYMMETRIC_DEFAULT"}'
)
START: Message = {
    "type": "http.response.start",
    "status": 200,
    "headers": [
        (b"content-type", b"application/x-amz-json-1.1"),
        (b"content-length", str(len(BODY)).encode()),
        (b"x-amzn-requestid", b"00000000-0000-4000-8000-000000000000"),
    ],
}
BODY_MESSAGE: Message = {"type": "http.response.body", "body": BODY}


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    """Drain the request body, then send the fixed answer; lifespan events are acknowledged."""
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    if scope["type"] != "http":
        return
    more = True
    while more:
        message = await receive()
        more = message.get("more_body", False)
    await send(START)
    await send(BODY_MESSAGE)
