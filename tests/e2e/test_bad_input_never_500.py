"""Bad input is a 4xx, never a 500: every string member of every KMS operation.

The test walks botocore's `kms` model (the pinned botocore, as `api/aws/model.py` loads
it). For each operation and each string member of its input (top level, list items, map
keys and values, members of nested structures), it sends a request whose other required
members are plausible (a real key, its alias, a real ciphertext) and whose chosen member
is text that breaks parsers: JSON nested a thousand deep, a very long string, a lone
surrogate (which the JSON body can only carry as an escape), a digit that is not ASCII.
The answer must be a success or a 4xx; operations Strongroom does not serve are
UnsupportedOperationException (400). The server's stderr must never hold a traceback.

Parameter validation is off in the client and retries are off, so each request reaches
the server once, exactly as built.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import pytest
import urllib3
from botocore import xform_name
from botocore.model import ListShape, MapShape, Shape, StructureShape

from strongroom.services.kms import OPERATIONS
from tests.e2e.harness import ServerProcess
from tests.e2e.kms_support import error_of, new_key
from tests.e2e.model_walk import JUNK, load_model
from tests.e2e.raw_requests import post_signed, status_and_code
from tests.e2e.server_log import assert_no_traceback, log_of, logging_server

DEEP_ARRAY, DEEP_OBJECT = JUNK["deep array"], JUNK["deep object"]
KEY_MEMBERS = frozenset({"KeyId", "TargetKeyId", "DestinationKeyId", "SourceKeyId"})
MAX_DEPTH = 4  # how deep nested members are followed (KMS inputs are shallower)
MODEL = load_model("kms")


@dataclass(frozen=True)
class Context:
    """Real resources the plausible members name."""

    key_id: str
    alias: str
    blob: bytes


def _plausible(name: str, shape: Shape, ctx: Context) -> Any:
    """A value the server would accept for member `name`, as far as the test can tell."""
    if isinstance(shape, StructureShape):
        return _required(shape, ctx)
    if isinstance(shape, ListShape):
        return [_plausible(name, shape.member, ctx) for _ in range(shape.metadata.get("min", 0))]
    if isinstance(shape, MapShape):
        return {}
    kind = shape.type_name
    if kind == "blob":
        return ctx.blob if name == "CiphertextBlob" else b"plaintext"
    if kind in ("integer", "long"):
        return max(shape.metadata.get("min", 1), 1)
    if kind in ("float", "double"):
        return 1.0
    if kind == "boolean":
        return False
    if kind == "timestamp":
        return datetime.now(UTC)
    if shape.enum:
        return shape.enum[0]
    return {
        "AliasName": ctx.alias,
        "Policy": json.dumps({"Version": "2012-10-17", "Statement": []}),
        "PolicyName": "default",
        "TagKey": "purpose",
        "TagValue": "bad-input",
    }.get(name, ctx.key_id if name in KEY_MEMBERS else "plausible")


def _required(shape: StructureShape, ctx: Context) -> dict[str, Any]:
    return {
        name: _plausible(name, shape.members[name], ctx)
        for name in shape.required_members
        if name in shape.members
    }


Build = Callable[[str, Context], Any]
"""(bad text, context) -> the value of a shape with the bad text in one string slot."""


def _slots(shape: Shape, depth: int = 0) -> Iterator[tuple[str, Build]]:
    """Every string slot inside `shape`: (where, how to build a value with it filled)."""
    if depth > MAX_DEPTH:
        return
    if isinstance(shape, StructureShape):
        for member, member_shape in shape.members.items():
            for where, build in _slots(member_shape, depth + 1):
                yield member + ("." + where if where else ""), _in_structure(shape, member, build)
    elif isinstance(shape, ListShape):
        for where, build in _slots(shape.member, depth + 1):
            yield "[0]" + ("." + where if where else ""), _in_list(build)
    elif isinstance(shape, MapShape):
        yield "{key}", _as_map_key(shape)
        for where, build in _slots(shape.value, depth + 1):
            yield "{value}" + ("." + where if where else ""), _as_map_value(build)
    elif shape.type_name == "string":
        yield "", lambda bad, ctx: bad


def _in_structure(shape: StructureShape, member: str, build: Build) -> Build:
    return lambda bad, ctx: {**_required(shape, ctx), member: build(bad, ctx)}


def _in_list(build: Build) -> Build:
    return lambda bad, ctx: [build(bad, ctx)]


def _as_map_key(shape: MapShape) -> Build:
    return lambda bad, ctx: {bad: _plausible("value", shape.value, ctx)}


def _as_map_value(build: Build) -> Build:
    return lambda bad, ctx: {"purpose": build(bad, ctx)}


server = logging_server("bad-input")


def _context(client: Any) -> Context:
    key_id = new_key(client, Description="bad input target")["KeyId"]
    alias = f"alias/bad-input-{key_id}"
    client.create_alias(AliasName=alias, TargetKeyId=key_id)
    blob = client.encrypt(KeyId=key_id, Plaintext=b"plaintext")["CiphertextBlob"]
    return Context(key_id, alias, blob)


def test_the_walk_covers_every_operation_and_the_members_that_matter() -> None:
    slots = {op: [where for where, _ in _slots(_input(op))] for op in MODEL.operation_names}
    assert set(OPERATIONS) <= set(slots)
    assert "Policy" in slots["PutKeyPolicy"] and "Policy" in slots["CreateKey"]
    assert "Tags.[0].TagKey" in slots["CreateKey"]
    assert {"EncryptionContext.{key}", "EncryptionContext.{value}"} <= set(slots["Encrypt"])
    assert "GrantTokens.[0]" in slots["Decrypt"]
    assert sum(map(len, slots.values())) > 150


def _input(operation: str) -> Shape:
    shape = MODEL.operation_model(operation).input_shape
    assert shape is not None
    return shape


@pytest.mark.parametrize("operation", MODEL.operation_names)
def test_every_string_member_fed_bad_text_is_answered_without_a_5xx(
    server: ServerProcess, operation: str
) -> None:
    client = server.client("kms", validate=False)
    served = operation in OPERATIONS
    ctx = _context(client) if served else Context("1234abcd-12ab-34cd-56ef-1234567890ab", "", b"")
    call = getattr(client, xform_name(operation))
    since = len(log_of(server))
    wrong: list[str] = []
    sent = 0
    for where, build in _slots(_input(operation)):
        for label, bad in JUNK.items():
            status, code = status_and_code(call, build(bad, ctx))
            sent += 1
            refused_as_unsupported = status == 400 and code == "UnsupportedOperationException"
            if status >= 500 or not (status == 200 or 400 <= status < 500):
                wrong.append(f"{where} <- {label}: {status} {code}")
            elif not served and not refused_as_unsupported:
                wrong.append(f"{where} <- {label}: {status} {code} (not served by Strongroom)")
    assert sent or not _input(operation).members
    assert not wrong, f"{operation}:\n" + "\n".join(wrong)
    assert_no_traceback(server, since)


@pytest.mark.parametrize(
    "policy",
    [DEEP_ARRAY, DEEP_OBJECT, '{"Statement": ' + DEEP_ARRAY + "}", "not json"],
    ids=["deep array", "deep object", "deep statement", "not JSON"],
)
def test_a_policy_that_cannot_be_parsed_is_a_malformed_policy_document(
    server: ServerProcess, policy: str
) -> None:
    since = len(log_of(server))
    client = server.client("kms", validate=False)
    meta = new_key(client)
    before = client.get_key_policy(KeyId=meta["KeyId"], PolicyName="default")["Policy"]
    for call, params in [
        (client.create_key, {"Policy": policy}),
        (client.put_key_policy, {"KeyId": meta["KeyId"], "PolicyName": "default"}),
    ]:
        error = error_of(call, **{"Policy": policy, **params})
        assert error["Status"] == 400
        assert error["Code"] == "MalformedPolicyDocumentException"
        assert error["Message"] == "The new key policy is not valid JSON."
    assert client.get_key_policy(KeyId=meta["KeyId"], PolicyName="default")["Policy"] == before
    assert_no_traceback(server, since)


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 5000 + b"]" * 5000,  # deeper than the JSON parser goes
        b'{"KeyId": ' + b"[" * 1000 + b"]" * 1000 + b"}",  # within it, a list for a string
        b'{"KeyId": "\xff\xfe"}',  # not UTF-8
        b'{"KeyId": "\\ud800"}',  # a lone surrogate escaped
        b'{"KeyId": "a", "Limit": 1e999}',  # beyond a double
        b'{"Limit": ' + b"9" * 5000 + b"}",  # beyond Python's int() digit limit
    ],
    ids=["deep body", "deep member", "not UTF-8", "lone surrogate", "huge float", "huge int"],
)
def test_a_body_that_cannot_be_parsed_is_a_serialization_error(
    server: ServerProcess, body: bytes
) -> None:
    since = len(log_of(server))
    status, code = post_signed(server, "kms", "TrentService.DescribeKey", body)
    assert status == 400
    assert code == "SerializationException"
    assert_no_traceback(server, since)


def test_a_presigned_expiry_too_long_for_int_is_refused(server: ServerProcess) -> None:
    since = len(log_of(server))
    now = datetime.now(UTC)
    scope = f"{server.access_key}/{now:%Y%m%d}/{server.region}/kms/aws4_request"
    query = urlencode(
        {
            "X-Amz-Algorithm": "AWS4-HMAC-SHA256",
            "X-Amz-Credential": scope,
            "X-Amz-Date": f"{now:%Y%m%dT%H%M%SZ}",
            "X-Amz-SignedHeaders": "host",
            "X-Amz-Signature": "0" * 64,
            "X-Amz-Expires": "9" * 5000,  # int() refuses a string past 4300 digits
        }
    )
    answer = urllib3.request(
        "POST",
        f"{server.endpoint_url}/?{query}",
        body=b"{}",
        headers={"X-Amz-Target": "TrentService.ListKeys"},
        retries=False,
    )
    assert answer.status == 400, answer.data
    assert json.loads(answer.data)["__type"] == "IncompleteSignatureException"
    assert_no_traceback(server, since)


def test_the_server_log_holds_no_traceback(server: ServerProcess) -> None:
    assert log_of(server), "the server's stderr was not captured"
    assert_no_traceback(server)
