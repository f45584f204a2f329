"""REST-JSON requests exactly as botocore builds them, and answers read back by botocore.

`Sent.of(model, operation, params)` runs botocore's own REST-JSON serializer (and, with
`sign`, its SigV4 signer) and splits the result the way the HTTP layer hands it on:
method, raw path, raw query, (lowercase name, value) headers, body bytes. `parsed` reads an
`Answer` back with botocore's REST-JSON parser, as an SDK would (a streaming payload, such
as Invoke's, read whole into bytes).
"""

from __future__ import annotations

import io
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest, HeadersDict, prepare_request_dict
from botocore.credentials import Credentials
from botocore.model import ServiceModel
from botocore.parsers import create_parser
from botocore.response import StreamingBody
from botocore.serialize import create_serializer

from strongroom.api.answer import Answer

ENDPOINT = "http://127.0.0.1:9"
_SERIALIZER = create_serializer("rest-json", include_validation=False)
_PARSER = create_parser("rest-json")


class Sent(NamedTuple):
    """One request as the HTTP layer hands it to the application."""

    method: str
    raw_path: str
    query: bytes
    headers: list[tuple[bytes, bytes]]
    body: bytes

    @classmethod
    def of(
        cls,
        model: ServiceModel,
        operation: str,
        params: dict[str, Any],
        sign: tuple[str, str, str] | None = None,
        endpoint: str = ENDPOINT,
    ) -> Sent:
        """`operation(**params)` as botocore sends it; `sign`: (access key, secret, region)."""
        request = _SERIALIZER.serialize_to_request(params, model.operation_model(operation))
        prepare_request_dict(request, endpoint_url=endpoint)
        body = request["body"]
        body = body.encode() if isinstance(body, str) else bytes(body or b"")
        aws = AWSRequest(request["method"], request["url"], dict(request["headers"]), body)
        if sign is not None:
            access_key, secret, region = sign
            SigV4Auth(Credentials(access_key, secret), model.signing_name, region).add_auth(aws)
        url = urlsplit(aws.url)
        headers = [(b"host", url.netloc.encode())]
        headers += [
            (name.lower().encode(), _bytes(value))
            for name, value in aws.headers.items()
            if name.lower() not in ("host", "content-length")
        ]
        return cls(request["method"], url.path, url.query.encode(), headers, body)

    def wire(self) -> bytes:
        """The request as HTTP/1.1 bytes."""
        target = self.raw_path + ("?" + self.query.decode() if self.query else "")
        head = f"{self.method} {target} HTTP/1.1\r\n".encode()
        head += b"".join(name + b": " + value + b"\r\n" for name, value in self.headers)
        return head + b"content-length: %d\r\n\r\n" % len(self.body) + self.body


def parsed(model: ServiceModel, operation: str, answer: Answer) -> dict[str, Any]:
    """`answer` as botocore parses it (errors included: `Error`), metadata dropped."""
    headers = HeadersDict(
        {"content-type": answer.content_type.decode(), "x-amzn-requestid": answer.request_id}
    )
    for line in answer.headers.split(b"\r\n")[:-1]:
        name, _, value = line.partition(b": ")
        headers[name.decode()] = value.decode()
    operation_model = model.operation_model(operation)
    streaming = operation_model.has_streaming_output and answer.status < 300
    body: Any = StreamingBody(io.BytesIO(answer.body), len(answer.body)) if streaming else None
    response = {"status_code": answer.status, "headers": headers, "body": body or answer.body}
    result: dict[str, Any] = _PARSER.parse(response, operation_model.output_shape)
    result.pop("ResponseMetadata", None)
    payload = operation_model.output_shape.serialization.get("payload") if streaming else None
    if payload is not None and payload in result:
        result[payload] = result[payload].read()
    return result


def _bytes(value: str | bytes) -> bytes:
    return value if isinstance(value, bytes) else value.encode("utf-8")
