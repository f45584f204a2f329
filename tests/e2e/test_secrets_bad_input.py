"""Bad input to Secrets Manager is a 4xx AWS error, never a 500, and a refusal changes nothing.

The test walks botocore's `secretsmanager` model (the pinned botocore, as
`api/aws/model.py` loads it). For each operation it sends requests whose other members are
plausible (a real secret with two versions, a tag and a resource policy; a fresh name and
token where the operation creates something) and whose chosen member is:
- junk text, in every string slot (top level, list items, members of nested structures):
  JSON nested a thousand deep, a very long string, a lone surrogate, a digit that is not
  ASCII, control characters: success or a 4xx;
- missing (each required member), oversized or undersized (past each `max`/`min` of the
  model), or of the wrong JSON type (every slot, sent as raw signed JSON, since botocore
  cannot serialize some of these): always a 4xx.
Every 4xx carries an AWS error code, and after each refused request the secret (its
description, versions and labels, current value, policy) and the list of secrets are
exactly as before. Operations Strongroom does not serve are UnsupportedOperationException
(400). The server's stderr must never hold a traceback.

Parameter validation is off in the client and retries are off, so each request reaches
the server once, exactly as built.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import urllib3
from botocore import xform_name
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError
from botocore.loaders import Loader
from botocore.model import ListShape, ServiceModel, Shape, StructureShape

from strongroom.services.secretsmanager import OPERATIONS
from tests.e2e.harness import ServerProcess

PAYLOADS = {
    "deep array": "[" * 1000 + "]" * 1000,
    "deep object": '{"a":' * 1000 + "1" + "}" * 1000,
    "long": "x" * 150_000,  # past every length limit of the model, under the body limit
    "lone surrogate": "\ud800",  # sent as the escape "\\ud800": not valid Unicode text
    "non-ASCII digit": "\u00b2",  # "²": str.isdigit() says yes, int() says no
    "control characters": "\x00\n\u2028\x7f",
}
WRONG_TYPES: dict[str, list[Any]] = {
    "string": [123, True, ["x"], {"a": "x"}],
    "blob": [123, ["eA=="], "*** not base64 ***"],
    "integer": ["12", True, [1], {"a": 1}, 2**64],
    "long": ["12", True, [1], {"a": 1}, 2**64],
    "boolean": ["true", 1, [True]],
    "list": ["x", 5, {"a": 1}],
    "structure": ["x", 5, ["x"]],
}
MAX_DEPTH = 4
POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
                "Action": "secretsmanager:GetSecretValue",
                "Resource": "*",
            }
        ],
    }
)
COMPANIONS = {
    "CreateSecret": ("SecretString", "ClientRequestToken"),
    "PutSecretValue": ("SecretString", "ClientRequestToken"),
    "UpdateSecretVersionStage": ("MoveToVersionId",),
}
"""Optional members sent along by default, so that bad text reaches deeper than the first
"you must provide ..." check."""
NESTED_COMPANIONS = frozenset({"Region", "Key"})
"""The same inside structures: a replica entry's Region, a tag's or filter's Key."""


def _model() -> ServiceModel:
    loader = Loader(
        extra_search_paths=[Loader.BUILTIN_DATA_PATH], include_default_search_paths=False
    )
    return ServiceModel(loader.load_service_model("secretsmanager", "service-2"), "secretsmanager")


MODEL = _model()


@dataclass(frozen=True)
class Context:
    """The real secret the plausible members name."""

    name: str
    arn: str
    current: str
    pending: str


def _fresh_name() -> str:
    return f"bad-input-{uuid.uuid4().hex[:12]}"


def _plausible(name: str, shape: Shape, ctx: Context) -> Any:
    """A value the server would accept for member `name`, as far as the test can tell."""
    if isinstance(shape, StructureShape):
        return _required(shape, ctx)
    if isinstance(shape, ListShape):
        return [_plausible(name, shape.member, ctx) for _ in range(shape.metadata.get("min", 0))]
    kind = shape.type_name
    if kind == "blob":
        return b"plausible binary"
    if kind in ("integer", "long"):
        return max(shape.metadata.get("min", 1), 1)
    if kind == "boolean":
        return False
    if shape.enum:
        return shape.enum[0]
    if name == "Name":
        return _fresh_name()
    if name == "ClientRequestToken":
        return str(uuid.uuid4())
    return {
        "SecretId": ctx.name,
        "SecretIdList": ctx.name,
        "ResourcePolicy": POLICY,
        "Region": "eu-west-1",
        "RemoveReplicaRegions": "eu-west-1",
        "VersionStage": "custom-stage",
        "VersionId": ctx.current,
        "MoveToVersionId": ctx.current,
        "RemoveFromVersionId": ctx.pending,
        "RotationToken": str(uuid.UUID(int=1)),
        "Key": "purpose",
        "Value": "bad-input",
        "TagKeys": "purpose",
    }.get(name, "plausible")


def _required(shape: StructureShape, ctx: Context) -> dict[str, Any]:
    """The required members, and those that a nested entry is useless without."""
    return {
        name: _plausible(name, member, ctx)
        for name, member in shape.members.items()
        if name in shape.required_members or name in NESTED_COMPANIONS
    }


def _input(operation: str) -> StructureShape:
    shape = MODEL.operation_model(operation).input_shape
    assert isinstance(shape, StructureShape)
    return shape


def _base(operation: str, ctx: Context) -> dict[str, Any]:
    """The required members and the operation's companions, all plausible."""
    shape = _input(operation)
    params = _required(shape, ctx)
    for member in COMPANIONS.get(operation, ()):
        params[member] = _plausible(member, shape.members[member], ctx)
    return params


Build = Callable[[Any, Context], Any]
"""(bad value, context) -> the value of a shape with the bad value in one slot."""


def _nodes(shape: Shape, depth: int) -> Iterator[tuple[str, Shape, Build]]:
    """`shape` itself and every slot inside it: (where, its shape, how to build)."""
    yield "", shape, lambda bad, ctx: bad
    if depth > MAX_DEPTH:
        return
    if isinstance(shape, StructureShape):
        for member, member_shape in shape.members.items():
            for where, leaf, build in _nodes(member_shape, depth + 1):
                yield _join(member, where), leaf, _in_structure(shape, member, build)
    elif isinstance(shape, ListShape):
        for where, leaf, build in _nodes(shape.member, depth + 1):
            yield _join("[0]", where), leaf, _in_list(build)


def _join(head: str, where: str) -> str:
    return head + ("." + where if where else "")


def _in_structure(shape: StructureShape, member: str, build: Build) -> Build:
    return lambda bad, ctx: {**_required(shape, ctx), member: build(bad, ctx)}


def _in_list(build: Build) -> Build:
    return lambda bad, ctx: [build(bad, ctx)]


def _slots(operation: str) -> Iterator[tuple[str, Shape, Callable[[Any, Context], dict[str, Any]]]]:
    """Every slot of the operation's input: (where, its shape, how to build the params)."""
    for member, member_shape in _input(operation).members.items():
        for where, leaf, build in _nodes(member_shape, 1):
            yield _join(member, where), leaf, _at_top(operation, member, build)


def _at_top(operation: str, member: str, build: Build) -> Callable[[Any, Context], dict[str, Any]]:
    def params(bad: Any, ctx: Context) -> dict[str, Any]:
        built = {**_base(operation, ctx), member: build(bad, ctx)}
        if member == "SecretBinary":
            built.pop("SecretString", None)  # one value at a time
        return built

    return params


def _out_of_bounds(shape: Shape) -> Iterator[tuple[str, Any]]:
    """(label, value) just past each bound the model sets on `shape`."""
    meta, kind = shape.metadata, shape.type_name
    low, high = meta.get("min"), meta.get("max")
    if kind in ("integer", "long"):
        if high is not None:
            yield "over max", high + 1
        if low is not None:
            yield "under min", low - 1
    elif kind in ("string", "blob"):
        unit: Any = b"x" if kind == "blob" else "x"
        if high is not None:
            yield "over max", unit * (high + 1)
        if low:
            yield "under min", unit * (low - 1)
        if getattr(shape, "enum", None):
            yield "not in enum", "not-an-enum-value"
    elif isinstance(shape, ListShape):
        if high is not None:
            yield "over max", [_filler(shape.member) for _ in range(high + 1)]
        if low:
            yield "under min", []


def _filler(shape: Shape) -> Any:
    """An item for an over-long list (its own validity does not matter)."""
    return {} if isinstance(shape, StructureShape) else "eu-west-1"


# --- talking to the server -----------------------------------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """One dev server for the module, its stderr in a file the tests read."""
    folder = tmp_path_factory.mktemp("secrets-bad-input")
    process = ServerProcess(folder / "data", stderr_path=folder / "stderr.log").start()
    yield process
    process.stop()


def _log(server: ServerProcess, since: int = 0) -> str:
    assert server.stderr_path is not None
    return Path(server.stderr_path).read_text(errors="replace")[since:]


def _status_and_code(call: Callable[..., Any], params: dict[str, Any]) -> tuple[int, str]:
    try:
        response = call(**params)
    except ClientError as error:
        answer = error.response
        return answer["ResponseMetadata"]["HTTPStatusCode"], answer["Error"].get("Code", "")
    return response["ResponseMetadata"]["HTTPStatusCode"], ""


def _json_default(value: Any) -> Any:
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    raise TypeError(type(value).__name__)


def _post_raw(server: ServerProcess, operation: str, params: dict[str, Any]) -> tuple[int, str]:
    """Send `params` as signed JSON, whatever their types; (status, error code)."""
    body = json.dumps(params, default=_json_default).encode()
    headers = {
        "X-Amz-Target": f"secretsmanager.{operation}",
        "Content-Type": "application/x-amz-json-1.1",
    }
    request = AWSRequest(method="POST", url=server.endpoint_url + "/", data=body, headers=headers)
    credentials = Credentials(server.access_key, server.secret_key)
    SigV4Auth(credentials, "secretsmanager", server.region).add_auth(request)
    prepared = request.prepare()
    answer = urllib3.request(
        "POST", prepared.url, body=prepared.body, headers=dict(prepared.headers), retries=False
    )
    if answer.status == 200:
        return 200, ""
    try:
        return answer.status, str(json.loads(answer.data).get("__type", ""))
    except ValueError:
        return answer.status, ""


def _context(client: Any) -> Context:
    """A secret with AWSCURRENT and AWSPENDING versions, a tag and a resource policy."""
    name = _fresh_name()
    current, pending = str(uuid.uuid4()), str(uuid.uuid4())
    arn = client.create_secret(Name=name, SecretString="v1", ClientRequestToken=current)["ARN"]
    client.put_secret_value(
        SecretId=arn, SecretString="v2", ClientRequestToken=pending, VersionStages=["AWSPENDING"]
    )
    client.tag_resource(SecretId=arn, Tags=[{"Key": "purpose", "Value": "bad-input"}])
    client.put_resource_policy(SecretId=arn, ResourcePolicy=POLICY)
    return Context(name, arn, current, pending)


def _without_access_dates(value: Any) -> Any:
    """`value` without LastAccessedDate (a read on a new UTC day may move it)."""
    if isinstance(value, dict):
        return {k: _without_access_dates(v) for k, v in value.items() if k != "LastAccessedDate"}
    if isinstance(value, list):
        return [_without_access_dates(v) for v in value]
    return value


def _answer(call: Callable[..., Any], **params: Any) -> Any:
    try:
        response = dict(call(**params))
    except ClientError as error:
        return error.response["Error"]["Code"]
    response.pop("ResponseMetadata", None)
    return _without_access_dates(response)


def _state(client: Any, ctx: Context) -> tuple[Any, ...]:
    """What a refused request must leave as it was."""
    names: list[str] = []
    for page in client.get_paginator("list_secrets").paginate(IncludePlannedDeletion=True):
        names.extend(entry["ARN"] for entry in page["SecretList"])
    return (
        _answer(client.describe_secret, SecretId=ctx.arn),
        _answer(client.list_secret_version_ids, SecretId=ctx.arn, IncludeDeprecated=True),
        _answer(client.get_secret_value, SecretId=ctx.arn),
        _answer(client.get_resource_policy, SecretId=ctx.arn),
        sorted(names),
    )


@dataclass
class Probe:
    """Sends one operation's bad requests, checking each answer and the state after it."""

    server: ServerProcess
    client: Any
    operation: str
    ctx: Context
    wrong: list[str]
    sent: int = 0

    def __post_init__(self) -> None:
        self.state = _state(self.client, self.ctx)
        self.served = self.operation in OPERATIONS

    def send(self, label: str, params: dict[str, Any], *, must_fail: bool, raw: bool) -> None:
        call = getattr(self.client, xform_name(self.operation))
        if raw:
            status, code = _post_raw(self.server, self.operation, params)
        else:
            status, code = _status_and_code(call, params)
        self.sent += 1
        self._judge(label, status, code, must_fail)
        after = _state(self.client, self.ctx)
        if status != 200 and after != self.state:
            self.wrong.append(f"{label}: refused ({status} {code}) but the state changed")
        self.state = after

    def _judge(self, label: str, status: int, code: str, must_fail: bool) -> None:
        if not self.served:
            if (status, code) != (400, "UnsupportedOperationException"):
                self.wrong.append(f"{label}: {status} {code} (not served by Strongroom)")
        elif status >= 500 or not (status == 200 or 400 <= status < 500):
            self.wrong.append(f"{label}: {status} {code}")
        elif status == 200 and must_fail:
            self.wrong.append(f"{label}: accepted (200), must be refused")
        elif status != 200 and not code:
            self.wrong.append(f"{label}: {status} without an AWS error code")


def _probe(server: ServerProcess, operation: str) -> tuple[Probe, int]:
    client = server.client("secretsmanager", validate=False)
    since = len(_log(server))
    return Probe(server, client, operation, _context(client), []), since


def _finish(server: ServerProcess, probe: Probe, since: int) -> None:
    assert probe.sent or not _input(probe.operation).members
    assert not probe.wrong, f"{probe.operation}:\n" + "\n".join(probe.wrong)
    log = _log(server, since)
    assert "Traceback" not in log, log[-4000:]


# --- the tests -----------------------------------------------------------------------


def test_the_walk_covers_every_operation_and_the_members_that_matter() -> None:
    slots = {op: {where for where, _, _ in _slots(op)} for op in MODEL.operation_names}
    assert set(OPERATIONS) <= set(slots)
    assert {"Name", "SecretString", "SecretBinary", "Tags.[0].Key"} <= slots["CreateSecret"]
    assert "AddReplicaRegions.[0].Region" in slots["ReplicateSecretToRegions"]
    assert "Filters.[0].Values.[0]" in slots["ListSecrets"]
    assert {"SecretIdList.[0]", "Filters.[0].Key"} <= slots["BatchGetSecretValue"]
    assert "VersionStages.[0]" in slots["PutSecretValue"]
    assert sum(map(len, slots.values())) > 100


@pytest.mark.parametrize("operation", MODEL.operation_names)
def test_every_string_member_fed_junk_is_answered_without_a_5xx(
    server: ServerProcess, operation: str
) -> None:
    probe, since = _probe(server, operation)
    for where, shape, params in _slots(operation):
        if shape.type_name != "string":
            continue
        for label, bad in PAYLOADS.items():
            probe.send(f"{where} <- {label}", params(bad, probe.ctx), must_fail=False, raw=False)
    _finish(server, probe, since)


@pytest.mark.parametrize(
    "operation", [op for op in MODEL.operation_names if _input(op).required_members]
)
def test_a_missing_required_member_is_refused(server: ServerProcess, operation: str) -> None:
    probe, since = _probe(server, operation)
    for member in _input(operation).required_members:
        params = _base(operation, probe.ctx)
        del params[member]
        probe.send(f"{member} missing", params, must_fail=True, raw=False)
    probe.send("empty body", {}, must_fail=True, raw=False)
    _finish(server, probe, since)


@pytest.mark.parametrize("operation", MODEL.operation_names)
def test_a_member_past_its_bounds_is_refused(server: ServerProcess, operation: str) -> None:
    probe, since = _probe(server, operation)
    for where, shape, params in _slots(operation):
        for label, bad in _out_of_bounds(shape):
            probe.send(f"{where} {label}", params(bad, probe.ctx), must_fail=True, raw=False)
    _finish(server, probe, since)


@pytest.mark.parametrize("operation", MODEL.operation_names)
def test_a_member_of_the_wrong_type_is_refused(server: ServerProcess, operation: str) -> None:
    probe, since = _probe(server, operation)
    for where, shape, params in _slots(operation):
        for bad in WRONG_TYPES.get(shape.type_name, []):
            label = f"{where} <- {json.dumps(bad)[:20]}"
            probe.send(label, params(bad, probe.ctx), must_fail=True, raw=True)
    _finish(server, probe, since)


@pytest.mark.parametrize("operation", ["CreateSecret", "ReplicateSecretToRegions"])
def test_a_replica_entry_without_a_region_is_refused(server: ServerProcess, operation: str) -> None:
    """The model lets `Region` be absent; the service must still refuse, not fail."""
    probe, since = _probe(server, operation)
    for entry in [{}, {"KmsKeyId": "alias/aws/secretsmanager"}]:
        params = {**_base(operation, probe.ctx), "AddReplicaRegions": [entry]}
        probe.send(f"AddReplicaRegions <- [{entry}]", params, must_fail=True, raw=False)
    _finish(server, probe, since)


def test_the_server_log_holds_no_traceback(server: ServerProcess) -> None:
    log = _log(server)
    assert log, "the server's stderr was not captured"
    assert "Traceback" not in log, log[-4000:]
