"""REST routes: every operation of botocore's Lambda model is found from the request botocore
builds for it, the most specific template wins, and labels come back as they were given."""

from __future__ import annotations

import string
from typing import Any

import botocore.session
import pytest
from botocore.model import Shape
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.unit.api.aws.rest_requests import Sent

from strongroom.api.aws.model import ServiceModel
from strongroom.api.aws.rest_json_protocol import text_query
from strongroom.api.aws.rest_routes import RestRoutes

BOTOCORE = botocore.session.get_session().get_service_model("lambda")
MODEL = ServiceModel.load("lambda")
ROUTES = RestRoutes(
    (MODEL.name, op.name, op.http["method"], op.http["requestUri"]) for op in MODEL.operations()
)


def _sample(shape: Shape) -> Any:
    """Some value of `shape`'s type (routing never looks at values)."""
    kind = shape.type_name
    if kind == "structure":
        return {name: _sample(member) for name, member in shape.members.items()}
    return {
        "string": "x",
        "integer": 1,
        "long": 1,
        "boolean": True,
        "blob": b"x",
        "timestamp": 0,
        "list": [],
        "map": {},
        "float": 1.0,
        "double": 1.0,
    }.get(kind, "x")


def _required(operation: str) -> dict[str, Any]:
    shape = BOTOCORE.operation_model(operation).input_shape
    if shape is None:
        return {}
    return {name: _sample(shape.members[name]) for name in shape.required_members}


def _route(sent: Sent) -> tuple[str, dict[str, str]] | None:
    found = ROUTES.match(sent.method, sent.raw_path, text_query(sent.query))
    return None if found is None else (found.operation, found.labels)


@pytest.mark.parametrize("operation", BOTOCORE.operation_names)
def test_every_operation_is_routed_from_its_own_request(operation: str) -> None:
    sent = Sent.of(BOTOCORE, operation, _required(operation))
    assert ROUTES.claims(sent.raw_path)
    found = _route(sent)
    assert found is not None and found[0] == operation


def test_a_template_requiring_a_query_parameter_wins_only_when_it_is_sent() -> None:
    listed = Sent.of(BOTOCORE, "ListProvisionedConcurrencyConfigs", {"FunctionName": "f"})
    got = Sent.of(
        BOTOCORE, "GetProvisionedConcurrencyConfig", {"FunctionName": "f", "Qualifier": "1"}
    )
    assert listed.raw_path == got.raw_path and listed.method == got.method
    assert _route(listed) == ("ListProvisionedConcurrencyConfigs", {"FunctionName": "f"})
    assert _route(got) == ("GetProvisionedConcurrencyConfig", {"FunctionName": "f"})
    by_arn = Sent.of(BOTOCORE, "GetLayerVersionByArn", {"Arn": "arn:aws:lambda:x"})
    assert _route(by_arn) == ("GetLayerVersionByArn", {})
    assert _route(Sent.of(BOTOCORE, "ListLayers", {})) == ("ListLayers", {})


def test_more_literal_segments_win_whatever_the_model_order() -> None:
    routes = RestRoutes(
        [
            ("s", "ByName", "GET", "/v1/things/{Name}/{Part}"),
            ("s", "Policy", "GET", "/v1/things/{Name}/policy"),
            ("s", "Greedy", "GET", "/v1/things/{Path+}"),
        ]
    )
    assert routes.match("GET", "/v1/things/a/policy", []) == ("s", "Policy", {"Name": "a"})
    assert routes.match("GET", "/v1/things/a/b", []) == ("s", "ByName", {"Name": "a", "Part": "b"})
    assert routes.match("GET", "/v1/things/a/b/c", []) == ("s", "Greedy", {"Path": "a/b/c"})
    assert routes.match("GET", "/v1/things/a", []) == ("s", "Greedy", {"Path": "a"})


def test_greedy_labels_take_slashes_and_may_have_a_suffix() -> None:
    routes = RestRoutes([("s", "Op", "PUT", "/v1/{Bucket}/{Key+}/meta")])
    found = routes.match("PUT", "/v1/b/dir/sub%2Fname/meta", [])
    assert found == ("s", "Op", {"Bucket": "b", "Key": "dir/sub/name"})
    assert routes.match("PUT", "/v1/b/meta", []) is None  # a greedy label is never empty


def test_paths_that_name_no_operation() -> None:
    for method, path in [
        ("GET", "/2015-03-31/functions/f/nosuchthing"),
        ("PATCH", "/2015-03-31/functions/f"),  # no such method there
        ("GET", "/2015-03-31/functions//configuration"),  # an empty label
        ("GET", "/2015-03-31"),
    ]:
        assert ROUTES.match(method, path, []) is None, path
    assert not ROUTES.claims("/sys/health")
    assert not ROUTES.claims("/moto-api/reset")
    assert not ROUTES.claims("/")
    assert ROUTES.owner("/2015-03-31/anything") == "lambda"
    assert ROUTES.owner("/sys/health") is None


def test_one_trailing_slash_is_ignored() -> None:
    assert ROUTES.match("GET", "/2015-03-31/functions/", []) == ("lambda", "ListFunctions", {})
    found = ROUTES.match("GET", "/2015-03-31/functions/f/", [])
    assert found == ("lambda", "GetFunction", {"FunctionName": "f"})


LABEL = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs",)) | st.sampled_from("/%:$+ ?#&="),
    min_size=1,
    max_size=40,
)


@settings(max_examples=200, deadline=None, database=None)
@given(name=LABEL, statement=LABEL)
def test_labels_are_decoded_exactly_as_botocore_encoded_them(name: str, statement: str) -> None:
    sent = Sent.of(BOTOCORE, "RemovePermission", {"FunctionName": name, "StatementId": statement})
    assert _route(sent) == ("RemovePermission", {"FunctionName": name, "StatementId": statement})


@settings(max_examples=100, deadline=None, database=None)
@given(
    segments=st.lists(st.text(string.ascii_letters + "-._~%", min_size=1, max_size=8), max_size=4)
)
def test_arbitrary_paths_never_raise(segments: list[str]) -> None:
    path = "/2015-03-31/" + "/".join(segments)
    for method in ("GET", "POST", "PUT", "DELETE"):
        found = ROUTES.match(method, path, [])
        assert found is None or found.service == "lambda"
