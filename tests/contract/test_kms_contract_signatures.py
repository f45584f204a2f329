"""Every KMS operation function takes exactly its botocore input shape's members.

The edge validates a request against the model and calls `OPERATIONS[name](kms, caller,
**params)`, so a member the model has and the function lacks is a TypeError (an internal
error on the wire), and a member the model calls optional but the function requires is a
TypeError too. Required members have no default; optional ones have one.
"""

from __future__ import annotations

import botocore.session
import pytest
from tests.contract.operation_contract import signature_tests

from strongroom.services.kms import OPERATIONS

MODEL = botocore.session.get_session().get_service_model("kms")


@pytest.mark.parametrize("name", sorted(OPERATIONS))
def test_operation_exists_in_the_model(name: str) -> None:
    assert name in MODEL.operation_names


(
    test_operation_takes_kms_and_caller_then_keywords_only,
    test_keyword_parameters_are_exactly_the_input_members,
    test_required_members_have_no_default_and_optional_ones_do,
) = signature_tests(OPERATIONS, MODEL, ["kms", "caller"])
