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
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from botocore.model import Shape

from strongroom.services.ssm import OPERATIONS
from tests.e2e.answers import answer
from tests.e2e.bad_input_probe import Probe, walk_tests
from tests.e2e.harness import ServerProcess
from tests.e2e.model_walk import Walk, load_model
from tests.e2e.raw_requests import post_signed
from tests.e2e.server_log import assert_no_traceback, log_of, logging_server

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
PROBED = sorted(OPERATIONS) + UNSERVED_SAMPLE


@dataclass(frozen=True)
class Context:
    """The real parameters the plausible members name."""

    path: str
    name: str
    secure: str


def _named(name: str, shape: Shape, ctx: Context) -> str | None:
    """The plausible value of a string member, by its name."""
    return {
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
    }.get(name)


def _fresh_name(operation: str, member: str | None, params: dict[str, Any], ctx: Context) -> None:
    """PutParameter names a fresh parameter: a success creates, never overwrites."""
    if operation == "PutParameter":
        params["Name"] = f"{ctx.path}/fresh-{uuid.uuid4().hex[:12]}"


MODEL = load_model("ssm")
WALK = Walk(MODEL, _named, NESTED_COMPANIONS, COMPANIONS, _fresh_name)
server = logging_server("ssm-bad-input")


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


def _state(client: Any, ctx: Context) -> tuple[Any, ...]:
    """What a refused request must leave as it was."""
    names: list[str] = []
    for page in client.get_paginator("describe_parameters").paginate(
        PaginationConfig={"PageSize": 50}
    ):
        names.extend(entry["Name"] for entry in page["Parameters"])
    return (
        answer(client.get_parameter_history, Name=ctx.name, WithDecryption=True),
        answer(client.list_tags_for_resource, ResourceType="Parameter", ResourceId=ctx.name),
        answer(client.get_parameter, Name=ctx.secure, WithDecryption=True),
        sorted(names),
    )


def _probe(server: ServerProcess, operation: str) -> Probe[Context]:
    """A probe of `operation` on a fresh context. An operation not served is compared with
    the state once, at the end."""
    client = server.client("ssm", validate=False)
    since, served = len(log_of(server)), operation in OPERATIONS
    ctx = _context(client)
    return Probe(server, client, WALK, operation, ctx, _state, since, served, compare_each=served)


# --- the walk ------------------------------------------------------------------------


def test_the_walk_covers_the_operations_and_the_members_that_matter() -> None:
    assert set(OPERATIONS) <= set(MODEL.operation_names)
    assert not set(UNSERVED_SAMPLE) & set(OPERATIONS)
    slots = {op: {where for where, _, _ in WALK.slots(op)} for op in PROBED}
    put = {"Name", "Value", "Policies", "AllowedPattern", "Tags.[0].Key", "Tags.[0].Value"}
    assert put <= slots["PutParameter"]
    assert {"ParameterFilters.[0].Values.[0]", "NextToken"} <= slots["GetParametersByPath"]
    assert {"Filters.[0].Key", "ParameterFilters.[0].Option"} <= slots["DescribeParameters"]
    assert {"Names.[0]"} <= slots["GetParameters"] & slots["DeleteParameters"]
    assert "Labels.[0]" in slots["LabelParameterVersion"]
    assert sum(len(slots[op]) for op in OPERATIONS) > 50


(
    test_every_string_member_fed_junk_is_answered_without_a_5xx,
    test_a_missing_required_member_is_refused,
    test_a_member_past_its_bounds_is_refused,
    test_a_member_of_the_wrong_type_is_refused,
) = walk_tests(WALK, PROBED, _probe, "filler")


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
    probe = _probe(server, "PutParameter")
    params = {**WALK.base("PutParameter", probe.ctx), "Tier": "Advanced", "Policies": policies}
    probe.send("Policies", params, must_fail=True, raw=False)
    overwrite = {"Name": probe.ctx.name, "Value": "v3", "Overwrite": True, "Tier": "Advanced"}
    probe.send(
        "Policies on an overwrite", {**overwrite, "Policies": policies}, must_fail=True, raw=False
    )
    probe.finish()


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
    probe = _probe(server, operation)
    for template in BAD_SELECTORS:
        name = template.format(name=probe.ctx.name, account=server.account_id)
        member = {"Names": [name]} if operation == "GetParameters" else {"Name": name}
        params = {**member, "WithDecryption": True}
        probe.send(name[:60], params, must_fail=operation != "GetParameters", raw=False)
    probe.finish()


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
    probe = _probe(server, operation)
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
    probe.finish()


@pytest.mark.parametrize(
    "body",
    [b"", b"not json", b"[]", b'"x"', b"null", b"{" * 5000, b'{"Name": "\\ud800"}'],
    ids=["empty", "not json", "a list", "a string", "null", "unclosed", "escaped surrogate"],
)
def test_a_body_that_is_not_a_json_object_is_refused(server: ServerProcess, body: bytes) -> None:
    since = len(log_of(server))
    for operation in ("GetParameter", "PutParameter", "SendCommand"):
        status, code = post_signed(server, "ssm", f"AmazonSSM.{operation}", body)
        assert 400 <= status < 500 and code, (operation, status, code)
    assert_no_traceback(server, since)


def test_an_operation_ssm_does_not_have_is_refused(server: ServerProcess) -> None:
    for target in ("AmazonSSM.NoSuchOperation", "AmazonSSM.", "AmazonSSM.getParameter"):
        status, code = post_signed(server, "ssm", target, b"{}")
        assert 400 <= status < 500 and code, (target, status, code)


def test_the_server_log_holds_no_traceback(server: ServerProcess) -> None:
    assert log_of(server), "the server's stderr was not captured"
    assert_no_traceback(server)
