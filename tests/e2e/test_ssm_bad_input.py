"""Bad input to Parameter Store is a 4xx AWS error, never a 500, and a refusal changes nothing.

The test walks botocore's `ssm` model (the pinned botocore, as `api/aws/model.py` loads it)
for the 13 Parameter Store operations and a sample of the other SSM operations. For each
operation it sends requests whose other members are plausible (a real String parameter with
two versions, a label and a tag, and a SecureString beside it; a fresh name where
PutParameter creates one) and whose chosen member is:
- junk text, in every string slot (top level, list items, members of nested structures):
  JSON nested a thousand deep, a very long string, a lone surrogate, a digit that is not
  ASCII, control characters: success or a 4xx;
- missing (each required member), oversized or undersized (past each `max`/`min` of the
  model, outside each enum), or of the wrong JSON type (every slot, sent as raw signed JSON,
  since botocore cannot serialize some of these): always a 4xx.
Every 4xx carries an AWS error code, and after each refused request the parameter (every
version with its value, labels and policies), its tags, the SecureString's value and the
account's list of parameters are exactly as before. Operations Strongroom does not serve
are UnsupportedOperationException (400) whatever they are sent, and change nothing. The
server's stderr must never hold a traceback.

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
from botocore.model import ListShape, MapShape, ServiceModel, Shape, StructureShape

from strongroom.services.ssm import OPERATIONS
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
UNSERVED_SAMPLE = [
    "SendCommand",
    "CreateDocument",
    "StartSession",
    "DescribeInstanceInformation",
    "GetDocument",
    "CreateAssociation",
    "GetServiceSetting",
    "PutInventory",
]
"""Other SSM operations (documents, Run Command, sessions, ...): never served."""
COMPANIONS = {
    "PutParameter": ("Type",),
    "LabelParameterVersion": ("ParameterVersion",),
}
"""Optional members sent along by default, so that bad text reaches deeper than the first
"a type is required" check."""
NESTED_COMPANIONS = frozenset({"Key", "Value", "Values"})
"""The same inside structures: a tag's Key and Value, a filter's Key and Values."""


def _model() -> ServiceModel:
    loader = Loader(
        extra_search_paths=[Loader.BUILTIN_DATA_PATH], include_default_search_paths=False
    )
    return ServiceModel(loader.load_service_model("ssm", "service-2"), "ssm")


MODEL = _model()
PROBED = sorted(OPERATIONS) + UNSERVED_SAMPLE


@dataclass(frozen=True)
class Context:
    """The real parameters the plausible members name."""

    path: str
    name: str
    secure: str


def _fresh_name(ctx: Context) -> str:
    return f"{ctx.path}/fresh-{uuid.uuid4().hex[:12]}"


def _plausible(name: str, shape: Shape, ctx: Context) -> Any:
    """A value the server would accept for member `name`, as far as the test can tell."""
    if isinstance(shape, StructureShape):
        return _required(shape, ctx)
    if isinstance(shape, MapShape):
        return {}
    if isinstance(shape, ListShape):
        count = max(shape.metadata.get("min", 0), 1 if name in NESTED_COMPANIONS else 0)
        return [_plausible(name, shape.member, ctx) for _ in range(count)]
    named = {
        "Name": ctx.name,
        "Names": ctx.name,
        "Path": ctx.path,
        "ResourceType": "Parameter",
        "ResourceId": ctx.name,
        "Key": "Name",
        "Value": "bad-input",
        "Values": ctx.path,
        "Labels": "plausible-label",
        "TagKeys": "purpose",
    }
    if name in named and shape.type_name == "string":
        return named[name]
    kind = shape.type_name
    if kind == "blob":
        return b"plausible binary"
    if kind in ("integer", "long"):
        return max(shape.metadata.get("min", 1), 1)
    if kind == "boolean":
        return False
    if shape.enum:
        return shape.enum[0]
    return "plausible"


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
    if operation == "PutParameter":
        params["Name"] = _fresh_name(ctx)  # a success creates, never overwrites
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
    return lambda bad, ctx: {**_base(operation, ctx), member: build(bad, ctx)}


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
    return {} if isinstance(shape, (StructureShape, MapShape)) else "filler"


# --- talking to the server -----------------------------------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """One dev server for the module, its stderr in a file the tests read."""
    folder = tmp_path_factory.mktemp("ssm-bad-input")
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


def _post_raw(server: ServerProcess, target: str, body: bytes) -> tuple[int, str]:
    """POST `body` signed, as `X-Amz-Target: <target>`; (status, error code)."""
    headers = {"X-Amz-Target": target, "Content-Type": "application/x-amz-json-1.1"}
    request = AWSRequest(method="POST", url=server.endpoint_url + "/", data=body, headers=headers)
    credentials = Credentials(server.access_key, server.secret_key)
    SigV4Auth(credentials, "ssm", server.region).add_auth(request)
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


def _send_raw(server: ServerProcess, operation: str, params: dict[str, Any]) -> tuple[int, str]:
    """Send `params` as signed JSON, whatever their types."""
    body = json.dumps(params, default=_json_default).encode()
    return _post_raw(server, f"AmazonSSM.{operation}", body)


def _context(client: Any) -> Context:
    """A String parameter with two versions, a label on the first and a tag; and a
    SecureString beside it."""
    path = f"/bad-input/{uuid.uuid4().hex[:12]}"
    name, secure = f"{path}/plain", f"{path}/secure"
    tags = [{"Key": "purpose", "Value": "bad-input"}]
    client.put_parameter(Name=name, Value="v1", Type="String", Tags=tags)
    client.put_parameter(Name=name, Value="v2", Overwrite=True)
    client.label_parameter_version(Name=name, ParameterVersion=1, Labels=["first"])
    client.put_parameter(Name=secure, Value="s3cr3t", Type="SecureString")
    return Context(path, name, secure)


def _answer(call: Callable[..., Any], **params: Any) -> Any:
    try:
        response = dict(call(**params))
    except ClientError as error:
        return error.response["Error"]["Code"]
    response.pop("ResponseMetadata", None)
    return response


def _state(client: Any, ctx: Context) -> tuple[Any, ...]:
    """What a refused request must leave as it was."""
    names: list[str] = []
    for page in client.get_paginator("describe_parameters").paginate(
        PaginationConfig={"PageSize": 50}
    ):
        names.extend(entry["Name"] for entry in page["Parameters"])
    return (
        _answer(client.get_parameter_history, Name=ctx.name, WithDecryption=True),
        _answer(client.list_tags_for_resource, ResourceType="Parameter", ResourceId=ctx.name),
        _answer(client.get_parameter, Name=ctx.secure, WithDecryption=True),
        sorted(names),
    )


@dataclass
class Probe:
    """Sends one operation's bad requests, checking each answer and the state after it.

    An operation Strongroom does not serve must answer UnsupportedOperationException to
    everything; the state is then compared once, at the end (it must not have moved)."""

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
            status, code = _send_raw(self.server, self.operation, params)
        else:
            status, code = _status_and_code(call, params)
        self.sent += 1
        self._judge(label, status, code, must_fail)
        if self.served:
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

    def finish(self, since: int) -> None:
        assert self.sent or not _input(self.operation).members
        if not self.served and _state(self.client, self.ctx) != self.state:
            self.wrong.append("an operation not served changed the state")
        assert not self.wrong, f"{self.operation}:\n" + "\n".join(self.wrong)
        log = _log(self.server, since)
        assert "Traceback" not in log, log[-4000:]


def _probe(server: ServerProcess, operation: str) -> tuple[Probe, int]:
    client = server.client("ssm", validate=False)
    since = len(_log(server))
    return Probe(server, client, operation, _context(client), []), since


# --- the walk ------------------------------------------------------------------------


def test_the_walk_covers_the_operations_and_the_members_that_matter() -> None:
    assert set(OPERATIONS) <= set(MODEL.operation_names)
    assert not set(UNSERVED_SAMPLE) & set(OPERATIONS)
    slots = {op: {where for where, _, _ in _slots(op)} for op in PROBED}
    put = {"Name", "Value", "Policies", "AllowedPattern", "Tags.[0].Key", "Tags.[0].Value"}
    assert put <= slots["PutParameter"]
    assert {"ParameterFilters.[0].Values.[0]", "NextToken"} <= slots["GetParametersByPath"]
    assert {"Filters.[0].Key", "ParameterFilters.[0].Option"} <= slots["DescribeParameters"]
    assert {"Names.[0]"} <= slots["GetParameters"] & slots["DeleteParameters"]
    assert "Labels.[0]" in slots["LabelParameterVersion"]
    assert sum(len(slots[op]) for op in OPERATIONS) > 50


@pytest.mark.parametrize("operation", PROBED)
def test_every_string_member_fed_junk_is_answered_without_a_5xx(
    server: ServerProcess, operation: str
) -> None:
    probe, since = _probe(server, operation)
    for where, shape, params in _slots(operation):
        if shape.type_name != "string":
            continue
        for label, bad in PAYLOADS.items():
            probe.send(f"{where} <- {label}", params(bad, probe.ctx), must_fail=False, raw=False)
    probe.finish(since)


@pytest.mark.parametrize("operation", [op for op in PROBED if _input(op).required_members])
def test_a_missing_required_member_is_refused(server: ServerProcess, operation: str) -> None:
    probe, since = _probe(server, operation)
    for member in _input(operation).required_members:
        params = _base(operation, probe.ctx)
        del params[member]
        probe.send(f"{member} missing", params, must_fail=True, raw=False)
    probe.send("empty body", {}, must_fail=True, raw=False)
    probe.finish(since)


@pytest.mark.parametrize("operation", PROBED)
def test_a_member_past_its_bounds_is_refused(server: ServerProcess, operation: str) -> None:
    probe, since = _probe(server, operation)
    for where, shape, params in _slots(operation):
        for label, bad in _out_of_bounds(shape):
            probe.send(f"{where} {label}", params(bad, probe.ctx), must_fail=True, raw=False)
    probe.finish(since)


@pytest.mark.parametrize("operation", PROBED)
def test_a_member_of_the_wrong_type_is_refused(server: ServerProcess, operation: str) -> None:
    probe, since = _probe(server, operation)
    for where, shape, params in _slots(operation):
        for bad in WRONG_TYPES.get(shape.type_name, []):
            label = f"{where} <- {json.dumps(bad)[:20]}"
            probe.send(label, params(bad, probe.ctx), must_fail=True, raw=True)
    probe.finish(since)


# --- Parameter Store's own strings: policies, selectors, tokens ------------------------

BAD_POLICIES = {
    "non-ASCII digit": '[{"Type":"NoChangeNotification","Attributes":{"After":"\u00b2"}}]',
    "unit a list": '[{"Type":"NoChangeNotification","Attributes":{"After":"3","Unit":["Days"]}}]',
    "unit an object": '[{"Type":"NoChangeNotification","Attributes":{"After":"3","Unit":{"D":1}}}]',
    "expired": '[{"Type":"Expiration","Attributes":{"Timestamp":"2001-01-01T00:00:00Z"}}]',
    "timestamp a list": '[{"Type":"Expiration","Attributes":{"Timestamp":["2030-01-01"]}}]',
    "type a list": '[{"Type":["Expiration"],"Attributes":{}}]',
    "notification alone": '[{"Type":"ExpirationNotification","Attributes":{"Before":"1"}}]',
    "version an object": '{"Type":"Expiration","Version":{"v":1},"Attributes":{}}',
    "deeply nested": "[" * 2000 + "]" * 2000,
    "eleven": "[" + ",".join(['{"Type":"Expiration"}'] * 11) + "]",
}


@pytest.mark.parametrize("label", BAD_POLICIES)
def test_a_bad_policy_is_refused(server: ServerProcess, label: str) -> None:
    policies = BAD_POLICIES[label]
    probe, since = _probe(server, "PutParameter")
    params = {**_base("PutParameter", probe.ctx), "Tier": "Advanced", "Policies": policies}
    probe.send("Policies", params, must_fail=True, raw=False)
    overwrite = {"Name": probe.ctx.name, "Value": "v3", "Overwrite": True, "Tier": "Advanced"}
    probe.send(
        "Policies on an overwrite", {**overwrite, "Policies": policies}, must_fail=True, raw=False
    )
    probe.finish(since)


BAD_SELECTORS = [
    ":",
    "{name}:",
    "{name}::1",
    "{name}:1:2",
    "{name}:\u00b2",
    "{name}:\u0661",
    "{name}:0",
    "{name}:-1",
    "{name}:" + "9" * 2000,
    "{name}:" + "l" * 101,
    "{name}/",
    "arn:aws:ssm:us-east-1:{account}:parameter/",
    "arn:aws:ssm:us-east-1:111111111111:parameter{name}",
    "arn:aws:ssm:::parameter{name}",
    "arn:aws:ssm:eu-west-1:{account}:parameter{name}",
    "/aws/reference/secretsmanager/",
    "/aws/reference/secretsmanager/::",
    "/aws/reference/secretsmanager/arn:aws:secretsmanager:us-east-1:1:secret:x",
]


@pytest.mark.parametrize("operation", ["GetParameter", "GetParameters", "GetParameterHistory"])
def test_a_bad_selector_is_a_4xx_or_invalid_parameters(
    server: ServerProcess, operation: str
) -> None:
    probe, since = _probe(server, operation)
    for template in BAD_SELECTORS:
        name = template.format(name=probe.ctx.name, account=server.account_id)
        member = {"Names": [name]} if operation == "GetParameters" else {"Name": name}
        params = {**member, "WithDecryption": True}
        probe.send(name[:60], params, must_fail=operation != "GetParameters", raw=False)
    probe.finish(since)


def _token(value: bytes) -> str:
    """A token shaped as Strongroom's own: base64url of a JSON value."""
    return base64.urlsafe_b64encode(value).decode()


FORGED_TOKENS = {
    "a JSON string": _token(b'"abc"'),
    "a JSON number": _token(b"7"),
    "a JSON list": _token(b'["1"]'),
    "5,000 digits": _token(b'"' + b"9" * 5000 + b'"'),
    "a NUL": _token(b'"/bad-input/\\u0000"'),
    "a lone surrogate": _token(b'"\\ud800"'),
    "not base64": "%%%",
}


@pytest.mark.parametrize(
    ("operation", "params"),
    [
        ("GetParameterHistory", {"MaxResults": 1}),
        ("GetParametersByPath", {"MaxResults": 1, "Recursive": True}),
        ("DescribeParameters", {"MaxResults": 1}),
    ],
)
def test_a_forged_or_foreign_token_is_answered_without_a_5xx(
    server: ServerProcess, operation: str, params: dict[str, Any]
) -> None:
    """A NextToken is only good for the listing that gave it. GetParameterHistory must
    refuse another listing's token (InvalidNextToken); forged tokens are a 4xx, or at
    worst a page, never a 500."""
    probe, since = _probe(server, operation)
    client = probe.client
    foreign = {
        "from GetParametersByPath": client.get_parameters_by_path(
            Path=probe.ctx.path, MaxResults=1
        )["NextToken"],
        "from DescribeParameters": client.describe_parameters(MaxResults=1)["NextToken"],
    }
    history = operation == "GetParameterHistory"
    target = {
        "GetParameterHistory": {"Name": probe.ctx.name},
        "GetParametersByPath": {"Path": probe.ctx.path},
    }.get(operation, {})
    for label, token in {**foreign, **FORGED_TOKENS}.items():
        request = {**target, **params, "NextToken": token}
        must_fail = history and label != "5,000 digits"  # that one may be an empty page
        probe.send(f"token {label}", request, must_fail=must_fail, raw=False)
    probe.finish(since)


@pytest.mark.parametrize(
    "body",
    [b"", b"not json", b"[]", b'"x"', b"null", b"{" * 5000, b'{"Name": "\\ud800"}'],
    ids=["empty", "not json", "a list", "a string", "null", "unclosed", "escaped surrogate"],
)
def test_a_body_that_is_not_a_json_object_is_refused(server: ServerProcess, body: bytes) -> None:
    since = len(_log(server))
    for operation in ("GetParameter", "PutParameter", "SendCommand"):
        status, code = _post_raw(server, f"AmazonSSM.{operation}", body)
        assert 400 <= status < 500 and code, (operation, status, code)
    assert "Traceback" not in _log(server, since)


def test_an_operation_ssm_does_not_have_is_refused(server: ServerProcess) -> None:
    for target in ("AmazonSSM.NoSuchOperation", "AmazonSSM.", "AmazonSSM.getParameter"):
        status, code = _post_raw(server, target, b"{}")
        assert 400 <= status < 500 and code, (target, status, code)


def test_the_server_log_holds_no_traceback(server: ServerProcess) -> None:
    log = _log(server)
    assert log, "the server's stderr was not captured"
    assert "Traceback" not in log, log[-4000:]
