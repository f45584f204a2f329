"""The AWS JSON 1.1 codec: body parsing, result and error encoding, X-Amz-Target."""

from __future__ import annotations

import base64
import os
from datetime import UTC, datetime, timedelta, timezone
from types import MappingProxyType

import orjson
import pytest
from botocore.parsers import create_parser
from botocore.session import get_session

from strongroom.api.aws.json_protocol import (
    CONTENT_TYPE,
    encode_body,
    encode_error,
    parse_body,
)
from strongroom.errors import SerializationException


def test_content_type_is_json_1_1() -> None:
    assert CONTENT_TYPE == "application/x-amz-json-1.1"


# --- parse_body ----------------------------------------------------------------------


@pytest.mark.parametrize("body", [b"", bytearray(), memoryview(b"")])
def test_empty_body_is_an_empty_object(body: bytes) -> None:
    assert parse_body(body) == {}


def test_object_body_is_returned_as_parsed() -> None:
    body = b'{"KeyId": "alias/a", "Limit": 3, "Nested": {"x": [1, true, null]}}'
    assert parse_body(body) == {"KeyId": "alias/a", "Limit": 3, "Nested": {"x": [1, True, None]}}


@pytest.mark.parametrize("body", [b"{", b"{'a': 1}", b'{"a": 1,}', b"nope", b"   ", b"\xff"])
def test_malformed_json_is_a_serialization_error(body: bytes) -> None:
    with pytest.raises(SerializationException) as caught:
        parse_body(body)
    assert caught.value.message == "Could not parse request body into json"


def test_top_level_array_is_refused_as_aws_does() -> None:
    with pytest.raises(SerializationException) as caught:
        parse_body(b'[{"KeyId": "a"}]')
    assert caught.value.message == "Start of list found where not expected"


@pytest.mark.parametrize("body", [b"null", b'"text"', b"42", b"true"])
def test_top_level_scalar_is_refused(body: bytes) -> None:
    with pytest.raises(SerializationException) as caught:
        parse_body(body)
    assert "expected a JSON object" in caught.value.message


def test_parse_errors_never_echo_the_body() -> None:
    secret = "hunter2-do-not-echo"
    with pytest.raises(SerializationException) as caught:
        parse_body(b'{"SecretString": "' + secret.encode() + b'"')
    assert secret not in caught.value.message
    assert caught.value.__cause__ is None


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 5000 + b"]" * 5000,
        b'{"Policy": ' + b"[" * 1100 + b"]" * 1100 + b"}",
        b'{"a":' * 5000 + b"1" + b"}" * 5000,
        b"[" * 100_000,  # never closed
    ],
    ids=["deep array", "deep member", "deep object", "unclosed"],
)
def test_a_body_nested_too_deep_is_a_serialization_error(body: bytes) -> None:
    with pytest.raises(SerializationException) as caught:
        parse_body(body)
    assert caught.value.message == "Could not parse request body into json"


def test_nesting_within_the_parser_limit_is_parsed() -> None:
    assert parse_body(b'{"a": ' + b"[" * 1000 + b"]" * 1000 + b"}")["a"]


@pytest.mark.parametrize(
    "body",
    [b'{"KeyId": "\\ud800"}', b'{"KeyId": "\\udc00x"}', b'{"KeyId": "\xed\xa0\x80"}'],
    ids=["lone high surrogate", "lone low surrogate", "surrogate as UTF-8 bytes"],
)
def test_text_that_is_not_unicode_is_a_serialization_error(body: bytes) -> None:
    with pytest.raises(SerializationException):
        parse_body(body)


@pytest.mark.parametrize("number", [b"1e999", b"-1e999", b"9" * 5000])
def test_a_number_beyond_a_double_is_a_serialization_error(number: bytes) -> None:
    with pytest.raises(SerializationException):
        parse_body(b'{"Limit": ' + number + b"}")


# --- encode_body ---------------------------------------------------------------------


def test_bytes_become_base64() -> None:
    blob = os.urandom(61)
    body = encode_body({"CiphertextBlob": blob, "Raw": bytearray(b"ab"), "View": memoryview(b"c")})
    decoded = orjson.loads(body)
    assert base64.b64decode(decoded["CiphertextBlob"]) == blob
    assert decoded["Raw"] == "YWI="
    assert decoded["View"] == "Yw=="


def test_datetimes_become_epoch_seconds() -> None:
    aware = datetime(2024, 5, 6, 7, 8, 9, 500000, tzinfo=timezone(timedelta(hours=2)))
    naive = datetime(2024, 5, 6, 5, 8, 9, 500000)
    decoded = orjson.loads(encode_body({"Aware": aware, "Naive": naive}))
    assert decoded["Aware"] == pytest.approx(aware.timestamp())
    assert decoded["Naive"] == pytest.approx(naive.replace(tzinfo=UTC).timestamp())
    assert decoded["Aware"] == decoded["Naive"]


def test_other_values_are_plain_json() -> None:
    result = {
        "KeyMetadata": {"Enabled": True, "KeySpec": "SYMMETRIC_DEFAULT", "Count": 3},
        "Aliases": [{"AliasName": "alias/a"}],
        "Nothing": None,
        "Ratio": 0.5,
        "Frozen": MappingProxyType({"k": "v"}),
    }
    decoded = orjson.loads(encode_body(result))
    assert decoded == {**result, "Frozen": {"k": "v"}}


def test_unsupported_values_are_a_programming_error() -> None:
    with pytest.raises(TypeError):
        encode_body({"Bad": object()})


def test_encoded_result_reads_back_through_botocore() -> None:
    """What botocore's own JSON parser makes of an Encrypt result."""
    model = get_session().get_service_model("kms").operation_model("Encrypt")
    blob = os.urandom(100)
    result = {"CiphertextBlob": blob, "KeyId": "arn:aws:kms:us-east-1:111122223333:key/k"}
    parsed = create_parser("json").parse(
        {"body": encode_body(result), "headers": {}, "status_code": 200}, model.output_shape
    )
    assert parsed["CiphertextBlob"] == blob
    assert parsed["KeyId"] == result["KeyId"]


def test_encoded_timestamps_read_back_through_botocore() -> None:
    model = get_session().get_service_model("kms").operation_model("DescribeKey")
    created = datetime(2023, 1, 2, 3, 4, 5, tzinfo=UTC)
    result = {"KeyMetadata": {"KeyId": "k", "CreationDate": created}}
    parsed = create_parser("json").parse(
        {"body": encode_body(result), "headers": {}, "status_code": 200}, model.output_shape
    )
    assert parsed["KeyMetadata"]["CreationDate"] == created


# --- encode_error --------------------------------------------------------------------


def test_error_body_has_type_and_lowercase_message() -> None:
    assert orjson.loads(encode_error("NotFoundException", "Key 'x' does not exist")) == {
        "__type": "NotFoundException",
        "message": "Key 'x' does not exist",
    }


def test_error_message_key_can_be_chosen() -> None:
    decoded = orjson.loads(encode_error("ResourceNotFoundException", "gone", message_key="Message"))
    assert decoded == {"__type": "ResourceNotFoundException", "Message": "gone"}


def test_error_body_reads_back_through_botocore() -> None:
    parsed = create_parser("json").parse(
        {
            "body": encode_error("DisabledException", "arn:aws:kms:k is disabled."),
            "headers": {},
            "status_code": 400,
        },
        None,
    )
    assert parsed["Error"]["Code"] == "DisabledException"
    assert parsed["Error"]["Message"] == "arn:aws:kms:k is disabled."


def test_an_error_message_that_is_not_valid_unicode_is_still_encoded() -> None:
    # A path decoded with surrogateescape holds lone surrogates; orjson refuses to write them.
    decoded = orjson.loads(encode_error("NotFound", "No route for GET /sys/\udcff."))
    assert decoded == {"__type": "NotFound", "message": "No route for GET /sys/?."}
