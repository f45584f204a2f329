"""REST-JSON (issue 10): requests botocore's serializer builds decode to the parameters it was
given; answers and errors encode so botocore's parser reads back what the service said; the
model's validator checks every member, wherever it travels."""

from __future__ import annotations

import string
from datetime import UTC, datetime
from typing import Any

import botocore.session
import orjson
import pytest
from botocore.model import ServiceModel as BotocoreModel
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.unit.api.aws.rest_requests import Sent, parsed

from strongroom.api.aws.model import OperationModel, ServiceModel
from strongroom.api.aws.rest_json_protocol import RestJsonProtocol, text_query
from strongroom.api.aws.rest_routes import RestRoutes
from strongroom.errors import SerializationException, ValidationException

BOTOCORE = botocore.session.get_session().get_service_model("lambda")
MODEL = ServiceModel.load("lambda")
PROTOCOL = RestJsonProtocol(MODEL)


def _routes(model: ServiceModel) -> RestRoutes:
    return RestRoutes(
        (model.name, op.name, op.http["method"], op.http["requestUri"]) for op in model.operations()
    )


ROUTES = _routes(MODEL)


def decode(
    sent: Sent, model: ServiceModel = MODEL, protocol: RestJsonProtocol = PROTOCOL
) -> tuple[str, dict[str, Any]]:
    """The operation `sent` names and its validated parameters."""
    routes = ROUTES if model is MODEL else _routes(model)
    pairs = text_query(sent.query)
    found = routes.match(sent.method, sent.raw_path, pairs)
    assert found is not None
    operation = model.operation(found.operation)
    assert operation is not None
    return found.operation, protocol.decode(operation, found.labels, pairs, sent.headers, sent.body)


def _op(name: str, model: ServiceModel = MODEL) -> OperationModel:
    operation = model.operation(name)
    assert operation is not None
    return operation


# --- strategies --------------------------------------------------------------------------

NAME = st.from_regex(r"[a-zA-Z0-9_-]{1,64}", fullmatch=True)
FUNCTION = NAME | NAME.map(lambda name: f"arn:aws:lambda:eu-west-1:123456789012:function:{name}")
QUALIFIER = st.sampled_from(["$LATEST", "1", "live"]) | st.from_regex(
    r"[a-zA-Z0-9_-]{1,20}", fullmatch=True
)
TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=30)
ASCII = st.text(string.ascii_letters + string.digits + "+/=", min_size=1, max_size=40)
ENV_NAME = st.from_regex(r"[a-zA-Z][a-zA-Z0-9_]{1,20}", fullmatch=True)


def _present(**members: Any) -> dict[str, Any]:
    return {name: value for name, value in members.items() if value is not None}


@st.composite
def invoke(draw: st.DrawFn) -> dict[str, Any]:
    return _present(
        FunctionName=draw(FUNCTION),
        Qualifier=draw(st.none() | QUALIFIER),
        InvocationType=draw(st.none() | st.sampled_from(["Event", "RequestResponse", "DryRun"])),
        LogType=draw(st.none() | st.sampled_from(["None", "Tail"])),
        ClientContext=draw(st.none() | ASCII),
        Payload=draw(st.none() | st.binary(min_size=1, max_size=200)),
    )


@st.composite
def create_function(draw: st.DrawFn) -> dict[str, Any]:
    return _present(
        FunctionName=draw(NAME),
        Role="arn:aws:iam::123456789012:role/rotation",
        Code={"ZipFile": draw(st.binary(min_size=1, max_size=300))},
        Runtime=draw(st.sampled_from(["python3.11", "python3.12"])),
        Handler=draw(st.none() | st.just("lambda_function.lambda_handler")),
        Description=draw(st.none() | TEXT),
        Timeout=draw(st.none() | st.integers(1, 900)),
        MemorySize=draw(st.none() | st.integers(128, 10240)),
        Publish=draw(st.none() | st.booleans()),
        Environment=draw(
            st.none() | st.dictionaries(ENV_NAME, TEXT, max_size=4).map(lambda v: {"Variables": v})
        ),
        Architectures=draw(st.none() | st.sampled_from([["x86_64"], ["arm64"]])),
        Tags=draw(st.none() | st.dictionaries(ENV_NAME, TEXT, max_size=3)),
    )


@st.composite
def list_functions(draw: st.DrawFn) -> dict[str, Any]:
    return _present(
        MaxItems=draw(st.none() | st.integers(1, 10000)),
        Marker=draw(st.none() | TEXT),
        FunctionVersion=draw(st.none() | st.just("ALL")),
    )


@st.composite
def update_function_code(draw: st.DrawFn) -> dict[str, Any]:
    return _present(
        FunctionName=draw(FUNCTION),
        ZipFile=draw(st.binary(min_size=1, max_size=200)),
        Publish=draw(st.none() | st.booleans()),
        DryRun=draw(st.none() | st.booleans()),
    )


CASES = {
    "Invoke": invoke(),
    "CreateFunction": create_function(),
    "ListFunctions": list_functions(),
    "UpdateFunctionCode": update_function_code(),
    "GetFunction": st.fixed_dictionaries(
        {"FunctionName": FUNCTION}, optional={"Qualifier": QUALIFIER}
    ),
    "DeleteFunction": st.fixed_dictionaries(
        {"FunctionName": FUNCTION}, optional={"Qualifier": QUALIFIER}
    ),
    "RemovePermission": st.fixed_dictionaries(
        {"FunctionName": FUNCTION, "StatementId": NAME},
        optional={"Qualifier": QUALIFIER, "RevisionId": TEXT},
    ),
    "UntagResource": st.fixed_dictionaries(
        {
            "Resource": st.just("arn:aws:lambda:eu-west-1:123456789012:function:f"),
            "TagKeys": st.lists(TEXT, min_size=1, max_size=4),
        }
    ),
}


# --- requests ----------------------------------------------------------------------------


@pytest.mark.parametrize("operation", sorted(CASES))
@settings(max_examples=60, deadline=None, database=None)
@given(data=st.data())
def test_requests_decode_to_what_botocore_was_given(operation: str, data: st.DataObject) -> None:
    params = data.draw(CASES[operation], label="params")
    assert decode(Sent.of(BOTOCORE, operation, params)) == (operation, params)


def test_invoke_reads_every_member_from_where_the_model_puts_it() -> None:
    arn = "arn:aws:lambda:eu-west-1:123456789012:function:rotate"
    payload = b'{"SecretId": "s", "Step": "createSecret"}'
    sent = Sent.of(
        BOTOCORE,
        "Invoke",
        {"FunctionName": arn, "Qualifier": "$LATEST", "LogType": "Tail", "Payload": payload},
    )
    assert "%3A" in sent.raw_path and sent.query == b"Qualifier=%24LATEST"
    assert (b"x-amz-log-type", b"Tail") in sent.headers and sent.body == payload
    _, params = decode(sent)
    assert params == {
        "FunctionName": arn,
        "Qualifier": "$LATEST",
        "LogType": "Tail",
        "Payload": payload,
    }


def test_an_invoke_payload_is_the_raw_body_json_or_not() -> None:
    raw = b"\xff\x00not json"
    assert decode(Sent.of(BOTOCORE, "Invoke", {"FunctionName": "f", "Payload": raw}))[1] == {
        "FunctionName": "f",
        "Payload": raw,
    }
    # An empty body is no payload (botocore sends nothing for a missing one).
    assert decode(Sent.of(BOTOCORE, "Invoke", {"FunctionName": "f"}))[1] == {"FunctionName": "f"}


def test_a_json_body_cannot_supply_a_member_bound_elsewhere() -> None:
    params = {
        "FunctionName": "f",
        "StatementId": "s",
        "Action": "lambda:InvokeFunction",
        "Principal": "secretsmanager.amazonaws.com",
    }
    sent = Sent.of(BOTOCORE, "AddPermission", params)
    document = orjson.loads(sent.body) | {"Qualifier": "7", "FunctionName": "other"}
    forged = sent._replace(body=orjson.dumps(document))
    assert decode(forged)[1] == params
    get = Sent.of(BOTOCORE, "GetFunction", {"FunctionName": "f"})
    assert decode(get._replace(body=b'{"Qualifier": "1"}'))[1] == {"FunctionName": "f"}


def _error(sent: Sent) -> Exception:
    with pytest.raises((ValidationException, SerializationException)) as caught:
        decode(sent)
    return caught.value


def test_header_query_and_uri_members_are_validated_in_aws_words() -> None:
    sent = Sent.of(BOTOCORE, "Invoke", {"FunctionName": "f", "InvocationType": "Later"})
    error = _error(sent)
    assert isinstance(error, ValidationException)
    assert error.message == (
        "1 validation error detected: Value 'Later' at 'invocationType' failed to satisfy "
        "constraint: Member must satisfy enum value set: [Event, RequestResponse, DryRun]"
    )
    error = _error(Sent.of(BOTOCORE, "ListFunctions", {"MaxItems": 0}))
    assert isinstance(error, ValidationException)
    assert "Value '0' at 'maxItems' failed to satisfy constraint" in error.message
    error = _error(Sent.of(BOTOCORE, "GetFunction", {"FunctionName": "f" * 300}))
    assert isinstance(error, ValidationException)
    assert "at 'functionName' failed" in error.message
    assert "Member must have length less than or equal to 256" in error.message


def test_text_that_is_not_its_members_type_is_a_serialization_error() -> None:
    sent = Sent.of(BOTOCORE, "ListFunctions", {}, endpoint="http://h")
    error = _error(sent._replace(query=b"MaxItems=ten"))
    assert isinstance(error, SerializationException)
    assert "ten" not in error.message  # values are never echoed (they may be sensitive)
    update = Sent.of(BOTOCORE, "UpdateFunctionCode", {"FunctionName": "f", "Publish": True})
    error = _error(update._replace(body=b'{"ZipFile": "not base64!"}'))
    assert isinstance(error, SerializationException)
    error = _error(update._replace(body=b"{not json"))
    assert isinstance(error, SerializationException)


def test_the_zip_file_is_never_echoed() -> None:
    sent = Sent.of(
        BOTOCORE,
        "CreateFunction",
        {"FunctionName": "f", "Role": "nope", "Code": {"ZipFile": b"secret zip"}},
    )
    error = _error(sent)
    assert isinstance(error, ValidationException)
    assert "at 'role' failed" in error.message and "c2VjcmV0" not in error.message


# --- answers -----------------------------------------------------------------------------


OUTPUT_TEXT = st.text(string.ascii_letters + string.digits + " .:/$-_=+", min_size=1, max_size=30)
TRIMMED = OUTPUT_TEXT.filter(lambda text: text.strip() == text)  # HTTP trims header values


@settings(max_examples=100, deadline=None, database=None)
@given(
    result=st.fixed_dictionaries(
        {"StatusCode": st.sampled_from([200, 202, 204])},
        optional={
            "Payload": st.binary(max_size=200),
            "FunctionError": st.sampled_from(["Unhandled", "Handled"]),
            "LogResult": ASCII,
            "ExecutedVersion": st.sampled_from(["$LATEST", "3"]),
        },
    )
)
def test_invoke_answers_read_back_as_the_service_gave_them(result: dict[str, Any]) -> None:
    answer = PROTOCOL.answer(_op("Invoke"), result, "req-1")
    assert answer.status == result["StatusCode"] and answer.content_type == b"application/json"
    assert answer.body == result.get("Payload", b"")  # the raw payload, never base64
    expected = {"Payload": b""} | result
    assert parsed(BOTOCORE, "Invoke", answer) == expected


@settings(max_examples=60, deadline=None, database=None)
@given(
    result=st.fixed_dictionaries(
        {"FunctionName": NAME},
        optional={
            "FunctionArn": OUTPUT_TEXT,
            "Runtime": st.just("python3.12"),
            "CodeSize": st.integers(0, 2**40),
            "Timeout": st.integers(1, 900),
            "MemorySize": st.integers(128, 10240),
            "LastModified": st.just("2026-01-02T03:04:05.000+0000"),
            "Environment": st.dictionaries(ENV_NAME, TEXT, max_size=3).map(
                lambda v: {"Variables": v}
            ),
            "Architectures": st.just(["x86_64"]),
        },
    )
)
def test_json_answers_read_back_as_the_service_gave_them(result: dict[str, Any]) -> None:
    answer = PROTOCOL.answer(_op("CreateFunction"), result, "req-1")
    assert answer.status == 201  # the model's responseCode
    assert parsed(BOTOCORE, "CreateFunction", answer) == result
    answer = PROTOCOL.answer(_op("GetFunctionConfiguration"), result, "req-2")
    assert answer.status == 200 and parsed(BOTOCORE, "GetFunctionConfiguration", answer) == result


def test_answers_without_a_body() -> None:
    answer = PROTOCOL.answer(_op("DeleteFunction"), {"StatusCode": 204}, "r")
    assert (answer.status, answer.body, answer.headers) == (204, b"", b"")
    answer = PROTOCOL.answer(_op("RemovePermission"), {}, "r")  # no output shape at all
    assert (answer.status, answer.body) == (204, b"")


def test_header_values_cannot_break_the_head() -> None:
    answer = PROTOCOL.answer(
        _op("Invoke"), {"StatusCode": 200, "FunctionError": "x\r\nSet-Cookie: a=b"}, "r"
    )
    assert answer.headers == b"X-Amz-Function-Error: x  Set-Cookie: a=b\r\n"


# --- errors ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "given", "status", "fault", "key"),
    [
        ("ResourceNotFoundException", 400, 404, "User", "Message"),
        ("ResourceConflictException", 400, 409, "User", "message"),
        ("InvalidParameterValueException", 400, 400, "User", "message"),
        ("TooManyRequestsException", 400, 429, "User", "message"),
        ("ServiceException", 500, 500, "Service", "Message"),
        ("ValidationException", 400, 400, "User", "message"),  # not in the model
        ("UnrecognizedClientException", 400, 403, "User", "message"),
        ("InvalidSignatureException", 400, 403, "User", "message"),
        ("MissingAuthenticationTokenException", 403, 403, "User", "message"),
        ("AccessDeniedException", 400, 403, "User", "message"),
        ("UnknownOperationException", 400, 404, "User", "message"),
        ("ServiceUnavailableException", 503, 503, "Service", "message"),
    ],
)
def test_errors_are_written_as_lambda_writes_them(
    code: str, given: int, status: int, fault: str, key: str
) -> None:
    answer = PROTOCOL.error(given, code, "Function not found: f", "req-9")
    assert answer.status == status
    assert orjson.loads(answer.body) == {"Type": fault, key: "Function not found: f"}
    assert answer.headers == f"x-amzn-errortype: {code}\r\n".encode()
    error = parsed(BOTOCORE, "GetFunction", answer)["Error"]
    assert (error["Code"], error["Message"]) == (code, "Function not found: f")


def test_an_error_message_that_is_not_unicode_is_still_written() -> None:
    answer = PROTOCOL.error(404, "UnknownOperationException", "at /x\udcff", "r")
    assert orjson.loads(answer.body)["message"] == "at /x?"


# --- every other binding the protocol knows (a model of our own) -------------------------

SYNTHETIC: dict[str, Any] = {
    "metadata": {
        "apiVersion": "2020-01-01",
        "endpointPrefix": "things",
        "protocol": "rest-json",
        "signingName": "things",
        "serviceId": "Things",
        "signatureVersion": "v4",
    },
    "operations": {
        "PutThing": {
            "name": "PutThing",
            "http": {"method": "PUT", "requestUri": "/2020-01-01/things/{Name}/{Path+}"},
            "input": {"shape": "PutThingRequest"},
            "output": {"shape": "PutThingResponse"},
        }
    },
    "shapes": {
        "PutThingRequest": {
            "type": "structure",
            "required": ["Name", "Path"],
            "payload": "Body",
            "members": {
                "Name": {"shape": "String", "location": "uri", "locationName": "Name"},
                "Path": {"shape": "String", "location": "uri", "locationName": "Path"},
                "Count": {"shape": "Integer", "location": "querystring", "locationName": "count"},
                "Flag": {"shape": "Boolean", "location": "querystring", "locationName": "flag"},
                "Since": {"shape": "Time", "location": "querystring", "locationName": "since"},
                "Tags": {"shape": "Strings", "location": "querystring", "locationName": "tag"},
                "Extra": {"shape": "StringMap", "location": "querystring"},
                "Items": {"shape": "Strings", "location": "header", "locationName": "X-Items"},
                "When": {"shape": "Time", "location": "header", "locationName": "X-When"},
                "Ratio": {"shape": "Double", "location": "header", "locationName": "X-Ratio"},
                "Doc": {"shape": "JsonString", "location": "header", "locationName": "X-Doc"},
                "Meta": {"shape": "StringMap", "location": "headers", "locationName": "x-meta-"},
                "Body": {"shape": "Body"},
            },
        },
        "PutThingResponse": {
            "type": "structure",
            "payload": "Body",
            "members": {
                "Status": {"shape": "Integer", "location": "statusCode"},
                "Items": {"shape": "Strings", "location": "header", "locationName": "X-Items"},
                "When": {"shape": "Time", "location": "header", "locationName": "X-When"},
                "Flag": {"shape": "Boolean", "location": "header", "locationName": "X-Flag"},
                "Doc": {"shape": "JsonString", "location": "header", "locationName": "X-Doc"},
                "Meta": {"shape": "StringMap", "location": "headers", "locationName": "x-meta-"},
                "Body": {"shape": "Body"},
            },
        },
        "Body": {
            "type": "structure",
            "members": {"Text": {"shape": "String"}, "Size": {"shape": "Integer"}},
        },
        "String": {"type": "string"},
        "JsonString": {"type": "string", "jsonvalue": True},
        "Integer": {"type": "integer"},
        "Boolean": {"type": "boolean"},
        "Double": {"type": "double"},
        "Time": {"type": "timestamp"},
        "Strings": {"type": "list", "member": {"shape": "String"}},
        "StringMap": {"type": "map", "key": {"shape": "String"}, "value": {"shape": "String"}},
    },
}
THINGS = ServiceModel("things", SYNTHETIC)
THINGS_BOTOCORE = BotocoreModel(SYNTHETIC, "things")
THINGS_PROTOCOL = RestJsonProtocol(THINGS)

WORD = st.text(string.ascii_letters + string.digits, min_size=1, max_size=8)
MOMENT = st.integers(0, 4_000_000_000).map(lambda s: datetime.fromtimestamp(s, UTC))


@settings(max_examples=100, deadline=None, database=None)
@given(
    params=st.fixed_dictionaries(
        {"Name": TEXT, "Path": st.lists(TEXT, min_size=1, max_size=3).map("/".join)},
        optional={
            "Count": st.integers(-(2**31), 2**31 - 1),
            "Flag": st.booleans(),
            "Since": MOMENT,
            "Tags": st.lists(TEXT, min_size=1, max_size=3),
            "Extra": st.dictionaries(WORD.map(lambda w: "x" + w), TEXT, max_size=3),
            "Items": st.lists(TRIMMED | st.just('with "quotes", and commas'), max_size=3),
            "When": MOMENT,
            "Ratio": st.floats(allow_nan=False, allow_infinity=False),
            "Doc": st.dictionaries(WORD, st.integers() | WORD, max_size=3),
            "Meta": st.dictionaries(WORD.map(str.lower), OUTPUT_TEXT, max_size=3),
            "Body": st.fixed_dictionaries({}, optional={"Text": TEXT, "Size": st.integers(0, 99)}),
        },
    )
)
def test_every_binding_decodes_as_botocore_encoded_it(params: dict[str, Any]) -> None:
    sent = Sent.of(THINGS_BOTOCORE, "PutThing", params)
    _, decoded = decode(sent, THINGS, THINGS_PROTOCOL)
    expected = dict(params)
    for moment in ("Since", "When"):
        if moment in expected:
            expected[moment] = expected[moment].timestamp()
    for empty in ("Items", "Meta", "Extra"):  # an empty list or map sends nothing
        if not expected.get(empty):
            expected.pop(empty, None)
    expected.setdefault("Body", {})  # botocore sends `{}` for a structure payload not given
    assert decoded == expected


@settings(max_examples=100, deadline=None, database=None)
@given(
    result=st.fixed_dictionaries(
        {},
        optional={
            "Status": st.sampled_from([200, 201, 202]),
            "Items": st.lists(TRIMMED, min_size=1, max_size=3),
            "When": MOMENT,
            "Flag": st.booleans(),
            "Doc": st.dictionaries(WORD, st.integers() | WORD, max_size=3),
            "Meta": st.dictionaries(WORD, TRIMMED, max_size=3),
            "Body": st.fixed_dictionaries({}, optional={"Text": TEXT, "Size": st.integers(0, 99)}),
        },
    )
)
def test_every_binding_encodes_so_botocore_reads_it_back(result: dict[str, Any]) -> None:
    answer = THINGS_PROTOCOL.answer(_op("PutThing", THINGS), result, "r")
    expected = {"Status": 200} | result
    if not expected.get("Meta"):
        expected.pop("Meta", None)
    got = parsed(THINGS_BOTOCORE, "PutThing", answer)
    if "Body" not in result:
        assert got.pop("Body", {}) == {}  # no payload: an empty body
    if not got.get("Meta"):
        got.pop("Meta", None)
    assert got == expected


def test_unparseable_bound_values_are_serialization_errors() -> None:
    sent = Sent.of(THINGS_BOTOCORE, "PutThing", {"Name": "n", "Path": "p"})
    for query, header in [
        (b"count=1.5", None),
        (b"flag=yes", None),
        (b"", (b"x-when", b"yesterday")),
        (b"", (b"x-ratio", b"much")),
        (b"", (b"x-doc", b"not base64 json")),
    ]:
        bad = sent._replace(query=query, headers=sent.headers + ([header] if header else []))
        with pytest.raises(SerializationException):
            decode(bad, THINGS, THINGS_PROTOCOL)
