"""Every STS operation takes exactly its botocore input shape's members."""

from __future__ import annotations

import botocore.session
import pytest
from tests.contract.operation_contract import signature_tests

from strongroom.services.sts import OPERATIONS

MODEL = botocore.session.get_session().get_service_model("sts")


@pytest.mark.parametrize("name", sorted(OPERATIONS))
def test_operation_exists_in_the_model(name: str) -> None:
    assert name in MODEL.operation_names


(
    test_operation_takes_sts_and_caller_then_keywords_only,
    test_keyword_parameters_are_exactly_the_input_members,
    test_required_members_have_no_default_and_optional_ones_do,
) = signature_tests(OPERATIONS, MODEL, ["sts", "caller"])
