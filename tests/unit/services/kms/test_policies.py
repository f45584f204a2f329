"""Key policy documents: anything that cannot be parsed is MalformedPolicyDocumentException."""

from __future__ import annotations

import json
import sys

import pytest

from strongroom.errors import MalformedPolicyDocumentException
from strongroom.services.kms.policies import check_policy_document, default_policy

DEEPER_THAN_PYTHON = sys.getrecursionlimit() + 10


@pytest.mark.parametrize(
    "policy",
    [
        "[" * DEEPER_THAN_PYTHON + "]" * DEEPER_THAN_PYTHON,
        '{"a":' * DEEPER_THAN_PYTHON + "1" + "}" * DEEPER_THAN_PYTHON,
        '{"Statement": ' + "[" * DEEPER_THAN_PYTHON + "]" * DEEPER_THAN_PYTHON + "}",
        "[" * 100_000,  # never closed
    ],
    ids=["deep array", "deep object", "deep statement", "unclosed"],
)
def test_a_policy_nested_deeper_than_the_parser_goes_is_malformed(policy: str) -> None:
    with pytest.raises(MalformedPolicyDocumentException) as raised:
        check_policy_document(policy)
    assert raised.value.message == "The new key policy is not valid JSON."


@pytest.mark.parametrize("policy", ["", "not json", '{"Statement": [}', "\ud800"])
def test_text_that_is_not_json_is_malformed(policy: str) -> None:
    with pytest.raises(MalformedPolicyDocumentException):
        check_policy_document(policy)


@pytest.mark.parametrize("policy", ["[]", '"text"', "{}", '{"Version": "2012-10-17"}'])
def test_json_that_is_not_a_policy_object_is_malformed(policy: str) -> None:
    with pytest.raises(MalformedPolicyDocumentException) as raised:
        check_policy_document(policy)
    assert raised.value.message == "The new key policy must be a JSON object with a Statement."


def test_the_default_policy_is_a_policy_document() -> None:
    policy = default_policy("aws", "123456789012")
    check_policy_document(policy)
    assert json.loads(policy)["Statement"][0]["Action"] == "kms:*"
