"""Function references resolve as Lambda resolves them: name, `name:qualifier`, partial
ARN and full ARN, always in the caller's partition and region; only `$LATEST` exists."""

from __future__ import annotations

import pytest
from tests.unit.services.awslambda.world import ACCOUNT, REGION, admin

from strongroom.errors import InvalidParameterValueException, ResourceNotFoundException
from strongroom.services.awslambda.names import FunctionRef, check_new_name, resolve

ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:rotator"


@pytest.mark.parametrize(
    ("reference", "qualifier"),
    [
        ("rotator", None),
        ("rotator:$LATEST", "$LATEST"),
        (f"{ACCOUNT}:function:rotator", None),
        (f"{ACCOUNT}:function:rotator:live", "live"),
        (ARN, None),
        (f"{ARN}:7", "7"),
    ],
)
def test_every_form_names_the_same_function(reference: str, qualifier: str | None) -> None:
    ref = resolve(admin(), reference)
    assert ref == FunctionRef("aws", REGION, ACCOUNT, "rotator", qualifier)
    assert ref.arn == ARN
    assert ref.resource == (ARN if qualifier is None else f"{ARN}:{qualifier}")


def test_a_qualifier_parameter_qualifies_a_plain_name() -> None:
    assert resolve(admin(), "rotator", "$LATEST").resource == f"{ARN}:$LATEST"
    assert resolve(admin(), f"{ARN}:$LATEST", "$LATEST").qualifier == "$LATEST"


def test_two_different_qualifiers_are_refused_in_lambdas_words() -> None:
    with pytest.raises(InvalidParameterValueException) as info:
        resolve(admin(), f"{ARN}:1", "2")
    assert info.value.message == (
        "The derived qualifier from the function name does not match the specified qualifier."
    )


def test_an_arn_of_another_region_is_not_reachable() -> None:
    with pytest.raises(ResourceNotFoundException) as info:
        resolve(admin(), ARN.replace(REGION, "eu-west-1"))
    assert info.value.message == (
        f"Functions from 'eu-west-1' are not reachable in this region ('{REGION}')"
    )


def test_another_partition_or_a_malformed_reference_is_not_found() -> None:
    for reference in (ARN.replace("arn:aws:", "arn:aws-cn:"), "has space", "a:b:c:d"):
        with pytest.raises(ResourceNotFoundException):
            resolve(admin(), reference)


def test_only_latest_exists() -> None:
    resolve(admin(), "rotator").require_latest()
    resolve(admin(), "rotator:$LATEST").require_latest()
    for qualifier in ("1", "live", "$LATEST.PUBLISHED"):
        with pytest.raises(ResourceNotFoundException) as info:
            resolve(admin(), "rotator", qualifier).require_latest()
        assert info.value.message == f"Function not found: {ARN}:{qualifier}"


def test_new_names_follow_lambdas_alphabet_and_length() -> None:
    check_new_name(resolve(admin(), "a" * 64))
    for name, constraint in (
        ("a" * 65, "Member must have length less than or equal to 64"),
        ("dotted.name", "Member must satisfy regular expression pattern"),
    ):
        with pytest.raises(InvalidParameterValueException) as info:
            check_new_name(resolve(admin(), name))
        assert constraint in info.value.message
