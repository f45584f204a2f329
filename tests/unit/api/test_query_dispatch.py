"""AWS query requests (IAM, STS) through the application: routing, checks, answers.

A dev app's access keys behind a dispatcher that binds two small fake query services: an
STS whose GetCallerIdentity answers the caller, and an IAM with CreateUser, GetUser (no
such user) and a few that fail on purpose. boto3 and the AWS CLI talk to it over a real
socket (`StrongroomHttpProtocol`); the checks that need exact requests sign them with
botocore and call `StrongroomAsgi.answer` directly, reading answers back with botocore's
query parser.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast
from urllib.parse import urlencode

import boto3
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config as BotoConfig
from botocore.credentials import Credentials
from botocore.exceptions import ClientError
from botocore.parsers import create_parser
from botocore.serialize import create_serializer

from strongroom import errors
from strongroom.api.answer import Answer, Deferred
from strongroom.api.asgi import StrongroomAsgi
from strongroom.api.aws.dispatch import AwsDispatcher, ServiceBinding
from strongroom.api.aws.model import ServiceModel
from strongroom.api.aws.sigv4 import SigV4Verifier
from strongroom.api.http1 import StrongroomHttpProtocol
from strongroom.app import build, dev_bootstrap
from strongroom.audit import AuditLog
from strongroom.config import Config
from strongroom.policy import Verdict
from strongroom.services import Caller
from strongroom.services.caller import AllowAuthenticated, Context, ResourcePolicy

ENDPOINT = "http://127.0.0.1:9"
_MODELS = {name: boto3.session.Session().client(name, region_name="us-east-1").meta.service_model
           for name in ("sts", "iam", "kms")}  # fmt: skip
_SERIALIZER = create_serializer("query", include_validation=False)
_PARSER = create_parser("query")


class SeenCallers(AllowAuthenticated):
    """Allows everything; keeps every caller it is asked about."""

    def __init__(self) -> None:
        self.callers: list[Caller] = []

    def decide(
        self,
        caller: Caller,
        action: str,
        resource: str,
        context: Context,
        resource_policy: ResourcePolicy | None,
    ) -> Verdict:
        self.callers.append(caller)
        return super().decide(caller, action, resource, context, resource_policy)


class FakeServices:
    """The operations the test binds; `calls` records (operation, params, thread name),
    `callers` the callers of GetCallerIdentity."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any], str]] = []
        self.callers: list[Caller] = []

    def _note(self, name: str, params: dict[str, Any]) -> None:
        self.calls.append((name, params, threading.current_thread().name))

    def get_caller_identity(self, context: object, caller: Caller) -> dict[str, Any]:
        self._note("GetCallerIdentity", {})
        self.callers.append(caller)
        principal = caller.principal
        return {
            "UserId": principal.access_key_id,
            "Account": caller.account_id,
            "Arn": principal.arn(caller.partition),
        }

    def create_user(self, context: object, caller: Caller, **params: Any) -> dict[str, Any]:
        self._note("CreateUser", params)
        user = {
            "Path": params.get("Path", "/"),
            "UserName": params["UserName"],
            "UserId": "AIDAEXAMPLE",
            "Arn": f"arn:aws:iam::{caller.account_id}:user/{params['UserName']}",
            "CreateDate": 1714564800.0,
            "Tags": params.get("Tags", []),
        }
        return {"User": user}

    def get_user(self, context: object, caller: Caller, **params: Any) -> dict[str, Any]:
        self._note("GetUser", params)
        name = params.get("UserName", "")
        raise errors.NoSuchEntityException(f"The user with name {name} cannot be found.")

    def list_users(self, context: object, caller: Caller, **params: Any) -> dict[str, Any]:
        self._note("ListUsers", params)
        raise RuntimeError("a bug with a secret in it")

    def delete_user(self, context: object, caller: Caller, **params: Any) -> dict[str, Any]:
        self._note("DeleteUser", params)
        raise errors.AccessDeniedException(
            f"User: {caller.principal.arn()} is not authorized to perform: iam:DeleteUser"
        )


class App:
    """A dev app's keys and JSON services plus the fake query services, on one asgi."""

    def __init__(self, tmp_path: Path, blocking: frozenset[str] = frozenset()) -> None:
        self.app = build(Config(data_dir=tmp_path, dev=True).check())
        key = dev_bootstrap(self.app)
        assert key is not None
        self.key = key
        self.fake = FakeServices()
        self.authorizer = SeenCallers()
        self.sealed = False
        sts = {"GetCallerIdentity": self.fake.get_caller_identity}
        iam = {
            "CreateUser": self.fake.create_user,
            "GetUser": self.fake.get_user,
            "ListUsers": self.fake.list_users,
            "DeleteUser": self.fake.delete_user,
        }
        json_services = [
            ServiceBinding(ServiceModel.load(plugin.model), plugin.operations, plugin.context)
            for plugin in self.app.services
            if plugin.model == "kms"
        ]
        dispatcher = AwsDispatcher(
            [
                *json_services,
                ServiceBinding(ServiceModel.load("iam"), iam, None, blocking),
                ServiceBinding(ServiceModel.load("sts"), sts, None, blocking),
            ],
            SigV4Verifier(self.app.access_keys.secret_for, time.time),
            self.app.access_keys,
            self.authorizer,
            AuditLog(),
            lambda: self.sealed,
        )
        operator = SimpleNamespace(handle=lambda *_: (404, b'{"route":"operator"}'))
        self.asgi = StrongroomAsgi(dispatcher, cast(Any, operator), 1 << 20, blocking_threads=2)

    def answer(
        self,
        sent: tuple[str, str, bytes, list[tuple[bytes, bytes]], bytes],
        client: str | None = None,
        secure: bool | None = None,
    ) -> Answer:
        method, path, query, headers, body = sent
        target = next((v.decode() for n, v in headers if n == b"x-amz-target"), None)
        found = self.asgi.answer(
            method, path.encode(), query, headers, body, target, client=client, secure=secure
        )
        if isinstance(found, Deferred):
            return found.run()
        return found

    def signed(
        self,
        service: str,
        operation: str,
        params: dict[str, Any],
        *,
        region: str = "us-east-1",
        secret: str | None = None,
        scope: str | None = None,
    ) -> tuple[str, str, bytes, list[tuple[bytes, bytes]], bytes]:
        """`operation(**params)` as botocore POSTs it, signed with the dev key."""
        model = _MODELS[service]
        request = _SERIALIZER.serialize_to_request(params, model.operation_model(operation))
        body = urlencode(request["body"], doseq=True).encode()
        aws = AWSRequest("POST", ENDPOINT + "/", dict(request["headers"]), body)
        return self._sign(aws, scope or service, region, secret)

    def signed_form(self, form: bytes) -> tuple[str, str, bytes, list[tuple[bytes, bytes]], bytes]:
        """`form` POSTed as it is, signed for STS."""
        content_type = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
        return self._sign(
            AWSRequest("POST", ENDPOINT + "/", content_type, form), "sts", "us-east-1", None
        )

    def signed_json(self, target: str) -> tuple[str, str, bytes, list[tuple[bytes, bytes]], bytes]:
        """An AWS JSON 1.1 call of KMS's `target` with no parameters, signed."""
        headers = {"X-Amz-Target": target, "Content-Type": "application/x-amz-json-1.1"}
        return self._sign(
            AWSRequest("POST", ENDPOINT + "/", headers, b"{}"), "kms", "us-east-1", None
        )

    def signed_get(self, query: str, service: str = "sts") -> Any:
        aws = AWSRequest("GET", f"{ENDPOINT}/?{query}", {}, b"")
        return self._sign(aws, service, "eu-west-1", None)

    def _sign(
        self, aws: AWSRequest, service: str, region: str, secret: str | None
    ) -> tuple[str, str, bytes, list[tuple[bytes, bytes]], bytes]:
        key = self.key
        credentials = Credentials(key.access_key_id, secret or key.secret_access_key)
        SigV4Auth(credentials, service, region).add_auth(aws)
        return _split(aws)


def _split(aws: AWSRequest) -> tuple[str, str, bytes, list[tuple[bytes, bytes]], bytes]:
    path, _, query = aws.url.removeprefix(ENDPOINT).partition("?")
    headers = [(b"host", b"127.0.0.1:9")]
    headers += [
        (name.lower().encode(), value.encode() if isinstance(value, str) else value)
        for name, value in aws.headers.items()
        if name.lower() not in ("host", "content-length")
    ]
    body = aws.body or b""
    return aws.method, path, query.encode(), headers, body if isinstance(body, bytes) else b""


def _unsigned(form: bytes) -> tuple[str, str, bytes, list[tuple[bytes, bytes]], bytes]:
    headers = [(b"host", b"127.0.0.1:9"), (b"content-type", b"application/x-www-form-urlencoded")]
    return "POST", "/", b"", headers, form


def _parsed(service: str, operation: str, answer: Answer) -> dict[str, Any]:
    shape = _MODELS[service].operation_model(operation).output_shape
    response = {"status_code": answer.status, "headers": {}, "body": answer.body}
    result: dict[str, Any] = _PARSER.parse(response, shape)
    assert result["ResponseMetadata"]["RequestId"] == answer.request_id
    return result


@pytest.fixture
def app(tmp_path: Path) -> Iterator[App]:
    made = App(tmp_path)
    yield made
    made.app.storage.close()


# --- through the application ----------------------------------------------------------


@pytest.mark.parametrize("region", ["us-east-1", "eu-west-1"])
def test_get_caller_identity_answers_the_signing_caller(app: App, region: str) -> None:
    answer = app.answer(app.signed("sts", "GetCallerIdentity", {}, region=region))
    assert (answer.status, answer.content_type) == (200, b"text/xml")
    result = _parsed("sts", "GetCallerIdentity", answer)
    assert result["Account"] == app.key.principal.account_id
    assert result["Arn"] == app.key.principal.arn()
    assert result["UserId"] == app.key.access_key_id


def test_a_get_naming_an_action_is_a_query_request(app: App) -> None:
    answer = app.answer(app.signed_get("Action=GetCallerIdentity&Version=2011-06-15"))
    assert answer.status == 200
    assert _parsed("sts", "GetCallerIdentity", answer)["Arn"] == app.key.principal.arn()


def test_parameters_reach_the_operation_validated(app: App) -> None:
    tags = [{"Key": "team", "Value": "a b+c"}]
    answer = app.answer(app.signed("iam", "CreateUser", {"UserName": "alice", "Tags": tags}))
    assert answer.status == 200, answer.body
    assert app.fake.calls[-1][:2] == ("CreateUser", {"UserName": "alice", "Tags": tags})
    user = _parsed("iam", "CreateUser", answer)["User"]
    assert (user["UserName"], user["Tags"], user["CreateDate"].timestamp()) == (
        "alice",
        tags,
        1714564800.0,
    )


def test_modeled_errors_have_the_models_status(app: App) -> None:
    answer = app.answer(app.signed("iam", "GetUser", {"UserName": "bob"}))
    assert answer.status == 404
    assert _parsed("iam", "GetUser", answer)["Error"] == {
        "Type": "Sender",
        "Code": "NoSuchEntity",
        "Message": "The user with name bob cannot be found.",
    }


def test_access_denied_is_a_403(app: App) -> None:
    answer = app.answer(app.signed("iam", "DeleteUser", {"UserName": "bob"}))
    error = _parsed("iam", "DeleteUser", answer)["Error"]
    assert (answer.status, error["Code"], error["Type"]) == (403, "AccessDenied", "Sender")


def test_an_unexpected_failure_says_only_the_request_id(app: App) -> None:
    answer = app.answer(app.signed("iam", "ListUsers", {}))
    error = _parsed("iam", "ListUsers", answer)["Error"]
    # IAM's model names its internal error ServiceFailure (500)
    assert (answer.status, error["Code"], error["Type"]) == (500, "ServiceFailure", "Receiver")
    assert answer.request_id in error["Message"] and "secret" not in error["Message"]


@pytest.mark.parametrize(
    ("sent", "status", "code", "message"),
    [
        (
            lambda a: _unsigned(b"Action=GetCallerIdentity&Version=2011-06-15"),
            403,
            "MissingAuthenticationToken",
            "Missing Authentication Token",
        ),
        (
            lambda a: a.signed("sts", "GetCallerIdentity", {}, secret="not-the-secret"),
            403,
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match",
        ),
        (
            lambda a: a.signed("sts", "GetCallerIdentity", {}, scope="kms"),
            403,
            "SignatureDoesNotMatch",
            "Credential should be scoped to correct service: 'iam'.",
        ),
        (
            lambda a: a.signed("sts", "GetCallerIdentity", {}, region="nowhere"),
            403,
            "SignatureDoesNotMatch",
            "Credential should be scoped to a valid region, not 'nowhere'.",
        ),
        (
            lambda a: a.signed("iam", "CreateUser", {"UserName": "a/b"}),
            400,
            "ValidationError",
            "1 validation error detected: Value 'a/b' at 'userName' failed to satisfy",
        ),
        (
            lambda a: a.signed("iam", "ListUsers", {"MaxItems": 0}),
            400,
            "ValidationError",
            "Member must have value greater than or equal to 1",
        ),
        (
            lambda a: a.signed("sts", "AssumeRole", {"RoleArn": "a" * 20, "RoleSessionName": "s"}),
            400,
            "UnsupportedOperationException",
            "sts.AssumeRole is not supported by Strongroom yet.",
        ),
    ],
)
def test_requests_are_checked_as_aws_checks_them(
    app: App, sent: Callable[[App], Any], status: int, code: str, message: str
) -> None:
    before = len(app.fake.calls)
    answer = app.answer(sent(app))
    error = _parsed("sts", "GetCallerIdentity", answer)["Error"]
    assert (answer.status, error["Code"]) == (status, code)
    assert message in error["Message"]
    assert len(app.fake.calls) == before  # nothing ran


def test_an_unknown_or_missing_action_is_an_invalid_action(app: App) -> None:
    for form, message in [
        (b"Action=Nope&Version=2011-06-15", "Could not find operation Nope for version 2011-06-15"),
        (b"Version=2011-06-15", "The request must contain the parameter Action."),
    ]:
        answer = app.answer(app.signed_form(form))
        error = _parsed("sts", "GetCallerIdentity", answer)["Error"]
        assert (answer.status, error["Code"], error["Message"]) == (400, "InvalidAction", message)


@pytest.mark.parametrize(
    ("client", "secure"), [("198.51.100.7", True), ("2001:db8::7", False), (None, None)]
)
def test_the_caller_knows_where_the_request_came_from(
    app: App, client: str | None, secure: bool | None
) -> None:
    """aws:SourceIp and aws:SecureTransport: the edge's peer and TLS reach the Caller,
    on the query protocol and on JSON 1.1 alike."""
    answer = app.answer(app.signed("sts", "GetCallerIdentity", {}), client, secure)
    assert answer.status == 200
    json_answer = app.answer(app.signed_json("TrentService.ListKeys"), client, secure)
    assert json_answer.status == 200
    (query_caller,) = app.fake.callers
    (json_caller,) = app.authorizer.callers
    for caller in (query_caller, json_caller):
        assert (caller.source_ip, caller.secure_transport) == (client, secure)
        assert caller.principal == app.key.principal


def test_a_sealed_server_says_so_before_checking_the_signature(app: App) -> None:
    app.sealed = True
    answer = app.answer(_unsigned(b"Action=GetCallerIdentity"))
    error = _parsed("sts", "GetCallerIdentity", answer)["Error"]
    assert (answer.status, error["Code"], error["Type"]) == (503, "ServiceUnavailable", "Receiver")
    assert "sealed" in error["Message"]


def test_blocking_operations_are_deferred(tmp_path: Path) -> None:
    blocking = App(tmp_path, frozenset({"GetCallerIdentity"}))
    try:
        method, path, query, headers, body = blocking.signed("sts", "GetCallerIdentity", {})
        found = blocking.asgi.answer(method, path.encode(), query, headers, body, None)
        assert isinstance(found, Deferred) and not blocking.fake.calls  # checked, not run
        answer = found.run()
        assert _parsed("sts", "GetCallerIdentity", answer)["Account"]
        assert [call[0] for call in blocking.fake.calls] == ["GetCallerIdentity"]
    finally:
        blocking.app.storage.close()


def test_other_requests_to_the_root_are_not_query_requests(app: App) -> None:
    # X-Amz-Target wins: a JSON 1.1 call is answered as one, whatever its content type.
    method, path, query, headers, body = app.signed("sts", "GetCallerIdentity", {})
    headers = [*headers, (b"x-amz-target", b"TrentService.ListKeys")]
    json_answer = app.answer((method, path, query, headers, body))
    assert json_answer.content_type == b"application/x-amz-json-1.1"
    # Neither a form nor a GET naming an Action: the operator routes answer.
    for sent in [
        ("POST", "/", b"", [(b"content-type", b"application/json")], b"Action=GetUser"),
        ("GET", "/", b"Version=2011-06-15", [], b""),
        ("POST", "/sys/x", b"", [(b"content-type", b"application/x-www-form-urlencoded")], b""),
    ]:
        assert app.answer(sent).body == b'{"route":"operator"}'


# --- boto3 and the AWS CLI over a real socket -----------------------------------------


Scenario = Callable[[App, str], Coroutine[Any, Any, None]]


def _serve(tmp_path: Path, scenario: Scenario) -> None:
    app = App(tmp_path)

    async def main() -> None:
        state = SimpleNamespace(connections=set())
        config = SimpleNamespace(loaded_app=app.asgi, timeout_keep_alive=5.0)
        loop = asyncio.get_running_loop()
        listener = await loop.create_server(
            lambda: StrongroomHttpProtocol(config, state), "127.0.0.1", 0
        )
        endpoint = f"http://127.0.0.1:{listener.sockets[0].getsockname()[1]}"
        try:
            await asyncio.wait_for(scenario(app, endpoint), timeout=60)
        finally:
            for connection in list(state.connections):
                connection.shutdown()
            while state.connections:
                await asyncio.sleep(0)
            listener.close()

    try:
        asyncio.run(main())
    finally:
        app.app.storage.close()


def _client(app: App, service: str, endpoint: str, region: str) -> Any:
    return boto3.session.Session().client(
        service,
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id=app.key.access_key_id,
        aws_secret_access_key=app.key.secret_access_key,
        config=BotoConfig(retries={"total_max_attempts": 1}),
    )


def test_boto3_speaks_to_the_query_services_unchanged(tmp_path: Path) -> None:
    async def scenario(app: App, endpoint: str) -> None:
        for region in ("us-east-1", "ap-southeast-2"):
            sts = _client(app, "sts", endpoint, region)
            identity = await asyncio.to_thread(sts.get_caller_identity)
            assert identity["Arn"] == app.key.principal.arn()
            sts.close()
        iam = _client(app, "iam", endpoint, "us-east-1")
        tags = [{"Key": "k", "Value": "v"}]
        made = await asyncio.to_thread(iam.create_user, UserName="carol", Path="/x/", Tags=tags)
        assert (made["User"]["Path"], made["User"]["Tags"]) == ("/x/", tags)
        with pytest.raises(iam.exceptions.NoSuchEntityException) as raised:
            await asyncio.to_thread(iam.get_user, UserName="dave")
        response = raised.value.response
        assert response["ResponseMetadata"]["HTTPStatusCode"] == 404
        assert response["Error"]["Message"] == "The user with name dave cannot be found."
        with pytest.raises(ClientError) as denied:
            await asyncio.to_thread(iam.delete_user, UserName="dave")
        assert denied.value.response["Error"]["Code"] == "AccessDenied"
        iam.close()

    _serve(tmp_path, scenario)


@pytest.mark.skipif(shutil.which("aws") is None, reason="the AWS CLI is not installed")
def test_the_aws_cli_speaks_to_the_query_services_unchanged(tmp_path: Path) -> None:
    async def scenario(app: App, endpoint: str) -> None:
        env = {
            **os.environ,
            "AWS_ACCESS_KEY_ID": app.key.access_key_id,
            "AWS_SECRET_ACCESS_KEY": app.key.secret_access_key,
            "AWS_DEFAULT_REGION": "eu-central-1",
            "AWS_CONFIG_FILE": str(tmp_path / "none"),
            "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
        }
        env.pop("AWS_SESSION_TOKEN", None)
        env.pop("AWS_PROFILE", None)
        command = ["aws", "sts", "get-caller-identity", "--endpoint-url", endpoint]
        done = await asyncio.to_thread(
            subprocess.run, command, env=env, capture_output=True, text=True, timeout=50
        )
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout)["Arn"] == app.key.principal.arn()

    _serve(tmp_path, scenario)
