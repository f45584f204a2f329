"""The error vocabulary: one class per wire name, so every code means one thing."""

from __future__ import annotations

from collections import Counter

import strongroom.errors as errors_module
from strongroom.errors import StrongroomError, UnsupportedOperationException


def _every_error_class() -> list[type[StrongroomError]]:
    found: list[type[StrongroomError]] = []
    todo: list[type[StrongroomError]] = [StrongroomError]
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo.extend(cls.__subclasses__())
    # The root is not raised itself; its code is InternalFailure's, the same meaning.
    return [
        cls
        for cls in found
        if cls.__module__ == errors_module.__name__ and cls is not StrongroomError
    ]


def test_no_two_error_classes_share_a_wire_code() -> None:
    codes = Counter(cls.code for cls in _every_error_class())
    assert [code for code, count in codes.items() if count > 1] == []


def test_unsupported_operations_have_one_class_named_as_aws_names_it() -> None:
    named = [cls for cls in _every_error_class() if cls.code == "UnsupportedOperationException"]
    assert named == [UnsupportedOperationException]
