"""Deferred answers on a real socket (issue 10): an operation marked blocking runs in a worker
thread while the event loop serves everyone else, so a Lambda function that calls back into
this same server does not deadlock it; answers keep the order of pipelined requests; the
timeouts, a shutdown and a half-closed client still work; REST-JSON errors on the wire.

The server is a real dev app's access keys and services behind `StrongroomHttpProtocol`, plus
a Lambda binding of our own (`TinyLambda`) whose Invoke waits on a gate the test opens.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import boto3
import orjson
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config as BotoConfig
from botocore.credentials import Credentials
from botocore.exceptions import ClientError
from tests.unit.api.aws.rest_requests import Sent

from strongroom.api.asgi import StrongroomAsgi
from strongroom.api.aws.dispatch import AwsDispatcher, ServiceBinding
from strongroom.api.aws.model import ServiceModel
from strongroom.api.aws.sigv4 import SigV4Verifier
from strongroom.api.http1 import StrongroomHttpProtocol
from strongroom.app import build, dev_bootstrap
from strongroom.audit import AuditLog
from strongroom.config import Config
from strongroom.errors import ResourceNotFoundException
from strongroom.services.caller import AllowAuthenticated

LAMBDA = boto3.session.Session().client("lambda", region_name="us-east-1").meta.service_model
REGION = "eu-west-1"


class TinyLambda:
    """Invoke (blocking) waits on `gate`, after `callback` if set; GetFunction does not."""

    def __init__(self) -> None:
        self.gate = threading.Event()
        self.calls: list[tuple[str, str, str]] = []  # (operation, function, thread)
        self.invoked = asyncio.Event()
        self.loop: asyncio.AbstractEventLoop | None = None
        self.callback: Callable[[], bytes] | None = None

    def invoke(self, context: object, caller: object, FunctionName: str, **params: Any) -> Any:
        self.calls.append(("Invoke", FunctionName, threading.current_thread().name))
        if self.loop is not None:
            self.loop.call_soon_threadsafe(self.invoked.set)
        if FunctionName == "missing":
            raise ResourceNotFoundException(f"Function not found: {FunctionName}")
        if FunctionName == "broken":
            raise RuntimeError("a bug")
        payload = self.callback() if self.callback is not None else params.get("Payload", b"")
        assert self.gate.wait(10), "the test never opened the gate"
        return {"StatusCode": 200, "Payload": payload, "ExecutedVersion": "$LATEST"}

    def get_function(self, context: object, caller: object, FunctionName: str, **_: Any) -> Any:
        self.calls.append(("GetFunction", FunctionName, threading.current_thread().name))
        return {"Configuration": {"FunctionName": FunctionName}}


class Server:
    """A dev app's services and keys, the TinyLambda, on StrongroomHttpProtocol."""

    def __init__(self, tmp_path: Path, idle_timeout: float) -> None:
        self.app = build(Config(data_dir=tmp_path, dev=True).check())
        key = dev_bootstrap(self.app)
        assert key is not None
        self.key = (key.access_key_id, key.secret_access_key, REGION)
        self.tiny = TinyLambda()
        bindings = [
            ServiceBinding(ServiceModel.load(plugin.model), plugin.operations, plugin.context)
            for plugin in self.app.services
            if plugin.model != "lambda"
        ]
        operations = {"Invoke": self.tiny.invoke, "GetFunction": self.tiny.get_function}
        lam = ServiceBinding(ServiceModel.load("lambda"), operations, None, frozenset({"Invoke"}))
        dispatcher = AwsDispatcher(
            [*bindings, lam],
            SigV4Verifier(self.app.access_keys.secret_for, time.time),
            self.app.access_keys,
            AllowAuthenticated(),
            AuditLog(),
            lambda: False,
        )
        self.asgi = StrongroomAsgi(dispatcher, cast(Any, None), 1 << 20, blocking_threads=4)
        self.state = SimpleNamespace(connections=set())
        self.config = SimpleNamespace(loaded_app=self.asgi, timeout_keep_alive=idle_timeout)
        self.port = 0
        self.clients: list[Any] = []

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def protocol(self) -> StrongroomHttpProtocol:
        return StrongroomHttpProtocol(self.config, self.state)

    async def connect(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        return await asyncio.open_connection("127.0.0.1", self.port)

    def client(self, service: str, secret: str | None = None) -> Any:
        access_key, real_secret, region = self.key
        client = boto3.session.Session().client(
            service,
            endpoint_url=self.endpoint,
            region_name=region,
            aws_access_key_id=access_key,
            aws_secret_access_key=secret or real_secret,
            config=BotoConfig(retries={"total_max_attempts": 1}),
        )
        self.clients.append(client)
        return client

    async def stop(self) -> None:
        """Close clients and connections, so no socket outlives the test."""
        for client in self.clients:
            client.close()
        for connection in list(self.state.connections):
            connection.shutdown()
        while self.state.connections:
            await asyncio.sleep(0)

    def signed(self, operation: str, params: dict[str, Any]) -> bytes:
        return Sent.of(LAMBDA, operation, params, sign=self.key, endpoint=self.endpoint).wire()


Scenario = Callable[[Server], Coroutine[Any, Any, None]]


def _run(tmp_path: Path, scenario: Scenario, idle: float = 30.0) -> None:
    async def main() -> None:
        server = Server(tmp_path, idle)
        server.tiny.loop = asyncio.get_running_loop()
        listener = await asyncio.get_running_loop().create_server(server.protocol, "127.0.0.1", 0)
        server.port = listener.sockets[0].getsockname()[1]
        try:
            await asyncio.wait_for(scenario(server), timeout=30)
        finally:
            server.tiny.gate.set()  # a failed scenario must not leave a worker waiting
            await asyncio.wait_for(server.stop(), timeout=10)
            listener.close()
            server.app.storage.close()

    asyncio.run(main())


async def _answer(reader: asyncio.StreamReader) -> tuple[int, dict[bytes, bytes], bytes]:
    status = (await reader.readline()).split(b" ")
    headers = {}
    while (line := await reader.readline()) != b"\r\n":
        name, _, value = line.partition(b":")
        headers[name.lower()] = value.strip()
    body = await reader.readexactly(int(headers[b"content-length"]))
    return int(status[1]), headers, body


async def _close(writer: asyncio.StreamWriter) -> None:
    writer.close()
    with contextlib.suppress(ConnectionError):
        await writer.wait_closed()


def test_a_function_calling_back_into_the_same_server_does_not_deadlock_it(
    tmp_path: Path,
) -> None:
    async def scenario(server: Server) -> None:
        kms = server.client("kms")
        await asyncio.to_thread(kms.create_key)  # boto3 blocks: never on the server's loop
        server.tiny.callback = lambda: orjson.dumps(len(kms.list_keys()["Keys"]))
        server.tiny.gate.set()
        answer = await asyncio.to_thread(
            server.client("lambda").invoke, FunctionName="rotate", Payload=b"{}"
        )
        assert answer["StatusCode"] == 200 and answer["ExecutedVersion"] == "$LATEST"
        assert answer["Payload"].read() == b"1"  # the KMS call made from inside Invoke
        (call,) = server.tiny.calls
        assert call[:2] == ("Invoke", "rotate") and call[2].startswith("strongroom-blocking")

    _run(tmp_path, scenario)


def test_pipelined_requests_wait_behind_a_deferred_answer_while_others_are_served(
    tmp_path: Path,
) -> None:
    async def scenario(server: Server) -> None:
        reader, writer = await server.connect()
        invoke = server.signed("Invoke", {"FunctionName": "slow", "Payload": b'"first"'})
        writer.write(invoke + server.signed("GetFunction", {"FunctionName": "second"}))
        await server.tiny.invoked.wait()
        # The loop is free: another connection is answered while Invoke waits on its gate.
        other_reader, other_writer = await server.connect()
        other_writer.write(server.signed("GetFunction", {"FunctionName": "other"}))
        status, _, body = await _answer(other_reader)
        assert status == 200 and orjson.loads(body)["Configuration"]["FunctionName"] == "other"
        # The request pipelined behind Invoke has not run; nothing was written back.
        assert [call[:2] for call in server.tiny.calls] == [
            ("Invoke", "slow"),
            ("GetFunction", "other"),
        ]
        assert not reader.at_eof() and len(reader._buffer) == 0  # type: ignore[attr-defined]
        server.tiny.gate.set()
        first = await _answer(reader)
        second = await _answer(reader)
        assert (first[0], first[2], first[1][b"x-amz-executed-version"]) == (
            200,
            b'"first"',
            b"$LATEST",
        )
        assert orjson.loads(second[2])["Configuration"]["FunctionName"] == "second"
        assert first[1][b"x-amzn-requestid"] < second[1][b"x-amzn-requestid"]
        # The connection goes on as usual afterwards.
        writer.write(server.signed("GetFunction", {"FunctionName": "third"}))
        assert (await _answer(reader))[0] == 200
        await _close(writer)
        await _close(other_writer)

    _run(tmp_path, scenario)


def test_timeouts_do_not_close_a_connection_waiting_for_its_answer(tmp_path: Path) -> None:
    idle = 0.1

    async def scenario(server: Server) -> None:
        reader, writer = await server.connect()
        writer.write(server.signed("Invoke", {"FunctionName": "slow"}))
        await server.tiny.invoked.wait()
        await asyncio.sleep(idle * 5)  # the subject: time passes with the answer owed
        server.tiny.gate.set()
        assert (await _answer(reader))[0] == 200
        writer.write(server.signed("GetFunction", {"FunctionName": "after"}))
        assert (await _answer(reader))[0] == 200
        assert await reader.read() == b""  # then idle: closed by the server
        await _close(writer)

    _run(tmp_path, scenario, idle=idle)


def test_shutdown_closes_a_waiting_connection_after_its_answer(tmp_path: Path) -> None:
    async def scenario(server: Server) -> None:
        reader, writer = await server.connect()
        writer.write(server.signed("Invoke", {"FunctionName": "slow"}))
        await server.tiny.invoked.wait()
        for connection in list(server.state.connections):
            connection.shutdown()
        assert server.state.connections  # not closed under the answer it owes
        server.tiny.gate.set()
        status, headers, _ = await _answer(reader)
        assert status == 200 and headers[b"connection"] == b"close"
        assert await reader.read() == b""
        while server.state.connections:  # what uvicorn waits for before it stops
            await asyncio.sleep(0)
        await _close(writer)

    _run(tmp_path, scenario)


def test_a_client_that_half_closes_still_gets_its_deferred_answer(tmp_path: Path) -> None:
    async def scenario(server: Server) -> None:
        reader, writer = await server.connect()
        writer.write(server.signed("Invoke", {"FunctionName": "slow", "Payload": b"1"}))
        writer.write_eof()
        await server.tiny.invoked.wait()
        server.tiny.gate.set()
        status, _, body = await _answer(reader)
        assert (status, body) == (200, b"1")
        assert await reader.read() == b""
        await _close(writer)

    _run(tmp_path, scenario)


def _error(call: Callable[..., Any], **params: Any) -> tuple[int, str, str, dict[str, str]]:
    with pytest.raises(ClientError) as caught:
        call(**params)
    response = caught.value.response
    headers = response["ResponseMetadata"]["HTTPHeaders"]
    return (
        response["ResponseMetadata"]["HTTPStatusCode"],
        response["Error"]["Code"],
        response["Error"]["Message"],
        headers,
    )


def test_rest_errors_reach_boto3_as_lambda_sends_them(tmp_path: Path) -> None:
    async def scenario(server: Server) -> None:
        lam = server.client("lambda")
        server.tiny.gate.set()

        def checks() -> None:
            status, code, message, headers = _error(lam.invoke, FunctionName="missing")
            assert (status, code, message) == (
                404,
                "ResourceNotFoundException",
                "Function not found: missing",
            )
            assert headers["x-amzn-errortype"] == "ResourceNotFoundException"
            status, code, message, _ = _error(lam.invoke, FunctionName="broken")
            assert (status, code) == (500, "ServiceException")
            assert "request id" in message and "a bug" not in message
            status, code, message, _ = _error(lam.delete_function, FunctionName="f")
            assert (status, code) == (400, "UnsupportedOperationException")
            assert "lambda.DeleteFunction" in message
            status, code, _, _ = _error(lam.invoke, FunctionName="f", InvocationType="Later")
            assert (status, code) == (400, "ValidationException")
            wrong = server.client("lambda", secret="not the secret")
            status, code, _, _ = _error(wrong.get_function, FunctionName="f")
            assert (status, code) == (403, "InvalidSignatureException")

        await asyncio.to_thread(checks)
        assert [call[1] for call in server.tiny.calls] == ["missing", "broken"]

        reader, writer = await server.connect()
        unsigned = Sent.of(LAMBDA, "GetFunction", {"FunctionName": "f"}).wire()
        nowhere = unsigned.replace(b"/2015-03-31/functions/f", b"/2015-03-31/nowhere", 1)
        writer.write(unsigned + nowhere)
        status, headers, body = await _answer(reader)
        assert (status, headers[b"x-amzn-errortype"]) == (
            403,
            b"MissingAuthenticationTokenException",
        )
        status, headers, body = await _answer(reader)
        assert (status, headers[b"x-amzn-errortype"]) == (404, b"UnknownOperationException")
        assert orjson.loads(body) == {
            "Type": "User",
            "message": "No operation is served at GET /2015-03-31/nowhere.",
        }
        await _close(writer)

    _run(tmp_path, scenario)


def test_a_signature_scoped_to_another_service_is_refused(tmp_path: Path) -> None:
    async def scenario(server: Server) -> None:
        kms_model = boto3.session.Session().client("kms", region_name=REGION).meta.service_model
        as_kms = Sent.of(LAMBDA, "GetFunction", {"FunctionName": "f"}, endpoint=server.endpoint)
        request = AWSRequest("GET", server.endpoint + as_kms.raw_path, headers={})
        SigV4Auth(Credentials(*server.key[:2]), kms_model.signing_name, REGION).add_auth(request)
        signed = [
            (name.lower().encode(), value.encode()) for name, value in request.headers.items()
        ]
        reader, writer = await server.connect()
        writer.write(as_kms._replace(headers=as_kms.headers[:1] + signed).wire())
        status, headers, body = await _answer(reader)
        assert (status, headers[b"x-amzn-errortype"]) == (403, b"InvalidSignatureException")
        assert b"correct service: 'lambda'" in body
        await _close(writer)

    _run(tmp_path, scenario)


def test_the_asgi_interface_runs_deferred_answers_in_a_worker_thread(tmp_path: Path) -> None:
    server = Server(tmp_path, 30.0)
    server.tiny.gate.set()
    sent = Sent.of(LAMBDA, "Invoke", {"FunctionName": "f", "Payload": b"[1]"}, sign=server.key)
    messages: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": sent.body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        messages.append(message)

    scope = {
        "type": "http",
        "method": sent.method,
        "path": sent.raw_path,
        "raw_path": sent.raw_path.encode(),
        "query_string": sent.query,
        "headers": [*sent.headers, (b"content-length", b"%d" % len(sent.body))],
    }
    try:
        asyncio.run(server.asgi(scope, receive, send))
    finally:
        server.app.storage.close()
    start, body = messages
    headers = dict(start["headers"])
    assert start["status"] == 200 and body["body"] == b"[1]"
    assert headers[b"x-amz-executed-version"] == b"$LATEST"
    assert server.tiny.calls[0][2].startswith("strongroom-blocking")
