"""The AWS query protocol (IAM, STS) against botocore's own serializer and parser.

For every operation of the iam and sts models, and of a small model of our own that uses
what they do not (flattened lists and maps, renamed members, list items and map entries,
floats), generated inputs go through botocore's query serializer and come back as the same
parameters from `QueryProtocol.document` (or `decode`, where the model constrains
nothing); generated results go through `QueryProtocol.answer` and come back the same from
botocore's query parser. Errors parse to their code, message and status.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import botocore.session
import pytest
from botocore.model import OperationModel as BotoOperation
from botocore.model import ServiceModel as BotoModel
from botocore.model import Shape
from botocore.parsers import create_parser
from botocore.serialize import create_serializer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from strongroom import errors
from strongroom.api.aws.model import ServiceModel
from strongroom.api.aws.query_protocol import QueryProtocol, form_pairs, scope_service

_SESSION = botocore.session.get_session()
_SERIALIZER = create_serializer("query", include_validation=False)
_PARSER = create_parser("query")
_SETTINGS = settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])

_SYNTHETIC: dict[str, Any] = {
    "metadata": {
        "apiVersion": "2020-01-01",
        "endpointPrefix": "synth",
        "protocol": "query",
        "serviceId": "Synth",
        "signatureVersion": "v4",
        "xmlNamespace": "https://synth.example/doc/2020-01-01/",
        "uid": "synth-2020-01-01",
    },
    "operations": {
        "Everything": {
            "name": "Everything",
            "http": {"method": "POST", "requestUri": "/"},
            "input": {"shape": "Bag"},
            "output": {"shape": "Bag", "resultWrapper": "EverythingResult"},
        },
        "Unwrapped": {
            "name": "Unwrapped",
            "http": {"method": "POST", "requestUri": "/"},
            "input": {"shape": "Inner"},
            "output": {"shape": "Inner"},
        },
    },
    "shapes": {
        "Bag": {
            "type": "structure",
            "members": {
                "Text": {"shape": "S"},
                "Renamed": {"shape": "S", "locationName": "OtherName"},
                "Count": {"shape": "I"},
                "Big": {"shape": "L"},
                "Ratio": {"shape": "F"},
                "Precise": {"shape": "D"},
                "Flag": {"shape": "B"},
                "When": {"shape": "T"},
                "Data": {"shape": "Blob"},
                "Items": {"shape": "Strings"},
                "Named": {"shape": "NamedStrings"},
                "Flat": {"shape": "FlatStrings"},
                "FlatNamed": {"shape": "FlatNamedStrings"},
                "Pairs": {"shape": "Pairs"},
                "NamedPairs": {"shape": "NamedPairs"},
                "FlatPairs": {"shape": "FlatPairs"},
                "Inner": {"shape": "Inner"},
                "Inners": {"shape": "Inners"},
            },
        },
        "Inner": {
            "type": "structure",
            "members": {"Name": {"shape": "S"}, "Times": {"shape": "Times"}},
        },
        "Inners": {"type": "list", "member": {"shape": "Inner"}},
        "S": {"type": "string"},
        "I": {"type": "integer"},
        "L": {"type": "long"},
        "F": {"type": "float"},
        "D": {"type": "double"},
        "B": {"type": "boolean"},
        "T": {"type": "timestamp"},
        "Blob": {"type": "blob"},
        "Strings": {"type": "list", "member": {"shape": "S"}},
        "Times": {"type": "list", "member": {"shape": "T"}},
        "NamedStrings": {"type": "list", "member": {"shape": "S", "locationName": "item"}},
        "FlatStrings": {"type": "list", "member": {"shape": "S"}, "flattened": True},
        "FlatNamedStrings": {
            "type": "list",
            "member": {"shape": "S", "locationName": "Thing"},
            "flattened": True,
        },
        "Pairs": {"type": "map", "key": {"shape": "S"}, "value": {"shape": "I"}},
        "NamedPairs": {
            "type": "map",
            "key": {"shape": "S", "locationName": "Name"},
            "value": {"shape": "Inner", "locationName": "Setting"},
        },
        "FlatPairs": {
            "type": "map",
            "key": {"shape": "S"},
            "value": {"shape": "S"},
            "flattened": True,
        },
    },
}


def _models(name: str) -> tuple[BotoModel, ServiceModel]:
    if name == "synth":
        return BotoModel(_SYNTHETIC, "synth"), ServiceModel("synth", _SYNTHETIC)
    return _SESSION.get_service_model(name), ServiceModel.load(name)


_CASES = [
    (service, operation)
    for service in ("iam", "sts", "synth")
    for operation in _models(service)[0].operation_names
]


# --- values from shapes ---------------------------------------------------------------

# Text XML 1.0 can carry (the protocol writes anything else as "?"), surrogates excluded.
_XML_CHARS = st.characters(
    blacklist_categories=("Cs",),
    blacklist_characters=[chr(c) for c in range(0x20) if c not in (9, 10, 13)]
    + ["\ufffe", "\uffff"],
)
_TEXT = st.text(_XML_CHARS, max_size=8)
_MOMENTS = st.datetimes(
    min_value=datetime(1970, 1, 2), max_value=datetime(2200, 1, 1), timezones=st.just(UTC)
)


def _values(
    shape: Shape, output: bool, path: frozenset[str] = frozenset(), nested: bool = False
) -> Any:
    """A strategy for values of `shape` in a request or a result (a shape already on
    `path` is left out). What puts nothing on the wire is not drawn: an empty map in a
    request, an empty flattened list or map in a result, a nested empty structure."""
    kind = shape.type_name
    flattened = output and bool(shape.serialization.get("flattened"))
    if kind == "structure":
        path = path | {shape.name}
        members = {
            name: _values(member, output, path, True)
            for name, member in shape.members.items()
            if member.name not in path
        }
        found = st.fixed_dictionaries({}, optional=members)
        # An empty structure puts nothing on the wire: nested, it is not there at all.
        return found.filter(bool) if nested and members else found
    if kind == "list":
        return st.lists(
            _values(shape.member, output, path, True), min_size=int(flattened), max_size=3
        )
    if kind == "map":
        return st.dictionaries(
            st.text(_XML_CHARS, min_size=1, max_size=6),
            _values(shape.value, output, path, True),
            min_size=int(flattened or not output),
            max_size=3,
        )
    return {
        "string": _TEXT,
        "integer": st.integers(-(2**31), 2**31 - 1),
        "long": st.integers(-(2**63), 2**63 - 1),
        "float": st.floats(allow_nan=False, allow_infinity=False, width=32),
        "double": st.floats(allow_nan=False, allow_infinity=False),
        "boolean": st.booleans(),
        "timestamp": _MOMENTS,
        "blob": st.binary(max_size=12),
    }[kind]


def _from_document(shape: Shape, value: Any) -> Any:
    """A query document as the parameters it stands for (wire names to member names,
    ISO 8601 text to datetimes, base64 to bytes)."""
    kind = shape.type_name
    if kind == "structure":
        out = {}
        for name, member in shape.members.items():
            key = member.serialization.get("name", name)
            if key in value:
                out[name] = _from_document(member, value[key])
        return out
    if kind == "list":
        return [_from_document(shape.member, item) for item in value]
    if kind == "map":
        return {key: _from_document(shape.value, item) for key, item in value.items()}
    if kind == "timestamp":
        return datetime.fromisoformat(value)
    if kind == "blob":
        return base64.b64decode(value)
    return value


def _as_validated(shape: Shape, value: Any) -> Any:
    """Parameters as the validator hands them on (timestamps as epoch seconds)."""
    kind = shape.type_name
    if kind == "structure":
        return {name: _as_validated(shape.members[name], item) for name, item in value.items()}
    if kind == "list":
        return [_as_validated(shape.member, item) for item in value]
    if kind == "map":
        return {key: _as_validated(shape.value, item) for key, item in value.items()}
    if kind == "timestamp":
        return value.timestamp()
    return value


def _form(operation: BotoOperation, params: Mapping[str, Any]) -> bytes:
    request = _SERIALIZER.serialize_to_request(params, operation)
    return urlencode(request["body"], doseq=True).encode()


def _parsed(operation: BotoOperation, status: int, body: bytes) -> dict[str, Any]:
    response = {"status_code": status, "headers": {}, "body": body}
    result: dict[str, Any] = _PARSER.parse(response, operation.output_shape)
    return result


# --- requests -------------------------------------------------------------------------


@pytest.mark.parametrize(("service", "name"), _CASES)
@_SETTINGS
@given(data=st.data())
def test_botocore_forms_decode_to_the_parameters_they_were_made_from(
    service: str, name: str, data: st.DataObject
) -> None:
    boto, model = _models(service)
    operation = boto.operation_model(name)
    if operation.input_shape is None:
        return
    params = data.draw(_values(operation.input_shape, False))
    wire = QueryProtocol(model)
    ours = model.operation(name)
    assert ours is not None
    pairs = form_pairs(_form(operation, params))
    assert ("Action", name) in pairs
    document = wire.document(ours, pairs)
    assert _from_document(operation.input_shape, document) == params
    if service == "synth":  # nothing constrained: the validator passes it all on
        expected = _as_validated(operation.input_shape, params)
        assert wire.decode(ours, pairs) == expected


def test_a_real_request_is_validated_by_the_model() -> None:
    boto, model = _models("iam")
    operation, ours = boto.operation_model("CreateUser"), model.operation("CreateUser")
    assert ours is not None
    params = {"UserName": "alice", "Path": "/a+b&/", "Tags": [{"Key": "k", "Value": "v w+="}]}
    assert QueryProtocol(model).decode(ours, form_pairs(_form(operation, params))) == params
    with pytest.raises(errors.ValidationException) as raised:
        QueryProtocol(model).decode(ours, form_pairs(b"Action=CreateUser&UserName=a%2Fb"))
    assert raised.value.message.startswith("1 validation error detected: Value 'a/b' at")
    with pytest.raises(errors.ValidationException, match="Member must not be null"):
        QueryProtocol(model).decode(ours, form_pairs(b"Action=CreateUser"))


@pytest.mark.parametrize(
    "form",
    [b"Action=ListUsers&MaxItems=ten", b"Action=ListUsers&MaxItems=1.5"],
)
def test_a_number_that_is_not_one_is_refused(form: bytes) -> None:
    model = ServiceModel.load("iam")
    ours = model.operation("ListUsers")
    assert ours is not None
    with pytest.raises(errors.SerializationException):
        QueryProtocol(model).decode(ours, form_pairs(form))


def test_booleans_are_true_or_false() -> None:
    model = ServiceModel.load("iam")
    ours = model.operation("UpdateAccountPasswordPolicy")
    assert ours is not None
    wire = QueryProtocol(model)
    decoded = wire.decode(ours, form_pairs(b"RequireSymbols=true&RequireNumbers=false"))
    assert decoded == {"RequireSymbols": True, "RequireNumbers": False}
    with pytest.raises(errors.SerializationException):
        wire.decode(ours, form_pairs(b"RequireSymbols=yes"))


def test_forms_are_utf8_with_plus_as_space() -> None:
    assert form_pairs(b"A=x+y%2B%C3%A9&B=&C&&D=%3D") == [
        ("A", "x y+\u00e9"),
        ("B", ""),
        ("C", ""),
        ("D", "="),
    ]
    with pytest.raises(errors.SerializationException):
        form_pairs(b"A=%FF")


def test_the_scope_names_the_service_unverified() -> None:
    header = b"AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/sts/aws4_request, Sig=x"
    assert scope_service([(b"authorization", header)], b"") == "sts"
    query = b"Action=GetUser&X-Amz-Credential=AKID%2F20240101%2Feu-west-1%2Fiam%2Faws4_request"
    assert scope_service([], query) == "iam"
    assert scope_service([(b"authorization", b"AWS4-HMAC-SHA256 Credential=x")], b"") is None
    assert scope_service([], b"Action=GetUser") is None


# --- answers --------------------------------------------------------------------------


@pytest.mark.parametrize(("service", "name"), _CASES)
@_SETTINGS
@given(data=st.data())
def test_answers_parse_back_to_the_result_with_botocore(
    service: str, name: str, data: st.DataObject
) -> None:
    boto, model = _models(service)
    operation = boto.operation_model(name)
    ours = model.operation(name)
    assert ours is not None
    result = (
        {} if operation.output_shape is None else data.draw(_values(operation.output_shape, True))
    )
    answer = QueryProtocol(model).answer(ours, result, "0000-request")
    assert (answer.status, answer.content_type) == (200, b"text/xml")
    parsed = _parsed(operation, 200, answer.body)
    assert parsed.pop("ResponseMetadata")["RequestId"] == "0000-request"
    assert parsed == result


def test_answers_name_the_namespace_and_escape_text() -> None:
    boto, model = _models("iam")
    ours = model.operation("GetUser")
    assert ours is not None
    moment = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)
    user = {"Path": "/", "UserName": "a<b>&c", "UserId": "AIDA", "Arn": "arn", "CreateDate": moment}
    body = QueryProtocol(model).answer(ours, {"User": user, "Unmodeled": 1}, "rid").body
    assert body.startswith(
        b'<GetUserResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><GetUserResult>'
    )
    assert b"<UserName>a&lt;b&gt;&amp;c</UserName>" in body
    assert b"<CreateDate>2024-05-01T12:00:00Z</CreateDate>" in body
    assert b"Unmodeled" not in body
    assert _parsed(boto.operation_model("GetUser"), 200, body)["User"] == user


def test_text_xml_cannot_hold_becomes_a_question_mark() -> None:
    boto, model = _models("iam")
    ours = model.operation("GetUser")
    assert ours is not None
    user = {"UserName": "a\x00b\ud800c\x1f", "Arn": "arn", "CreateDate": 0.5}
    body = QueryProtocol(model).answer(ours, {"User": user}, "rid").body
    parsed = _parsed(boto.operation_model("GetUser"), 200, body)["User"]
    assert parsed["UserName"] == "a?b?c?"
    assert parsed["CreateDate"] == datetime(1970, 1, 1, 0, 0, 0, 500000, tzinfo=UTC)


def test_operations_without_output_answer_only_their_request_id() -> None:
    model = ServiceModel.load("iam")
    ours = model.operation("DeleteUser")
    assert ours is not None
    body = QueryProtocol(model).answer(ours, {}, "rid").body
    assert body == (
        b'<DeleteUserResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">'
        b"<ResponseMetadata><RequestId>rid</RequestId></ResponseMetadata></DeleteUserResponse>"
    )


# --- errors ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("service", "given_status", "code", "status", "wire_code", "fault"),
    [
        ("iam", 400, "NoSuchEntity", 404, "NoSuchEntity", "Sender"),
        ("iam", 400, "EntityAlreadyExists", 409, "EntityAlreadyExists", "Sender"),
        ("iam", 400, "MalformedPolicyDocument", 400, "MalformedPolicyDocument", "Sender"),
        ("iam", 400, "ServiceFailure", 500, "ServiceFailure", "Receiver"),
        ("iam", 400, "AccessDeniedException", 403, "AccessDenied", "Sender"),
        (
            "iam",
            403,
            "MissingAuthenticationTokenException",
            403,
            "MissingAuthenticationToken",
            "Sender",
        ),
        ("sts", 400, "InvalidSignatureException", 403, "SignatureDoesNotMatch", "Sender"),
        ("sts", 400, "UnrecognizedClientException", 403, "InvalidClientTokenId", "Sender"),
        ("sts", 400, "ValidationException", 400, "ValidationError", "Sender"),
        ("sts", 400, "UnknownOperationException", 400, "InvalidAction", "Sender"),
        ("sts", 400, "RegionDisabledException", 403, "RegionDisabledException", "Sender"),
        ("sts", 503, "ServiceUnavailableException", 503, "ServiceUnavailable", "Receiver"),
        ("sts", 500, "InternalFailure", 500, "InternalFailure", "Receiver"),
    ],
)
def test_errors_parse_with_botocore_to_their_code_and_status(
    service: str, given_status: int, code: str, status: int, wire_code: str, fault: str
) -> None:
    boto, model = _models(service)
    answer = QueryProtocol(model).error(given_status, code, "It <failed> & said so.", "rid")
    assert (answer.status, answer.content_type) == (status, b"text/xml")
    namespace = model.metadata["xmlNamespace"].encode()
    assert answer.body.startswith(b'<ErrorResponse xmlns="' + namespace + b'"><Error>')
    operation = boto.operation_model(boto.operation_names[0])
    parsed = _parsed(operation, answer.status, answer.body)
    assert parsed["Error"] == {
        "Type": fault,
        "Code": wire_code,
        "Message": "It <failed> & said so.",
    }
    assert parsed["ResponseMetadata"]["RequestId"] == "rid"


def test_an_error_without_a_message_says_none() -> None:
    answer = QueryProtocol(ServiceModel.load("sts")).error(400, "Something", "", "rid")
    assert b"<Message>" not in answer.body
    boto = _SESSION.get_service_model("sts").operation_model("GetCallerIdentity")
    assert _parsed(boto, 400, answer.body)["Error"] == {"Type": "Sender", "Code": "Something"}
