"""Every KMS operation function takes exactly its botocore input shape's members.

The edge validates a request against the model and calls `OPERATIONS[name](kms, caller,
**params)`, so a member the model has and the function lacks is a TypeError (an internal
error on the wire), and a member the model calls optional but the function requires is a
TypeError too. Required members have no default; optional ones have one.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import botocore.session
import pytest

from strongroom.services.kms import OPERATIONS

MODEL = botocore.session.get_session().get_service_model("kms")


def _members(name: str, *, required: bool = False) -> set[str]:
    if name not in MODEL.operation_names:
        return set()
    shape = MODEL.operation_model(name).input_shape
    if shape is None:
        return set()
    return set(shape.required_members if required else shape.members)


def _keyword_only(function: Callable[..., Any]) -> dict[str, inspect.Parameter]:
    return {
        p.name: p
        for p in inspect.signature(function).parameters.values()
        if p.kind is inspect.Parameter.KEYWORD_ONLY
    }


@pytest.mark.parametrize("name", sorted(OPERATIONS))
def test_operation_exists_in_the_model(name: str) -> None:
    assert name in MODEL.operation_names


@pytest.mark.parametrize("name", sorted(OPERATIONS))
def test_operation_takes_kms_and_caller_then_keywords_only(name: str) -> None:
    parameters = list(inspect.signature(OPERATIONS[name]).parameters.values())
    positional = [p.name for p in parameters if p.kind is not inspect.Parameter.KEYWORD_ONLY]
    assert positional == ["kms", "caller"]
    assert all(p.default is inspect.Parameter.empty for p in parameters[:2])


@pytest.mark.parametrize("name", sorted(OPERATIONS))
def test_keyword_parameters_are_exactly_the_input_members(name: str) -> None:
    shape = MODEL.operation_model(name).input_shape
    members = set() if shape is None else set(shape.members)
    assert set(_keyword_only(OPERATIONS[name])) == members


@pytest.mark.parametrize("name", sorted(OPERATIONS))
def test_required_members_have_no_default_and_optional_ones_do(name: str) -> None:
    shape = MODEL.operation_model(name).input_shape
    required = set() if shape is None else set(shape.required_members)
    parameters = _keyword_only(OPERATIONS[name])
    for member, parameter in parameters.items():
        has_default = parameter.default is not inspect.Parameter.empty
        if member in required:
            assert not has_default, f"{name}.{member} is required but has a default"
        else:
            assert has_default, f"{name}.{member} is optional but has no default"
