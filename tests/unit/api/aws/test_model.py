"""Request validation from botocore's models, with AWS's messages, for KMS, SM and SSM."""

from __future__ import annotations

import base64
import os
import re
from typing import Any

import orjson
import pytest
from botocore.serialize import create_serializer
from botocore.session import get_session

from strongroom.api.aws.java_regex import java_pattern
from strongroom.api.aws.model import OperationModel, ServiceModel
from strongroom.errors import SerializationException, ValidationException

SERVICES = ("kms", "secretsmanager", "ssm")
_BOTOCORE = get_session()


def _op(service: str, name: str) -> OperationModel:
    operation = ServiceModel.load(service).operation(name)
    assert operation is not None
    return operation


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _decode(service: str, name: str, params: dict[str, Any]) -> dict[str, Any]:
    return _op(service, name).decode(orjson.dumps(params))


def _invalid(service: str, name: str, params: dict[str, Any]) -> str:
    with pytest.raises(ValidationException) as caught:
        _decode(service, name, params)
    return caught.value.message


def _malformed(service: str, name: str, body: bytes | dict[str, Any]) -> str:
    raw = body if isinstance(body, bytes) else orjson.dumps(body)
    with pytest.raises(SerializationException) as caught:
        _op(service, name).decode(raw)
    return caught.value.message


def _one(message: str) -> str:
    prefix = "1 validation error detected: "
    assert message.startswith(prefix), message
    return message[len(prefix) :]


def _enum(service: str, shape: str) -> str:
    values = _BOTOCORE.get_service_model(service).shape_for(shape).enum
    return "[" + ", ".join(values) + "]"


# --- loading -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("service", "prefix", "signing"),
    [
        ("kms", "TrentService", "kms"),
        ("secretsmanager", "secretsmanager", "secretsmanager"),
        ("ssm", "AmazonSSM", "ssm"),
    ],
)
def test_service_metadata(service: str, prefix: str, signing: str) -> None:
    loaded = ServiceModel.load(service)
    assert (loaded.name, loaded.target_prefix, loaded.signing_name) == (service, prefix, signing)


@pytest.mark.parametrize("service", SERVICES)
def test_model_is_loaded_once_and_lists_botocore_operations(service: str) -> None:
    loaded = ServiceModel.load(service)
    assert ServiceModel.load(service) is loaded
    expected = sorted(_BOTOCORE.get_service_model(service).operation_names)
    assert loaded.operation_names() == expected
    assert loaded.operation("NoSuchOperation") is None


@pytest.mark.parametrize("service", SERVICES)
def test_every_operation_compiles_and_checks_required_members(service: str) -> None:
    loaded = ServiceModel.load(service)
    loaded.compile_all()
    botocore_model = _BOTOCORE.get_service_model(service)
    for name in loaded.operation_names():
        operation = loaded.operation(name)
        assert operation is not None
        shape = botocore_model.operation_model(name).input_shape
        required = shape.required_members if shape is not None else []
        assert operation.input_members == frozenset(shape.members if shape is not None else ())
        if not required:
            assert operation.decode(b"{}") == {}
            continue
        with pytest.raises(ValidationException) as caught:
            operation.decode(b"{}")
        paths = re.findall(r"Value null at '([^']+)' failed", caught.value.message)
        expected = [member[0].lower() + member[1:] for member in required]
        assert sorted(paths) == sorted(expected)[: len(paths)]


def test_unknown_service_is_an_error() -> None:
    with pytest.raises(Exception, match="nosuchservice"):
        ServiceModel.load("nosuchservice")


def test_a_rest_json_model_loads_with_its_bindings_and_errors() -> None:
    loaded = ServiceModel.load("lambda")
    assert (loaded.protocol, loaded.target_prefix, loaded.signing_name) == (
        "rest-json",
        "",
        "lambda",
    )
    assert ServiceModel.load("kms").protocol == "json"
    invoke = loaded.operation("Invoke")
    assert invoke is not None and invoke.output_shape == "InvocationResponse"
    assert dict(invoke.http) == {
        "method": "POST",
        "requestUri": "/2015-03-31/functions/{FunctionName}/invocations",
        "responseCode": 200,
    }
    assert invoke.sensitive_input == {"Payload"}
    assert loaded.errors["ResourceNotFoundException"] == (404, True, "Message")
    assert loaded.errors["ResourceConflictException"] == (409, True, "message")
    assert loaded.errors["ServiceException"] == (500, False, "Message")
    loaded.compile_all()


def test_a_protocol_other_than_json_rest_json_or_query_is_refused() -> None:
    with pytest.raises(ValueError, match="neither"):
        ServiceModel("s3", _BOTOCORE.get_service_model("s3")._service_description)


# --- decoding what a client sends ----------------------------------------------------


def test_encrypt_request_decodes_to_python_values() -> None:
    plaintext = os.urandom(32)
    params = _decode(
        "kms",
        "Encrypt",
        {
            "KeyId": "alias/app",
            "Plaintext": _b64(plaintext),
            "EncryptionContext": {"tenant": "t-42", "purpose": "test"},
            "GrantTokens": ["token"],
            "DryRun": False,
        },
    )
    assert params == {
        "KeyId": "alias/app",
        "Plaintext": plaintext,
        "EncryptionContext": {"tenant": "t-42", "purpose": "test"},
        "GrantTokens": ["token"],
        "DryRun": False,
    }


@pytest.mark.parametrize(
    ("service", "operation", "params"),
    [
        (
            "kms",
            "Encrypt",
            {"KeyId": "k", "Plaintext": b"\x00\x01", "EncryptionContext": {"a": "b"}},
        ),
        ("kms", "GenerateDataKey", {"KeyId": "k", "NumberOfBytes": 32, "GrantTokens": ["g"]}),
        (
            "kms",
            "CreateKey",
            {
                "KeySpec": "RSA_2048",
                "KeyUsage": "SIGN_VERIFY",
                "MultiRegion": True,
                "Tags": [{"TagKey": "team", "TagValue": "core"}],
            },
        ),
        ("secretsmanager", "CreateSecret", {"Name": "prod/db", "SecretBinary": b"\xff" * 9}),
        (
            "ssm",
            "PutParameter",
            {
                "Name": "/a/b",
                "Value": "v",
                "Type": "SecureString",
                "Tags": [{"Key": "Ünïcödé 名", "Value": "x=y"}],
            },
        ),
    ],
)
def test_botocore_serialized_requests_round_trip(
    service: str, operation: str, params: dict[str, Any]
) -> None:
    """Whatever boto3 would send decodes back to the parameters it was given."""
    operation_model = _BOTOCORE.get_service_model(service).operation_model(operation)
    request = create_serializer("json").serialize_to_request(params, operation_model)
    assert _op(service, operation).decode(request["body"]) == params


def test_unknown_members_are_ignored() -> None:
    params = _decode("kms", "DescribeKey", {"KeyId": "k", "Surprise": {"deep": [1, 2]}, "x": 1})
    assert params == {"KeyId": "k"}


def test_json_nulls_count_as_absent() -> None:
    params = _decode(
        "kms",
        "Encrypt",
        {
            "KeyId": "k",
            "Plaintext": "AA==",
            "GrantTokens": [None, "g"],
            "DryRun": None,
            "EncryptionContext": {"a": None, "b": "c"},
        },
    )
    assert params == {
        "KeyId": "k",
        "Plaintext": b"\x00",
        "GrantTokens": ["g"],
        "EncryptionContext": {"b": "c"},
    }
    message = _invalid("kms", "Encrypt", {"KeyId": None, "Plaintext": "AA=="})
    assert _one(message) == (
        "Value null at 'keyId' failed to satisfy constraint: Member must not be null"
    )


def test_empty_body_is_accepted_when_nothing_is_required() -> None:
    assert _op("kms", "ListKeys").decode(b"") == {}
    message = _invalid("kms", "Encrypt", {})
    assert message == (
        "2 validation errors detected: "
        "Value null at 'keyId' failed to satisfy constraint: Member must not be null; "
        "Value null at 'plaintext' failed to satisfy constraint: Member must not be null"
    )


def test_decimal_integers_are_truncated_as_coral_does() -> None:
    assert _decode("kms", "GenerateRandom", {"NumberOfBytes": 16.9}) == {"NumberOfBytes": 16}


def test_timestamps_accept_epoch_numbers_and_iso_strings() -> None:
    base = {"KeyId": "k", "ImportToken": "AA==", "EncryptedKeyMaterial": "AA=="}
    epoch = _decode("kms", "ImportKeyMaterial", {**base, "ValidTo": 1700000000})["ValidTo"]
    iso = _decode("kms", "ImportKeyMaterial", {**base, "ValidTo": "2023-11-14T22:13:20Z"})
    naive = _decode("kms", "ImportKeyMaterial", {**base, "ValidTo": "2023-11-14T22:13:20"})
    assert epoch == iso["ValidTo"] == naive["ValidTo"] == 1700000000.0
    assert isinstance(epoch, float)
    assert "Timestamp" in _malformed("kms", "ImportKeyMaterial", {**base, "ValidTo": "soon"})


# --- constraints ---------------------------------------------------------------------


def test_string_max_length() -> None:
    key_id = "k" * 2049
    assert _one(_invalid("kms", "Encrypt", {"KeyId": key_id, "Plaintext": "AA=="})) == (
        f"Value '{key_id}' at 'keyId' failed to satisfy constraint: "
        "Member must have length less than or equal to 2048"
    )
    assert _decode("kms", "Encrypt", {"KeyId": "k" * 2048, "Plaintext": "AA=="})["KeyId"]


def test_string_min_length() -> None:
    assert _one(_invalid("kms", "DescribeKey", {"KeyId": ""})) == (
        "Value '' at 'keyId' failed to satisfy constraint: "
        "Member must have length greater than or equal to 1"
    )


def test_blob_length_counts_decoded_bytes_and_hides_the_value() -> None:
    assert _decode("kms", "Encrypt", {"KeyId": "k", "Plaintext": _b64(b"p" * 4096)})
    plaintext = b"TOP-SECRET-PLAINTEXT" * 205
    message = _invalid("kms", "Encrypt", {"KeyId": "k", "Plaintext": _b64(plaintext)})
    assert _one(message) == (
        "Value at 'plaintext' failed to satisfy constraint: "
        "Member must have length less than or equal to 4096"
    )
    empty = _invalid("kms", "Encrypt", {"KeyId": "k", "Plaintext": ""})
    assert _one(empty) == (
        "Value at 'plaintext' failed to satisfy constraint: "
        "Member must have length greater than or equal to 1"
    )


def test_blobs_are_never_echoed_even_when_not_sensitive() -> None:
    message = _invalid("kms", "Decrypt", {"CiphertextBlob": _b64(b"c" * 6145)})
    assert _one(message).startswith("Value at 'ciphertextBlob' failed")


def test_integer_range() -> None:
    assert _one(_invalid("kms", "GenerateRandom", {"NumberOfBytes": 0})) == (
        "Value '0' at 'numberOfBytes' failed to satisfy constraint: "
        "Member must have value greater than or equal to 1"
    )
    assert _one(_invalid("kms", "GenerateRandom", {"NumberOfBytes": 1025})) == (
        "Value '1025' at 'numberOfBytes' failed to satisfy constraint: "
        "Member must have value less than or equal to 1024"
    )
    for edge in (1, 1024):
        assert _decode("kms", "GenerateRandom", {"NumberOfBytes": edge}) == {"NumberOfBytes": edge}


def test_enum() -> None:
    assert _one(_invalid("kms", "CreateKey", {"KeySpec": "AES_512"})) == (
        "Value 'AES_512' at 'keySpec' failed to satisfy constraint: "
        f"Member must satisfy enum value set: {_enum('kms', 'KeySpec')}"
    )
    assert _one(_invalid("kms", "GenerateDataKey", {"KeyId": "k", "KeySpec": "aes_256"})) == (
        "Value 'aes_256' at 'keySpec' failed to satisfy constraint: "
        "Member must satisfy enum value set: [AES_256, AES_128]"
    )


def test_pattern() -> None:
    assert _one(
        _invalid("kms", "CreateAlias", {"AliasName": "alias/bad!", "TargetKeyId": "k"})
    ) == (
        "Value 'alias/bad!' at 'aliasName' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: ^[a-zA-Z0-9:/_-]+$"
    )
    assert _decode("kms", "CreateAlias", {"AliasName": "alias/ok:1_2-3", "TargetKeyId": "k"})


def test_pattern_must_match_the_whole_value() -> None:
    """SSM's AccountId pattern is `(?i)all|[0-9]{12}`, unanchored: AWS matches it whole."""
    base = {"Name": "doc", "PermissionType": "Share"}
    assert _decode("ssm", "ModifyDocumentPermission", {**base, "AccountIdsToAdd": ["ALL"]})
    assert _decode("ssm", "ModifyDocumentPermission", {**base, "AccountIdsToAdd": ["123456789012"]})
    message = _invalid(
        "ssm", "ModifyDocumentPermission", {**base, "AccountIdsToAdd": ["1234567890123"]}
    )
    assert _one(message).startswith("Value '[1234567890123]' at 'accountIdsToAdd' failed")


def test_unicode_category_patterns() -> None:
    """SSM tag values use \\p{L}\\p{Z}\\p{N}: any letter, space or digit, not '#'."""
    request = {"Name": "/p", "Value": "v", "Tags": [{"Key": "Ünïcödé 名前 ٣", "Value": "a b"}]}
    assert _decode("ssm", "PutParameter", request)["Tags"] == request["Tags"]
    message = _invalid("ssm", "PutParameter", {**request, "Tags": [{"Key": "k", "Value": "#"}]})
    assert _one(message) == (
        "Value '#' at 'tags.1.member.value' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: ^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)$"
    )


def test_list_of_structures_reports_item_paths() -> None:
    message = _invalid(
        "kms",
        "CreateKey",
        {
            "Tags": [
                {"TagKey": "ok", "TagValue": "v"},
                {"TagKey": "", "TagValue": "v"},
                {"TagKey": "k"},
            ]
        },
    )
    assert message == (
        "2 validation errors detected: "
        "Value '' at 'tags.2.member.tagKey' failed to satisfy constraint: "
        "Member must have length greater than or equal to 1; "
        "Value null at 'tags.3.member.tagValue' failed to satisfy constraint: "
        "Member must not be null"
    )


def test_list_of_scalars_reports_once_with_every_item_constraint() -> None:
    message = _invalid(
        "kms", "Encrypt", {"KeyId": "k", "Plaintext": "AA==", "GrantTokens": ["", "g", ""]}
    )
    assert _one(message) == (
        "Value '[, g, ]' at 'grantTokens' failed to satisfy constraint: "
        "Member must satisfy constraint: [Member must have length less than or equal to 8192, "
        "Member must have length greater than or equal to 1]"
    )


def test_list_size() -> None:
    tokens = [f"g{i}" for i in range(11)]
    message = _invalid("kms", "Encrypt", {"KeyId": "k", "Plaintext": "AA==", "GrantTokens": tokens})
    assert _one(message) == (
        f"Value '[{', '.join(tokens)}]' at 'grantTokens' failed to satisfy constraint: "
        "Member must have length less than or equal to 10"
    )


def test_map_keys_and_values_report_once_each_keys_first() -> None:
    """SSM inventory item content: a map of 1..64-char keys to values of up to 4096."""
    item = {"TypeName": "Custom:App", "SchemaVersion": "1.0", "CaptureTime": "2024-01-01T00:00:00Z"}
    content = {"": "v", "k": "x" * 4097, "ok": "fine"}
    message = _invalid(
        "ssm",
        "PutInventory",
        {"InstanceId": "i-0123456789abcdef0", "Items": [{**item, "Content": [content]}]},
    )
    shown = "{=v, k=" + "x" * 4097 + ", ok=fine}"
    assert message == (
        "2 validation errors detected: "
        f"Value '{shown}' at 'items.1.member.content.1.member' failed to satisfy constraint: "
        "Map keys must satisfy constraint: [Member must have length less than or equal to 64, "
        "Member must have length greater than or equal to 1]; "
        f"Value '{shown}' at 'items.1.member.content.1.member' failed to satisfy constraint: "
        "Map value must satisfy constraint: [Member must have length less than or equal to "
        "4096, Member must have length greater than or equal to 0]"
    )


def test_map_size_and_nested_map_values() -> None:
    """SSM automation parameters: 1..200 entries, each a list of at most 50 strings."""
    message = _invalid("ssm", "StartAutomationExecution", {"DocumentName": "doc", "Parameters": {}})
    assert _one(message) == (
        "Value '{}' at 'parameters' failed to satisfy constraint: "
        "Member must have length greater than or equal to 1"
    )
    message = _invalid(
        "ssm", "StartAutomationExecution", {"DocumentName": "doc", "Parameters": {"p": ["v"] * 51}}
    )
    assert _one(message).startswith("Value '[v, v, v")
    assert "at 'parameters.p.member' failed to satisfy constraint: " in message
    assert message.endswith("Member must have length less than or equal to 50")


def test_several_errors_are_counted_and_joined() -> None:
    message = _invalid(
        "kms",
        "GenerateDataKey",
        {"KeyId": "", "NumberOfBytes": 2048, "KeySpec": "AES_1"},
    )
    assert message == (
        "3 validation errors detected: "
        "Value '' at 'keyId' failed to satisfy constraint: "
        "Member must have length greater than or equal to 1; "
        "Value '2048' at 'numberOfBytes' failed to satisfy constraint: "
        "Member must have value less than or equal to 1024; "
        "Value 'AES_1' at 'keySpec' failed to satisfy constraint: "
        "Member must satisfy enum value set: [AES_256, AES_128]"
    )


def test_one_value_breaking_two_constraints_gives_two_errors() -> None:
    message = _invalid("kms", "CreateAlias", {"AliasName": "", "TargetKeyId": "k"})
    assert message == (
        "2 validation errors detected: "
        "Value '' at 'aliasName' failed to satisfy constraint: "
        "Member must have length greater than or equal to 1; "
        "Value '' at 'aliasName' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: ^[a-zA-Z0-9:/_-]+$"
    )


def test_at_most_ten_errors_are_listed() -> None:
    tags = [{"TagKey": "", "TagValue": "v"} for _ in range(12)]
    message = _invalid("kms", "CreateKey", {"Tags": tags})
    assert message.startswith("10 validation errors detected: ")
    assert message.count("failed to satisfy constraint") == 10
    assert "tags.10.member.tagKey" in message
    assert "tags.11.member" not in message


# --- sensitive members ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("service", "operation", "expected"),
    [
        ("kms", "Encrypt", {"Plaintext"}),
        ("kms", "GenerateRandom", set()),
        ("kms", "ImportKeyMaterial", set()),
        ("kms", "CreateCustomKeyStore", {"KeyStorePassword", "XksProxyAuthenticationCredential"}),
        ("secretsmanager", "CreateSecret", {"SecretString", "SecretBinary"}),
        ("secretsmanager", "GetSecretValue", set()),
        ("ssm", "PutParameter", {"Value"}),
        ("ssm", "SendCommand", {"Parameters"}),
    ],
)
def test_sensitive_input(service: str, operation: str, expected: set[str]) -> None:
    assert _op(service, operation).sensitive_input == frozenset(expected)


@pytest.mark.parametrize(
    ("service", "operation", "params", "path"),
    [
        (
            "secretsmanager",
            "CreateSecret",
            {"Name": "n", "SecretString": "S3CRET!" * 9400},
            "secretString",
        ),
        ("secretsmanager", "PutSecretValue", {"SecretId": "n", "SecretString": ""}, "secretString"),
        (
            "ssm",
            "UpdateMaintenanceWindow",
            {"WindowId": "mw-0123456789abcdef0", "Description": "S3CRET!" * 30},
            "description",
        ),
        (
            "kms",
            "CreateCustomKeyStore",
            {"CustomKeyStoreName": "s", "KeyStorePassword": "S3CRET!" * 10},
            "keyStorePassword",
        ),
    ],
)
def test_sensitive_values_are_never_echoed(
    service: str, operation: str, params: dict[str, Any], path: str
) -> None:
    message = _invalid(service, operation, params)
    assert f"Value at '{path}' failed to satisfy constraint" in message
    assert "S3CRET" not in message


def test_values_under_a_sensitive_container_are_hidden() -> None:
    """RegisterTaskWithMaintenanceWindow's TaskParameters map is marked sensitive."""
    message = _invalid(
        "ssm",
        "RegisterTaskWithMaintenanceWindow",
        {
            "WindowId": "mw-0123456789abcdef0",
            "TaskArn": "a",
            "TaskType": "RUN_COMMAND",
            "TaskParameters": {"": {"Values": ["S3CRET"]}},
        },
    )
    assert "Value at 'taskParameters' failed to satisfy constraint: Map keys must" in message
    assert "S3CRET" not in message


# --- wrong JSON types ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"KeyId": 12, "Plaintext": "AA=="}, "NUMBER_VALUE can not be converted to a String"),
        ({"KeyId": 1.5, "Plaintext": "AA=="}, "NUMBER_VALUE can not be converted to a String"),
        ({"KeyId": True, "Plaintext": "AA=="}, "TRUE_VALUE can not be converted to a String"),
        ({"KeyId": False, "Plaintext": "AA=="}, "FALSE_VALUE can not be converted to a String"),
        ({"KeyId": ["k"], "Plaintext": "AA=="}, "Start of list found where not expected"),
        (
            {"KeyId": {"k": 1}, "Plaintext": "AA=="},
            "Start of structure or map found where not expected.",
        ),
        ({"KeyId": "k", "Plaintext": 7}, "NUMBER_VALUE can not be converted to a Blob"),
        (
            {"KeyId": "k", "Plaintext": "AA==", "DryRun": "true"},
            "STRING_VALUE can not be converted to a Boolean",
        ),
        (
            {"KeyId": "k", "Plaintext": "AA==", "DryRun": 1},
            "NUMBER_VALUE can not be converted to a Boolean",
        ),
        ({"KeyId": "k", "Plaintext": "AA==", "GrantTokens": "g"}, "Expected list or null"),
        (
            {"KeyId": "k", "Plaintext": "AA==", "GrantTokens": {"g": "h"}},
            "Start of structure or map found where not expected.",
        ),
        (
            {"KeyId": "k", "Plaintext": "AA==", "GrantTokens": [1]},
            "NUMBER_VALUE can not be converted to a String",
        ),
        ({"KeyId": "k", "Plaintext": "AA==", "EncryptionContext": "a=b"}, "Expected map or null"),
        (
            {"KeyId": "k", "Plaintext": "AA==", "EncryptionContext": ["a"]},
            "Start of list found where not expected",
        ),
        (
            {"KeyId": "k", "Plaintext": "AA==", "EncryptionContext": {"a": 1}},
            "NUMBER_VALUE can not be converted to a String",
        ),
    ],
)
def test_wrong_json_types_in_kms_encrypt(params: dict[str, Any], expected: str) -> None:
    assert _malformed("kms", "Encrypt", params) == expected


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"NumberOfBytes": "32"}, "STRING_VALUE can not be converted to an Integer"),
        ({"NumberOfBytes": True}, "TRUE_VALUE can not be converted to an Integer"),
        ({"NumberOfBytes": [32]}, "Start of list found where not expected"),
    ],
)
def test_wrong_json_types_for_integers(params: dict[str, Any], expected: str) -> None:
    assert _malformed("kms", "GenerateRandom", params) == expected


def test_wrong_json_types_for_structures() -> None:
    assert _malformed("kms", "CreateKey", {"Tags": ["team"]}) == "Expected null"
    assert _malformed("kms", "CreateKey", {"Tags": [["team"]]}) == (
        "Start of list found where not expected"
    )


def test_type_errors_win_over_constraint_errors() -> None:
    assert _malformed("kms", "Encrypt", {"KeyId": "", "Plaintext": 1}) == (
        "NUMBER_VALUE can not be converted to a Blob"
    )


@pytest.mark.parametrize(
    ("blob", "reason"),
    [
        ("abc", "Base64 encoded length is expected a multiple of 4 bytes but found: 3"),
        ("ab!c", "Invalid Base64 character"),
        ("QU=D", "Invalid Base64 character"),
        ("QUJD\n", "Base64 encoded length is expected a multiple of 4 bytes but found: 5"),
        ("QUJDé===", "Invalid Base64 character"),
        ("QUJD====", "Invalid Base64 character"),  # padding after a whole group
        ("QUJD=", "Base64 encoded length is expected a multiple of 4 bytes but found: 5"),
    ],
)
def test_bad_base64_is_a_serialization_error_without_the_value(blob: str, reason: str) -> None:
    message = _malformed("kms", "Encrypt", {"KeyId": "k", "Plaintext": blob})
    assert message == f"'***' can not be converted to a Blob: {reason}"


def test_malformed_bodies() -> None:
    assert _malformed("kms", "Encrypt", b"{") == "Could not parse request body into json"
    assert _malformed("kms", "Encrypt", b'[{"KeyId": "k"}]') == (
        "Start of list found where not expected"
    )


def test_deep_nesting_is_refused_cleanly() -> None:
    """SSM's OpsAggregator is recursive: nesting past Python's stack is a client error."""
    level = '{"AggregatorType": "count", "AttributeName": "a", "Aggregators": ['
    body = ('{"Aggregators": [' + level * 500 + "{}" + "]}" * 501).encode()
    assert _malformed("ssm", "GetOpsSummary", body) == "Request nesting is too deep"


# --- Java patterns -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "matches", "rejects"),
    [
        (".+", ["a b", "é"], ["a\rb", "a\u2028", "a\x85"]),
        ("\\w+", ["a_Z9"], ["é", "名"]),
        ("\\d+", ["0123"], ["٣"]),
        ("[\\u0020-\\u00FF]*", ["", " ~ÿ"], ["\u0100"]),
        ("[a-zA-Z0-9-_.]+", ["a-b_c.d"], ["a+b"]),
        ("[\\w+=,.@/-]+", ["user+x=y,z.@/-"], ["a b"]),
        ("^\\!?[a-zA-Z0-9 :_@\\/\\+\\=\\.\\-\\!]*$", ["!a b:_@/+=.-!"], ["a#"]),
        ("[$]LATEST|[1-9][0-9]*", ["$LATEST", "12"], ["$LATESTX", "0"]),
        ("(?i)all|[0-9]{12}", ["All", "123456789012"], ["allx", "12345678901"]),
        (
            "([a-z])(b)(c)(d)(e)(f)(g)(h)(i)(j)(k)(l)(m)(n)(o)(p)(q)\\17",
            ["abcdefghijklmnopqq"],
            ["abcdefghijklmnopqa"],
        ),
        ("(a)\\17", ["aa7"], ["a17", "aa"]),
        ("\\p{Lu}\\P{L}", ["A1", "Ä "], ["a1", "AB"]),
        ("[^\\p{N}]+", ["abc"], ["a1", "٣"]),
        ("\\Qa.b\\E", ["a.b"], ["axb"]),
        ("[\\[\\]&~|]+", ["[]&~|"], ["a"]),
    ],
)
def test_java_patterns_translate(pattern: str, matches: list[str], rejects: list[str]) -> None:
    compiled = java_pattern(pattern)
    for text in matches:
        assert compiled.fullmatch(text), (pattern, text)
    for text in rejects:
        assert not compiled.fullmatch(text), (pattern, text)


@pytest.mark.parametrize("pattern", ["[a-z&&[^b]]", "\\p{InGreek}", "\\R", "[\\P{L}]"])
def test_untranslatable_java_patterns_fail_loudly(pattern: str) -> None:
    with pytest.raises(ValueError):
        java_pattern(pattern)


# --- encode --------------------------------------------------------------------------


def test_encode_round_trips_blobs_through_botocore() -> None:
    from botocore.parsers import create_parser

    blob = os.urandom(48)
    body = _op("kms", "GenerateDataKey").encode(
        {"CiphertextBlob": blob, "Plaintext": blob[:32], "KeyId": "arn:k"}
    )
    output = _BOTOCORE.get_service_model("kms").operation_model("GenerateDataKey").output_shape
    parsed = create_parser("json").parse({"body": body, "headers": {}, "status_code": 200}, output)
    assert parsed["CiphertextBlob"] == blob
    assert parsed["Plaintext"] == blob[:32]
    assert parsed["KeyId"] == "arn:k"
